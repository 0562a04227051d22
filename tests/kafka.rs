//! Live Kafka against a real Kafka-protocol broker (tansu, started here on a free loopback port)
//! with an independent client (PyPI confluent-kafka, `tests/kafka_helper.py`) producing. The
//! README test command installs both; a missing one fails these tests, it never skips them.
#![cfg(feature = "kafka")]

mod kafka_support;

use kafka_support::*;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn record_keeps_headers_keys_and_flags_values_that_are_not_json() {
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "orders", "2"], "");
    let msgs = [
        serde_json::json!({"topic":"orders","partition":0,"key":"order-1","value":"{\"total\":1}","headers":ce("e1","OrderPlaced","c1")}),
        serde_json::json!({"topic":"orders","partition":0,"key":"order-1","value":"{\"total\":1}","headers":ce("e2","OrderPaid","c1")}),
        // Starts like JSON but is not (plain text would be read as text, README "Payloads without a schema").
        serde_json::json!({"topic":"orders","partition":1,"value":"{hello, not json"}),
        serde_json::json!({"topic":"orders","partition":1,"value_hex":"000000012c7b7d"}),
    ];
    let input: String = msgs.iter().map(|m| format!("{m}\n")).collect();
    helper(&bs, &["produce"], &input);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let run = eventscope(&[
        "record",
        "-b",
        &bs,
        "-t",
        "orders",
        "--from",
        "beginning",
        "--max-events",
        "4",
        "--duration",
        "60s",
        "--out",
        out.to_str().unwrap(),
        "-X",
        "sasl.password=never-shown",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("recorded 4 events"), "{stderr}");
    assert!(stderr.contains("2 undecodable"), "{stderr}");
    assert!(
        !stderr.contains("never-shown"),
        "credentials never in logs: {stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains("never-shown"),
        "credentials never in recordings"
    );
    let events = read_trace(&out);
    assert_eq!(events.len(), 4);
    recorded_as_produced(&events);
    // The recording loads fully, and the same analysis runs on it.
    let check = eventscope(&["check", "--format", "json", out.to_str().unwrap()])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(summary.contains("\"events\":4"), "{summary}");
    // Exactly the two values that are not JSON, as live (the recording keeps them as they
    // came); the metadata line is recognised, not a third.
    assert!(
        summary.contains("\"undecodable\":2"),
        "as live, and the metadata line is recognised: {summary}"
    );
}

/// e1 with its key, type, correlation, position and every header in order; the record whose
/// value is not JSON kept as bytes.
fn recorded_as_produced(events: &[serde_json::Value]) {
    let e1 = events
        .iter()
        .find(|e| e["id"] == "e1")
        .expect("e1 recorded");
    assert_eq!(e1["key"], "order-1");
    assert_eq!(e1["type"], "OrderPlaced");
    assert_eq!(e1["correlationid"], "c1");
    assert_eq!(
        (
            e1["topic"].as_str(),
            e1["partition"].as_i64(),
            e1["offset"].as_i64()
        ),
        (Some("orders"), Some(0), Some(0))
    );
    let names: Vec<&str> = e1["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_correlationid",
            "x-dup",
            "x-dup"
        ],
        "order and duplicates kept"
    );
    // Not JSON: kept (as bytes) with the transport id, never dropped.
    let plain = events
        .iter()
        .find(|e| e["id"] == "orders/1@0")
        .expect("kept");
    assert!(plain["data_base64"].is_string());
}

