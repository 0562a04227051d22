//! The waterfall of the selected flow (Jaeger's trace view, ServiceInsight's sequence diagram):
//! one row per event in causation order (depth first, children by time), indented by causation
//! depth, with the event's time and the time of its last child (the hop to its effects). Built
//! once per flow change in one pass over the flow's tree; the panel draws only visible rows.

use super::graph_tree::{FlowTree, Item};
use crate::analysis::Engine;
use crate::model::Sym;
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RowKind {
    Event(EventIdx),
    /// A cause never seen, or a trace of unknown causation (see `graph_tree::Item`).
    Missing(Sym),
}

#[derive(Clone, Copy, Debug)]
pub struct WaterfallRow {
    pub kind: RowKind,
    pub depth: u32,
    /// Nanoseconds since the flow's first event (None without a time).
    pub at: Option<i64>,
    /// When its last direct effect happened (nanoseconds since the first event).
    pub last_child: Option<i64>,
    /// Direct effects.
    pub children: u32,
}

#[derive(Clone, Debug, Default)]
pub struct WaterfallData {
    pub rows: Vec<WaterfallRow>,
    /// Row of each event.
    pub row_of: FxHashMap<EventIdx, usize>,
    /// Time of the first event (ns since the epoch) and the flow's span in nanoseconds.
    pub start: i64,
    pub span: i64,
    pub max_depth: u32,
}

impl WaterfallData {
    pub fn build(engine: &Engine, tree: &FlowTree) -> WaterfallData {
        let s = &engine.store;
        let time = |i: u32| tree.event(i).and_then(|e| s.get(e).time());
        let times = (0..tree.items.len() as u32).filter_map(time);
        let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        let start = if lo == i64::MAX { 0 } else { lo };
        let mut w = WaterfallData {
            rows: Vec::with_capacity(tree.items.len()),
            start,
            span: (hi - lo).max(0),
            ..WaterfallData::default()
        };
        let mut stack: Vec<u32> = tree.roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            let kids = tree.children(i);
            let kind = match tree.items[i as usize] {
                Item::Event(e) => {
                    w.row_of.insert(e, w.rows.len());
                    RowKind::Event(e)
                }
                Item::Missing { id, .. } => RowKind::Missing(id),
            };
            let depth = tree.depth[i as usize];
            w.max_depth = w.max_depth.max(depth);
            w.rows.push(WaterfallRow {
                kind,
                depth,
                at: time(i).map(|t| t - start),
                last_child: kids
                    .iter()
                    .filter_map(|&c| time(c))
                    .max()
                    .map(|t| t - start),
                children: kids.len() as u32,
            });
            stack.extend(kids.iter().rev());
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    #[test]
    fn rows_follow_causation_depth_first_with_hops_to_children() {
        let mut e = Engine::new(Config::default());
        let ev = |id: &str, cause: Option<&str>, ms: i64| DecodedEvent {
            id: id.into(),
            event_type: id.to_uppercase().into(),
            correlation_id: Some("c".into()),
            causation_id: cause.map(Into::into),
            time: Some(1_000_000_000 + ms * 1_000_000),
            ..Default::default()
        };
        // Arrival order differs from causation order; "z" names a cause never seen.
        for (id, cause, ms) in [
            ("b", Some("a"), 20),
            ("a", None, 0),
            ("c", Some("a"), 10),
            ("d", Some("c"), 40),
            ("o", Some("z"), 5),
        ] {
            e.push(ev(id, cause, ms), 0);
        }
        let tree = FlowTree::build(&e, e.flows.flow_of(0), None);
        let w = WaterfallData::build(&e, &tree);
        let text: Vec<String> = (w.rows.iter())
            .map(|r| {
                let name = match r.kind {
                    RowKind::Event(x) => e.store.id_str(x).to_string(),
                    RowKind::Missing(_) => "?".into(),
                };
                format!(
                    "{}{name} {:?} {:?}",
                    " ".repeat(r.depth as usize),
                    r.at.map(|t| t / 1_000_000),
                    r.last_child.map(|t| t / 1_000_000)
                )
            })
            .collect();
        assert_eq!(
            text,
            [
                "a Some(0) Some(20)",
                " c Some(10) Some(40)",
                "  d Some(40) None",
                " b Some(20) None",
                "? None Some(5)",
                " o Some(5) None",
            ]
        );
        assert_eq!(w.span, 40_000_000);
        assert_eq!(w.row_of[&tree.event(tree.roots[0]).unwrap()], 0);
    }
}
