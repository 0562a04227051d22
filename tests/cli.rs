//! The real binary: exit codes, the JSON output, `gen` -> `check` with exactly the injected
//! anomalies, and gzip input.

use eventscope::analysis::{AnomalyKind, REGISTRY, Severity};
use eventscope::ingest::generate::FAULTS;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-traces")
        .join(format!("{name}.jsonl"))
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    bin().args(args).output().expect("run eventscope")
}

/// `check FILE` in the text format.
fn check_text(file: &Path) -> Output {
    bin().arg("check").arg(file).output().unwrap()
}

/// `gen --events N --seed S --faults F --out OUT --truth TRUTH`; returns the truth set.
fn run_gen(
    events: usize,
    seed: u64,
    faults: &str,
    out: &Path,
    truth: &Path,
) -> BTreeSet<(String, String)> {
    let o = bin()
        .arg("gen")
        .args(["--events", &events.to_string(), "--seed", &seed.to_string()])
        .args(["--faults", faults])
        .arg("--out")
        .arg(out)
        .arg("--truth")
        .arg(truth)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "gen: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(truth)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["kind"].as_str().unwrap().to_string(),
                v["event_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

/// `check --format json FILES...`: the anomaly lines, the summary and the exit code.
fn check_json(files: &[&Path], extra: &[&str]) -> (Vec<Value>, Value, i32) {
    let mut cmd = bin();
    cmd.arg("check")
        .args(files)
        .args(["--format", "json"])
        .args(extra);
    let o = cmd.output().unwrap();
    let text = stdout(&o);
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let summary = lines.pop().expect("at least the summary line");
    assert!(summary.get("summary").is_some(), "last line: {summary}");
    (lines, summary["summary"].clone(), code(&o))
}

fn keys(anomalies: &[Value]) -> BTreeSet<(String, String)> {
    anomalies
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_string(),
                a["event_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// (events, distinct correlation ids) of a native trace, read directly from the file.
fn count_events_and_flows(path: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("eventscope_trace").is_none())
        .collect();
    let corrs: BTreeSet<&str> = events
        .iter()
        .map(|e| e["correlationid"].as_str().unwrap())
        .collect();
    (events.len(), corrs.len())
}

#[test]
fn exit_codes() {
    let clean = sample("ecommerce-clean");
    let (n_events, n_flows) = count_events_and_flows(&clean);
    let o = check_text(&clean);
    assert_eq!(code(&o), 0, "clean: {}", String::from_utf8_lossy(&o.stderr));
    let summary_line = format!("{n_events} events in {n_flows} flows from 1 file; 0 anomalies");
    assert!(stdout(&o).contains(&summary_line), "{}", stdout(&o));

    // error kinds -> 1; warning kinds only -> 0
    for k in &REGISTRY {
        let o = check_text(&sample(k.name));
        let want = if k.severity == Severity::Error { 1 } else { 0 };
        assert_eq!(code(&o), want, "{}: {}", k.name, stdout(&o));
    }

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-trace.jsonl");
    let o = check_text(&missing);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-trace.jsonl"));

    // a missing file among good ones: still 2, the good file is still analysed
    let (anomalies, summary, c) = check_json(&[&missing, &clean], &[]);
    assert_eq!(c, 2);
    assert!(anomalies.is_empty());
    assert_eq!(summary["events"], n_events);
    assert_eq!(summary["io_errors"].as_array().unwrap().len(), 1);

    for bad in [
        vec!["check", "--bogus-flag"],
        vec!["check"],
        vec!["check", "FILE", "--format", "xml"],
        vec!["check", "FILE", "--now", "yesterday"],
        vec!["check", "FILE", "--stuck-after", "soon"],
        vec!["check", "FILE", "--dlq-pattern", "(unclosed"],
        vec!["check", "FILE", "--profile", "no-such-profile"],
        vec!["check", "FILE", "--correlation", "neither"],
        vec!["frobnicate"],
        vec!["gen", "--events", "10", "--faults", "dup=2", "--out", "x"],
    ] {
        let args: Vec<String> = bad
            .iter()
            .map(|a| {
                if *a == "FILE" {
                    clean.display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let o = run(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stdout(&o));
        assert!(!o.stderr.is_empty(), "{args:?}: says why on stderr");
    }
    assert_eq!(code(&run(["--help"])), 0);
}

#[test]
fn options_change_the_verdict() {
    // --expect: every EmailSent older than 30 s before the last event is stuck.
    let clean = sample("ecommerce-clean");
    let text = std::fs::read_to_string(&clean).unwrap();
    let events: Vec<Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let time =
        |e: &Value| chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).unwrap();
    let latest = events.iter().map(time).max().unwrap();
    let want: BTreeSet<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "EmailSent" && latest - time(e) > chrono::Duration::seconds(30))
        .map(|e| ("stuck".to_string(), e["id"].as_str().unwrap().to_string()))
        .collect();
    assert!(!want.is_empty());
    let (anomalies, _, c) = check_json(&[&clean], &["--expect", "EmailSent"]);
    assert_eq!(keys(&anomalies), want);
    assert_eq!(c, 1);

    // --now far in the future: the same, for every EmailSent.
    let (anomalies, _, _) = check_json(
        &[&clean],
        &["--expect", "EmailSent", "--now", "2030-01-01T00:00:00Z"],
    );
    let emails = events.iter().filter(|e| e["type"] == "EmailSent").count();
    assert_eq!(anomalies.len(), emails);

    // --stuck-after longer than the trace: the stuck sample is fine.
    let (anomalies, _, c) = check_json(&[&sample("stuck")], &["--stuck-after", "10m"]);
    assert!(anomalies.is_empty(), "{anomalies:?}");
    assert_eq!(c, 0);

    // --dlq-pattern replaces the default topic pattern (headers still count).
    let (anomalies, _, _) = check_json(&[&sample("dead_letter")], &["--dlq-pattern", "^nothing$"]);
    assert_eq!(
        keys(&anomalies),
        BTreeSet::from([
            ("dead_letter".into(), "dl-1".into()),
            ("dead_letter".into(), "dl-3".into())
        ])
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let mut seen_kinds = BTreeSet::new();
    for k in &REGISTRY {
        let (anomalies, summary, c) = check_json(&[&sample(k.name)], &[]);
        assert!(!anomalies.is_empty(), "{}", k.name);
        for a in &anomalies {
            for key in [
                "kind",
                "severity",
                "event_id",
                "correlation_id",
                "related_event_ids",
                "message",
                "location",
            ] {
                assert!(a.get(key).is_some(), "{}: no {key} in {a}", k.name);
            }
            let kind = AnomalyKind::from_name(a["kind"].as_str().unwrap()).expect("known kind");
            assert_eq!(a["severity"], kind.info().severity.name());
            assert!(a["related_event_ids"].is_array());
            assert!(!a["message"].as_str().unwrap().is_empty());
            assert!(a["event_id"].is_string() || a["event_id"].is_null());
            if a["event_id"].is_string() {
                assert!(a["profiles"].is_object(), "{a}");
                assert!(a["correlation_id"].is_string(), "{a}");
            }
            seen_kinds.insert(kind);
        }
        for key in [
            "events",
            "flows",
            "anomalies",
            "by_kind",
            "by_severity",
            "undecodable",
            "correlation_profiles",
            "io_errors",
        ] {
            assert!(
                summary.get(key).is_some(),
                "summary has no {key}: {summary}"
            );
        }
        assert_eq!(summary["anomalies"], anomalies.len());
        let by_kind = summary["by_kind"].as_object().unwrap();
        assert_eq!(by_kind.len(), REGISTRY.len());
        for kk in &REGISTRY {
            let n = anomalies.iter().filter(|a| a["kind"] == kk.name).count();
            assert_eq!(by_kind[kk.name], n, "{}: by_kind.{}", k.name, kk.name);
        }
        let errors = anomalies
            .iter()
            .filter(|a| a["severity"] == "error")
            .count();
        assert_eq!(summary["by_severity"]["error"], errors);
        assert_eq!(c, i32::from(errors > 0));
    }
    assert_eq!(seen_kinds.len(), REGISTRY.len(), "every kind shows up");

    // The text format prints the same verdict.
    let o = check_text(&sample("causation_cycle"));
    let text = stdout(&o);
    let rows = text
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .take(2)
                .eq(["error", "causation_cycle"])
        })
        .count();
    assert_eq!(rows, 3, "{text}");
    assert!(text.contains("by kind: causation_cycle 3"), "{text}");
}

fn gen_trace(
    dir: &Path,
    name: &str,
    seed: u64,
    faults: &str,
) -> (PathBuf, BTreeSet<(String, String)>) {
    let out = dir.join(format!("{name}.jsonl"));
    let truth = dir.join(format!("{name}.truth.jsonl"));
    let truth = run_gen(5000, seed, faults, &out, &truth);
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    assert_eq!(lines, 5001, "header + 5000 events");
    (out, truth)
}

/// The anomaly kind each fault must cause.
fn fault_kind(fault: &str) -> &'static str {
    match fault {
        "dup" => "duplicate",
        "reorder" => "out_of_order",
        "drop" => "stuck",
        "poison" => "dead_letter",
        "skew" => "cause_after_effect",
        "conflict" => "conflicting_duplicate",
        "orphan" => "orphan_cause",
        "cycle" => "causation_cycle",
        "gap" => "sequence_gap",
        "skip" => "unusual_flow",
        other => panic!("unknown fault {other}"),
    }
}

fn assert_gen_check_agree(
    dir: &Path,
    name: &str,
    seed: u64,
    faults: &str,
) -> BTreeSet<(String, String)> {
    let (trace, truth) = gen_trace(dir, name, seed, faults);
    // `unusual_flow` judges shapes, not faults: a fault that adds a step (orphan, cycle) in few
    // enough flows makes those unusual too, so only `skip` alone and no fault are judged with it.
    let unusual: &[&str] = if matches!(name, "skip" | "none") {
        &[]
    } else {
        &["--no-unusual"]
    };
    let (anomalies, summary, c) = check_json(&[&trace], unusual);
    assert_eq!(summary["events"], 5000, "{name}");
    assert_eq!(summary["undecodable"], 0, "{name}");
    let got = keys(&anomalies);
    let missed: Vec<_> = truth.difference(&got).collect();
    let extra: Vec<_> = got.difference(&truth).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "{name} (seed {seed}, faults '{faults}'): {} injected, {} reported\n missed (recall): {missed:?}\n extra (precision): {extra:?}",
        truth.len(),
        got.len()
    );
    let errors = truth
        .iter()
        .any(|(k, _)| AnomalyKind::from_name(k).unwrap().info().severity == Severity::Error);
    assert_eq!(c, i32::from(errors), "{name}: exit code");
    truth
}

/// 2% per fault; a skipped step only at 0.5%, so that its flows stay an unusual variant (under
/// 1% of the complete ones; `tests/variants.rs` judges it on 100,000 events).
fn rate(fault: &str) -> f64 {
    if fault == "skip" { 0.005 } else { 0.02 }
}

#[test]
fn gen_then_check_finds_exactly_the_injected_faults() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [7, 2024] {
        let truth = assert_gen_check_agree(dir.path(), "none", seed, "");
        assert!(truth.is_empty());
        for f in FAULTS {
            let fault = f.name();
            // The generator's own vocabulary agrees with this independent table.
            assert_eq!(f.anomaly().name(), fault_kind(fault), "{fault}");
            let spec = format!("{fault}={}", rate(fault));
            let truth = assert_gen_check_agree(dir.path(), fault, seed, &spec);
            assert!(!truth.is_empty(), "{fault}: nothing injected");
            let kinds: BTreeSet<&str> = truth.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(kinds, BTreeSet::from([fault_kind(fault)]), "{fault}");
        }
        let all: Vec<String> = FAULTS
            .iter()
            .filter(|f| f.name() != "skip")
            .map(|f| format!("{}={}", f.name(), rate(f.name())))
            .collect();
        let truth = assert_gen_check_agree(dir.path(), "all", seed, &all.join(","));
        let kinds: BTreeSet<&str> = truth.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kinds.len(),
            FAULTS.len() - 1,
            "all faults but skip injected: {kinds:?}"
        );
    }
}

