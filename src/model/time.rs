//! Time: nanoseconds since the Unix epoch, parsed from RFC 3339 with chrono (and a fast path for
//! the one shape nearly every trace uses).

use chrono::{DateTime, SecondsFormat, Utc};

/// Nanoseconds since the Unix epoch (UTC).
pub type Timestamp = i64;

/// Parses an RFC 3339 time (`2026-11-22T03:21:16.123Z`, any offset) to nanoseconds since the epoch.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    if let Some(t) = parse_utc_fast(text.as_bytes()) {
        return t;
    }
    let parsed = DateTime::parse_from_rfc3339(text).ok()?;
    parsed.timestamp_nanos_opt()
}

/// Checks [`parse_time`] against chrono alone on `text`. For the tests and the fuzz target.
#[doc(hidden)]
pub fn parse_time_agrees_with_chrono(text: &str) -> Result<(), String> {
    let chrono = DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|d| d.timestamp_nanos_opt());
    let ours = parse_time(text);
    if ours == chrono {
        Ok(())
    } else {
        Err(format!("'{text}': {ours:?}, chrono {chrono:?}"))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction of 1-9 digits]Z`, the shape of nearly every event time, parsed
/// by hand: chrono's general RFC 3339 parser was 6% of `check`'s work. `None` leaves the text to
/// chrono (other shapes, offsets, leap seconds, anything invalid); `Some` is what chrono gives.
fn parse_utc_fast(b: &[u8]) -> Option<Option<Timestamp>> {
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    #[inline(always)]
    fn digit(b: &[u8], i: usize) -> Option<i64> {
        let d = b[i].wrapping_sub(b'0');
        (d < 10).then_some(i64::from(d))
    }
    #[inline(always)]
    fn two(b: &[u8], i: usize) -> Option<i64> {
        Some(digit(b, i)? * 10 + digit(b, i + 1)?)
    }
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = two(b, 0)? * 100 + two(b, 2)?;
    let (month, day) = (two(b, 5)?, two(b, 8)?);
    let (hour, minute, second) = (two(b, 11)?, two(b, 14)?, two(b, 17)?);
    let nanos = match b.len() - 20 {
        0 => 0,
        n @ 2..=10 if b[19] == b'.' => {
            const SCALE: [i64; 11] = [
                0, 0, 1e8 as i64, 1e7 as i64, 1e6 as i64, 1e5 as i64, 1e4 as i64, 1e3 as i64, 100,
                10, 1,
            ];
            let mut v = 0;
            for i in 20..19 + n {
                v = v * 10 + digit(b, i)?;
            }
            v * SCALE[n]
        }
        _ => return None,
    };
    const MONTH_DAYS: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if !(1..=12).contains(&month)
        || day < 1
        || day > MONTH_DAYS[month as usize - 1] + i64::from(leap && month == 2)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    let mut sub = nanos;
    // As chrono's timestamp_nanos_opt: borrow a second below the epoch so the earliest
    // representable instant does not overflow on the way.
    if secs < 0 && sub > 0 {
        secs += 1;
        sub -= 1_000_000_000;
    }
    Some(
        secs.checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(sub)),
    )
}

/// Formats nanoseconds since the epoch as RFC 3339 UTC (milliseconds, more digits when needed).
/// The wall clock now, in nanoseconds since the epoch (0 before 1970).
pub fn now_ns() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

pub fn format_time(ts: Timestamp) -> String {
    let dt: DateTime<Utc> = DateTime::from_timestamp_nanos(ts);
    let secs = if ts % 1_000_000 == 0 {
        SecondsFormat::Millis
    } else {
        SecondsFormat::AutoSi
    };
    dt.to_rfc3339_opts(secs, true)
}

/// A duration in nanoseconds for people: "250 ms", "4.2 s", "3 min 5 s".
pub fn format_duration(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs();
    let body = if a < 1_000 {
        format!("{a} ns")
    } else if a < 1_000_000 {
        format!("{:.0} µs", a as f64 / 1e3)
    } else if a < 1_000_000_000 {
        format!("{:.0} ms", a as f64 / 1e6)
    } else if a < 60_000_000_000 {
        format!("{:.1} s", a as f64 / 1e9)
    } else {
        let s = a / 1_000_000_000;
        format!("{} min {} s", s / 60, s % 60)
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path gives what chrono gives, on valid and invalid times alike.
    #[test]
    fn fast_path_agrees_with_chrono() {
        let mut cases: Vec<String> = [
            "2026-11-22T03:21:16Z",
            "2026-11-22T03:21:16.1Z",
            "2026-11-22T03:21:16.123456789Z",
            "2026-11-22T03:21:16.1234567891Z",
            "2024-02-29T23:59:59.999Z",
            "2023-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "2026-01-01t00:00:00z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+01:00",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "1677-09-21T00:12:43.145224192Z",
            "1677-09-21T00:12:43.145224191Z",
            "2262-04-11T23:47:16.854775807Z",
            "2262-04-11T23:47:16.854775808Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2000-02-29T12:00:00Z",
            "1900-02-29T12:00:00Z",
            "+2026-01-01T00:00:00Z",
            "2026-1-01T00:00:00Z",
            "2026-01-01T00:00:0aZ",
        ]
        .map(String::from)
        .to_vec();
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..20_000 {
            let frac = match rng.u8(..4) {
                0 => String::new(),
                _ => format!(".{}", rng.u64(..1_000_000_000)),
            };
            cases.push(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}Z",
                rng.i64(1600..2300),
                rng.u8(0..14),
                rng.u8(0..33),
                rng.u8(0..25),
                rng.u8(0..61),
                rng.u8(0..61)
            ));
        }
        let mut fast = 0;
        for t in &cases {
            if let Err(e) = parse_time_agrees_with_chrono(t) {
                panic!("{e}");
            }
            fast += usize::from(parse_utc_fast(t.as_bytes()).is_some());
        }
        assert!(fast > 10_000);
    }

    #[test]
    fn round_trip() {
        let t = parse_time("2026-11-22T03:21:16.123Z").unwrap();
        assert_eq!(format_time(t), "2026-11-22T03:21:16.123Z");
        let t2 = parse_time("2026-11-22T04:21:16.123+01:00").unwrap();
        assert_eq!(t, t2);
        assert!(parse_time("yesterday").is_none());
    }
}
