//! Ground truth for the generators (`gen` and the demo): the anomalies an injected fault must
//! cause, and the `NAME=RATE,...` fault syntax both take.

use super::AnomalyKind;

/// An anomaly a generator expects the analysis to report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Expected {
    pub kind: AnomalyKind,
    pub event_id: String,
}

/// A random version-4 UUID in its text form (generated ids look like real ones).
pub fn random_uuid(rng: &mut fastrand::Rng) -> String {
    let (a, b) = (rng.u64(..), rng.u64(..));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Parses `dup=0.01,reorder=0.02` into rates in [0, 1] indexed like `names` (unnamed ones are 0).
pub fn parse_rates<const N: usize>(s: &str, names: &[&str; N]) -> Result<[f64; N], String> {
    let mut f = [0.0; N];
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}': expected NAME=RATE"))?;
        let i = names
            .iter()
            .position(|n| *n == k.trim())
            .ok_or_else(|| format!("unknown fault '{k}' (known: {})", names.join(", ")))?;
        let rate: f64 = v
            .trim()
            .parse()
            .map_err(|_| format!("'{v}' is not a number"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("rate {rate} for {k} is not between 0 and 1"));
        }
        f[i] = rate;
    }
    Ok(f)
}

/// Writes expectations as JSON Lines (`{"kind":..,"event_id":..}`), the format of `--truth`.
pub fn write_jsonl(truth: &[Expected], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for e in truth {
        writeln!(
            out,
            "{}",
            serde_json::json!({"kind": e.kind.name(), "event_id": e.event_id})
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_errors_name_the_problem() {
        let r = parse_rates("b=0.5, a=1", &["a", "b", "c"]).unwrap();
        assert_eq!(r, [1.0, 0.5, 0.0]);
        assert!(
            parse_rates("x=1", &["a"])
                .unwrap_err()
                .contains("unknown fault 'x'")
        );
        assert!(
            parse_rates("a=2", &["a"])
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!(parse_rates("a", &["a"]).unwrap_err().contains("NAME=RATE"));
    }
}
