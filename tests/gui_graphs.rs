//! The flow graph, the waterfall and the service map of the real app, driven headless by
//! egui_kittest (AccessKit; no GPU): big flows are summarised into labelled nodes that open on
//! click, and a window with a graph on screen asks for no frames when nothing arrives.
#![cfg(feature = "gui")]

#[path = "support/gui.rs"]
mod gui_support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use eventscope::analysis::{Config, FlowId};
use eventscope::app::EventscopeApp;
use eventscope::model::DecodedEvent;
use eventscope::session::Session;
use eventscope::ui::{CenterTab, Command};
use gui_support::window_of as app;
use std::time::Duration;

const TYPES: [&str; 5] = [
    "OrderPlaced",
    "PaymentProcessed",
    "InventoryReserved",
    "OrderConfirmed",
    "EmailSent",
];
const SERVICES: [&str; 5] = ["orders", "payments", "inventory", "orders", "notifications"];

/// A 20,000-event causation chain ("chain"), a 5,000-event fan-out under one root ("fan"), and a
/// one-event flow ("one"): types and services cycle through five.
fn big_session() -> Session {
    session(20_000, 5_000)
}

fn session(chain: usize, fan_out: usize) -> Session {
    let mut s = Session::new(Config::default());
    let e = &mut s.engine;
    let base = 1_767_225_600_000_000_000i64;
    let mut push = |flow: &str, k: usize, cause: Option<String>| {
        e.push(
            DecodedEvent {
                id: format!("{flow}-{k}").into(),
                event_type: TYPES[k % 5].into(),
                source: Some(SERVICES[k % 5].into()),
                correlation_id: Some(flow.into()),
                causation_id: cause.map(Into::into),
                time: Some(base + k as i64 * 1_000_000),
                ..Default::default()
            },
            0,
        );
    };
    for k in 0..chain {
        push("chain", k, (k > 0).then(|| format!("chain-{}", k - 1)));
    }
    for k in 0..=fan_out {
        push("fan", k, (k > 0).then(|| "fan-0".to_string()));
    }
    push("one", 0, None);
    e.finish(None);
    s
}

fn flow(h: &Harness<'static, EventscopeApp>, key: &str) -> FlowId {
    let e = &h.state().session.engine;
    (0..e.flows.len() as FlowId)
        .find(|&f| e.store.str(e.flows.get(f).key) == key)
        .expect("flow")
}

/// The graph nodes (buttons on the canvas; the table and inspector show types as text) labelled
/// `label` that are on screen.
fn nodes(h: &Harness<'static, EventscopeApp>, label: &str) -> usize {
    h.query_all_by_label(label)
        .filter(|n| n.accesskit_node().role() == Role::Button)
        .count()
}

/// The labels of the graph's nodes (on screen or not).
fn labels(h: &Harness<'static, EventscopeApp>) -> Vec<String> {
    let nodes = &h.state().view.graph.data.nodes;
    nodes.iter().map(|n| n.label.clone()).collect()
}

fn select(h: &mut Harness<'static, EventscopeApp>, key: &str) {
    let f = flow(h, key);
    h.state_mut().commands.push(Command::SelectFlow(f));
    h.run_steps(3);
}

#[test]
fn a_20000_event_chain_is_a_labelled_summary_that_opens_on_click() {
    let mut h = app(big_session());
    select(&mut h, "chain");
    assert_eq!(h.state().view.graph.counts(), (5, 4));
    h.get_by_label_contains("chain: 20000 events, 5 nodes");
    // Its ends and the counted segment between them, each labelled on screen.
    for ty in [
        "OrderPlaced",
        "PaymentProcessed",
        "OrderConfirmed",
        "EmailSent",
    ] {
        assert_eq!(nodes(&h, ty), 1, "{ty}");
    }
    h.get_by_label("… 19996 events, 5 types").click();
    h.run_steps(3);
    let (n, _) = h.state().view.graph.counts();
    assert_eq!(n, 5 + 50 + 2, "50 more events and a shorter segment");
    let labels = labels(&h);
    assert!(
        labels.iter().any(|l| l == "… 19944 events, 5 types"),
        "{labels:?}"
    );
    // The click selected the segment's first event (the inspector shows it).
    let ev = h.state().view.selected_event.unwrap();
    assert_eq!(h.state().session.engine.store.id_str(ev), "chain-2");
}

#[test]
fn a_5000_event_fan_out_is_a_counted_group_per_type_that_opens_on_click() {
    let mut h = app(big_session());
    select(&mut h, "fan");
    // The root and a group per child type (1,000 each), all on screen and labelled.
    assert_eq!(h.state().view.graph.counts(), (6, 5));
    h.get_by_label_contains("fan: 5001 events, 6 nodes");
    assert_eq!(nodes(&h, "OrderPlaced"), 1);
    for ty in TYPES {
        assert_eq!(nodes(&h, &format!("{ty} ×1000")), 1, "{ty}");
    }
    h.get_by_label("EmailSent ×1000").click();
    h.run_steps(3);
    assert_eq!(h.state().view.graph.counts(), (6 + 50, 5 + 50));
    let labels = labels(&h);
    assert!(labels.iter().any(|l| l == "EmailSent ×950"), "{labels:?}");
}

#[test]
fn a_one_event_flow_is_a_normal_node_and_the_waterfall_lists_a_big_flow() {
    let mut h = app(big_session());
    select(&mut h, "one");
    assert_eq!(h.state().view.graph.counts(), (1, 0));
    // Nodes keep their size on screen at any zoom, and a fit never zooms in past 1:1.
    assert!(
        h.state().view.graph.canvas.zoom <= 1.0,
        "not blown up to fill the view"
    );
    assert_eq!(nodes(&h, "OrderPlaced"), 1);
    select(&mut h, "chain");
    h.state_mut().view.center = CenterTab::Waterfall;
    h.run_steps(3);
    assert_eq!(h.state().view.graph.waterfall.rows.len(), 20_000);
    h.get_by_label_contains("20000 events over 20.0 s, causation depth up to 19999");
    // Rows are virtualised: only the visible ones exist for AccessKit.
    let rows = h.query_all_by_label_contains("· payments").count();
    assert!((1..200).contains(&rows), "{rows} rows");
}

/// Frames a real event loop would run: after the first second, a frame only when the last one
/// asked for another (egui's `repaint_delay`). Each step advances egui's input time by 0.1 s, so
/// 100 steps are 10 s with no input and no new data.
#[test]
fn idle_with_a_graph_on_screen_asks_for_no_frames() {
    for tab in [
        CenterTab::FlowGraph,
        CenterTab::Waterfall,
        CenterTab::ServiceMap,
    ] {
        let session = session(2_000, 500);
        let mut h = Harness::builder()
            .with_size([1500.0, 950.0])
            .with_step_dt(0.1)
            .build_eframe(move |cc| EventscopeApp::with_session(cc, session));
        select(&mut h, "fan");
        h.state_mut().view.center = tab;
        h.run_steps(10);
        let asked = (0..100)
            .filter(|_| {
                h.step();
                h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay != Duration::MAX
            })
            .count();
        assert_eq!(
            asked, 0,
            "{tab:?}: frames that asked for another one in 10 s"
        );
        assert!(!h.state().view.graph.data.nodes.is_empty());
    }
}
