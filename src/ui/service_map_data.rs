//! The service map: all flows aggregated. Services are nodes; each causation hop between two
//! services is an edge labelled by the child's event type, with a count and p50/p99 hop latency.
//! Updated from new events only (a cause that arrives after its effects is matched when it comes).
//! [`ServiceMapData::layout`] places it for drawing (columns by hop depth, room for labels).

use crate::analysis::Engine;
use crate::model::{Sym, format_duration};
use crate::store::EventIdx;
use hdrhistogram::Histogram;
use rustc_hash::FxHashMap;

pub struct EdgeStats {
    pub count: u64,
    /// Hop latency in microseconds (negative ones count as 0).
    pub latency: Histogram<u64>,
}

#[derive(Default)]
pub struct ServiceMapData {
    seen: usize,
    /// (parent service, child service, child type) -> stats.
    pub edges: FxHashMap<(Option<Sym>, Option<Sym>, Sym), EdgeStats>,
    pub services: Vec<Option<Sym>>,
    /// Bumped when something changed.
    pub generation: u64,
}

impl ServiceMapData {
    fn hop(&mut self, engine: &Engine, parent: EventIdx, child: EventIdx) {
        let s = &engine.store;
        let (p, c) = (s.get(parent), s.get(child));
        for svc in [p.source, c.source] {
            if !self.services.contains(&svc) {
                self.services.push(svc);
            }
        }
        let st = self
            .edges
            .entry((p.source, c.source, c.event_type))
            .or_insert_with(|| EdgeStats {
                count: 0,
                latency: Histogram::new(2).expect("histogram"),
            });
        st.count += 1;
        if let (Some(pt), Some(ct)) = (p.time(), c.time()) {
            let _ = st
                .latency
                .record((ct.saturating_sub(pt).max(0) / 1_000) as u64);
        }
        self.generation += 1;
    }

    pub fn update(&mut self, engine: &Engine) {
        let s = &engine.store;
        let n = s.len();
        // A repeat (a duplicate or dead-letter copy) is no hop of its own at either end.
        let repeat = |e: EventIdx| engine.flows.is_repeat(e);
        for idx in self.seen as EventIdx..n as EventIdx {
            if repeat(idx) {
                continue;
            }
            let r = s.get(idx);
            if let Some(p) = r.causation.and_then(|c| s.first_with_id(c))
                && p < idx
                && !repeat(p)
            {
                self.hop(engine, p, idx);
            }
            if s.first_with_id(r.id) == Some(idx) {
                let early: Vec<EventIdx> = s
                    .children_of(r.id)
                    .filter(|&c| c < idx && !repeat(c))
                    .collect();
                for c in early {
                    self.hop(engine, idx, c);
                }
            }
        }
        self.seen = n;
    }

    /// p50 and p99 hop latency in nanoseconds.
    pub fn percentiles(st: &EdgeStats) -> (i64, i64) {
        (
            st.latency.value_at_quantile(0.5) as i64 * 1_000,
            st.latency.value_at_quantile(0.99) as i64 * 1_000,
        )
    }
}

/// World units between service boxes (beyond the widest hop label) and least row spacing; the
/// estimated width of one label character and the height of a line at the body font (labels
/// are laid out in world units at zoom 1, where text is drawn at its normal size).
pub const MAP_COL_GAP: f32 = 40.0;
pub const MAP_ROW_MIN: f32 = 90.0;
pub const CHAR_W: f32 = 7.5;
pub const LINE_H: f32 = 17.0;

/// Estimated width of a service's box (its name and a margin) at zoom 1.
pub fn box_width(name: &str) -> f32 {
    name.chars().count() as f32 * CHAR_W + 24.0
}

/// The service map as drawn: services in columns by hop depth (left to right, cycles cut), each
/// column's services one above the other, columns as far apart as the widest hop label between
/// them and their boxes need, rows as far apart as two edges' labels need.
#[derive(Clone, Debug, Default)]
pub struct MapLayout {
    pub nodes: Vec<MapNode>,
    pub edges: Vec<MapEdge>,
    /// (min x, min y, max x, max y) of the node centres.
    pub bounds: (f32, f32, f32, f32),
}

#[derive(Clone, Debug)]
pub struct MapNode {
    pub name: String,
    pub pos: (f32, f32),
    pub column: usize,
}

#[derive(Clone, Debug)]
pub struct MapEdge {
    pub from: usize,
    pub to: usize,
    /// One line per event type: type, count, p50/p99 hop latency.
    pub lines: Vec<String>,
}

