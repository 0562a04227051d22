//! The timeline's index: per swimlane (service or topic) its events sorted by time, extended from
//! new events only. Painting asks for the events (or just counts) inside a time range by binary
//! search, so a frame costs the visible markers, not the session. A lane holds per event its
//! index and its time to the millisecond or so in 32 bits (8 bytes an event, half of (time,
//! index)): searches run on those, and read exact times from the store only among the events of
//! one millisecond.

use crate::analysis::{Engine, FlowId};
use crate::model::{Sym, Timestamp};
use crate::store::{EventIdx, EventStore};
use rustc_hash::FxHashMap;

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
        ((t >> COARSE_SHIFT) - self.base).clamp(0, u32::MAX as i64) as u32
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
    lane_of: FxHashMap<Option<Sym>, usize>,
    pub min: Option<Timestamp>,
    pub max: Option<Timestamp>,
    /// The selected flow (with its revision) `links` were built for.
    selected: Option<(FlowId, u64)>,
    /// The selected flow's events (at most [`MAX_LINKS`]) with their cause when it is known, for
    /// its markers and causation arrows.
    pub links: Vec<(EventIdx, Option<EventIdx>)>,
}

/// The timeline emphasises at most this many events of the selected flow.
pub const MAX_LINKS: usize = 5_000;

impl TimelineData {
    pub fn lane_of(&self, key: Option<Sym>) -> Option<usize> {
        self.lane_of.get(&key).copied()
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
        let mut fresh: FxHashMap<usize, Vec<EventIdx>> = FxHashMap::default();
        for idx in self.seen as EventIdx..n as EventIdx {
            let r = s.get(idx);
            let Some(t) = r.effective_time() else {
                continue;
            };
            let key = if by_topic { r.topic } else { r.source };
            let lane = *self.lane_of.entry(key).or_insert_with(|| {
                self.lanes.push(Lane::new(key, t));
                self.lanes.len() - 1
            });
            fresh.entry(lane).or_default().push(idx);
            self.min = Some(self.min.map_or(t, |m| m.min(t)));
            self.max = Some(self.max.map_or(t, |m| m.max(t)));
        }
        self.seen = n;
        let key = |e: &(u32, EventIdx)| (time_of(s, e.1), e.1);
        for (lane, new) in fresh {
            let lane = &mut self.lanes[lane];
            let mut new: Vec<(u32, EventIdx)> = new
                .into_iter()
                .map(|e| (lane.coarse(time_of(s, e)), e))
                .collect();
            new.sort_unstable_by_key(key);
            let old = &mut lane.events;
            // Late events go in by one merge from the back, in place: only the events later
            // than the earliest new one move.
            let first = key(&new[0]);
            let keep = old.partition_point(|e| key(e) <= first);
            let tail = old.split_off(keep);
            old.reserve(tail.len() + new.len());
            let (mut i, mut j) = (0, 0);
            while i < tail.len() && j < new.len() {
                if key(&tail[i]) <= key(&new[j]) {
                    old.push(tail[i]);
                    i += 1;
                } else {
                    old.push(new[j]);
                    j += 1;
                }
            }
            old.extend_from_slice(&tail[i..]);
            old.extend_from_slice(&new[j..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

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
