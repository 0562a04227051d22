//! Flow variants through the real binary: `variants` on a trace of known shapes (exact counts,
//! shares, edges, durations; retries and duplicates fold), `diff` (text, JSON, exit codes), and
//! `unusual_flow` on `gen` output (none without faults, exactly the skipped-step flows with
//! `skip=0.005`); and a live session in which growing flows move between variants.

#[path = "support/check.rs"]
mod check_support;

use eventscope::ingest::demo::DemoOptions;
use eventscope::session::Session;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run eventscope")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json_lines(o: &Output) -> Vec<Value> {
    text(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One native-format event line at `ms` milliseconds after 2026-01-01T00:00:00Z.
fn line(out: &mut String, id: &str, ty: &str, corr: &str, cause: Option<&str>, ms: i64) {
    let t = 1_767_225_600_000 + ms;
    let time = chrono::DateTime::from_timestamp_millis(t)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let cause = cause.map_or(String::new(), |c| format!(",\"causationid\":\"{c}\""));
    writeln!(
        out,
        "{{\"id\":\"{id}\",\"type\":\"{ty}\",\"source\":\"svc\",\"time\":\"{time}\",\"correlationid\":\"{corr}\"{cause}}}"
    )
    .unwrap();
}

/// 400 OrderPlaced flows: 387 of the usual shape (8 with a retried payment that has its own
/// shipment, 7 with InventoryReserved delivered twice), 10 without InventoryReserved, 3 with a
/// RefundIssued after OrderShipped; and 50 CartAbandoned -> EmailSent flows; one flow a second.
fn known_shapes(dir: &Path) -> std::path::PathBuf {
    let mut out = String::new();
    for i in 0..400i64 {
        let (c, t) = (format!("c{i}"), i * 1000);
        let id = |s: &str| format!("{s}{i}");
        let mut step = |me: &str, ty: &str, cause: Option<&str>, dt: i64| {
            line(&mut out, &id(me), ty, &c, cause.map(id).as_deref(), t + dt);
        };
        step("pl", "OrderPlaced", None, 0);
        step("pa", "PaymentProcessed", Some("pl"), 10);
        step("sh", "OrderShipped", Some("pa"), 30);
        if i % 40 != 1 {
            step("re", "InventoryReserved", Some("pl"), 20);
        }
        if i % 60 == 3 {
            step("re", "InventoryReserved", Some("pl"), 20);
        }
        if [5, 205, 305].contains(&i) {
            step("rf", "RefundIssued", Some("sh"), 40);
        }
        if i % 50 == 2 {
            step("pa-r", "PaymentProcessed", Some("pl"), 15);
            step("sh-r", "OrderShipped", Some("pa-r"), 35);
        }
    }
    for i in 0..50i64 {
        let (c, t) = (format!("x{i}"), 500_000 + i * 1000);
        line(&mut out, &format!("ca{i}"), "CartAbandoned", &c, None, t);
        let ca = format!("ca{i}");
        line(
            &mut out,
            &format!("em{i}"),
            "EmailSent",
            &c,
            Some(&ca),
            t + 5,
        );
    }
    // Everything has been quiet for a minute at the end (flows count as complete only then).
    line(&mut out, "tick", "Tick", "t", None, 700_000);
    let p = dir.join("shapes.jsonl");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn variants_of_known_shapes_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let trace = known_shapes(dir.path());
    let o = run(&["variants", trace.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v = json_lines(&o);
    let e = |c: &str, f: &str| json!([c, f, 1]);
    let usual = vec![
        e("OrderPlaced", "InventoryReserved"),
        e("OrderPlaced", "PaymentProcessed"),
        e("PaymentProcessed", "OrderShipped"),
    ];
    let mut refund = usual.clone();
    refund.insert(2, e("OrderShipped", "RefundIssued"));
    let want = [
        (
            1,
            "OrderPlaced",
            usual,
            387,
            387.0 / 400.0,
            30.0,
            35.0,
            7,
            "c0",
        ),
        (
            2,
            "CartAbandoned",
            vec![e("CartAbandoned", "EmailSent")],
            50,
            1.0,
            5.0,
            5.0,
            0,
            "x0",
        ),
        (
            3,
            "OrderPlaced",
            vec![
                e("OrderPlaced", "PaymentProcessed"),
                e("PaymentProcessed", "OrderShipped"),
            ],
            10,
            10.0 / 400.0,
            30.0,
            30.0,
            0,
            "c1",
        ),
        (
            4,
            "OrderPlaced",
            refund,
            3,
            3.0 / 400.0,
            40.0,
            40.0,
            0,
            "c5",
        ),
        (5, "Tick", vec![], 1, 1.0, 0.0, 0.0, 0, "t"),
    ];
    assert_eq!(v.len(), want.len(), "{v:#?}");
    for (got, (n, root, edges, flows, share, p50, p99, anomalous, example)) in v.iter().zip(want) {
        let w = json!({
            "variant": n, "root_type": root, "edges": edges, "flows": flows,
            "p50_ms": p50, "p99_ms": p99, "anomalous_flows": anomalous,
            "example_correlation_id": example,
        });
        let mut g = got.clone();
        let got_share = g.as_object_mut().unwrap().remove("share").unwrap();
        assert!((got_share.as_f64().unwrap() - share).abs() < 1e-9, "{got}");
        assert_eq!(g, w);
    }
}

#[test]
fn unusual_flow_notes_and_the_text_report_of_known_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let trace = known_shapes(dir.path());
    // The three refund flows are under 1% of 400 complete OrderPlaced flows.
    let o = run(&["check", trace.to_str().unwrap(), "--format", "json"]);
    let notes: Vec<Value> = json_lines(&o)
        .into_iter()
        .filter(|a| a["kind"] == "unusual_flow")
        .collect();
    let ids: Vec<&str> = notes
        .iter()
        .map(|a| a["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pl5", "pl205", "pl305"]);
    assert_eq!(notes[0]["severity"], "note");
    assert_eq!(
        notes[0]["message"],
        "variant 4: 3 of 400 OrderPlaced flows; this one has RefundIssued after OrderShipped; \
         the usual variant has none"
    );
    let o = run(&[
        "check",
        trace.to_str().unwrap(),
        "--no-unusual",
        "--format",
        "json",
    ]);
    assert!(!text(&o).contains("\"kind\":\"unusual_flow\""));
    // Text: one block per variant, edges with hops and hop latency.
    let o = run(&["variants", trace.to_str().unwrap()]);
    let t = text(&o);
    assert!(t.starts_with("variant 1: 387 flows, 96.8% of OrderPlaced, duration p50 30 ms p99 35 ms, 7 anomalous, e.g. c0\n"), "{t}");
    let hops = format!(
        "  {:<24} -> {:<24} {:>9} hops  p50 {:>8}  p99 {:>8}\n",
        "OrderPlaced", "PaymentProcessed", 395, "10 ms", "15 ms"
    );
    assert!(t.contains(&hops), "{t}");
    assert!(t.ends_with("\n5 variants of 451 flows\n"), "{t}");
}

#[test]
fn diff_names_missing_extra_and_slow_steps() {
    let dir = tempfile::tempdir().unwrap();
    let trace = known_shapes(dir.path());
    let f = trace.to_str().unwrap();
    // Against the usual variant: c1 lacks InventoryReserved.
    let o = run(&["diff", f, "c1"]);
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        text(&o),
        "flow c1 (variant 3, 3 events) against variant 1 (the usual OrderPlaced variant, 387 flows)\n\
         missing  InventoryReserved after OrderPlaced\n"
    );
    // Flow against flow: c5 has a refund c0 has not; c0 against c4: nothing differs.
    let o = run(&["diff", f, "c5", "c0", "--format", "json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        json_lines(&o),
        [json!({
            "correlation_id": "c5", "against": {"correlation_id": "c0"},
            "missing": [], "extra": [["OrderShipped", "RefundIssued"]], "slow": [],
        })]
    );
    let o = run(&["diff", f, "c0", "c4"]);
    assert_eq!(code(&o), 0);
    assert!(text(&o).ends_with("no differences\n"));
    // A slow hop: a payment 2 s after its order (p99 over all flows: 15 ms, the retries').
    let mut slow = std::fs::read_to_string(&trace).unwrap();
    line(&mut slow, "pl-slow", "OrderPlaced", "slow", None, 600_000);
    line(
        &mut slow,
        "pa-slow",
        "PaymentProcessed",
        "slow",
        Some("pl-slow"),
        602_000,
    );
    line(
        &mut slow,
        "sh-slow",
        "OrderShipped",
        "slow",
        Some("pa-slow"),
        602_030,
    );
    line(
        &mut slow,
        "re-slow",
        "InventoryReserved",
        "slow",
        Some("pl-slow"),
        600_020,
    );
    let p = dir.path().join("slow.jsonl");
    std::fs::write(&p, slow).unwrap();
    let o = run(&["diff", p.to_str().unwrap(), "slow"]);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o).contains(
            "slow     PaymentProcessed after OrderPlaced: 2.0 s (p99 15 ms) at pa-slow\n"
        ),
        "{}",
        text(&o)
    );
    // Usage errors: exit 2 naming the problem.
    let o = run(&["diff", f, "nope"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no flow has the correlation id 'nope'"));
    assert_eq!(code(&run(&["variants", "/no/such/file.jsonl"])), 2);
}

/// `check --format json` on a generated trace: the event ids of its `unusual_flow` notes.
fn unusual_on_gen(dir: &Path, seed: u64, faults: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let out = dir.join(format!("gen-{seed}.jsonl"));
    let truth = dir.join(format!("gen-{seed}.truth.jsonl"));
    let o = bin()
        .args([
            "gen",
            "--events",
            "100000",
            "--seed",
            &seed.to_string(),
            "--faults",
            faults,
        ])
        .arg("--out")
        .arg(&out)
        .arg("--truth")
        .arg(&truth)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0);
    let want: BTreeSet<String> = std::fs::read_to_string(&truth)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "unusual_flow")
        .map(|v| v["event_id"].as_str().unwrap().to_string())
        .collect();
    let o = run(&["check", out.to_str().unwrap(), "--format", "json"]);
    let got: BTreeSet<String> = json_lines(&o)
        .into_iter()
        .filter(|a| a["kind"] == "unusual_flow")
        .map(|a| {
            let m = a["message"].as_str().unwrap();
            assert!(
                m.ends_with(" OrderPlaced flows; the usual variant has InventoryReserved after OrderPlaced; this one has none"),
                "{m}"
            );
            a["event_id"].as_str().unwrap().to_string()
        })
        .collect();
    (want, got)
}

