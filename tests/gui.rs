//! The real app driven headless through egui_kittest (AccessKit; no GPU): open a trace, click a
//! flow row, check the graph, the inspector and the anomalies panel, use the filter box. Panels
//! are tested over sessions loaded on the test's thread, and views run on egui's input time, so
//! a test is a fixed sequence of frames; only the tests of real sources (a dropped file, the demo)
//! wait for a thread, on a condition with a deadline.
#![cfg(feature = "gui")]

#[path = "support/gui.rs"]
mod gui_support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eventscope::analysis::Config;
use eventscope::app::{EventscopeApp, Launch};
use eventscope::ingest::SourceMessage;
use eventscope::ingest::file::{FileOptions, load_files};
use eventscope::session::Session;
use gui_support::{App, session_of, until, until_delivered, window_of};
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

fn loaded(path: std::path::PathBuf) -> App {
    let mut h = window_of(session_of(&path));
    assert_eq!(h.state().session.engine.stats.events, 6);
    until(&mut h, "2 of 2 flows", |h| {
        h.query_by_label("2 of 2 flows").is_some()
    });
    h
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
    assert_eq!(
        h.state().view.timeline.links.len(),
        4,
        "emphasised on the timeline"
    );

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
    until(&mut h, "1 of 2 flows", |h| {
        h.query_by_label("1 of 2 flows").is_some()
    });
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
    until_delivered(&mut h, "demo flows", |h| {
        h.state().session.engine.flows.len() > 20
    });
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
    // Playing moves the cursor by egui's input time (a quarter second per test frame), not by
    // the clock: the same frames give the same cursor.
    h.get_by_label("▶").click();
    h.run_steps(3);
    let r = h.state().view.replay.as_ref().unwrap();
    assert!(r.playing);
    assert_eq!(r.at - start, 500_000_000);
    // 60 ms in: corr-A has 3 of its events, corr-B has not started.
    let r = h.state_mut().view.replay.as_mut().unwrap();
    r.playing = false;
    r.at = start + 60_000_000;
    until(&mut h, "1 of 2 flows", |h| {
        h.query_by_label("1 of 2 flows").is_some()
    });
    h.run_steps(2);
    assert_eq!(h.state().view.graph.counts(), (3, 2));
    h.get_by_label_contains("replay at 2026-03-14");
    h.get_by_label("⏺ Replay").click();
    until(&mut h, "2 of 2 flows", |h| {
        h.query_by_label("2 of 2 flows").is_some()
    });
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
    until_delivered(&mut h, "the dropped file", |h| {
        h.state().session.engine.stats.events == 2 && !h.state().session.loading()
    });
    until(&mut h, "1 of 1 flows", |h| {
        h.query_by_label("1 of 1 flows").is_some()
    });
    h.get_by_label_contains("bad.jsonl:2:");
    assert_eq!(
        h.state().prefs.recent.first(),
        Some(&bad),
        "remembered as a recent file"
    );
    assert_eq!(h.state().session.engine.stats.undecodable, 1);
}

#[test]
fn rows_use_the_cli_status_words_and_graphs_rebuild_only_for_their_flow() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(trace(dir.path()));
    // Each row's status is the word `check --flows` prints; corr-B's duplicate is counted apart.
    let e = &h.state().session.engine;
    let words: Vec<String> = e
        .flows
        .iter()
        .map(|(f, _)| format!("⏺ {}", e.status(f).name()))
        .collect();
    for w in words {
        assert!(h.query_all_by_label(&w).next().is_some(), "{w}");
    }
    // In its own column, not squeezed into the status cell.
    let count = h.get_by_label("⚠ 1").rect();
    let column = h.get_by_label("⚠").rect();
    assert!(count.left() >= column.left() - 1.0, "{count:?} {column:?}");
    h.get_by_label_contains("duplicate (1) [delivery]");

    h.get_by_label("corr-A").click();
    h.run_steps(3);
    let builds = h.state().view.graph.builds;
    // An anomaly on another flow's event leaves the selected flow's graph alone...
    let e = &mut h.state_mut().session.engine;
    let b1 = e.store.first_with_id(e.store.get(4).id).unwrap();
    e.anomalies.raise(
        eventscope::analysis::AnomalyKind::Stuck,
        Some(b1),
        Vec::new(),
        "test".into(),
        None,
    );
    h.run_steps(3);
    assert_eq!(h.state().view.graph.builds, builds);
    // ...one on its own events rebuilds it, with the node marked.
    h.state_mut().session.engine.anomalies.raise(
        eventscope::analysis::AnomalyKind::Stuck,
        Some(0),
        Vec::new(),
        "test".into(),
        None,
    );
    h.run_steps(3);
    assert_eq!(h.state().view.graph.builds, builds + 1);
    let nodes = &h.state().view.graph.data.nodes;
    assert!(nodes.iter().any(|n| n.label == "⚠ OrderPlaced"));
}

