//! `eventscope export` through the real binary, its files read by the tools they are for: the
//! OTLP export parsed with OpenTelemetry's protobuf definitions (PyPI `opentelemetry-proto`), the
//! OCEL 2.0 export loaded by PM4Py (`pm4py.read_ocel2_json`), the native trace re-opened by
//! `check`. Expectations come from `eventscope events`/`check` on the same input, never from the
//! export itself.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
}

fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn python(script: &str, arg: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/export")
        .join(script);
    ok(
        Command::new("python3")
            .arg(script)
            .arg(arg)
            .output()
            .unwrap(),
        "python3",
    )
}

/// A generated shop trace with duplicates, drops, orphans, cycles and the rest.
fn generate(dir: &Path, events: usize) -> PathBuf {
    let out = dir.join("shop.jsonl");
    ok(
        bin()
            .args(["gen", "--events", &events.to_string(), "--seed", "7"])
            .args(["--faults", "dup=0.01,reorder=0.01,drop=0.01,poison=0.005,skew=0.01,conflict=0.005,orphan=0.01,cycle=0.002,gap=0.01"])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
        "gen",
    );
    out
}

fn export(file: &Path, to: &str, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("export")
        .arg(file)
        .args(["--to", to, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// `events FILE`, one JSON object per event.
fn events(file: &Path) -> Vec<Value> {
    let o = bin().arg("events").arg(file).output().unwrap();
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `check FILE --format json`: the anomaly lines and the summary.
fn check(file: &Path) -> (Vec<Value>, Value) {
    let o = bin()
        .arg("check")
        .arg(file)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let mut lines: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().unwrap()["summary"].clone();
    (lines, summary)
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

#[test]
fn otlp_parses_with_the_official_definitions_and_parents_are_the_causes() {
    let dir = tempfile::tempdir().unwrap();
    let trace = generate(dir.path(), 3000);
    let out = dir.path().join("spans.json");
    ok(export(&trace, "otlp", &out, &[]), "export otlp");
    let spans: Vec<Value> = python("otlp_read.py", &out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let evs = events(&trace);
    assert_eq!(spans.len(), evs.len(), "a span per event");
    // The cause of each event, where an event with that id is in the same flow (same correlation
    // id): the gen trace correlates every event.
    let present: HashSet<(Option<String>, Option<String>)> = evs
        .iter()
        .map(|e| (s(&e["id"]), s(&e["correlationid"])))
        .collect();
    let mut want: Vec<(String, Option<String>)> = evs
        .iter()
        .map(|e| {
            let cause = s(&e["causationid"])
                .filter(|c| Some(c) != s(&e["id"]).as_ref())
                .filter(|c| present.contains(&(Some(c.clone()), s(&e["correlationid"]))));
            (s(&e["id"]).unwrap(), cause)
        })
        .collect();
    let mut got: Vec<(String, Option<String>)> = spans
        .iter()
        .map(|sp| (s(&sp["id"]).unwrap(), s(&sp["parent"])))
        .collect();
    want.sort();
    got.sort();
    assert!(
        want.iter().any(|(_, p)| p.is_some()),
        "the trace has causation"
    );
    assert_eq!(got, want, "span parents are exactly the causation links");
    let (anomalies, summary) = check(&trace);
    let traces: BTreeSet<&str> = spans
        .iter()
        .map(|sp| sp["trace"].as_str().unwrap())
        .collect();
    assert_eq!(
        traces.len() as u64,
        summary["flows"].as_u64().unwrap(),
        "a trace per flow"
    );
    let span_events: usize = spans
        .iter()
        .map(|sp| sp["events"].as_array().unwrap().len())
        .sum();
    let on_events = anomalies
        .iter()
        .filter(|a| !a["event_id"].is_null())
        .count();
    assert_eq!(
        span_events, on_events,
        "an anomaly on an event is a span event"
    );
}

#[test]
fn ocel2_loads_in_pm4py_with_every_event_and_object() {
    let dir = tempfile::tempdir().unwrap();
    let trace = generate(dir.path(), 2000);
    let out = dir.path().join("log.json");
    ok(export(&trace, "ocel2", &out, &[]), "export ocel2");
    let got: Value = serde_json::from_str(python("ocel_read.py", &out).trim()).unwrap();
    let evs = events(&trace);
    let (_, summary) = check(&trace);
    let aggregates: BTreeSet<String> = evs
        .iter()
        .filter_map(|e| s(&e["subject"]).or(s(&e["key"])))
        .collect();
    let with_aggregate = evs
        .iter()
        .filter(|e| s(&e["subject"]).or(s(&e["key"])).is_some())
        .count();
    let flows = summary["flows"].as_u64().unwrap() as usize;
    assert!(!aggregates.is_empty());
    assert_eq!(got["events"], evs.len());
    assert_eq!(got["objects"], flows + aggregates.len());
    assert_eq!(got["object_types"]["flow"], flows);
    assert_eq!(got["object_types"]["aggregate"], aggregates.len());
    assert_eq!(
        got["relations"],
        evs.len() + with_aggregate,
        "each event to its flow and aggregate"
    );
    let types: BTreeSet<String> = evs.iter().filter_map(|e| s(&e["type"])).collect();
    let activities: BTreeSet<String> = got["activities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(s)
        .collect();
    assert_eq!(activities, types);
}

/// What `check` reports, without where (file and line differ between the input and the export):
/// anomalies as (kind, event id, correlation id) with counts, flows, events, per-kind counts;
/// undecodable input is not an event and so not exported.
fn findings(file: &Path) -> (BTreeMap<(String, String, String), usize>, Value) {
    let (anomalies, mut summary) = check(file);
    let mut by = BTreeMap::new();
    for a in anomalies.iter().filter(|a| a["kind"] != "undecodable") {
        let key = (
            a["kind"].to_string(),
            a["event_id"].to_string(),
            a["correlation_id"].to_string(),
        );
        *by.entry(key).or_default() += 1;
    }
    summary["by_kind"]["undecodable"] = Value::Null;
    let keep = ["events", "flows", "by_kind"];
    let s: serde_json::Map<String, Value> = keep
        .iter()
        .map(|k| (k.to_string(), summary[*k].clone()))
        .collect();
    (by, Value::Object(s))
}

#[test]
fn the_native_trace_reopens_to_the_same_flows_and_anomalies() {
    let dir = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    let mut inputs: Vec<PathBuf> = [
        "kcat-sample",
        "cloudevents-sample",
        "recording-sample",
        "nservicebus-sample",
        "dead_letter",
        "causation_cycle",
        "stuck",
        "undecodable",
    ]
    .iter()
    .map(|n| samples.join(format!("{n}.jsonl")))
    .collect();
    inputs.push(generate(dir.path(), 5000));
    for (i, input) in inputs.iter().enumerate() {
        let out = dir.path().join(format!("back-{i}.jsonl"));
        let o = export(input, "jsonl", &out, &[]);
        ok(o, "export jsonl");
        let (want_anomalies, want_summary) = findings(input);
        let (got_anomalies, got_summary) = findings(&out);
        assert_eq!(got_summary, want_summary, "{}", input.display());
        assert_eq!(got_anomalies, want_anomalies, "{}", input.display());
    }
}

#[test]
fn a_selection_of_flows_and_one_flow_formats() {
    let dir = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    let dup = samples.join("duplicate.jsonl");
    let evs = events(&dup);
    let corr = s(&evs[0]["correlationid"]).unwrap();
    let out = dir.path().join("one.csv");
    ok(
        export(&dup, "flows-csv", &out, &["--flow", &corr]),
        "export --flow",
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with(&format!("{corr},")));

    let o = export(
        &dup,
        "mermaid",
        &dir.path().join("x.mmd"),
        &["--flow", "no-such-flow"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no flow has the correlation id 'no-such-flow'")
    );

    let o = export(
        &samples.join("stuck.jsonl"),
        "svg",
        &dir.path().join("x.svg"),
        &[],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "several flows for a one-flow format"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("svg draws one flow"));
    assert!(!dir.path().join("x.svg").exists(), "nothing written");
}

#[test]
fn missing_files_undecodable_lines_and_bad_filters_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    let dup = samples.join("duplicate.jsonl");
    // A missing file is an error; what could be read is still written.
    let out = dir.path().join("some.json");
    let o = export(
        &dup,
        "flows-json",
        &out,
        &[dir.path().join("missing.jsonl").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.jsonl"));
    let rows: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(!rows.as_array().unwrap().is_empty());

    // Undecodable lines are named on stderr, as not exported.
    let o = export(
        &samples.join("malformed.jsonl"),
        "jsonl",
        &dir.path().join("m.jsonl"),
        &[],
    );
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("undecodable input lines are not in the export")
    );

    #[cfg(feature = "gui")]
    {
        let out = dir.path().join("filtered.json");
        ok(
            export(
                &dup,
                "anomalies-json",
                &out,
                &["--filter", "kind:duplicate"],
            ),
            "--filter",
        );
        let rows: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .any(|r| r["kind"] == "duplicate")
        );
        let o = export(&dup, "jsonl", &out, &["--filter", "kind:nope"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--filter: unknown anomaly kind 'nope'")
        );
    }
}