#[test]
fn unusual_flow_finds_every_skipped_step_and_nothing_without_faults() {
    let dir = tempfile::tempdir().unwrap();
    let (want, got) = unusual_on_gen(dir.path(), 1, "");
    assert!(want.is_empty() && got.is_empty(), "fault-free: {got:?}");
    let (want, got) = unusual_on_gen(dir.path(), 2, "skip=0.005");
    assert!(want.len() > 40, "{} skipped steps injected", want.len());
    assert_eq!(got, want, "recall and precision 100%");
}

#[test]
fn growing_flows_move_between_variants_in_a_live_session() {
    let opts = DemoOptions {
        seed: 3,
        rate: 50.0,
        ..DemoOptions::default()
    };
    let mut s = Session::with_demo(opts, std::sync::Arc::new(|| {}));
    let mut seen: std::collections::HashMap<u32, Vec<u32>> = Default::default();
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(3) {
        s.drain(std::time::Duration::from_millis(10));
        let e = &s.engine;
        for (f, _) in e.flows.iter() {
            let v = e
                .variants
                .variant_of(f)
                .expect("every flow with events has a variant");
            let hist = seen.entry(f).or_default();
            if hist.last() != Some(&v) {
                hist.push(v);
            }
        }
        let held: usize = e.variants.all().iter().map(|v| v.flows()).sum();
        assert_eq!(held, e.flows.len(), "every flow in exactly one variant");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let moved = seen.values().filter(|h| h.len() >= 3).count();
    assert!(seen.len() > 50, "{} flows", seen.len());
    assert!(
        moved * 2 > seen.len(),
        "{moved} of {} flows moved at least twice",
        seen.len()
    );
}

/// `Engine::statuses` (every flow in one pass over the store, which the end of input uses to
/// judge every flow complete or not for the variants) gives each flow the status
/// `Engine::status` gives it from its own events: on every sample and on a generated trace with
/// every fault `gen` injects.
#[test]
fn every_flows_status_in_one_pass_is_its_own_status() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("gen.jsonl");
    let faults = "dup=0.02,reorder=0.05,drop=0.05,poison=0.05,skew=0.02,conflict=0.02,orphan=0.02,\
                  cycle=0.02,gap=0.05,skip=0.05";
    let mut out = std::io::BufWriter::new(std::fs::File::create(&generated).unwrap());
    eventscope::ingest::generate::generate(20_000, 9, &faults.parse().unwrap(), &mut out).unwrap();
    drop(out);
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    let mut traces: Vec<_> = std::fs::read_dir(&samples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_str()
                .is_some_and(|n| !n.ends_with(".expected.jsonl") && n.ends_with(".jsonl"))
        })
        .collect();
    traces.sort();
    traces.push(generated);
    let mut seen = BTreeSet::new();
    for trace in &traces {
        let engine = check_support::load(&[trace], &[]);
        let all = engine.statuses();
        for (f, _) in engine.flows.iter() {
            let one = engine.status(f);
            assert_eq!(all[f as usize], one, "flow {f} of {}", trace.display());
            seen.insert(one.name());
        }
    }
    assert_eq!(seen.len(), 4, "every status occurs: {seen:?}");
}
