//! The flows table's rows: filtered and sorted flow ids, rebuilt at most a few times a second while
//! data streams in (and at once when the filter or sort changes), never per frame; and each flow's
//! status and anomaly count, refreshed when that flow changes (and all of them once whenever the
//! engine falls quiet), so a row only reads them.

use super::filter::{Filter, STATUSES};
use crate::analysis::{Engine, FlowId, FlowStatus};
use crate::model::Sym;

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
    (SortColumn::Root, "Root type"),
    (SortColumn::Events, "Events"),
    (SortColumn::Services, "Services"),
    (SortColumn::Start, "Start"),
    (SortColumn::Duration, "Duration"),
    (SortColumn::Status, "Status"),
    (SortColumn::Anomalies, "⚠"),
];

/// Rebuilds while streaming happen at most this often (seconds of egui's input time).
pub const REFRESH: f64 = 0.3;

/// What a flows-table row shows about a flow's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowSummary {
    pub status: FlowStatus,
    /// Active anomalies on the flow's events.
    pub anomalies: u32,
    /// The type of its root event.
    pub root: Option<Sym>,
}

impl FlowSummary {
    pub fn of(engine: &Engine, flow: FlowId) -> FlowSummary {
        FlowSummary {
            status: engine.status(flow),
            anomalies: engine.flow_anomalies(flow).count() as u32,
            root: root_type(engine, flow),
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
    /// Per flow id, once the flow was seen changing.
    summaries: Vec<Option<FlowSummary>>,
    /// (events, anomaly generation) when every summary was last brought up to date.
    synced: Option<(u64, u64)>,
    seen: (u64, u64, Option<i64>),
    last: Option<f64>,
    dirty: bool,
}

impl Default for FlowsData {
    fn default() -> Self {
        FlowsData {
            ids: Vec::new(),
            sort: SortColumn::Start,
            ascending: false,
            filter: Filter::default(),
            summaries: Vec::new(),
            synced: None,
            seen: (u64::MAX, u64::MAX, None),
            last: None,
            dirty: true,
        }
    }
}

/// The type of the flow's root: its first event whose cause is not in the flow.
pub fn root_type(engine: &Engine, flow: FlowId) -> Option<Sym> {
    let s = &engine.store;
    let f = engine.flows.get(flow);
    let root = f.events.iter().copied().find(|&e| {
        s.get(e)
            .causation
            .and_then(|c| s.first_with_id(c))
            .is_none_or(|p| engine.flows.flow_of(p) != flow)
    });
    root.or(f.events.first().copied())
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

    /// The status and anomaly count of a flow (as of its last change).
    pub fn summary(&self, flow: FlowId) -> Option<FlowSummary> {
        self.summaries.get(flow as usize).copied().flatten()
    }

    /// Recomputes the summaries of the flows that changed. A status also depends on what the
    /// analysis learned from other flows (which event types expect a follow-up), so when nothing
    /// changed (a file loaded, a live source idle) every flow is brought up to date, once.
    pub fn summarize(&mut self, engine: &Engine, touched: &[FlowId]) {
        for &f in touched {
            self.set_summary(f, FlowSummary::of(engine, f));
        }
        let key = (engine.stats.events, engine.anomalies.generation);
        if touched.is_empty() && self.synced != Some(key) {
            for (f, _) in engine.flows.iter() {
                self.set_summary(f, FlowSummary::of(engine, f));
            }
            self.synced = Some(key);
        }
    }

    fn set_summary(&mut self, f: FlowId, summary: FlowSummary) {
        let i = f as usize;
        if i >= self.summaries.len() {
            self.summaries.resize(i + 1, None);
        }
        self.summaries[i] = Some(summary);
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
        self.seen = key;
        self.dirty = false;
        self.last = Some(now);
        self.ids = engine
            .flows
            .iter()
            .filter(|(id, f)| {
                cutoff.is_none_or(|c| f.first().is_some_and(|t| t <= c))
                    && (self.filter.is_empty() || self.filter.matches(engine, *id))
            })
            .map(|(id, _)| id)
            .collect();
        let mut ids = std::mem::take(&mut self.ids);
        self.sort_ids(engine, &mut ids);
        self.ids = ids;
        false
    }

    fn sort_ids(&self, engine: &Engine, ids: &mut [FlowId]) {
        let s = &engine.store;
        let fl = &engine.flows;
        let summary = |f: FlowId| self.summary(f);
        match self.sort {
            SortColumn::Correlation => {
                ids.sort_by_cached_key(|&f| s.str(fl.get(f).key).to_string())
            }
            SortColumn::Root => ids.sort_by_cached_key(|&f| {
                summary(f)
                    .and_then(|x| x.root)
                    .map(|t| s.str(t).to_string())
            }),
            SortColumn::Events => ids.sort_by_key(|&f| fl.get(f).events.len()),
            SortColumn::Services => ids.sort_by_key(|&f| fl.get(f).services.len()),
            SortColumn::Start => ids.sort_by_key(|&f| (fl.get(f).first(), f)),
            SortColumn::Duration => ids.sort_by_key(|&f| fl.get(f).duration()),
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
        // Rows read summaries, refreshed for the flows that changed, or all when quiet.
        assert_eq!(d.summary(f), None);
        d.summarize(&e, &[]);
        let sum = d.summary(f).unwrap();
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
        assert_eq!(d.summary(f).unwrap().anomalies, 1, "the duplicate of b0");
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