#[test]
fn never_commits_offsets_even_with_a_group_id() {
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "audit", "1"], "");
    let input: String = (0..3)
        .map(|i| format!("{{\"topic\":\"audit\",\"value\":\"{{\\\"n\\\":{i}}}\"}}\n"))
        .collect();
    helper(&bs, &["produce"], &input);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let run = eventscope(&[
        "record",
        "-b",
        &bs,
        "-t",
        "audit",
        "--from",
        "beginning",
        "--max-events",
        "3",
        "--duration",
        "60s",
        "-X",
        "group.id=eventscope-test",
        "-X",
        "enable.auto.commit=true",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    succeeded(&run);
    assert_eq!(read_trace(&out).len(), 3);
    let state: serde_json::Value =
        serde_json::from_str(&helper(&bs, &["committed", "eventscope-test"], "")).unwrap();
    assert_eq!(
        state["committed"],
        serde_json::json!({}),
        "nothing committed: {state}"
    );
    let groups = state["groups"].as_array().unwrap();
    assert!(
        !groups
            .iter()
            .any(|g| g.as_str().unwrap().starts_with("eventscope")),
        "no group joined: {state}"
    );
}

#[test]
fn topics_matching_the_regex_are_picked_up_while_running() {
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "live-a", "1"], "");
    helper(
        &bs,
        &["produce"],
        "{\"topic\":\"live-a\",\"value\":\"{}\"}\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let rec = Watched::spawn(&[
        "record",
        "-b",
        &bs,
        "--topic-regex",
        "^live-",
        "--from",
        "end",
        "--max-events",
        "2",
        "--duration",
        "60s",
        "--out",
        out.to_str().unwrap(),
        "-X",
        "debug=topic",
    ]);
    // librdkafka fetches once the end offset is known: from then on a record written is after it.
    rec.wait_for("Partition live-a [0] start fetching at ", 0);
    // Written after the start: recorded, although the record before it (--from end) is not.
    helper(
        &bs,
        &["produce"],
        "{\"topic\":\"live-a\",\"value\":\"{\\\"n\\\":2}\"}\n",
    );
    // A topic created while running is read from its beginning: nothing in it is missed.
    helper(&bs, &["create", "live-b", "2"], "");
    helper(
        &bs,
        &["produce"],
        "{\"topic\":\"live-b\",\"partition\":1,\"value\":\"{}\"}\n",
    );
    let (status, stderr) = rec.finish();
    assert!(status.success(), "{stderr}");
    let topics: Vec<String> = read_trace(&out)
        .iter()
        .map(|e| e["topic"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(topics, ["live-a", "live-b"]);
    assert_eq!(
        read_trace(&out)[0]["offset"],
        1,
        "--from end skipped the earlier record"
    );
}

#[test]
fn reconnects_by_itself_without_losing_or_repeating_records() {
    let proxy_port = free_port();
    let b = Broker::start_advertising(Some(proxy_port));
    let proxy = Proxy::start(proxy_port, b.port);
    let via = format!("127.0.0.1:{proxy_port}");
    helper(&via, &["create", "pay", "1"], "");
    let batch = |from: usize| -> String {
        (from..from + 3)
            .map(|i| format!("{{\"topic\":\"pay\",\"value\":\"{{\\\"n\\\":{i}}}\"}}\n"))
            .collect()
    };
    helper(&via, &["produce"], &batch(0));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let rec = Watched::spawn(&[
        "record",
        "-b",
        &via,
        "-t",
        "pay",
        "--from",
        "beginning",
        "--max-events",
        "6",
        "--duration",
        "90s",
        "--out",
        out.to_str().unwrap(),
    ]);
    wait_until("first records not recorded", || read_trace_len(&out) >= 3);
    let before_cut = rec.mark();
    proxy.cut();
    // The outage lasts until the client has seen its connection go.
    rec.wait_for("Disconnected", before_cut);
    proxy.restore();
    helper(&via, &["produce"], &batch(3));
    let (status, stderr) = rec.finish();
    assert!(status.success(), "{stderr}");
    let offsets: Vec<i64> = read_trace(&out)
        .iter()
        .map(|e| e["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(
        offsets,
        [0, 1, 2, 3, 4, 5],
        "each record exactly once: {stderr}"
    );
    assert!(stderr.contains("0 offset gaps"), "{stderr}");
}

#[test]
fn a_live_session_feeds_the_analysis() {
    use eventscope::session::Session;
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "orders", "1"], "");
    let input: String = [
        serde_json::json!({"topic":"orders","key":"o1","value":"{}","headers":ce("x1","OrderPlaced","k1")}),
        serde_json::json!({"topic":"orders","key":"o1","value":"{}","headers":ce("x1","OrderPlaced","k1")}),
        serde_json::json!({"topic":"orders","value":"{not json"}),
    ]
    .iter()
    .map(|m| format!("{m}\n"))
    .collect();
    helper(&bs, &["produce"], &input);
    let opts = eventscope::ingest::kafka::KafkaRequest {
        brokers: bs.clone(),
        topics: vec!["orders".into()],
        from: eventscope::ingest::kafka::StartFrom::Beginning,
        keep_payload: true,
        ..Default::default()
    }
    .build()
    .unwrap();
    let mut s = Session::with_kafka(opts, 1 << 30, Arc::new(|| {}));
    wait_until("events did not arrive", || {
        s.drain(Duration::from_millis(10));
        s.engine.stats.events >= 3
    });
    let e = &s.engine;
    assert_eq!(
        e.anomalies
            .count(eventscope::analysis::AnomalyKind::Duplicate),
        1
    );
    let undecodable: Vec<_> = e
        .anomalies
        .all()
        .iter()
        .filter(|a| a.kind == eventscope::analysis::AnomalyKind::Undecodable)
        .collect();
    assert_eq!(undecodable.len(), 1);
    assert_eq!(undecodable[0].location.as_deref(), Some("orders/0@2"));
    assert!(
        undecodable[0]
            .message
            .contains("orders/0@2: payload is not JSON"),
        "{}",
        undecodable[0].message
    );
}

/// Counts what it is shown; stops after `stop_after` records.
struct Counter {
    seen: Vec<String>,
    stop_after: usize,
    deliveries: usize,
}