impl ServiceMapData {
    /// Lays the map out (services are few: quadratic in services is fine, nothing per event).
    pub fn layout(&self, engine: &Engine) -> MapLayout {
        let edges = self.map_edges(engine);
        let names: Vec<String> = (self.services.iter())
            .map(|s| {
                engine
                    .store
                    .opt_str(*s)
                    .unwrap_or("(no source)")
                    .to_string()
            })
            .collect();
        let column = columns(names.len(), &edges);
        let cols = column.iter().max().map_or(0, |c| c + 1);
        let mut half_box = vec![0.0f32; cols];
        for (i, name) in names.iter().enumerate() {
            half_box[column[i]] = half_box[column[i]].max(box_width(name) / 2.0);
        }
        // Each column gap fits the widest label of the hops leaving that column.
        let mut gap = vec![0.0f32; cols];
        let mut lines = 1;
        for e in &edges {
            let w = e.lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f32 * CHAR_W;
            let c = column[e.from].min(column[e.to]);
            gap[c] = gap[c].max(w);
            lines = lines.max(e.lines.len());
        }
        let row_h = MAP_ROW_MIN.max(40.0 + 3.0 * lines as f32 * LINE_H);
        let mut x = vec![0.0f32; cols];
        for c in 1..cols {
            x[c] = x[c - 1] + half_box[c - 1] + gap[c - 1] + MAP_COL_GAP + half_box[c];
        }
        let mut row = vec![0usize; cols];
        let mut nodes = Vec::with_capacity(column.len());
        for (i, name) in names.into_iter().enumerate() {
            let c = column[i];
            nodes.push(MapNode {
                name,
                pos: (x[c], row[c] as f32 * row_h),
                column: c,
            });
            row[c] += 1;
        }
        // Centre each column vertically.
        for node in &mut nodes {
            node.pos.1 -= (row[node.column] as f32 - 1.0) * row_h / 2.0;
        }
        let (mut lo, mut hi) = ((0.0f32, 0.0f32), (0.0f32, 0.0f32));
        for node in &nodes {
            lo = (lo.0.min(node.pos.0), lo.1.min(node.pos.1));
            hi = (hi.0.max(node.pos.0), hi.1.max(node.pos.1));
        }
        MapLayout {
            nodes,
            edges,
            bounds: (lo.0, lo.1, hi.0, hi.1),
        }
    }

    /// One edge per service pair and direction, one label line per event type.
    fn map_edges(&self, engine: &Engine) -> Vec<MapEdge> {
        let pos = |s: &Option<Sym>| self.services.iter().position(|x| x == s);
        let mut edges: Vec<_> = self.edges.iter().collect();
        edges.sort_by_key(|(k, _)| (pos(&k.0), pos(&k.1), engine.store.str(k.2)));
        let mut out: Vec<MapEdge> = Vec::new();
        for ((from, to, ty), st) in edges {
            let (Some(a), Some(b)) = (pos(from), pos(to)) else {
                continue;
            };
            let (p50, p99) = ServiceMapData::percentiles(st);
            // Short (the legend above the map names the figures): the columns are as far apart
            // as the widest label, and a narrow map fits the centre panel at a readable zoom.
            let line = format!(
                "{} ×{} · {}/{}",
                engine.store.str(*ty),
                st.count,
                format_duration(p50),
                format_duration(p99)
            );
            match out.iter_mut().find(|e| (e.from, e.to) == (a, b)) {
                Some(e) => e.lines.push(line),
                None => out.push(MapEdge {
                    from: a,
                    to: b,
                    lines: vec![line],
                }),
            }
        }
        out
    }
}

