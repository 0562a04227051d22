//! The timeline's index: per swimlane (service or topic) its events sorted by time, extended from
//! new events only. Painting asks for the events (or just counts) inside a time range by binary
//! search, so a frame costs the visible markers, not the session. A lane holds only event
//! indexes (4 bytes an event, a quarter of (time, index)); their times are read from the store.

use crate::analysis::{Engine, FlowId};
use crate::model::{Sym, Timestamp};
use crate::store::{EventIdx, EventStore};
use rustc_hash::FxHashMap;

pub struct Lane {
    /// The service (or topic) name; `None` for events without one.
    pub key: Option<Sym>,
    /// Events with a time, sorted by (time, index).
    pub events: Vec<EventIdx>,
}

/// The time an event sits at in the timeline (only events with one are in a lane).
pub fn time_of(s: &EventStore, e: EventIdx) -> Timestamp {
    s.get(e).effective_time().unwrap_or(Timestamp::MIN)
}

impl Lane {
    /// Events with `t0 <= time < t1`.
    pub fn range(&self, s: &EventStore, t0: Timestamp, t1: Timestamp) -> &[EventIdx] {
        let a = self.events.partition_point(|&e| time_of(s, e) < t0);
        let rest = &self.events[a..];
        &rest[..rest.partition_point(|&e| time_of(s, e) < t1)]
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
                self.lanes.push(Lane {
                    key,
                    events: Vec::new(),
                });
                self.lanes.len() - 1
            });
            fresh.entry(lane).or_default().push(idx);
            self.min = Some(self.min.map_or(t, |m| m.min(t)));
            self.max = Some(self.max.map_or(t, |m| m.max(t)));
        }
        self.seen = n;
        let key = |e: EventIdx| (time_of(s, e), e);
        for (lane, mut new) in fresh {
            new.sort_unstable_by_key(|&e| key(e));
            let old = &mut self.lanes[lane].events;
            // Late events go in by one merge from the back, in place: only the events later
            // than the earliest new one move.
            let first = key(new[0]);
            let keep = old.partition_point(|&e| key(e) <= first);
            let tail = old.split_off(keep);
            old.reserve(tail.len() + new.len());
            let (mut i, mut j) = (0, 0);
            while i < tail.len() && j < new.len() {
                if key(tail[i]) <= key(new[j]) {
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
        let times: Vec<i64> = a.events.iter().map(|&x| time_of(&e.store, x)).collect();
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