#[test]
fn lanes_switch_through_a_command_not_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = loaded(trace(dir.path()));
    assert!(!h.state().prefs.lanes_by_topic);
    h.get_by_label("topic").click();
    h.step();
    assert!(
        h.state()
            .commands
            .iter()
            .any(|c| matches!(c, eventscope::ui::Command::SetLanesByTopic(true))),
        "the panel asked"
    );
    h.run_steps(2);
    assert!(h.state().prefs.lanes_by_topic, "the app applied it");
    assert!(h.state().view.timeline.by_topic());
}

/// Two events that carry only a traceparent, the second sent under the first one's consumer;
/// with `spans`, the export that links them.
fn traced(dir: &std::path::Path, spans: bool) -> Session {
    const T: &str = "0af7651916cd43dd8448eb211c80319c";
    let p = dir.join("traced.jsonl");
    let line = |offset: u32, ty: &str, span: &str| {
        format!(
            r#"{{"type":"{ty}","time":"2026-03-14T09:00:0{offset}.000Z","topic":"orders","partition":0,"offset":{offset},"headers":[["traceparent","00-{T}-{span}-01"]],"data":{{"n":{offset}}}}}"#
        )
    };
    let lines = [
        line(1, "OrderPlaced", "00000000000000b1"),
        line(2, "OrderConfirmed", "00000000000000b2"),
    ];
    std::fs::write(&p, lines.join("\n")).unwrap();
    let mut opts = FileOptions::default();
    if spans {
        let export = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{T}","spanId":"00000000000000b1","kind":4}},{{"traceId":"{T}","spanId":"00000000000000c1","parentSpanId":"00000000000000b1","kind":5}},{{"traceId":"{T}","spanId":"00000000000000b2","parentSpanId":"00000000000000c1","kind":4}}]}}]}}]}}"#
        );
        let sp = dir.join("spans.json");
        std::fs::write(&sp, export).unwrap();
        opts.profiles.spans = Some(std::sync::Arc::new(
            eventscope::decode::spans::SpanIndex::load(&[sp]),
        ));
    }
    let mut s = Session::new(Config::default());
    load_files(&[p], &opts, |m| {
        if let SourceMessage::Batch(b) = m {
            s.engine.ingest(&b.origin, b.events, &b.problems);
        }
    });
    s.engine.finish(None);
    s
}

