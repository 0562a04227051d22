//! Flows depend only on which events arrived, never on their order: a generated trace, the same
//! trace with ~30% of the correlation ids removed from events whose cause is in the trace (they
//! must join their cause's flow), and that trace shuffled must all give the same flows.

#[path = "support/check.rs"]
mod check_support;

use eventscope::analysis::Engine;

use eventscope::ingest::generate::{Faults, generate};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

fn load(path: &Path) -> Engine {
    check_support::load(&[path], &[])
}

/// Flow key (its correlation id) -> the sorted ids of its events.
fn flows(engine: &Engine) -> BTreeMap<String, Vec<String>> {
    let st = &engine.store;
    let mut out = BTreeMap::new();
    for (_, flow) in engine.flows.iter() {
        let key = st.str(flow.key).to_string();
        assert!(flow.correlated, "flow {key} is keyed by a correlation id");
        let mut ids: Vec<String> = flow
            .events
            .iter()
            .map(|&e| {
                assert_eq!(engine.correlation_of(e), Some(key.as_str()));
                st.id_str(e).to_string()
            })
            .collect();
        ids.sort();
        assert!(
            out.insert(key.clone(), ids).is_none(),
            "two flows keyed {key}"
        );
    }
    out
}

struct Trace {
    header: String,
    events: Vec<String>,
}

fn generated(n: usize, seed: u64, faults: &Faults) -> Trace {
    let mut buf = Vec::new();
    generate(n, seed, faults, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let mut lines = text.lines().map(str::to_string);
    let header = lines.next().unwrap();
    assert!(header.contains("eventscope_trace"));
    Trace {
        header,
        events: lines.collect(),
    }
}

fn write(dir: &Path, name: &str, header: &str, events: &[String]) -> std::path::PathBuf {
    let p = dir.join(name);
    let mut text = String::with_capacity(events.iter().map(|e| e.len() + 1).sum());
    text.push_str(header);
    text.push('\n');
    for e in events {
        text.push_str(e);
        text.push('\n');
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// Removes the correlation id from ~30% of the events whose causation chain leads, through events
/// present in the trace, to a root (an event without a cause). Returns the new lines and how many
/// lost their correlation id.
fn strip_correlation(events: &[String], rng: &mut fastrand::Rng) -> (Vec<String>, usize) {
    let parsed: Vec<Value> = events
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cause_of: HashMap<&str, Option<&str>> = parsed
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v["causationid"].as_str()))
        .collect();
    let reaches_root = |v: &Value| -> bool {
        let mut cur = v["causationid"].as_str();
        let mut steps = 0;
        while let Some(c) = cur {
            match cause_of.get(c) {
                None => return false,
                Some(next) => cur = *next,
            }
            steps += 1;
            if steps > events.len() {
                return false;
            }
        }
        true
    };
    let mut stripped = 0;
    let out = parsed
        .iter()
        .zip(events)
        .map(|(v, line)| {
            if v["causationid"].is_string() && reaches_root(v) && rng.f64() < 0.3 {
                let mut v = v.clone();
                v.as_object_mut().unwrap().remove("correlationid");
                stripped += 1;
                v.to_string()
            } else {
                line.clone()
            }
        })
        .collect();
    (out, stripped)
}

fn check_order_independence(n: usize, seed: u64, faults: &Faults) {
    let trace = generated(n, seed, faults);
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
    let (stripped, count) = strip_correlation(&trace.events, &mut rng);
    let with_cause = trace
        .events
        .iter()
        .filter(|l| l.contains("\"causationid\""))
        .count();
    assert!(
        count as f64 > 0.2 * with_cause as f64 && (count as f64) < 0.4 * with_cause as f64,
        "stripped {count} of {with_cause}"
    );
    let mut shuffled = stripped.clone();
    rng.shuffle(&mut shuffled);
    assert_ne!(shuffled, stripped);

    let dir = tempfile::tempdir().unwrap();
    let load_as =
        |name: &str, events: &[String]| load(&write(dir.path(), name, &trace.header, events));
    let original = load_as("original.jsonl", &trace.events);
    let in_order = load_as("stripped.jsonl", &stripped);
    let mixed = load_as("shuffled.jsonl", &shuffled);
    for e in [&original, &in_order, &mixed] {
        assert_eq!(e.stats.events as usize, trace.events.len());
    }
    let no_corr = |e: &Engine| {
        e.store
            .records()
            .iter()
            .filter(|r| r.correlation.is_none())
            .count()
    };
    assert_eq!(no_corr(&original), 0);
    assert_eq!(no_corr(&mixed), count);

    let want = flows(&original);
    let corrs: std::collections::BTreeSet<String> = trace
        .events
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["correlationid"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(want.len(), corrs.len(), "one flow per correlation id");
    assert_eq!(original.flows.len(), want.len());
    assert_same_flows(seed, &in_order, &mixed, &want);
    if *faults == Faults::default() {
        // Removing correlation ids (in log order) raises nothing by itself.
        assert_eq!(original.anomalies.total(), 0);
        assert_eq!(in_order.anomalies.total(), 0);
    }
}

/// The stripped trace read in log order (`in_order`) and shuffled (`mixed`) give the flows of the
/// original.
fn assert_same_flows(
    seed: u64,
    in_order: &Engine,
    mixed: &Engine,
    want: &BTreeMap<String, Vec<String>>,
) {
    let got = flows(in_order);
    assert_eq!(
        &got, want,
        "seed {seed}: removing correlation ids changed the flows"
    );
    assert_eq!(in_order.flows.len(), want.len());
    let got = flows(mixed);
    assert_eq!(
        mixed.flows.len(),
        want.len(),
        "seed {seed}: live flow count"
    );
    if &got != want {
        let diff: Vec<_> = got
            .iter()
            .filter(|(k, v)| want.get(*k) != Some(v))
            .take(5)
            .collect();
        panic!(
            "seed {seed}: shuffling changed the flows ({} vs {}); e.g. {diff:?}",
            got.len(),
            want.len()
        );
    }
}

#[test]
fn flows_do_not_depend_on_arrival_order() {
    for seed in [1, 42, 4242] {
        check_order_independence(4000, seed, &Faults::default());
    }
}

#[test]
fn flows_do_not_depend_on_arrival_order_with_faults() {
    let faults: Faults = "dup=0.02,reorder=0.02,drop=0.02,poison=0.02,skew=0.02,conflict=0.02,orphan=0.02,cycle=0.02,gap=0.02"
        .parse()
        .unwrap();
    for seed in [3, 77] {
        check_order_independence(4000, seed, &faults);
    }
}
