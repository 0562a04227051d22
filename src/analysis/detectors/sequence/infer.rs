//! Which scope a source's sequence numbers have, decided from its first events.
//!
//! The CloudEvents Sequence extension orders "events from the same source"
//! (<https://github.com/cloudevents/spec/blob/main/cloudevents/extensions/sequence.md>): one
//! counter per source, which producers spread over many subjects. Others count per aggregate
//! (source + subject, else Kafka key), as `gen` and the demo do. The two leave different marks:
//! per-key counters repeat numbers across keys (every order starts at 1), while a per-source
//! counter never does and fills one key's jumps with other keys' numbers (order A has 1 and 9,
//! orders B..H have 2..8). So, over the first [`SAMPLE`] sequenced events of each source:
//! - a *collision* is a number already carried by another key of the source;
//! - an *explained jump* is a key's step from `a` to `b > a + 1` where every number between is
//!   carried by the source's other keys.
//!
//! The source is judged per source once explained jumps reach 2 and outnumber twice the
//! collisions (a single re-sent or injected number cannot flip it), and per key once collisions
//! reach 2 and outnumber the explained jumps. With a full sample, or at the end of input, the same
//! comparison decides; without an explained jump (the other keys' numbers may sit in partitions
//! not read yet), a sample whose numbers come from two or more keys and never collide is per
//! source if its keys step by more than one at least 3 times and more than twice as often as by
//! one (a per-key counter read from its middle steps by one), or, when no key has two numbers, if they are dense (span below twice
//! their count). Otherwise the source stays per key, the rule that held before. The decision is final and costs at most
//! `SAMPLE` squared steps per source, once: constant work per event.

use super::KeyNo;
use crate::store::EventIdx;

/// Sequenced events looked at per source before its scope is fixed.
pub(super) const SAMPLE: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Mode {
    Undecided,
    PerKey,
    PerSource,
}

/// One sampled event: its integer number (`None` for text), key and index.
#[derive(Clone, Copy)]
pub(super) struct Sampled {
    pub value: Option<i64>,
    pub key: KeyNo,
    pub event: EventIdx,
}

/// A source's evidence while its scope is undecided.
#[derive(Default)]
pub(super) struct Evidence {
    pub sample: Vec<Sampled>,
    collisions: u32,
    explained: u32,
    /// Steps within one key: by exactly one, and by more.
    unit_steps: u32,
    jumps: u32,
}

impl Evidence {
    /// Adds one event (in arrival order) and says which scope the evidence now settles on.
    pub(super) fn observe(&mut self, x: Sampled) -> Mode {
        if let Some(v) = x.value {
            let others = || {
                self.sample
                    .iter()
                    .filter(move |o| o.key != x.key)
                    .filter_map(|o| o.value)
            };
            if others().any(|w| w == v) {
                self.collisions += 1;
            } else if let Some(prev) = self
                .sample
                .iter()
                .filter(|o| o.key == x.key)
                .filter_map(|o| o.value)
                .filter(|&w| w < v)
                .max()
            {
                let between = i128::from(v) - i128::from(prev) - 1;
                if between == 0 {
                    self.unit_steps += 1;
                } else {
                    self.jumps += 1;
                }
                if between > 0
                    && between <= SAMPLE as i128
                    && (prev + 1..v).all(|w| others().any(|o| o == w))
                {
                    self.explained += 1;
                }
            }
        }
        self.sample.push(x);
        let mode = self.settled();
        if mode == Mode::Undecided && self.sample.len() >= SAMPLE {
            self.verdict()
        } else {
            mode
        }
    }

    fn settled(&self) -> Mode {
        let (c, x) = (self.collisions, self.explained);
        if x >= 2 && x > 2 * c {
            Mode::PerSource
        } else if c >= 2 && c > x {
            Mode::PerKey
        } else {
            Mode::Undecided
        }
    }

    /// The decision with all the evidence there will be (a full sample, or the end of input).
    pub(super) fn verdict(&self) -> Mode {
        let (c, x) = (self.collisions, self.explained);
        if x > 0 {
            return if x > 2 * c {
                Mode::PerSource
            } else {
                Mode::PerKey
            };
        }
        let values: Vec<i64> = self.sample.iter().filter_map(|o| o.value).collect();
        let first_key = self.sample.first().map(|o| o.key);
        let keys = self.sample.iter().any(|o| Some(o.key) != first_key);
        let (lo, hi) = (values.iter().min(), values.iter().max());
        let dense = match (lo, hi) {
            (Some(&lo), Some(&hi)) => (hi as i128 - lo as i128) < 2 * values.len() as i128,
            _ => false,
        };
        let steps = self.unit_steps + self.jumps;
        let interleaved = (self.jumps >= 3 && self.jumps > 2 * self.unit_steps)
            || (steps == 0 && dense && values.len() >= 4);
        if c == 0 && keys && interleaved {
            Mode::PerSource
        } else {
            Mode::PerKey
        }
    }
}
