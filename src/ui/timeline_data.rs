//! The timeline's index: per swimlane (service or topic) its events sorted by time, extended from
//! new events only. Painting asks for the events (or just counts) inside a time range by binary
//! search, so a frame costs the visible markers, not the session. A lane holds per event its
//! index and its time to the millisecond or so in 32 bits (8 bytes an event, half of (time,
//! index)): searches run on those, and read exact times from the store only among the events of
//! one millisecond.

use crate::analysis::{Engine, FlowId};
use crate::model::{Sym, Timestamp};
use crate::store::{EventIdx, EventStore};

pub struct Lane {
    /// The service (or topic) name; `None` for events without one.
    pub key: Option<Sym>,
    /// Events with a time as ([`Lane::coarse`] time, event), sorted by (time, event).
    pub events: Vec<(u32, EventIdx)>,
    /// The coarse time 0 stands for (about 25 days before the lane's first event).
    base: i64,
}

/// Bits of a nanosecond time a coarse time drops (units of ~1 ms).
const COARSE_SHIFT: u32 = 20;

/// The time an event sits at in the timeline (only events with one are in a lane).
pub fn time_of(s: &EventStore, e: EventIdx) -> Timestamp {
    s.get(e).effective_time().unwrap_or(Timestamp::MIN)
}

fn coarse_of(base: i64, t: Timestamp) -> u32 {
    ((t >> COARSE_SHIFT) - base).clamp(0, u32::MAX as i64) as u32
}

impl Lane {
    fn new(key: Option<Sym>, first: Timestamp) -> Lane {
        Lane {
            key,
            events: Vec::new(),
            base: (first >> COARSE_SHIFT) - (1 << 31),
        }
    }

    /// `t` in units of ~1 ms from the lane's base, clamped to 32 bits (so still in order).
    pub fn coarse(&self, t: Timestamp) -> u32 {
        coarse_of(self.base, t)
    }

    /// The first position at or after `from` whose event's time is `t` or later.
    pub fn bound(&self, s: &EventStore, from: usize, t: Timestamp) -> usize {
        let c = self.coarse(t);
        let rest = &self.events[from..];
        let a = rest.partition_point(|x| x.0 < c);
        let same = rest[a..].partition_point(|x| x.0 == c);
        from + a + rest[a..a + same].partition_point(|x| time_of(s, x.1) < t)
    }

    /// Like [`Lane::bound`] to the coarse time's ~1 ms (no event is read): enough for density
    /// drawn a pixel column at a time, many milliseconds wide.
    pub fn bound_coarse(&self, from: usize, t: Timestamp) -> usize {
        let c = self.coarse(t);
        from + self.events[from..].partition_point(|x| x.0 < c)
    }

    /// Events with `t0 <= time < t1`.
    pub fn range(&self, s: &EventStore, t0: Timestamp, t1: Timestamp) -> &[(u32, EventIdx)] {
        let a = self.bound(s, 0, t0);
        &self.events[a..self.bound(s, a, t1).max(a)]
    }
}

#[derive(Default)]
pub struct TimelineData {
    seen: usize,
    by_topic: bool,
    pub lanes: Vec<Lane>,
    /// Per lane key (0 for none, else the symbol's index + 1): its lane, or [`NO_LANE`]. A dense
    /// table, as a symbol is already a small integer and every new event looks its lane up.
    lane_of: Vec<u32>,
    pub min: Option<Timestamp>,
    pub max: Option<Timestamp>,
    /// The selected flow (with its revision) `links` were built for.
    selected: Option<(FlowId, u64)>,
    /// The selected flow's events (at most [`MAX_LINKS`]) with their cause when it is known, for
    /// its markers and causation arrows.
    pub links: Vec<(EventIdx, Option<EventIdx>)>,
}

const NO_LANE: u32 = u32::MAX;

/// The timeline emphasises at most this many events of the selected flow.
pub const MAX_LINKS: usize = 5_000;

impl TimelineData {
    pub fn lane_of(&self, key: Option<Sym>) -> Option<usize> {
        let slot = key.map_or(0, |k| k.index() + 1);
        (self.lane_of.get(slot).copied())
            .filter(|&l| l != NO_LANE)
            .map(|l| l as usize)
    }

    pub fn by_topic(&self) -> bool {
        self.by_topic
    }

    /// Rebuilds `links` when another flow is selected or the selected one changed.
    pub fn select(&mut self, engine: &Engine, flow: Option<(FlowId, u64)>) {
        if self.selected == flow {
            return;
        }
        self.selected = flow;
        self.links.clear();
        let Some((f, _)) = flow else {
            return;
        };
        let s = &engine.store;
        self.links.extend(
            engine
                .flows
                .get(f)
                .events
                .iter()
                .take(MAX_LINKS)
                .map(|&e| (e, s.get(e).causation.and_then(|c| s.first_with_id(c)))),
        );
    }

