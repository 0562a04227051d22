//! The Variants and Flow diff tabs driven headless through egui_kittest (AccessKit; no GPU): the
//! table's rows, the aggregated graph's edges with hops and hop latency, a row click filtering
//! the flows table with `variant:N`, and a flow's diff against its usual variant.
#![cfg(feature = "gui")]

#[path = "support/gui.rs"]
mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::window as harness;
use std::fmt::Write as _;

/// Six orders a second apart: four Placed -> Paid (10 ms) + Placed -> Reserved (20 ms), two
/// without Reserved; then a quiet minute.
fn trace(dir: &std::path::Path) -> std::path::PathBuf {
    let mut out = String::new();
    let mut line = |id: &str, ty: &str, corr: &str, cause: Option<&str>, ms: i64| {
        let cause = cause.map_or(String::new(), |c| format!(r#","causationid":"{c}""#));
        let _ = writeln!(
            out,
            r#"{{"id":"{id}","type":"{ty}","source":"svc","time":"2026-03-14T09:{:02}:{:02}.{:03}Z","correlationid":"{corr}"{cause}}}"#,
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000
        );
    };
    for i in 0..6 {
        let (c, t) = (format!("order-{i}"), i * 1000);
        line(&format!("p{i}"), "Placed", &c, None, t);
        line(&format!("q{i}"), "Paid", &c, Some(&format!("p{i}")), t + 10);
        if i < 4 {
            line(
                &format!("r{i}"),
                "Reserved",
                &c,
                Some(&format!("p{i}")),
                t + 20,
            );
        }
    }
    line("tick", "Tick", "clock", None, 120_000);
    let p = dir.join("variants.jsonl");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn variants_tab_lists_variants_draws_the_graph_and_filters_flows() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(&trace(dir.path()));
    h.get_by_label("Variants").click();
    h.run_steps(3);
    h.get_by_label_contains("3 variants of 7 flows");
    let rows: Vec<String> = h
        .state()
        .view
        .variants
        .data
        .rows
        .iter()
        .map(|r| {
            format!(
                "#{} {} {} flows, {} edges",
                r.number, r.root, r.flows, r.edges
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "#1 Placed 4 flows, 2 edges",
            "#2 Placed 2 flows, 1 edges",
            "#3 Tick 1 flows, 0 edges"
        ]
    );
    assert_eq!(
        h.state().view.variants.data.graph.to_text(),
        "Placed -> Paid: ×4 · p50 10 ms · p99 10 ms\nPlaced -> Reserved: ×4 · p50 20 ms · p99 20 ms\n"
    );
    // A row (by its share, unique on screen): the second variant, and the flows table shows
    // only its two flows.
    h.get_by_label("33.3%").click();
    h.run_steps(3);
    assert_eq!(h.state().view.filter_text, "variant:2");
    h.get_by_label("2 of 7 flows");
    h.get_by_label("order-4");
    assert!(h.query_by_label("order-0").is_none());
    assert_eq!(
        h.state().view.variants.data.graph.to_text(),
        "Placed -> Paid: ×2 · p50 10 ms · p99 10 ms\n"
    );
}

#[test]
fn flow_diff_marks_the_missing_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(&trace(dir.path()));
    h.get_by_label("order-5").click();
    h.run_steps(2);
    h.get_by_label("Flow diff").click();
    h.run_steps(3);
    h.get_by_label_contains("against variant 1 (the usual Placed variant, 4 flows)");
    h.get_by_label("missing  Reserved after Placed");
    let diff = h.state().view.variants.data.diff.as_ref().expect("a diff");
    assert_eq!(
        diff.2.to_text(),
        "Placed -> Paid: ×1 · p50 10 ms · p99 10 ms\n"
    );
    assert_eq!(
        diff.3.to_text(),
        "Placed -> Paid: ×4 · p50 10 ms · p99 10 ms\nPlaced -> Reserved: ×4 · p50 20 ms · p99 20 ms [missing]\n"
    );
    // Pinned: compared with another flow of the same shape, nothing differs.
    h.get_by_label("Pin this flow as the other side").click();
    h.run_steps(2);
    h.get_by_label("order-4").click();
    h.run_steps(3);
    h.get_by_label_contains("against flow order-5");
    h.get_by_label("no differences");
}