#[test]
fn a_fault_only_the_other_generator_injects_is_refused_naming_the_supported_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.jsonl");
    for (args, fault, supported) in [
        (
            vec!["gen", "--events", "10", "--out", out.to_str().unwrap()],
            "slow",
            "dup, reorder, drop, poison, skew, conflict, orphan, cycle, gap, skip",
        ),
        (
            vec!["demo", "--headless", "--duration", "1s"],
            "orphan",
            "dup, reorder, drop, slow, stall, poison, skew, conflict",
        ),
    ] {
        let o = bin()
            .args(&args)
            .args(["--faults", &format!("{fault}=0.1")])
            .output()
            .unwrap();
        assert_eq!(code(&o), 2, "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("unknown fault '{fault}' (known: {supported})")),
            "{err}"
        );
    }
}

/// `check --format json` output with the input path replaced, for comparing two inputs.
fn normalized(path: &Path) -> (String, i32) {
    let o = bin()
        .arg("check")
        .arg(path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let text = stdout(&o).replace(&path.display().to_string(), "<input>");
    (text, code(&o))
}

#[test]
fn gzip_input_gives_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut expectation_files = 0;
    for entry in std::fs::read_dir(sample("x").parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".expected.jsonl") {
            expectation_files += 1;
            continue;
        }
        if !name.ends_with(".jsonl") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let plain = dir.path().join(&name);
        std::fs::write(&plain, &bytes).unwrap();
        let gz = dir.path().join(format!("{name}.gz"));
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(&bytes).unwrap();
        enc.finish().unwrap();
        assert_ne!(std::fs::read(&gz).unwrap(), bytes);
        let (a, ca) = normalized(&plain);
        let (b, cb) = normalized(&gz);
        assert_eq!(a, b, "{name}: plain and gzip differ");
        assert_eq!(ca, cb, "{name}");
        assert!(a.contains("\"summary\""));
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} sample traces");
    assert_eq!(compared, expectation_files, "every sample trace compared");

    // A generated trace written compressed by `gen` checks like its truth.
    let out = dir.path().join("gen.jsonl.gz");
    let truth = dir.path().join("gen.truth.jsonl");
    let want = run_gen(3000, 99, "dup=0.02,poison=0.03,gap=0.03", &out, &truth);
    assert_eq!(
        std::fs::read(&out).unwrap()[..2],
        [0x1f, 0x8b],
        "gzip output"
    );
    assert!(!want.is_empty());
    let (anomalies, summary, _) = check_json(&[&out], &[]);
    assert_eq!(summary["events"], 3000);
    assert_eq!(keys(&anomalies), want);
}

