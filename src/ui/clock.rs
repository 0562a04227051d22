//! Times as the window shows them: local time by default or UTC (View > UTC times), with the
//! date only where the session spans more than one day (in the zone shown).

use crate::model::Timestamp;
use chrono::{DateTime, Local, Utc};

/// How times are written: the zone and whether the date is needed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeStyle {
    pub utc: bool,
    pub dates: bool,
}

impl TimeStyle {
    /// Dates are shown when the session's first and last times fall on different days.
    pub fn for_span(utc: bool, min: Option<Timestamp>, max: Option<Timestamp>) -> TimeStyle {
        let dates = match (min, max) {
            (Some(a), Some(b)) => day(a, utc) != day(b, utc),
            _ => false,
        };
        TimeStyle { utc, dates }
    }

    /// `09:00:00.060` (or `2026-03-14 09:00:00.060` with dates), and ` UTC` in UTC.
    pub fn time(self, t: Timestamp) -> String {
        self.tick(t, true)
    }

    /// A ruler label: with milliseconds or whole seconds.
    pub fn tick(self, t: Timestamp, millis: bool) -> String {
        let fmt = match (self.dates, millis) {
            (true, true) => "%Y-%m-%d %H:%M:%S%.3f",
            (true, false) => "%Y-%m-%d %H:%M:%S",
            (false, true) => "%H:%M:%S%.3f",
            (false, false) => "%H:%M:%S",
        };
        self.format(t, fmt)
    }

    /// Always with the date (the replay cursor, the inspector).
    pub fn full(self, t: Timestamp) -> String {
        self.format(t, "%Y-%m-%d %H:%M:%S%.3f")
    }

    fn format(self, t: Timestamp, fmt: &str) -> String {
        let utc = DateTime::<Utc>::from_timestamp_nanos(t);
        if self.utc {
            format!("{} UTC", utc.format(fmt))
        } else {
            utc.with_timezone(&Local).format(fmt).to_string()
        }
    }
}

fn day(t: Timestamp, utc: bool) -> chrono::NaiveDate {
    let d = DateTime::<Utc>::from_timestamp_nanos(t);
    if utc {
        d.date_naive()
    } else {
        d.with_timezone(&Local).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_only_when_the_session_spans_days() {
        let t = 1_773_478_800_060_000_000; // 2026-03-14T09:00:00.060Z
        let one_day = TimeStyle::for_span(true, Some(t), Some(t + 3_600_000_000_000));
        assert_eq!(one_day.time(t), "09:00:00.060 UTC");
        let days = TimeStyle::for_span(true, Some(t), Some(t + 86_400_000_000_000));
        assert_eq!(days.time(t), "2026-03-14 09:00:00.060 UTC");
        assert_eq!(one_day.full(t), "2026-03-14 09:00:00.060 UTC");
        // Local time: whatever the zone, the same instant with its own date.
        let local = TimeStyle::for_span(false, Some(t), Some(t)).full(t);
        let want = DateTime::<Utc>::from_timestamp_nanos(t).with_timezone(&Local);
        assert_eq!(local, want.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
    }
}
