//! The real app driven headless through egui_kittest (AccessKit; no GPU): open a trace, click a
//! flow row, check the graph, the inspector and the anomalies panel, use the filter box.
#![cfg(feature = "gui")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eventscope::app::{EventscopeApp, Launch};
use std::io::Write;

fn trace(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("gui.jsonl");
    let mut f = std::fs::File::create(&p).unwrap();
    let lines = [
        r#"{"id":"a1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:00.000Z","correlationid":"corr-A","topic":"orders","partition":0,"offset":1,"key":"order-1","headers":[["x-trace","t-1"],["x-trace","t-2"]],"data":{"orderId":"order-1"}}"#,
        r#"{"id":"a2","type":"PaymentProcessed","source":"payments","time":"2026-03-14T09:00:00.050Z","correlationid":"corr-A","causationid":"a1","data":{}}"#,
        r#"{"id":"a3","type":"InventoryReserved","source":"inventory","time":"2026-03-14T09:00:00.060Z","correlationid":"corr-A","causationid":"a1","data":{}}"#,
        r#"{"id":"a4","type":"OrderConfirmed","source":"orders","time":"2026-03-14T09:00:00.090Z","correlationid":"corr-A","causationid":"a2","data":{}}"#,
        r#"{"id":"b1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:01.000Z","correlationid":"corr-B","headers":[["x-tenant","acme"]],"data":{"orderId":"order-2"}}"#,
        r#"{"id":"b1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:01.000Z","correlationid":"corr-B","headers":[["x-tenant","acme"]],"data":{"orderId":"order-2"}}"#,
    ];
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    p
}

fn loaded(path: std::path::PathBuf) -> Harness<'static, EventscopeApp> {
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| EventscopeApp::new(cc, Launch::Files(vec![path])));
    for _ in 0..500 {
        h.step();
        if !h.state().session.loading() && h.state().session.engine.stats.events > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(h.state().session.engine.stats.events, 6);
    until(&mut h, |h| h.query_by_label("2 of 2 flows").is_some());
    h
}

/// Steps (with real time passing: views refresh on a timer) until `cond` holds.
fn until(
    h: &mut Harness<'static, EventscopeApp>,
    cond: impl Fn(&Harness<'static, EventscopeApp>) -> bool,
) {
    for _ in 0..100 {
        h.step();
        if cond(h) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("condition not reached");
}

#[test]
fn click_a_flow_then_an_anomaly_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(trace(dir.path()));
    h.get_by_label("2 of 2 flows");

    // A flow row, by its correlation id: the graph shows its 4 events and 3 causation edges.
    h.get_by_label("corr-A").click();
    h.run_steps(3);
    let e = &h.state().session.engine;
    let sel = h.state().view.selected_flow.expect("a flow is selected");
    assert_eq!(e.store.str(e.flows.get(sel).key), "corr-A");
    assert_eq!(h.state().view.graph.counts(), (4, 3));
    h.get_by_label_contains("4 nodes, 3 edges");

    // The duplicate, from the anomalies panel: selection and inspector follow.
    h.get_by_label_contains("duplicate (1)").click();
    h.run_steps(3);
    h.get_by_label_contains("event b1 (OrderPlaced) was already seen")
        .click();
    h.run_steps(3);
    let ev = h.state().view.selected_event.expect("an event is selected");
    let e = &h.state().session.engine;
    assert_eq!(e.store.id_str(ev), "b1");
    assert_eq!(
        e.store
            .str(e.flows.get(h.state().view.selected_flow.unwrap()).key),
        "corr-B"
    );
    h.get_by_label("b1");
    h.get_by_label("x-tenant");
    h.get_by_label("acme");
    // Which profile found the id and the correlation id.
    assert!(h.get_all_by_label("native").count() >= 2);

    // The filter box.
    let input = h.get_by_role(Role::TextInput);
    input.focus();
    input.type_text("kind:duplicate");
    until(&mut h, |h| h.query_by_label("1 of 2 flows").is_some());
    let v = &h.state().view.flows.ids;
    let e = &h.state().session.engine;
    assert_eq!(v.len(), 1);
    assert_eq!(e.store.str(e.flows.get(v[0]).key), "corr-B");
}

#[test]
fn bad_filter_says_why_and_headers_keep_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(trace(dir.path()));
    let input = h.get_by_role(Role::TextInput);
    input.focus();
    input.type_text("kind:nonsense");
    h.run_steps(3);
    h.get_by_label_contains("unknown anomaly kind 'nonsense'");
    // Select the first event of corr-A from code, as a graph click does.
    h.state_mut()
        .commands
        .push(eventscope::ui::Command::SelectEvent(0));
    h.run_steps(3);
    assert_eq!(h.get_all_by_label("x-trace").count(), 2);
    h.get_by_label("t-1");
    h.get_by_label("t-2");
    h.get_by_label_contains("Headers (2)");
}

#[test]
fn demo_mode_fills_the_window() {
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(|cc| {
            EventscopeApp::new(
                cc,
                Launch::Demo(eventscope::ingest::demo::DemoOptions {
                    rate: 200.0,
                    ..Default::default()
                }),
            )
        });
    for _ in 0..200 {
        h.step();
        if h.state().session.engine.flows.len() > 20 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(h.state().session.engine.flows.len() > 20);
    h.get_by_label_contains("demo · live");
    assert_eq!(
        h.get_all_by_label("Demo controls").count(),
        2,
        "window title and its toggle"
    );
}

#[test]
fn replay_cursor_shows_the_state_as_of_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(trace(dir.path()));
    h.get_by_label("corr-A").click();
    h.run_steps(3);
    assert_eq!(h.state().view.graph.counts(), (4, 3));
    h.get_by_label("⏺ Replay").click();
    h.run_steps(2);
    let start = h.state().view.replay.as_ref().expect("replay on").at;
    // 60 ms in: corr-A has 3 of its events, corr-B has not started.
    h.state_mut().view.replay.as_mut().unwrap().at = start + 60_000_000;
    until(&mut h, |h| h.query_by_label("1 of 2 flows").is_some());
    h.run_steps(2);
    assert_eq!(h.state().view.graph.counts(), (3, 2));
    h.get_by_label_contains("replay at 2026-03-14T09:00:00.060Z");
    h.get_by_label("⏺ Replay").click();
    until(&mut h, |h| h.query_by_label("2 of 2 flows").is_some());
}

#[derive(Debug)]
struct Dropped(std::path::PathBuf);
impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_dropped_file_opens_and_its_bad_lines_are_reported_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(trace(dir.path()));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"x1\",\"type\":\"A\",\"correlationid\":\"k\"}\nnot json at all\n{\"id\":\"x2\",\"type\":\"B\",\"correlationid\":\"k\",\"causationid\":\"x1\"}\n",
    )
    .unwrap();
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(bad.clone())));
    until(&mut h, |h| {
        h.state().session.engine.stats.events == 2 && !h.state().session.loading()
    });
    until(&mut h, |h| h.query_by_label("1 of 1 flows").is_some());
    h.get_by_label_contains("bad.jsonl:2:");
    assert_eq!(
        h.state().prefs.recent.first(),
        Some(&bad),
        "remembered as a recent file"
    );
    assert_eq!(h.state().session.engine.stats.undecodable, 1);
}
