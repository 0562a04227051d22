//! What the centre draws, built in `logic()`: the selected flow's tree, its graph (from
//! `graph_data`) and its waterfall (from `waterfall_data`, only while that tab is shown), rebuilt
//! when that flow, the replay cutoff or the expanded summary nodes changed, never per frame; the
//! service map's layout at most once a second while data streams in.

use super::CenterTab;
use super::graph_canvas::CanvasView;
use super::graph_data::{self, GraphData};
use super::graph_tree::FlowTree;
use super::service_map_data::{MapLayout, ServiceMapData};
use super::waterfall_data::WaterfallData;
use crate::analysis::{Engine, FlowId};
use crate::store::EventIdx;
use rustc_hash::FxHashSet;

/// What the flow graph was built from: flow, its revision, its event count, replay cutoff,
/// expansions.
type GraphKey = (FlowId, u64, usize, Option<i64>, usize);

/// A flow of more events than this is rebuilt at most every [`BIG_FLOW_EVERY`] seconds while
/// it grows (each build is linear in its events).
const BIG_FLOW: usize = 20_000;
pub const BIG_FLOW_EVERY: f64 = 0.5;

/// The drawn graph and waterfall of the selected flow.
#[derive(Default)]
pub struct GraphCache {
    key: Option<GraphKey>,
    tree: FlowTree,
    pub data: GraphData,
    /// Summary nodes the user opened, by their first event.
    pub expanded: FxHashSet<EventIdx>,
    pub waterfall: WaterfallData,
    /// The key the waterfall was built for.
    waterfall_key: Option<GraphKey>,
    /// Node of the selected event.
    pub selected: Option<usize>,
    pub canvas: CanvasView,
    built_at: f64,
    /// How many times a graph was built (tests check what does and does not rebuild).
    pub builds: u64,
}

impl GraphCache {
    /// Rebuilds when the selected flow changed (`revision` comes from [`super::changes`]), and
    /// marks the selected event's node. Returns true when a big growing flow waits for a later
    /// rebuild (ask for a frame then).
    pub fn update(
        &mut self,
        engine: &Engine,
        flow: Option<(FlowId, u64)>,
        selected_event: Option<EventIdx>,
        cutoff: Option<i64>,
        tab: CenterTab,
        now: f64,
    ) -> bool {
        let Some((flow, revision)) = flow else {
            return false;
        };
        let events = engine.flows.get(flow).events.len();
        let key = (flow, revision, events, cutoff, self.expanded.len());
        let mut pending = false;
        if self.key != Some(key) {
            let other_flow = self.key.is_none_or(|k| k.0 != flow);
            if other_flow {
                self.canvas = CanvasView::default();
                self.expanded.clear();
            }
            let same_cutoff = self
                .key
                .is_some_and(|k| k.3 == cutoff && k.4 == self.expanded.len());
            if !other_flow
                && same_cutoff
                && events > BIG_FLOW
                && now - self.built_at < BIG_FLOW_EVERY
            {
                pending = true;
            } else {
                self.key = Some((flow, revision, events, cutoff, self.expanded.len()));
                self.built_at = now;
                self.builds += 1;
                self.tree = FlowTree::build(engine, flow, cutoff);
                self.data = graph_data::from_tree(engine, &self.tree, &self.expanded);
            }
        }
        if tab == CenterTab::Waterfall && self.waterfall_key != self.key {
            self.waterfall_key = self.key;
            self.waterfall = WaterfallData::build(engine, &self.tree);
        }
        self.selected = selected_event.and_then(|e| self.data.node_of.get(&e).copied());
        pending
    }

    /// Opens (or closes) the summary node whose first event is `e`.
    pub fn toggle(&mut self, e: EventIdx) {
        if !self.expanded.remove(&e) {
            self.expanded.insert(e);
        }
    }

    /// The flow the graph shows.
    pub fn flow(&self) -> Option<FlowId> {
        self.key.map(|k| k.0)
    }

    /// Node and edge counts of the drawn graph.
    pub fn counts(&self) -> (usize, usize) {
        (self.data.nodes.len(), self.data.edges.len())
    }
}

/// Seconds between service map rebuilds while data streams in.
const SERVICE_MAP_EVERY: f64 = 1.0;

/// The drawn service map.
#[derive(Default)]
pub struct ServiceMapCache {
    generation: u64,
    built: Option<f64>,
    pub layout: Option<MapLayout>,
    pub canvas: CanvasView,
}

impl ServiceMapCache {
    /// Rebuilds when the map changed, at most every [`SERVICE_MAP_EVERY`] seconds of `now`
    /// (egui's input time). Returns true when a change waits for a later rebuild.
    /// Rebuild at the next update, whatever the timer says (a file just finished loading).
    pub fn invalidate(&mut self) {
        self.built = None;
    }

    pub fn update(&mut self, engine: &Engine, data: &ServiceMapData, now: f64) -> bool {
        if self.generation == data.generation && self.layout.is_some() {
            return false;
        }
        if self.built.is_some_and(|t| now - t <= SERVICE_MAP_EVERY) && self.layout.is_some() {
            return true;
        }
        self.generation = data.generation;
        self.built = Some(now);
        self.layout = Some(data.layout(engine));
        false
    }
}
