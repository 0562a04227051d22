//! A file opened in the real app (egui_kittest driving the eframe App, its file source on its
//! own threads) ends with exactly what `check` (the real binary) finds on the same file, and the
//! inspector shows payloads and headers read back from the file, which holds them (the store
//! keeps only where each event's line is).
#![cfg(feature = "gui")]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eventscope::analysis::REGISTRY;
use eventscope::app::{EventscopeApp, Launch};
use eventscope::decode::ProfileConfig;
use eventscope::ingest::generate::{Faults, generate};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn open(path: &Path) -> Harness<'static, EventscopeApp> {
    let files = vec![path.to_path_buf()];
    Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| {
            EventscopeApp::new(cc, Launch::Files(files, ProfileConfig::default()))
        })
}

/// Steps until the file source has delivered everything and `cond` holds (bounded by a
/// deadline: the source runs on its own threads).
fn until_loaded(
    h: &mut Harness<'static, EventscopeApp>,
    cond: impl Fn(&Harness<'static, EventscopeApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        h.step();
        if !h.state().session.loading() && cond(h) {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the file was not loaded within 60 s");
}

/// `check --format json`'s summary of `path`.
fn check_summary(path: &Path) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["check", "--format", "json"])
        .arg(path)
        .output()
        .expect("run check");
    let text = String::from_utf8(out.stdout).unwrap();
    let last = text.lines().last().expect("check printed its summary");
    serde_json::from_str::<serde_json::Value>(last).unwrap()["summary"].clone()
}

#[test]
fn the_window_ends_with_exactly_checks_events_flows_and_anomalies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.jsonl");
    let faults: Faults = "dup=0.01,reorder=0.01,drop=0.01,poison=0.005,gap=0.01"
        .parse()
        .unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    generate(30_000, 7, &faults, &mut f).unwrap();
    f.flush().unwrap();
    drop(f);
    let want = check_summary(&path);
    let flows = want["flows"].as_u64().unwrap();
    assert!(want["anomalies"].as_u64().unwrap() > 10, "{want}");

    let mut h = open(&path);
    let label = format!("{flows} of {flows} flows");
    until_loaded(&mut h, |h| h.query_by_label(&label).is_some());
    let e = &h.state().session.engine;
    assert_eq!(e.stats.events, want["events"].as_u64().unwrap());
    assert_eq!(e.flows.len() as u64, flows);
    assert_eq!(
        e.anomalies.total() as u64,
        want["anomalies"].as_u64().unwrap()
    );
    for k in REGISTRY.iter() {
        assert_eq!(
            e.anomalies.count(k.kind) as u64,
            want["by_kind"][k.name].as_u64().unwrap(),
            "{}",
            k.name
        );
    }
    assert_eq!(e.stats.undecodable, want["undecodable"].as_u64().unwrap());
}

fn write_lines(path: &Path, lines: &[&str]) {
    let mut f = std::fs::File::create(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

#[test]
fn the_inspector_reads_payloads_back_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payloads.jsonl");
    write_lines(
        &path,
        &[
            r#"{"eventscope_trace":1}"#,
            r#"{"id":"p1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:00.000Z","correlationid":"corr-P","headers":[["x-tenant","acme"]],"data":{"orderId":"order-77","total":12.5}}"#,
            r#"{"id":"p2","type":"OrderPaid","source":"payments","time":"2026-03-14T09:00:01.000Z","correlationid":"corr-P","causationid":"p1","data":{"paid":true}}"#,
        ],
    );
    let mut h = open(&path);
    until_loaded(&mut h, |h| h.query_by_label("1 of 1 flows").is_some());
    h.get_by_label("corr-P").click();
    h.run_steps(3);
    // The flow's first event is selected: its payload and headers come from the file.
    h.get_by_label_contains("orderId: \"order-77\"");
    h.get_by_label_contains("total: 12.5");
    h.get_by_label("x-tenant");
    h.get_by_label("acme");
    let e = &h.state().session.engine;
    let p1 = e.store.decoded(0);
    assert!(matches!(p1.payload, eventscope::model::Payload::Json(_)));
    assert_eq!(p1.header("x-tenant"), Some("acme"));

    // The file changes under the window: the inspector says so instead of showing other data.
    write_lines(
        &path,
        &[
            r#"{"eventscope_trace":1}"#,
            r#"{"id":"p1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:00.000Z","correlationid":"corr-P","headers":[["x-tenant","acme"]],"data":{"orderId":"order-99","total":99.5}}"#,
        ],
    );
    h.state_mut()
        .commands
        .push(eventscope::ui::Command::SelectEvent(1));
    h.run_steps(3);
    h.get_by_label_contains("changed since it was loaded");
    assert!(h.query_by_label_contains("order-99").is_none());
}

/// A `.proto` file of `--schemas DIR` that does not compile is one of the window's load problems,
/// named with its line, and the file still opens (issue 13).
#[test]
fn a_proto_that_does_not_compile_is_a_load_problem_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    std::fs::create_dir(&schemas).unwrap();
    std::fs::write(
        schemas.join("orders-value.proto"),
        "syntax = \"proto3\";\nmessage OrderPlaced {\n  string id = 1\n}\n",
    )
    .unwrap();
    let set = eventscope::decode::schema::SchemaSet::load_dir(&schemas).unwrap();
    let path = dir.path().join("one.jsonl");
    write_lines(
        &path,
        &[
            r#"{"eventscope_trace":1}"#,
            r#"{"id":"a1","type":"OrderPlaced","source":"orders","time":"2026-03-14T09:00:00.000Z","correlationid":"corr-A"}"#,
        ],
    );
    let profiles = ProfileConfig {
        schemas: Some(std::sync::Arc::new(set)),
        ..Default::default()
    };
    let files = vec![path];
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| EventscopeApp::new(cc, Launch::Files(files, profiles)));
    until_loaded(&mut h, |h| h.query_by_label("1 of 1 flows").is_some());
    let said = format!(
        "⚠ 1 load problem(s); first: {}/orders-value.proto:4:1: expected ';' or '[', but found '}}'",
        schemas.display()
    );
    h.get_by_label(&said);
}
