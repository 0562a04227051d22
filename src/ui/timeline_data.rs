//! The timeline's index: per swimlane (service or topic) its events sorted by time, extended from
//! new events only. Painting asks for the events (or just counts) inside a time range by binary
//! search, so a frame costs the visible markers, not the session.

use crate::analysis::{Engine, FlowId};
use crate::model::{Sym, Timestamp};
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

pub struct Lane {
    /// The service (or topic) name; `None` for events without one.
    pub key: Option<Sym>,
    /// (time, event), sorted by time.
    pub events: Vec<(Timestamp, EventIdx)>,
}

impl Lane {
    /// Events with `t0 <= time < t1`.
    pub fn range(&self, t0: Timestamp, t1: Timestamp) -> &[(Timestamp, EventIdx)] {
        let a = self.events.partition_point(|x| x.0 < t0);
        let b = self.events.partition_point(|x| x.0 < t1);
        &self.events[a..b.max(a)]
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
        let mut fresh: FxHashMap<usize, Vec<(Timestamp, EventIdx)>> = FxHashMap::default();
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
            fresh.entry(lane).or_default().push((t, idx));
            self.min = Some(self.min.map_or(t, |m| m.min(t)));
            self.max = Some(self.max.map_or(t, |m| m.max(t)));
        }
        self.seen = n;
        for (lane, mut new) in fresh {
            new.sort_unstable();
            let old = &mut self.lanes[lane].events;
            if old.last().is_none_or(|l| *l <= new[0]) {
                old.extend(new);
            } else {
                // Late events: one linear merge.
                let prev = std::mem::take(old);
                let mut merged = Vec::with_capacity(prev.len() + new.len());
                let (mut i, mut j) = (0, 0);
                while i < prev.len() && j < new.len() {
                    if prev[i] <= new[j] {
                        merged.push(prev[i]);
                        i += 1;
                    } else {
                        merged.push(new[j]);
                        j += 1;
                    }
                }
                merged.extend_from_slice(&prev[i..]);
                merged.extend_from_slice(&new[j..]);
                *old = merged;
            }
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
        let times: Vec<i64> = a.events.iter().map(|x| x.0).collect();
        assert_eq!(times, [10, 20, 30]);
        assert_eq!(a.range(15, 31).len(), 2);
        assert_eq!((d.min, d.max), (Some(5), Some(30)));
        d.select(&e, Some((e.flows.flow_of(0), 1)));
        assert_eq!(d.links, [(0, None)]);
        d.update(&e, true);
        assert_eq!(d.lanes.len(), 1, "one lane for events without a topic");
        assert!(d.links.is_empty(), "rebuilt with the lanes");
    }
}
