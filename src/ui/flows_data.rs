//! The flows table's rows: filtered and sorted flow ids, rebuilt at most a few times a second while
//! data streams in (and at once when the filter or sort changes), never per frame.

use super::filter::{Filter, flow_status};
use crate::analysis::{Engine, FlowId};
use crate::model::Sym;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    Correlation,
    Root,
    Events,
    Services,
    Start,
    Duration,
    Status,
}

pub const COLUMNS: [(SortColumn, &str); 7] = [
    (SortColumn::Correlation, "Correlation id"),
    (SortColumn::Root, "Root type"),
    (SortColumn::Events, "Events"),
    (SortColumn::Services, "Services"),
    (SortColumn::Start, "Start"),
    (SortColumn::Duration, "Duration"),
    (SortColumn::Status, "Status"),
];

/// Rebuilds while streaming happen at most this often.
pub const REFRESH: Duration = Duration::from_millis(300);

pub struct FlowsData {
    pub ids: Vec<FlowId>,
    pub sort: SortColumn,
    pub ascending: bool,
    pub filter: Filter,
    seen: (u64, u64, Option<i64>),
    last: Option<Instant>,
    dirty: bool,
}

impl Default for FlowsData {
    fn default() -> Self {
        FlowsData {
            ids: Vec::new(),
            sort: SortColumn::Start,
            ascending: false,
            filter: Filter::default(),
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

    /// Rebuilds if the engine changed (at most every [`REFRESH`] unless the filter or sort did).
    /// Returns true when a change waits for a later rebuild.
    pub fn refresh(&mut self, engine: &Engine, cutoff: Option<i64>) -> bool {
        let key = (engine.stats.events, engine.anomalies.generation, cutoff);
        if key == self.seen && !self.dirty {
            return false;
        }
        if !self.dirty && self.last.is_some_and(|t| t.elapsed() < REFRESH) {
            return true;
        }
        self.seen = key;
        self.dirty = false;
        self.last = Some(Instant::now());
        self.ids = engine
            .flows
            .iter()
            .filter(|(id, f)| {
                cutoff.is_none_or(|c| f.first.is_some_and(|t| t <= c))
                    && (self.filter.is_empty() || self.filter.matches(engine, *id))
            })
            .map(|(id, _)| id)
            .collect();
        let s = &engine.store;
        let fl = &engine.flows;
        match self.sort {
            SortColumn::Correlation => self
                .ids
                .sort_by_cached_key(|&f| s.str(fl.get(f).key).to_string()),
            SortColumn::Root => self
                .ids
                .sort_by_cached_key(|&f| root_type(engine, f).map(|t| s.str(t).to_string())),
            SortColumn::Events => self.ids.sort_by_key(|&f| fl.get(f).events.len()),
            SortColumn::Services => self.ids.sort_by_key(|&f| fl.get(f).services.len()),
            SortColumn::Start => self.ids.sort_by_key(|&f| (fl.get(f).first, f)),
            SortColumn::Duration => self.ids.sort_by_key(|&f| fl.get(f).duration()),
            SortColumn::Status => self.ids.sort_by_cached_key(|&f| flow_status(engine, f)),
        }
        if !self.ascending {
            self.ids.reverse();
        }
        false
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
        d.refresh(&e, None);
        let keys = |d: &FlowsData| -> Vec<String> {
            d.ids
                .iter()
                .map(|f| e.store.str(e.flows.get(*f).key).to_string())
                .collect()
        };
        assert_eq!(keys(&d), ["c", "a", "b"], "newest first by default");
        d.set_sort(SortColumn::Events);
        d.refresh(&e, None);
        assert_eq!(keys(&d), ["b", "c", "a"]);
        d.set_sort(SortColumn::Events);
        d.refresh(&e, None);
        assert_eq!(keys(&d), ["a", "c", "b"]);
        d.set_filter(Filter::parse("type:next").unwrap());
        d.refresh(&e, None);
        assert_eq!(keys(&d), ["a", "c"]);
        d.invalidate();
        d.refresh(&e, Some(12));
        assert_eq!(keys(&d), ["a"], "replay: flows started by t=12");
        let f = e.flows.by_key(e.store.get(0).correlation.unwrap()).unwrap();
        assert_eq!(e.store.str(root_type(&e, f).unwrap()), "Root");
    }
}