    pub fn update(&mut self, engine: &Engine, by_topic: bool) {
        if by_topic != self.by_topic {
            *self = TimelineData {
                by_topic,
                ..Default::default()
            };
        }
        let s = &engine.store;
        let n = s.len();
        if self.seen >= n {
            return;
        }
        // The new events of each lane with their times, read once here in store order (the
        // records are read front to back), so sorting and merging compare numbers instead of
        // looking each event up again.
        let mut fresh: Vec<Vec<(Timestamp, EventIdx)>> = Vec::new();
        let (mut min, mut max) = (
            self.min.unwrap_or(Timestamp::MAX),
            self.max.unwrap_or(Timestamp::MIN),
        );
        for (idx, r) in (self.seen as EventIdx..).zip(&s.records()[self.seen..n]) {
            let Some(t) = r.effective_time() else {
                continue;
            };
            let key = if by_topic { r.topic } else { r.source };
            let lane = self.lane_index(key, t);
            if fresh.len() <= lane {
                fresh.resize_with(lane + 1, Vec::new);
            }
            fresh[lane].push((t, idx));
            min = min.min(t);
            max = max.max(t);
        }
        if min <= max {
            (self.min, self.max) = (Some(min), Some(max));
        }
        self.seen = n;
        for (lane, mut new) in fresh.into_iter().enumerate() {
            if new.is_empty() {
                continue;
            }
            // Events mostly arrive in time order: then this is one pass.
            if !new.is_sorted() {
                new.sort_unstable();
            }
            let lane = &mut self.lanes[lane];
            let old = &mut lane.events;
            let key = |e: &(u32, EventIdx)| (time_of(s, e.1), e.1);
            // Late events go in by one merge from the back, in place: only the events later
            // than the earliest new one move (their times are read from the store).
            let keep = old.partition_point(|e| key(e) <= new[0]);
            let tail = old.split_off(keep);
            old.reserve(tail.len() + new.len());
            let base = lane.base;
            let coarse = |(t, e): (Timestamp, EventIdx)| (coarse_of(base, t), e);
            let mut j = 0;
            for old_event in tail {
                let at = key(&old_event);
                while j < new.len() && new[j] < at {
                    old.push(coarse(new[j]));
                    j += 1;
                }
                old.push(old_event);
            }
            old.extend(new[j..].iter().map(|&x| coarse(x)));
        }
    }

    /// The lane of events with `key` (a new one starts at `first`, the time of its first event).
    fn lane_index(&mut self, key: Option<Sym>, first: Timestamp) -> usize {
        let slot = key.map_or(0, |k| k.index() + 1);
        if self.lane_of.len() <= slot {
            self.lane_of.resize(slot + 1, NO_LANE);
        }
        if self.lane_of[slot] == NO_LANE {
            self.lane_of[slot] = self.lanes.len() as u32;
            self.lanes.push(Lane::new(key, first));
        }
        self.lane_of[slot] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    #[test]
    fn lanes_match_a_full_sort_whatever_the_arrival_order() {
        let mut e = Engine::new(Config::default());
        let mut d = TimelineData::default();
        let mut x: u64 = 7;
        for i in 0..3000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Times within a few ms of each other (many share a coarse unit), some equal,
            // in no order; four lanes and events without a time.
            let t = (x >> 33) as i64 % 5_000_000;
            e.push(
                DecodedEvent {
                    id: format!("e{i}").into(),
                    event_type: "T".into(),
                    source: Some(format!("s{}", x % 4).into()),
                    time: (!x.is_multiple_of(17)).then_some(t),
                    ..Default::default()
                },
                0,
            );
            if i.is_multiple_of(257) {
                d.update(&e, false);
            }
        }
        d.update(&e, false);
        let mut total = 0;
        for lane in &d.lanes {
            let got: Vec<(i64, EventIdx)> = lane
                .events
                .iter()
                .map(|x| (time_of(&e.store, x.1), x.1))
                .collect();
            let mut want = got.clone();
            want.sort_unstable();
            assert_eq!(got, want, "sorted by (time, event)");
            assert!(
                lane.events
                    .iter()
                    .all(|x| x.0 == lane.coarse(time_of(&e.store, x.1)))
            );
            total += got.len();
        }
        let timed = (0..e.store.len() as EventIdx)
            .filter(|&i| e.store.get(i).effective_time().is_some())
            .count();
        assert_eq!(total, timed, "every timed event in exactly one lane");
    }

    #[test]
    fn lanes_stay_sorted_as_late_events_arrive() {
        let mut e = Engine::new(Config::default());
        let mut d = TimelineData::default();
        for (i, (svc, t)) in [("a", 10), ("b", 5), ("a", 30)].iter().enumerate() {
            e.push(
                DecodedEvent {
                    id: format!("e{i}").into(),
                    event_type: "T".into(),
                    source: Some((*svc).into()),
                    time: Some(*t),
                    ..Default::default()
                },
                0,
            );
        }
        d.update(&e, false);
        e.push(
            DecodedEvent {
                id: "late".into(),
                event_type: "T".into(),
                source: Some("a".into()),
                time: Some(20),
                ..Default::default()
            },
            0,
        );
        d.update(&e, false);
        let a = &d.lanes[d.lane_of(e.store.get(0).source).unwrap()];
        let times: Vec<i64> = a.events.iter().map(|x| time_of(&e.store, x.1)).collect();
        assert_eq!(times, [10, 20, 30]);
        assert_eq!(a.range(&e.store, 15, 31).len(), 2);
        assert_eq!((d.min, d.max), (Some(5), Some(30)));
        d.select(&e, Some((e.flows.flow_of(0), 1)));
        assert_eq!(d.links, [(0, None)]);
        d.update(&e, true);
        assert_eq!(d.lanes.len(), 1, "one lane for events without a topic");
        assert!(d.links.is_empty(), "rebuilt with the lanes");
    }
}