#[test]
fn trace_context_only_events_say_causation_is_unknown_until_spans_give_it() {
    let dir = tempfile::tempdir().unwrap();
    for spans in [false, true] {
        let session = traced(dir.path(), spans);
        assert_eq!(session.engine.anomalies.active().count(), 0, "no orphan");
        let mut h = Harness::builder()
            .with_size([1500.0, 950.0])
            .build_eframe(move |cc| EventscopeApp::with_session(cc, session));
        h.state_mut()
            .commands
            .push(eventscope::ui::Command::SelectEvent(1));
        h.run_steps(3);
        let unknown = "unknown (trace context only; give the spans with --spans)";
        if spans {
            assert_eq!(h.state().view.graph.counts(), (2, 1));
            assert!(h.query_by_label(unknown).is_none());
            h.get_by_label("0af7651916cd43dd8448eb211c80319c-00000000000000b1");
            assert!(h.get_all_by_label("spans").count() >= 2);
        } else {
            // One root per trace: the trace, saying causation is unknown, above its events.
            assert_eq!(h.state().view.graph.counts(), (3, 2));
            let labels: Vec<&str> = (h.state().view.graph.data.nodes.iter())
                .map(|n| n.label.as_str())
                .collect();
            assert!(
                labels.contains(&"trace 0af76519 (causation unknown)"),
                "{labels:?}"
            );
            h.get_by_label(unknown);
            h.get_by_label_contains("causation unknown for 2");
        }
    }
}

#[test]
fn inspector_names_the_type_profile_and_an_axon_cause_is_an_external_trigger() {
    // Axon Kafka extension headers in kcat -J form: the root names the PlaceOrder command, which
    // never reaches Kafka.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("axon.jsonl");
    let line = |offset: u32, id: &str, ty: &str, cause: &str| {
        format!(
            r#"{{"topic":"orders","partition":0,"offset":{offset},"tstype":"create","ts":{},"broker":1,"headers":["axon-message-id","{id}","axon-message-type","com.shop.events.{ty}","axon-metadata-traceId","cmd-1","axon-metadata-correlationId","{cause}","axon-message-aggregate-id","ord-1"],"key":"ord-1","payload":"{{}}"}}"#,
            1_767_225_600_000u64 + u64::from(offset)
        )
    };
    let text = [
        line(0, "e1", "OrderPlaced", "cmd-1"),
        line(1, "e2", "PaymentProcessed", "e1"),
    ]
    .join("\n");
    std::fs::write(&p, text).unwrap();
    let session = session_of(&p);
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| EventscopeApp::with_session(cc, session));
    assert_eq!(h.state().session.engine.stats.events, 2);
    assert!(h.state().session.engine.anomalies.active().next().is_none());
    h.state_mut()
        .commands
        .push(eventscope::ui::Command::SelectEvent(0));
    h.run_steps(3);
    h.get_by_label("cmd-1 (external trigger: never on Kafka)");
    // id, type, correlation, causation and subject all from the axon profile.
    assert_eq!(h.get_all_by_label("axon").count(), 5);
    let nodes: Vec<_> = (h.state().view.graph.data.nodes.iter())
        .map(|n| n.label.clone())
        .collect();
    assert!(
        nodes.iter().any(|l| l == "external trigger cmd-1"),
        "{nodes:?}"
    );
}

/// A Kafka session whose broker never answers says so in the top bar, with librdkafka's reason
/// naming the broker, instead of "live"; File > Disconnect ends it and keeps the window.
#[cfg(feature = "kafka")]
#[test]
fn a_kafka_session_without_a_broker_says_not_connected_and_can_disconnect() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // bound and released: nothing listens there now
    let opts = eventscope::ingest::kafka::KafkaRequest {
        brokers: format!("127.0.0.1:{port}"),
        topics: vec!["orders".into()],
        keep_payload: true,
        ..Default::default()
    }
    .build()
    .unwrap();
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| EventscopeApp::new(cc, Launch::Kafka(Box::new(opts), 1 << 30)));
    let broker = format!("127.0.0.1:{port}");
    until_delivered(&mut h, "not connected", |h| {
        h.query_by_label_contains("not connected").is_some()
            && h.query_by_label_contains("Connection refused").is_some()
    });
    assert!(
        h.query_all_by_label_contains(&broker)
            .any(|n| format!("{n:?}").contains("Connection refused")),
        "the reason names the broker"
    );
    assert!(h.query_by_label_contains("· live").is_none());
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Disconnect").click();
    until(&mut h, "disconnected", |h| {
        h.query_by_label_contains("· disconnected").is_some()
    });
    assert!(h.state().session.kafka.is_none());
}