fn spans_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/spans")
        .join(name)
}

/// Records with only a traceparent (`tests/spans/shop.kcat.jsonl`: OrderPlaced, then under the
/// instrumentation's consumer span, in a new trace linked to it, PaymentProcessed,
/// InventoryReserved and an exact re-send of PaymentProcessed), and the same spans exported as
/// OTLP/JSON (collector file exporter, two lines) and as Jaeger JSON.
#[test]
fn spans_give_causation_and_one_flow_per_order() {
    let trace = spans_fixture("shop.kcat.jsonl");
    const T1: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let resent = "5cf92f3577b34da6a3ce929d0e0e4736-00000000000000e3";
    let dup = BTreeSet::from([("duplicate".to_string(), resent.to_string())]);
    // Without spans: one flow per trace, nothing missing, the re-send flagged by its content.
    let (anomalies, summary, _) = check_json(&[&trace], &[]);
    assert_eq!(summary["flows"], 2);
    assert_eq!(keys(&anomalies), dup);
    let msg = anomalies[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("same topic, key, value and headers as 5cf92f3577b34da6a3ce929d0e0e4736-00000000000000e2")
            && msg.contains("except trace context"),
        "{msg}"
    );
    for export in ["shop.otlp.jsonl", "shop.jaeger.json"] {
        let spans = spans_fixture(export);
        let spans = spans.to_str().unwrap();
        let (anomalies, summary, exit) = check_json(&[&trace], &["--spans", spans]);
        assert_eq!(summary["flows"], 1, "{export}");
        assert_eq!(summary["correlation_profiles"]["spans"], 4, "{export}");
        assert_eq!(keys(&anomalies), dup, "{export}");
        assert_eq!(exit, 0);
        let o = run(["events", "--spans", spans, trace.to_str().unwrap()]);
        assert_eq!(code(&o), 0);
        let evs: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let causes: Vec<Option<&str>> = evs.iter().map(|e| e["causationid"].as_str()).collect();
        let root = format!("{T1}-00000000000000b1");
        assert_eq!(
            causes,
            [None, Some(&*root), Some(&*root), Some(&*root)],
            "{export}"
        );
        assert!(evs.iter().all(|e| e["correlationid"] == T1));
        assert_eq!(evs[1]["profiles"]["causation"], "spans");
        assert_eq!(evs[0]["profiles"]["id"], "tracecontext");
    }
}

#[test]
fn a_bad_span_export_is_reported_and_the_rest_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad-spans.jsonl");
    let mut text = std::fs::read_to_string(spans_fixture("shop.otlp.jsonl")).unwrap();
    text.push_str("{\"data\":[{\"spans\":[{\"traceID\":\"zz\",\"spanID\":\"01\"}]}]}\n");
    std::fs::write(&bad, text).unwrap();
    let trace = spans_fixture("shop.kcat.jsonl");
    let (_, summary, exit) = check_json(&[&trace], &["--spans", bad.to_str().unwrap()]);
    assert_eq!(exit, 2, "an input error");
    assert_eq!(summary["flows"], 1, "the good spans were read");
    let errors = summary["io_errors"].to_string();
    assert!(
        errors.contains("bad-spans.jsonl line 3") && errors.contains("data[0].spans[0]"),
        "{errors}"
    );
    let o = run([
        "events",
        "--spans",
        bad.to_str().unwrap(),
        trace.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad-spans.jsonl line 3"));
    assert_eq!(stdout(&o).lines().count(), 4);
}
