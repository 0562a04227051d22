//! Time: nanoseconds since the Unix epoch, parsed from RFC 3339 with chrono.

use chrono::{DateTime, SecondsFormat, Utc};

/// Nanoseconds since the Unix epoch (UTC).
pub type Timestamp = i64;

/// Parses an RFC 3339 time (`2026-11-22T03:21:16.123Z`, any offset) to nanoseconds since the epoch.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let parsed = DateTime::parse_from_rfc3339(text).ok()?;
    parsed.timestamp_nanos_opt()
}

/// Formats nanoseconds since the epoch as RFC 3339 UTC (milliseconds, more digits when needed).
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

    #[test]
    fn round_trip() {
        let t = parse_time("2026-11-22T03:21:16.123Z").unwrap();
        assert_eq!(format_time(t), "2026-11-22T03:21:16.123Z");
        let t2 = parse_time("2026-11-22T04:21:16.123+01:00").unwrap();
        assert_eq!(t, t2);
        assert!(parse_time("yesterday").is_none());
    }
}