/// Column of each service: its longest hop path from a service nobody calls, over the hops
/// that do not close a cycle (found depth first in service order).
fn columns(n: usize, edges: &[MapEdge]) -> Vec<usize> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges {
        if e.from != e.to {
            out[e.from].push(e.to);
        }
    }
    // Depth-first post-order; an edge to a service on the current path is a back edge.
    let mut state = vec![0u8; n];
    let mut post = Vec::with_capacity(n);
    let mut forward: Vec<(usize, usize)> = Vec::new();
    for s in 0..n {
        if state[s] != 0 {
            continue;
        }
        let mut stack = vec![(s, 0usize)];
        state[s] = 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if let Some(&w) = out[v].get(*k) {
                *k += 1;
                match state[w] {
                    0 => {
                        forward.push((v, w));
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    2 => forward.push((v, w)),
                    _ => {}
                }
            } else {
                state[v] = 2;
                post.push(v);
                stack.pop();
            }
        }
    }
    let mut column = vec![0usize; n];
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (v, w) in forward {
        succ[v].push(w);
    }
    for &v in post.iter().rev() {
        for &w in &succ[v] {
            column[w] = column[w].max(column[v] + 1);
        }
    }
    column
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    /// An event of service `src` caused by `cause`, at `t` ms.
    fn ev(id: &str, src: &str, cause: Option<&str>, t: i64) -> DecodedEvent {
        DecodedEvent {
            id: id.into(),
            event_type: format!("{src}Event").into(),
            source: Some(src.into()),
            causation_id: cause.map(Into::into),
            time: Some(t * 1_000_000),
            ..Default::default()
        }
    }

    #[test]
    fn hops_are_counted_in_either_arrival_order() {
        let mut e = Engine::new(Config::default());
        e.push(ev("c1", "pay", Some("p1"), 12), 0);
        e.push(ev("p1", "ord", None, 10), 0);
        e.push(ev("p2", "ord", None, 20), 0);
        e.push(ev("c2", "pay", Some("p2"), 24), 0);
        let mut m = ServiceMapData::default();
        m.update(&e);
        assert_eq!(m.edges.len(), 1);
        let st = m.edges.values().next().unwrap();
        assert_eq!(st.count, 2);
        let (p50, p99) = ServiceMapData::percentiles(st);
        assert!((1_980_000..=2_020_000).contains(&p50), "{p50}");
        assert!((3_960_000..=4_040_000).contains(&p99), "{p99}");
        assert_eq!(m.services.len(), 2);
    }

    #[test]
    fn repeats_are_no_hops() {
        let mut e = Engine::new(Config::default());
        let ev = |id: &str, src: &str, cause: Option<&str>, t: i64, topic: &str| DecodedEvent {
            id: id.into(),
            event_type: format!("{src}Event").into(),
            source: Some(src.into()),
            causation_id: cause.map(Into::into),
            time: Some(t * 1_000_000),
            topic: Some(topic.into()),
            ..Default::default()
        };
        // A dead-letter copy of the cause first, then the real hop, then a redelivery and a
        // dead-letter copy of the child seconds later.
        e.push(ev("p1", "ord", None, 10, "orders.DLT"), 0);
        e.push(ev("c1", "pay", Some("p1"), 12, "payments"), 0);
        e.push(ev("p1", "ord", None, 10, "orders"), 0);
        e.push(ev("c1", "pay", Some("p1"), 9_000, "payments"), 0);
        e.push(ev("c1", "pay", Some("p1"), 9_000, "payments-dlq"), 0);
        let mut m = ServiceMapData::default();
        m.update(&e);
        assert_eq!(m.edges.len(), 1);
        let st = m.edges.values().next().unwrap();
        assert_eq!(st.count, 1);
        let (_, p99) = ServiceMapData::percentiles(st);
        assert!((1_980_000..=2_020_000).contains(&p99), "{p99}");
    }

    #[test]
    fn layout_puts_callers_left_of_callees_with_room_for_labels() {
        let mut e = Engine::new(Config::default());
        // orders -> payments -> shipping, payments -> orders (a cycle), orders -> mail.
        e.push(ev("o1", "orders", None, 0), 0);
        e.push(ev("p1", "payments", Some("o1"), 1), 0);
        e.push(ev("s1", "shipping", Some("p1"), 2), 0);
        e.push(ev("o2", "orders", Some("p1"), 3), 0);
        e.push(ev("m1", "mail", Some("o1"), 4), 0);
        let mut m = ServiceMapData::default();
        m.update(&e);
        let l = m.layout(&e);
        let at = |name: &str| l.nodes.iter().find(|n| n.name == name).unwrap();
        assert_eq!(at("orders").column, 0);
        assert_eq!(at("payments").column, 1);
        assert_eq!(at("mail").column, 1);
        assert_eq!(at("shipping").column, 2);
        let label = "paymentsEvent ×1 · 1 ms/1 ms";
        assert!(l.edges.iter().any(|x| x.lines == [label]), "{:?}", l.edges);
        let room = at("payments").pos.0 - at("orders").pos.0;
        assert!(room >= label.chars().count() as f32 * CHAR_W, "{room}");
        assert_ne!(at("payments").pos.1, at("mail").pos.1);
    }
}
