//! Real producers: each module produces a small shop's events to a real tansu broker the way one
//! producer library or framework does (its real PyPI library where one exists, else its documented
//! wire format written with PyPI confluent-kafka), records them with `eventscope record`, and
//! asserts what `check` and `events` make of the recording: flows, links, types, the exact
//! anomaly set, and that the recording replays exactly as the live session saw it.
//!
//! One test binary for all producers (one link instead of one per producer); one module file and
//! one Python script per producer: `tests/producers/<name>.rs` and `tests/producers/<name>.py`.
#![cfg(feature = "kafka")]

mod cloudevents_sdk;
mod lossless;

#[path = "../kafka_support/mod.rs"]
mod kafka_support;
mod otel;
#[allow(dead_code)]
#[path = "../secure/pki.rs"]
mod pki;
mod proto_source;

mod frameworks;
mod registry;
mod schemaless;
mod schemas;

pub use kafka_support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Runs `python3 tests/producers/<script> ARGS...`, fails showing its stderr, returns its stdout.
pub fn py(script: &str, args: &[&str]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/producers")
        .join(script);
    let out = Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{script} {args:?}: {} (tests/run.sh installs the PyPI packages the producers use)",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Records `topics` from the beginning until `n` events arrived (at most 60 s) and returns the
/// live session's own `{"summary":{...}}`.
pub fn record(broker: &Broker, topics: &[&str], out: &Path, n: u64) -> Value {
    let bs = broker.bootstrap();
    let n = n.to_string();
    let mut args = vec!["record", "-b", &bs, "--from", "beginning"];
    for t in topics {
        args.extend(["-t", t]);
    }
    let out_s = out.to_str().unwrap();
    args.extend([
        "--max-events",
        &n,
        "--duration",
        "60s",
        "--format",
        "json",
        "--out",
        out_s,
    ]);
    let run = eventscope(&args).output().unwrap();
    succeeded(&run);
    let stdout = String::from_utf8(run.stdout).unwrap();
    let summary = last_json(&stdout);
    assert_eq!(
        summary["summary"]["events"].as_u64(),
        n.parse().ok(),
        "record stopped early: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    summary
}

fn last_json(text: &str) -> Value {
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `check --format json FILE EXTRA...`: the anomalies and the summary.
pub fn check(file: &Path, extra: &[&str]) -> (Vec<Value>, Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend(extra);
    args.push(file.to_str().unwrap());
    let run = eventscope(&args).output().unwrap();
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8(run.stdout).unwrap();
    let mut lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().expect("a summary line");
    (lines, summary)
}

/// `events FILE EXTRA...`: every event as resolved, in input order.
pub fn events(file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["events"];
    args.extend(extra);
    args.push(file.to_str().unwrap());
    let run = eventscope(&args).output().unwrap();
    succeeded(&run);
    String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The fields of a summary that a replay must reproduce exactly.
const REPLAYED: [&str; 6] = [
    "events",
    "flows",
    "anomalies",
    "by_kind",
    "undecodable",
    "correlation_profiles",
];

/// A recording, checked, must give exactly what the live session saw.
pub fn assert_replays_as_live(live: &Value, replayed: &Value) {
    for field in REPLAYED {
        assert_eq!(
            live["summary"][field], replayed["summary"][field],
            "{field}: live {live} vs replayed {replayed}"
        );
    }
}

/// (right, wrong, missing) causation links of `events` against the `(event id, cause id)` pairs a
/// producer says it sent.
pub fn links(events: &[Value], sent: &[(String, String)]) -> (usize, usize, usize) {
    let by_id: std::collections::HashMap<&str, Option<&str>> = events
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["causationid"].as_str()))
        .collect();
    let (mut right, mut wrong, mut missing) = (0, 0, 0);
    for (id, cause) in sent {
        match by_id.get(id.as_str()).copied().flatten() {
            Some(c) if c == cause => right += 1,
            Some(_) => wrong += 1,
            None => missing += 1,
        }
    }
    (right, wrong, missing)
}

/// A schema producer's events (`events` output) against what it sent (`"types"`: id -> type,
/// `"links"`: [id, cause]): every event it typed has that type from its schema (profile
/// `schema`) and its ids from the payload (`common`), and every link is right. Returns how many
/// events it typed.
pub fn assert_schema_events(evs: &[Value], sent: &Value) -> usize {
    let types = sent["types"].as_object().unwrap();
    let mut typed = 0;
    for e in evs {
        let Some(ty) = types.get(e["id"].as_str().unwrap()) else {
            continue;
        };
        assert_eq!(&e["type"], ty, "{e}");
        assert_eq!(e["profiles"]["id"], "common", "{e}");
        assert_eq!(e["profiles"]["correlation"], "common", "{e}");
        assert_eq!(e["profiles"]["type"], "schema", "{e}");
        typed += 1;
    }
    let sent_links: Vec<(String, String)> = (sent["links"].as_array().unwrap().iter())
        .map(|l| (l[0].as_str().unwrap().into(), l[1].as_str().unwrap().into()))
        .collect();
    assert_eq!(links(evs, &sent_links), (sent_links.len(), 0, 0));
    typed
}

#[test]
fn a_recording_of_plain_json_records_replays_as_live() {
    let b = Broker::start();
    let bs = b.bootstrap();
    helper(&bs, &["create", "orders", "2"], "");
    let msgs = [
        serde_json::json!({"topic":"orders","partition":0,"key":"order-1","value":"{\"eventId\":\"e1\",\"correlationId\":\"c1\"}"}),
        serde_json::json!({"topic":"orders","partition":0,"key":"order-1","value":"{\"eventId\":\"e2\",\"correlationId\":\"c1\",\"causationId\":\"e1\"}"}),
        serde_json::json!({"topic":"orders","partition":1,"value_hex":"000000012c7b7d"}),
    ];
    let input: String = msgs.iter().map(|m| format!("{m}\n")).collect();
    helper(&bs, &["produce"], &input);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let live = record(&b, &["orders"], &out, 3);
    let (_, replayed) = check(&out, &[]);
    assert_replays_as_live(&live, &replayed);
    let evs = events(&out, &[]);
    let sent = [("e2".to_string(), "e1".to_string())];
    assert_eq!(links(&evs, &sent), (1, 0, 0));
    // Partitions interleave in any order: find e1 rather than assume it comes first.
    let e1 = evs.iter().find(|e| e["id"] == "e1").expect("e1 recorded");
    assert_eq!(e1["profiles"]["id"], "common");
}
