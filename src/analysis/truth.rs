//! Ground truth for the generators (`gen` and the demo): the faults they can inject, the anomalies
//! an injected fault must cause, and the `NAME=RATE,...` fault syntax both take.

use super::AnomalyKind;

/// Every fault a generator can inject. Each generator supports its own subset (its list, in the
/// order it rolls them: `ingest::generate::FAULTS`, `ingest::demo::FAULTS`); a name is the same
/// fault, causing the same anomaly kind, in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    Dup,
    Reorder,
    Drop,
    Slow,
    Stall,
    Poison,
    Skew,
    Conflict,
    Orphan,
    Cycle,
    Gap,
    Skip,
}

impl Fault {
    pub const COUNT: usize = 12;
    /// Every fault; what one generator supports is its own list.
    pub const ALL: [Fault; Fault::COUNT] = [
        Fault::Dup,
        Fault::Reorder,
        Fault::Drop,
        Fault::Slow,
        Fault::Stall,
        Fault::Poison,
        Fault::Skew,
        Fault::Conflict,
        Fault::Orphan,
        Fault::Cycle,
        Fault::Gap,
        Fault::Skip,
    ];

    /// The name in `--faults NAME=RATE`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Dup => "dup",
            Fault::Reorder => "reorder",
            Fault::Drop => "drop",
            Fault::Slow => "slow",
            Fault::Stall => "stall",
            Fault::Poison => "poison",
            Fault::Skew => "skew",
            Fault::Conflict => "conflict",
            Fault::Orphan => "orphan",
            Fault::Cycle => "cycle",
            Fault::Gap => "gap",
            Fault::Skip => "skip",
        }
    }

    /// What the rate means, for the GUI (each generator's docs give its exact events and ranges).
    pub fn describe(self) -> &'static str {
        match self {
            Fault::Dup => "per event: the producer sends it twice (duplicate delivery)",
            Fault::Reorder => {
                "per order: an event lands in the log after the next one of its order"
            }
            Fault::Drop => "per order: one event never reaches its consumer (the flow gets stuck)",
            Fault::Slow => "per order: a service takes 2x the stuck timeout to handle one event",
            Fault::Stall => "per second: a service stops consuming for 2x the stuck timeout",
            Fault::Poison => "per order: OrderPlaced cannot be read and ends in orders.DLT",
            Fault::Skew => "per order: the shipping service's clock is seconds behind",
            Fault::Conflict => "per order: EmailSent reuses an earlier EmailSent's id",
            Fault::Orphan => "per order: an analytics event names a cause that never existed",
            Fault::Cycle => "per order: two events name each other as their cause",
            Fault::Gap => "per order: OrderShipped skips a sequence number",
            Fault::Skip => {
                "per order: a step is skipped (no InventoryReserved), an unusual but complete flow"
            }
        }
    }

    /// The anomaly kind this fault must cause.
    pub fn anomaly(self) -> AnomalyKind {
        match self {
            Fault::Dup => AnomalyKind::Duplicate,
            Fault::Reorder => AnomalyKind::OutOfOrder,
            Fault::Drop | Fault::Slow | Fault::Stall => AnomalyKind::Stuck,
            Fault::Poison => AnomalyKind::DeadLetter,
            Fault::Skew => AnomalyKind::CauseAfterEffect,
            Fault::Conflict => AnomalyKind::ConflictingDuplicate,
            Fault::Orphan => AnomalyKind::OrphanCause,
            Fault::Cycle => AnomalyKind::CausationCycle,
            Fault::Gap => AnomalyKind::SequenceGap,
            Fault::Skip => AnomalyKind::UnusualFlow,
        }
    }
}

/// Parses `--faults` for a generator that supports `supported`: rates indexed like it (unnamed
/// ones are 0); a fault it does not support is an error that lists the ones it does.
pub fn parse_faults<const N: usize>(s: &str, supported: &[Fault; N]) -> Result<[f64; N], String> {
    parse_rates(s, &supported.map(Fault::name))
}

/// The rate of `f` in rates indexed like `supported` (0 for a fault not in it).
pub fn rate_of(supported: &[Fault], rates: &[f64], f: Fault) -> f64 {
    supported
        .iter()
        .position(|&g| g == f)
        .map_or(0.0, |i| rates[i])
}

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

    #[test]
    fn faults_have_one_name_each_and_parse_only_where_supported() {
        for (i, f) in Fault::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
            assert_eq!(
                Fault::ALL.iter().filter(|g| g.name() == f.name()).count(),
                1
            );
        }
        let supported = [Fault::Gap, Fault::Dup];
        assert_eq!(parse_faults("dup=0.5", &supported).unwrap(), [0.0, 0.5]);
        assert_eq!(
            parse_faults("slow=0.5", &supported).unwrap_err(),
            "unknown fault 'slow' (known: gap, dup)"
        );
        assert_eq!(rate_of(&supported, &[0.25, 0.5], Fault::Gap), 0.25);
        assert_eq!(rate_of(&supported, &[0.25, 0.5], Fault::Slow), 0.0);
    }
}
