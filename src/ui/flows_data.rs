//! The flows table's rows: filtered and sorted flow ids, rebuilt at most a few times a second while
//! data streams in (and at once when the filter or sort changes), never per frame; and each flow's
//! status and anomaly count, made when a row shows it (or a sort needs it) and kept until that
//! flow changes (all of them whenever the engine falls quiet), so a load does no per-flow work
//! for flows nobody looks at.

use super::filter::{Filter, STATUSES};
use crate::analysis::{Engine, FlowId, FlowStatus};
use crate::model::{Sym, Timestamp};
use rustc_hash::FxHashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    Correlation,
    Root,
    Events,
    Services,
    Start,
    Duration,
    Status,
    Anomalies,
}

pub const COLUMNS: [(SortColumn, &str); 8] = [
    (SortColumn::Correlation, "Correlation id"),
    (SortColumn::Status, "Status"),
    (SortColumn::Anomalies, "⚠"),
    (SortColumn::Events, "Events"),
    (SortColumn::Root, "Root type"),
    (SortColumn::Services, "Services"),
    (SortColumn::Start, "Start"),
    (SortColumn::Duration, "Duration"),
];

/// The flows table's optional columns (its "Columns" menu), after the fixed ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ExtraColumns {
    /// The topics of the flow's events (the first, and how many more).
    pub topic: bool,
    /// The record key of the flow's first event that has one.
    pub key: bool,
    /// The kinds of the flow's active anomalies.
    pub kinds: bool,
}

/// Rebuilds while streaming happen at most this often (seconds of egui's input time).
pub const REFRESH: f64 = 0.3;

/// What a flows-table row shows about a flow's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowSummary {
    pub status: FlowStatus,
    /// Active anomalies on the flow's events.
    pub anomalies: u32,
    /// Their kinds, one bit per [`crate::analysis::AnomalyKind`].
    pub kinds: u16,
    /// The type of its root event.
    pub root: Option<Sym>,
    /// Its events (as of the replay cursor, when replaying).
    pub events: u32,
    /// Its latest event time (as of the replay cursor, when replaying).
    pub last: Option<Timestamp>,
}

impl FlowSummary {
    pub fn of(engine: &Engine, flow: FlowId) -> FlowSummary {
        let (anomalies, kinds) = kinds_of(engine.flow_anomalies(flow));
        FlowSummary {
            status: engine.status(flow),
            anomalies,
            kinds,
            root: root_type(engine, flow),
            events: engine.flows.get(flow).events.len() as u32,
            last: engine.flows.get(flow).last(),
        }
    }

    /// As of replay time `at`: the flow's events up to then, its state and the anomalies active
    /// then (one pass over the flow's events).
    pub fn at(engine: &Engine, flow: FlowId, at: Timestamp) -> FlowSummary {
        let s = &engine.store;
        let (mut events, mut last) = (0, None::<Timestamp>);
        for &e in &engine.flows.get(flow).events {
            if engine.happened_by(e, Some(at)) {
                events += 1;
                if let Some(t) = s.get(e).effective_time() {
                    last = Some(last.map_or(t, |l| l.max(t)));
                }
            }
        }
        let (anomalies, kinds) = kinds_of(engine.flow_anomalies_at(flow, Some(at)));
        FlowSummary {
            status: engine.status_at(flow, Some(at)),
            anomalies,
            kinds,
            root: root_type(engine, flow),
            events,
            last,
        }
    }

    /// Sorts by status (in [`STATUSES`] order), then by anomaly count.
    fn rank(self) -> (usize, u32) {
        let st = STATUSES.iter().position(|s| *s == self.status);
        (st.unwrap_or(STATUSES.len()), self.anomalies)
    }

    fn anomalies_first(self) -> (u32, usize) {
        let (st, n) = self.rank();
        (n, st)
    }
}