impl eventscope::session::Tap for Counter {
    fn record(&mut self, line: &str, event: &eventscope::model::DecodedEvent) -> bool {
        // The record as it came, a recording line naming the same place.
        let rec: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(rec["offset"].as_i64(), event.offset, "{line}");
        self.seen.push(event.id.to_string());
        self.seen.len() < self.stop_after
    }
    fn delivered(&mut self) -> bool {
        self.deliveries += 1;
        true
    }
}

#[test]
fn a_session_consumed_in_place_shows_each_record_to_its_tap_first() {
    use eventscope::session::Session;
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "orders", "1"], "");
    let input: String = ["a", "b", "c"]
        .iter()
        .map(|id| format!("{}\n", serde_json::json!({"topic":"orders","value":"{}","headers":ce(id,"OrderPlaced","k")})))
        .collect();
    helper(&bs, &["produce"], &input);
    let opts = eventscope::ingest::kafka::KafkaRequest {
        brokers: bs.clone(),
        topics: vec!["orders".into()],
        from: eventscope::ingest::kafka::StartFrom::Beginning,
        ..Default::default()
    }
    .build()
    .unwrap();
    let mut s = Session::for_kafka(&opts, 1 << 30);
    assert!(s.is_live());
    let mut tap = Counter {
        seen: Vec::new(),
        stop_after: 2,
        deliveries: 0,
    };
    let status = Default::default();
    let stop = std::sync::atomic::AtomicBool::new(false);
    s.consume_kafka(&opts, &stop, &status, &mut tap).unwrap();
    assert_eq!(tap.seen, ["a", "b"], "stopped after the second");
    assert!(tap.deliveries >= 1, "the tap had its turn before returning");
    assert_eq!(s.engine.stats.events, 2, "what the tap saw was analysed");
    assert_eq!(s.sources[0].events, 2);
}

#[test]
fn the_demo_publishes_to_a_real_cluster() {
    let b = Broker::start();
    let bs = b.bootstrap();
    for t in [
        "orders",
        "payments",
        "inventory",
        "inventory.commands",
        "shipping",
        "notifications",
        "orders.DLT",
    ] {
        helper(&bs, &["create", t, "3"], "");
    }
    let run = eventscope(&[
        "demo",
        "--to-kafka",
        "-b",
        &bs,
        "--duration",
        "3s",
        "--rate",
        "50",
        "--faults",
        "dup=0.05",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("(0 failed)"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let rec = eventscope(&[
        "record",
        "-b",
        &bs,
        "--topic-regex",
        "^(orders|payments|inventory|shipping|notifications)",
        "--from",
        "beginning",
        "--duration",
        "8s",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    succeeded(&rec);
    let events = read_trace(&out);
    assert!(events.len() > 200, "{}", events.len());
    // CloudEvents binary-mode headers give the ids, so flows stitch as in the demo itself.
    assert!(
        events
            .iter()
            .all(|e| !e["id"].as_str().unwrap().contains('@'))
    );
    let check = eventscope(&["check", "--format", "json", out.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("\"kind\":\"duplicate\""),
        "the injected duplicates are found: {}",
        &text[..text.len().min(500)]
    );
}

#[test]
fn a_killed_recorder_leaves_a_file_that_loads_to_its_last_line() {
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "busy", "1"], "");
    let input: String = (0..500)
        .map(|i| format!("{{\"topic\":\"busy\",\"value\":\"{{\\\"n\\\":{i}}}\"}}\n"))
        .collect();
    helper(&bs, &["produce"], &input);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let mut rec = eventscope(&[
        "record",
        "-b",
        &bs,
        "-t",
        "busy",
        "--from",
        "beginning",
        "--duration",
        "60s",
        "--out",
        out.to_str().unwrap(),
    ])
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_until("records not flushed", || read_trace_len(&out) >= 500);
    rec.kill().unwrap(); // SIGKILL: no chance to clean up
    rec.wait().unwrap();
    let check = eventscope(&["check", "--format", "json", out.to_str().unwrap()])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(summary.contains("\"events\":500"), "{summary}");
    assert!(summary.contains("\"undecodable\":0"), "{summary}");
}

/// `record` against a port where nothing listens, or where something accepts and hangs up (not
/// a Kafka broker): it says so naming host:port with librdkafka's reason, and exits 2 without
/// hanging (the default connect timeout is 8 s; 30 s here only guards against a hang).
#[test]
fn record_fails_loudly_when_no_broker_answers() {
    let dead = free_port();
    let refusing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refusing_port = refusing.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in refusing.incoming() {
            drop(conn); // accept, then hang up at once
        }
    });
    let dir = tempfile::tempdir().unwrap();
    for (port, why) in [
        (dead, "Connection refused"),
        (refusing_port, "Disconnected"),
    ] {
        let broker = format!("127.0.0.1:{port}");
        let out = dir.path().join(format!("{port}.jsonl"));
        let started = std::time::Instant::now();
        let run = eventscope(&[
            "record",
            "-b",
            &broker,
            "-t",
            "orders",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(30), "{stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.contains(&format!("no broker of {broker} answered")) && last.contains(why),
            "{stderr}"
        );
    }
}
