//! File > Export in the real app, driven headless through egui_kittest (AccessKit; no GPU): the
//! selected flow as PNG, SVG and Mermaid, the anomalies as JSON, and the filtered flows as a trace
//! file that re-opens to the same flows. The files are read back and checked.
#![cfg(feature = "gui")]

#[path = "support/gui.rs"]
mod gui_support;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eventscope::app::EventscopeApp;
use gui_support::{App, session_of, until, window};
use std::io::Write;
use std::path::{Path, PathBuf};

fn trace(dir: &Path) -> PathBuf {
    let p = dir.join("export.jsonl");
    let mut f = std::fs::File::create(&p).unwrap();
    let lines = [
        r#"{"id":"a1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:00.000Z","correlationid":"corr-A","topic":"orders","partition":0,"offset":1,"key":"order-1","data":{"orderId":"order-1"}}"#,
        r#"{"id":"a2","type":"PaymentProcessed","source":"payments","time":"2026-03-14T09:00:00.050Z","correlationid":"corr-A","causationid":"a1","data":{}}"#,
        r#"{"id":"a3","type":"InventoryReserved","source":"inventory","time":"2026-03-14T09:00:00.060Z","correlationid":"corr-A","causationid":"a1","data":{}}"#,
        r#"{"id":"a4","type":"OrderConfirmed","source":"orders","time":"2026-03-14T09:00:00.090Z","correlationid":"corr-A","causationid":"a2","data":{}}"#,
        r#"{"id":"b1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:01.000Z","correlationid":"corr-B","data":{"orderId":"order-2"}}"#,
        r#"{"id":"b1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:01.000Z","correlationid":"corr-B","data":{"orderId":"order-2"}}"#,
    ];
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    p
}

/// Chooses `choice` (and `scope`, for a format of several flows) in the export window, replaces
/// the path with `path`, clicks Export and waits for the outcome.
fn export(h: &mut Harness<'static, EventscopeApp>, choice: &str, scope: Option<&str>, path: &Path) {
    h.get_by_label(choice).click();
    h.run_steps(2);
    if let Some(scope) = scope {
        h.get_by_label(scope).click();
        h.run_steps(2);
    }
    let input = h.get_by_role_and_label(Role::TextInput, "Path");
    input.focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Path")
        .type_text(&path.display().to_string());
    h.run_steps(2);
    assert_eq!(h.state().view.export.path, path.display().to_string());
    h.state_mut().view.export.outcome = None;
    h.get_by_role_and_label(Role::Button, "Export").click();
    // Written on a thread of its own: the window goes on with frames that say so, then shows the
    // outcome (a frame at a time, so the "Writing" frame cannot be missed).
    let mut writing_seen = false;
    for _ in 0..2000 {
        h.run_steps(1);
        let form = &h.state().view.export;
        if form.outcome.is_some() {
            break;
        }
        if form.writing.is_some() {
            writing_seen = true;
            h.get_by_label_contains("Writing ");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(writing_seen, "{choice}: written in the background");
    assert!(h.state().view.export.writing.is_none());
    let outcome = h.state().view.export.outcome.clone().unwrap();
    assert!(outcome.is_ok(), "{choice}: {outcome:?}");
    h.get_by_label_contains(&format!("to {}", path.display()));
}

/// The app showing the test trace, loaded.
fn loaded(dir: &Path) -> App {
    let mut h = window(&trace(dir));
    until(&mut h, "2 of 2 flows", |h| {
        h.query_by_label("2 of 2 flows").is_some()
    });
    h
}

#[test]
fn file_export_writes_the_flow_the_tables_and_a_trace_that_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(dir.path());
    h.get_by_label("corr-A").click();
    h.run_steps(3);
    // A filter that hides the selected flow: the flow exports use the selection, the trace
    // export below the flows the filter shows.
    let input = h.get_by_role(Role::TextInput);
    input.focus();
    input.type_text("kind:duplicate");
    until(&mut h, "1 of 2 flows", |h| {
        h.query_by_label("1 of 2 flows").is_some()
    });

    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Export…").click();
    h.run_steps(2);
    h.get_by_label("Of the selected flow");

    let png = dir.path().join("flow.png");
    export(&mut h, "Flow as PNG", None, &png);
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 2000, "a drawing, not an empty image");

    let svg = dir.path().join("flow.svg");
    export(&mut h, "Flow as SVG", None, &svg);
    let svg = std::fs::read_to_string(&svg).unwrap();
    for t in [
        "Flow corr-A (4 events)",
        "OrderPlaced",
        "PaymentProcessed",
        "OrderConfirmed",
    ] {
        assert!(svg.contains(t), "{t} in the SVG");
    }

    let mmd = dir.path().join("flow.mmd");
    export(&mut h, "Flow as Mermaid", None, &mmd);
    let mmd = std::fs::read_to_string(&mmd).unwrap();
    assert!(mmd.starts_with("sequenceDiagram\n"));
    assert!(mmd.contains("S1->>S0: OrderConfirmed (+40 ms)"), "{mmd}");

    let anomalies = dir.path().join("anomalies.json");
    export(&mut h, "Anomalies as JSON", Some("All flows"), &anomalies);
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&anomalies).unwrap()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["kind"], "duplicate");
    assert_eq!(rows[0]["correlation_id"], "corr-B");

    // The filter's flows as a trace file: it re-opens to those flows and their anomalies.
    let trace_out = dir.path().join("shown.jsonl");
    export(
        &mut h,
        "Trace file (JSONL)",
        Some("Flows shown (1)"),
        &trace_out,
    );
    let back = session_of(&trace_out).engine;
    let keys: Vec<&str> = back
        .flows
        .iter()
        .map(|(_, f)| back.store.str(f.key))
        .collect();
    assert_eq!(keys, ["corr-B"]);
    assert_eq!(back.stats.events, 2);
    assert_eq!(back.anomalies.total(), 1, "the duplicate again");
}

#[test]
fn a_flow_export_without_a_selected_flow_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(dir.path());
    h.state_mut().view.export.open = true;
    h.run_steps(2);
    h.get_by_label("Select a flow in the flows table first");
    h.get_by_role_and_label(Role::Button, "Export").click();
    until(&mut h, "the export's outcome", |h| {
        h.state().view.export.outcome.is_some()
    });
    h.get_by_label_contains("no flow is selected");
    assert!(
        !Path::new("eventscope-flow.png").exists(),
        "nothing written"
    );
}