pub struct FlowsData {
    pub ids: Vec<FlowId>,
    pub sort: SortColumn,
    pub ascending: bool,
    pub filter: Filter,
    /// By flow, once made (see [`FlowsData::row`]) and until the flow changes: the rows shown
    /// (all rows only when a sort needs them), so a map, not a slot for every flow.
    summaries: FxHashMap<FlowId, FlowSummary>,
    /// (events, anomaly generation) when every summary was last brought up to date.
    synced: Option<(u64, u64)>,
    seen: (u64, u64, Option<i64>),
    last: Option<f64>,
    dirty: bool,
    /// Replay: summaries as of the cursor, for the (engine events, anomaly generation, cursor)
    /// they were made for; filled for the rows shown, or for all listed flows when the sort or
    /// the filter needs them.
    at: FxHashMap<FlowId, FlowSummary>,
    at_key: (u64, u64, Option<i64>),
    /// The mouse is over the table: new data does not move its rows (a changed filter, sort or
    /// replay cursor still does).
    pub hold: bool,
    /// Flows in the engine when the rows were last rebuilt.
    built_total: usize,
    /// The keyboard cursor's row (Up/Down; Enter selects it).
    pub cursor: Option<FlowId>,
    /// Scroll the table to its top on the next frame.
    pub scroll_top: bool,
}

impl Default for FlowsData {
    fn default() -> Self {
        FlowsData {
            ids: Vec::new(),
            sort: SortColumn::Start,
            ascending: false,
            filter: Filter::default(),
            summaries: FxHashMap::default(),
            synced: None,
            seen: (u64::MAX, u64::MAX, None),
            last: None,
            dirty: true,
            at: FxHashMap::default(),
            at_key: (0, 0, None),
            hold: false,
            built_total: 0,
            cursor: None,
            scroll_top: false,
        }
    }
}

/// How many anomalies, and their kinds as bits.
fn kinds_of<'a>(list: impl Iterator<Item = &'a crate::analysis::Anomaly>) -> (u32, u16) {
    list.fold((0, 0), |(n, k), a| (n + 1, k | 1 << a.kind as u16))
}

/// The type of the flow's root: its first event whose cause is not in the flow.
pub fn root_type(engine: &Engine, flow: FlowId) -> Option<Sym> {
    let s = &engine.store;
    engine
        .flows
        .root_event(s, flow)
        .map(|e| s.get(e).event_type)
}

impl FlowsData {
    pub fn set_filter(&mut self, f: Filter) {
        self.filter = f;
        self.dirty = true;
    }

    /// Rebuild on the next refresh, whatever the timer says.
    pub fn invalidate(&mut self) {
        self.dirty = true;
    }

    pub fn set_sort(&mut self, c: SortColumn) {
        if self.sort == c {
            self.ascending = !self.ascending;
        } else {
            self.sort = c;
            self.ascending = true;
        }
        self.dirty = true;
    }

    /// The status and anomaly count of a flow, when made since its last change.
    pub fn summary(&self, flow: FlowId) -> Option<FlowSummary> {
        self.summaries.get(&flow).copied()
    }

    /// The flow's summary, made now when it is missing or stale.
    fn summary_made(&mut self, engine: &Engine, flow: FlowId) -> FlowSummary {
        match self.summary(flow) {
            Some(s) => s,
            None => {
                let s = FlowSummary::of(engine, flow);
                self.summaries.insert(flow, s);
                s
            }
        }
    }

    /// What a row shows: the flow's summary, as of the replay cursor `cutoff` when replaying
    /// (made once per cursor position and kept).
    pub fn row(
        &mut self,
        engine: &Engine,
        flow: FlowId,
        cutoff: Option<i64>,
    ) -> Option<FlowSummary> {
        let Some(at) = cutoff else {
            return Some(self.summary_made(engine, flow));
        };
        let key = (engine.stats.events, engine.anomalies.generation, cutoff);
        if self.at_key != key {
            self.at.clear();
            self.at_key = key;
        }
        Some(
            *self
                .at
                .entry(flow)
                .or_insert_with(|| FlowSummary::at(engine, flow, at)),
        )
    }

