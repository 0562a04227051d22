//! Live Kafka against a real Kafka-protocol broker (tansu, started here on a free loopback port)
//! with an independent client (PyPI confluent-kafka, `tests/kafka_helper.py`) producing. The
//! README test command installs both; a missing one fails these tests, it never skips them.
#![cfg(feature = "kafka")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn tansu() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
        });
    let installed = home.join("bin/tansu");
    if installed.exists() {
        return installed;
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v tansu"])
        .output()
        .unwrap();
    assert!(
        on_path.status.success(),
        "the tansu broker is not installed: run tests/run.sh (it installs it)"
    );
    PathBuf::from(String::from_utf8(on_path.stdout).unwrap().trim())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A tansu broker with in-memory storage, killed on drop.
struct Broker {
    child: Child,
    port: u16,
}

impl Broker {
    /// Listens on a free port and advertises `advertised` (the port clients are told to use).
    fn start_advertising(advertised: Option<u16>) -> Broker {
        let port = free_port();
        let adv = advertised.unwrap_or(port);
        let child = Command::new(tansu())
            .args([
                "broker",
                "--listener-url",
                &format!("tcp://127.0.0.1:{port}"),
                "--advertised-listener-url",
                &format!("tcp://127.0.0.1:{adv}"),
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        wait_for_port(port);
        Broker { child, port }
    }
    fn start() -> Broker {
        Self::start_advertising(None)
    }
    fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn helper(bootstrap: &str, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka_helper.py"))
        .arg(bootstrap)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kafka_helper {args:?}: {} (run tests/run.sh: it installs confluent-kafka)",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that a command succeeded, showing its stderr if not.
fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn eventscope(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eventscope"));
    c.args(args);
    c
}

fn read_trace(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ce(id: &str, ty: &str, corr: &str) -> serde_json::Value {
    serde_json::json!([
        ["ce_id", id],
        ["ce_type", ty],
        ["ce_source", "orders"],
        ["ce_correlationid", corr],
        ["x-dup", "1"],
        ["x-dup", "2"]
    ])
}

#[test]
fn record_keeps_headers_keys_and_flags_values_that_are_not_json() {
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "orders", "2"], "");
    let msgs = [
        serde_json::json!({"topic":"orders","partition":0,"key":"order-1","value":"{\"total\":1}","headers":ce("e1","OrderPlaced","c1")}),
        serde_json::json!({"topic":"orders","partition":0,"key":"order-1","value":"{\"total\":1}","headers":ce("e2","OrderPaid","c1")}),
        serde_json::json!({"topic":"orders","partition":1,"value":"hello, not json"}),
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
    // The recording loads fully, and the same analysis runs on it.
    let check = eventscope(&["check", "--format", "json", out.to_str().unwrap()])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(summary.contains("\"events\":4"), "{summary}");
    assert!(
        summary.contains("\"undecodable\":0"),
        "the metadata line is recognised: {summary}"
    );
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
    let rec = eventscope(&[
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
    ])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_secs(2));
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
    let done = rec.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
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

/// A TCP proxy that can be cut and restored, to take the broker away from the client.
struct Proxy {
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(listen: u16, to: u16) -> Proxy {
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Default::default();
        let listener = TcpListener::bind(("127.0.0.1", listen)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let (u, c) = (up.clone(), conns.clone());
        std::thread::spawn(move || {
            loop {
                match listener.accept() {
                    Ok((client, _)) if u.load(Ordering::SeqCst) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                            continue;
                        };
                        c.lock()
                            .unwrap()
                            .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                        for (mut a, mut b) in [
                            (client.try_clone().unwrap(), server.try_clone().unwrap()),
                            (server, client),
                        ] {
                            std::thread::spawn(move || {
                                let mut buf = [0u8; 16384];
                                while let Ok(n) = a.read(&mut buf) {
                                    if n == 0 || b.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                                let _ = b.shutdown(std::net::Shutdown::Both);
                            });
                        }
                    }
                    Ok((client, _)) => drop(client),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Proxy { up, conns }
    }
    /// Drops every connection and refuses new ones until `restore`.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
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
    let rec = eventscope(&[
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
    ])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let t = Instant::now();
    while read_trace_len(&out) < 3 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "first records not recorded"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    proxy.cut();
    std::thread::sleep(Duration::from_secs(3));
    proxy.restore();
    helper(&via, &["produce"], &batch(3));
    let done = rec.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
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

fn read_trace_len(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count().saturating_sub(1))
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
        serde_json::json!({"topic":"orders","value":"not json"}),
    ]
    .iter()
    .map(|m| format!("{m}\n"))
    .collect();
    helper(&bs, &["produce"], &input);
    let opts = eventscope::ingest::kafka::KafkaOptions {
        brokers: bs.clone(),
        topics: vec!["orders".into()],
        topic_regex: None,
        from: eventscope::ingest::kafka::StartFrom::Beginning,
        properties: vec![],
        profiles: Default::default(),
        keep_payload: true,
    };
    let mut s = Session::with_kafka(opts, 1 << 30, Arc::new(|| {}));
    let t = Instant::now();
    while s.engine.stats.events < 3 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "events did not arrive"
        );
        s.drain(Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(20));
    }
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
    let t = Instant::now();
    while read_trace_len(&out) < 500 {
        assert!(t.elapsed() < Duration::from_secs(30), "records not flushed");
        std::thread::sleep(Duration::from_millis(100));
    }
    rec.kill().unwrap(); // SIGKILL: no chance to clean up
    rec.wait().unwrap();
    let check = eventscope(&["check", "--format", "json", out.to_str().unwrap()])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(summary.contains("\"events\":500"), "{summary}");
    assert!(summary.contains("\"undecodable\":0"), "{summary}");
}