    /// Whether sorting reads each flow's summary (root type, status, anomalies).
    fn sorts_by_summary(&self) -> bool {
        matches!(
            self.sort,
            SortColumn::Root | SortColumn::Status | SortColumn::Anomalies
        )
    }

    /// Whether sorting reads each flow's state (status, anomalies, events).
    fn sorts_by_state(&self) -> bool {
        matches!(
            self.sort,
            SortColumn::Events | SortColumn::Duration | SortColumn::Status | SortColumn::Anomalies
        )
    }

    /// Forgets the summaries of the flows that changed (they are made again when shown). A
    /// status also depends on what the analysis learned from other flows (which event types
    /// expect a follow-up), so when nothing changed (a file loaded, a live source idle) every
    /// summary is forgotten, once.
    pub fn summarize(&mut self, engine: &Engine, touched: &[FlowId]) {
        for f in touched {
            self.summaries.remove(f);
        }
        let key = (engine.stats.events, engine.anomalies.generation);
        if touched.is_empty() && self.synced != Some(key) {
            self.summaries.clear();
            self.synced = Some(key);
        }
    }

    /// Rebuilds if the engine changed (at most every [`REFRESH`] seconds of `now`, egui's input
    /// time, unless the filter or sort changed). Returns true when a change waits for a later
    /// rebuild.
    pub fn refresh(&mut self, engine: &Engine, cutoff: Option<i64>, now: f64) -> bool {
        let key = (engine.stats.events, engine.anomalies.generation, cutoff);
        if key == self.seen && !self.dirty {
            return false;
        }
        if !self.dirty && self.last.is_some_and(|t| now - t < REFRESH) {
            return true;
        }
        if self.hold && !self.dirty && key.2 == self.seen.2 {
            // Held under the mouse: rebuilt once it leaves (its move brings a frame).
            return false;
        }
        self.seen = key;
        self.dirty = false;
        self.last = Some(now);
        let started =
            |f: &crate::analysis::Flow| cutoff.is_none_or(|c| f.first().is_some_and(|t| t <= c));
        let mut ids: Vec<FlowId> = (engine.flows.iter())
            .filter(|(_, f)| started(f))
            .map(|(id, _)| id)
            .collect();
        if (cutoff.is_some() && self.sorts_by_state()) || self.sorts_by_summary() {
            // The whole table's summaries (as of the cursor when replaying), throttled like any
            // rebuild.
            for &f in &ids {
                self.row(engine, f, cutoff);
            }
        }
        if !self.filter.is_empty() {
            ids.retain(|&f| self.filter.matches_at(engine, f, cutoff));
        }
        self.sort_ids(engine, &mut ids, cutoff);
        self.ids = ids;
        self.built_total = engine.flows.len();
        false
    }

    /// Flows that arrived since the rows were last rebuilt (while the table was held).
    pub fn unseen(&self, engine: &Engine) -> usize {
        if self.hold {
            engine.flows.len().saturating_sub(self.built_total)
        } else {
            0
        }
    }

    fn sort_ids(&self, engine: &Engine, ids: &mut [FlowId], cutoff: Option<i64>) {
        let s = &engine.store;
        let fl = &engine.flows;
        let summary = |f: FlowId| match cutoff {
            None => self.summary(f),
            Some(_) => self.at.get(&f).copied(),
        };
        match self.sort {
            SortColumn::Correlation => {
                ids.sort_by_cached_key(|&f| s.str(fl.get(f).key).to_string())
            }
            SortColumn::Root => ids.sort_by_cached_key(|&f| {
                summary(f)
                    .and_then(|x| x.root)
                    .map(|t| s.str(t).to_string())
            }),
            SortColumn::Events => ids.sort_by_key(|&f| match cutoff {
                None => Some(fl.get(f).events.len() as u32),
                Some(_) => summary(f).map(|x| x.events),
            }),
            SortColumn::Services => ids.sort_by_key(|&f| fl.get(f).services.len()),
            SortColumn::Start => ids.sort_by_key(|&f| (fl.get(f).first(), f)),
            SortColumn::Duration => ids.sort_by_key(|&f| match cutoff {
                None => fl.get(f).duration(),
                Some(_) => {
                    summary(f).and_then(|x| Some(x.last?.saturating_sub(fl.get(f).first()?)))
                }
            }),
            SortColumn::Status => ids.sort_by_key(|&f| summary(f).map(FlowSummary::rank)),
            SortColumn::Anomalies => {
                ids.sort_by_key(|&f| summary(f).map(FlowSummary::anomalies_first))
            }
        }
        if !self.ascending {
            ids.reverse();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    #[test]
    fn sorted_and_filtered_rows() {
        let mut e = Engine::new(Config::default());
        for (i, (corr, n)) in [("b", 1), ("a", 3), ("c", 2)].iter().enumerate() {
            for k in 0..*n {
                e.push(
                    DecodedEvent {
                        id: format!("{corr}{k}").into(),
                        event_type: if k == 0 { "Root".into() } else { "Next".into() },
                        correlation_id: Some((*corr).into()),
                        causation_id: (k > 0).then(|| format!("{corr}{}", k - 1).into()),
                        time: Some(i as i64 * 10 + k as i64),
                        ..Default::default()
                    },
                    0,
                );
            }
        }
        let mut d = FlowsData::default();
        d.refresh(&e, None, 0.0);
        let keys = |d: &FlowsData| -> Vec<String> {
            d.ids
                .iter()
                .map(|f| e.store.str(e.flows.get(*f).key).to_string())
                .collect()
        };
        assert_eq!(keys(&d), ["c", "a", "b"], "newest first by default");
        d.set_sort(SortColumn::Events);
        d.refresh(&e, None, 0.0);
        assert_eq!(keys(&d), ["b", "c", "a"]);
        d.set_sort(SortColumn::Events);
        d.refresh(&e, None, 0.0);
        assert_eq!(keys(&d), ["a", "c", "b"]);
        d.set_filter(Filter::parse("type:next").unwrap());
        d.refresh(&e, None, 0.0);
        assert_eq!(keys(&d), ["a", "c"]);
        d.invalidate();
        d.refresh(&e, Some(12), 0.0);
        assert_eq!(keys(&d), ["a"], "replay: flows started by t=12");
        let f = e.flows.by_key(e.store.get(0).correlation.unwrap()).unwrap();
        assert_eq!(e.store.str(root_type(&e, f).unwrap()), "Root");
        // Rows make summaries when shown, again for the flows that changed, or all when quiet.
        assert_eq!(d.summary(f), None);
        d.summarize(&e, &[]);
        assert_eq!(d.summary(f), None, "made when shown, not for every flow");
        let sum = d.row(&e, f, None).unwrap();
        assert_eq!(d.summary(f), Some(sum), "kept");
        assert_eq!((sum.status, sum.anomalies), (FlowStatus::Complete, 0));
        assert_eq!(e.store.str(sum.root.unwrap()), "Root");
        e.push(
            DecodedEvent {
                id: "b0".into(),
                event_type: "Root".into(),
                correlation_id: Some("b".into()),
                ..Default::default()
            },
            0,
        );
        d.summarize(&e, &[f]);
        assert_eq!(d.summary(f), None, "changed: made again when shown");
        assert_eq!(
            d.row(&e, f, None).unwrap().anomalies,
            1,
            "the duplicate of b0"
        );
        d.set_filter(Filter::default());
        d.set_sort(SortColumn::Anomalies);
        d.set_sort(SortColumn::Anomalies);
        d.refresh(&e, None, 0.0);
        let first = d.ids[0];
        assert_eq!(
            e.store.str(e.flows.get(first).key),
            "b",
            "descending: the flow with an anomaly first"
        );
    }
}
