//! The sample traces in `sample-traces/`: each `NAME.jsonl` must give exactly the anomalies listed
//! in `NAME.expected.jsonl`, and the format samples must load with the right ids from the right
//! correlation profile.

#[path = "support/check.rs"]
mod check_support;

use check_support::load;
use eventscope::analysis::{AnomalyKind, Engine, FlowStatus, REGISTRY};
use eventscope::cli::check::{anomaly_json, sorted_anomalies};
use eventscope::model::{Profile, TsType};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The samples that are not named after an anomaly kind.
const OTHER_SAMPLES: [&str; 6] = [
    "ecommerce-clean",
    "kcat-sample",
    "cloudevents-sample",
    "nservicebus-sample",
    "malformed",
    "recording-sample",
];

/// One sample per anomaly kind plus the others.
const SAMPLE_COUNT: usize = REGISTRY.len() + OTHER_SAMPLES.len();

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces")
}

fn sample(name: &str) -> PathBuf {
    samples_dir().join(format!("{name}.jsonl"))
}

/// (kind, event id, input line for `undecodable`)
type Key = (String, Option<String>, Option<u64>);

fn line_of(location: &str) -> u64 {
    let (_, line) = location
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("location '{location}' has no ':line'"));
    line.parse()
        .unwrap_or_else(|_| panic!("location '{location}' does not end in a line number"))
}

fn reported(engine: &Engine) -> Vec<Key> {
    let mut keys: Vec<Key> = sorted_anomalies(engine)
        .into_iter()
        .map(|a| {
            let v = anomaly_json(engine, a);
            let kind = v["kind"].as_str().expect("kind is a string").to_string();
            let id = v["event_id"].as_str().map(str::to_string);
            let line = (kind == "undecodable").then(|| {
                line_of(
                    v["location"]
                        .as_str()
                        .expect("undecodable anomalies have a location"),
                )
            });
            (kind, id, line)
        })
        .collect();
    keys.sort();
    keys
}

fn expected(path: &Path) -> Vec<Key> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut keys: Vec<Key> =
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let where_ = format!("{}:{}", path.display(), i + 1);
                let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{where_}: {e}"));
                let kind = v["kind"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{where_}: no \"kind\""));
                assert!(
                    AnomalyKind::from_name(kind).is_some(),
                    "{where_}: unknown kind {kind}"
                );
                let id = match v.get("event_id") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Null) => None,
                    _ => panic!("{where_}: \"event_id\" must be a string or null"),
                };
                let line =
                    if kind == "undecodable" {
                        Some(v["line"].as_u64().unwrap_or_else(|| {
                            panic!("{where_}: undecodable entries need \"line\"")
                        }))
                    } else {
                        assert!(id.is_some(), "{where_}: {kind} always names an event");
                        None
                    };
                (kind.to_string(), id, line)
            })
            .collect();
    keys.sort();
    keys
}

/// Multiset difference `a - b`.
fn minus(a: &[Key], b: &[Key]) -> Vec<Key> {
    let mut left: Vec<Key> = b.to_vec();
    a.iter()
        .filter(|k| match left.iter().position(|x| x == *k) {
            Some(i) => {
                left.remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

fn expectation_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("sample-traces/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".expected.jsonl"))
        })
        .collect();
    files.sort();
    files
}

fn stem(expectation: &Path) -> String {
    let name = expectation.file_name().unwrap().to_str().unwrap();
    name.strip_suffix(".expected.jsonl").unwrap().to_string()
}

#[test]
fn every_sample_gives_exactly_its_expected_anomalies() {
    let files = expectation_files();
    assert_eq!(
        files.len(),
        SAMPLE_COUNT,
        "expected {SAMPLE_COUNT} expectation files, found {files:?}"
    );
    let stems: BTreeSet<String> = files.iter().map(|f| stem(f)).collect();
    let wanted: BTreeSet<String> = REGISTRY
        .iter()
        .map(|k| k.name.to_string())
        .chain(OTHER_SAMPLES.iter().map(|s| s.to_string()))
        .collect();
    assert_eq!(stems, wanted, "one sample per anomaly kind plus the others");

    let mut failures = Vec::new();
    let mut checked = 0;
    for exp_path in &files {
        let name = stem(exp_path);
        let trace = sample(&name);
        assert!(
            trace.exists(),
            "{} has no trace {}",
            exp_path.display(),
            trace.display()
        );
        let want = expected(exp_path);
        if let Some(kind) = AnomalyKind::from_name(&name) {
            assert!(
                !want.is_empty() && want.iter().all(|k| k.0 == kind.name()),
                "{name}.expected.jsonl must list only (and at least one) {name} anomalies"
            );
        }
        let engine = load(&[&trace], &[]);
        let got = reported(&engine);
        assert_eq!(engine.anomalies.total(), got.len());
        if got != want {
            failures.push(format!(
                "{name}: missing {:?}; unexpected {:?}",
                minus(&want, &got),
                minus(&got, &want)
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, SAMPLE_COUNT);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_trace_has_an_expectation_file() {
    for entry in std::fs::read_dir(samples_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if let Some(stem) = name.strip_suffix(".jsonl") {
            if stem.ends_with(".expected") {
                continue;
            }
            assert!(
                samples_dir()
                    .join(format!("{stem}.expected.jsonl"))
                    .exists(),
                "{name} has no expectation file"
            );
        }
    }
}

/// The non-blank lines of a file, as JSON objects (the file must be clean JSON Lines).
fn json_lines(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str(l).unwrap() {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

#[test]
fn clean_sample_is_a_realistic_complete_trace() {
    let path = sample("ecommerce-clean");
    let lines = json_lines(&path);
    assert!(lines[0].contains_key("eventscope_trace"));
    let events = &lines[1..];
    assert!((40..=80).contains(&events.len()), "{} events", events.len());
    let engine = load(&[&path], &[]);
    assert_eq!(engine.stats.events as usize, events.len());
    assert_eq!(engine.anomalies.total(), 0);
    assert_eq!(engine.stats.undecodable, 0);

    let ids: Vec<&str> = events.iter().map(|e| s(&e["id"])).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "ids are unique");
    let corrs: BTreeSet<&str> = events.iter().map(|e| s(&e["correlationid"])).collect();
    assert!(corrs.len() >= 5, "several orders");
    assert_eq!(engine.flows.len(), corrs.len());

    let st = &engine.store;
    for (i, r) in st.records().iter().enumerate() {
        let i = i as u32;
        assert_eq!(st.id_str(i), ids[i as usize]);
        let what = format!("event {} ({})", st.id_str(i), st.str(r.event_type));
        assert!(r.source.is_some(), "{what}: source");
        assert!(r.time().is_some(), "{what}: time");
        assert!(r.correlation.is_some(), "{what}: correlation");
        assert!(
            r.subject.is_some() && r.key.is_some(),
            "{what}: subject/key"
        );
        assert!(r.topic.is_some() && r.partition().is_some() && r.offset().is_some());
        assert!(
            r.broker_ts().is_some() && r.observed_at().is_some(),
            "{what}: ts"
        );
        assert_eq!(r.ts_type(), TsType::Create);
        assert_ne!(
            r.sequence(),
            eventscope::store::Seq::None,
            "{what}: sequence"
        );
        assert_eq!(r.provenance().id, Profile::Native);
        assert_eq!(r.provenance().correlation, Profile::Native);
        if let Some(c) = r.causation {
            let parent = st.first_with_id(c).expect("every cause is in the trace");
            assert!(st.get(parent).time() <= r.time(), "{what}: after its cause");
            assert_eq!(st.get(parent).correlation, r.correlation, "{what}");
        }
        for field in ["headers", "datacontenttype", "data", "ts", "tstype"] {
            assert!(events[i as usize].contains_key(field), "{what}: {field}");
        }
    }
    let roots = st
        .records()
        .iter()
        .filter(|r| r.causation.is_none())
        .count();
    assert_eq!(roots, corrs.len(), "one root per order");
    let statuses: Vec<FlowStatus> = engine.flows.iter().map(|(f, _)| engine.status(f)).collect();
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s, FlowStatus::Complete | FlowStatus::Failed)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&FlowStatus::Complete));
}

/// Header values of a kcat line (`["k","v",...]`), first occurrence wins.
fn kcat_headers(line: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let hs = line["headers"].as_array().expect("headers array");
    for kv in hs.chunks(2) {
        out.entry(s(&kv[0]).to_string())
            .or_insert_with(|| s(&kv[1]).to_string());
    }
    out
}

/// What the test expects of each event, read from the raw file independently of the decoders.
struct Want {
    id: String,
    ty: String,
    source: String,
    correlation: String,
    causation: Option<String>,
}

fn check_format_sample(name: &str, profile: Profile, wants: &[Want], with_seq: bool) {
    let path = sample(name);
    let engine = load(&[&path], &[]);
    let st = &engine.store;
    assert_eq!(engine.stats.events as usize, wants.len(), "{name}: events");
    assert_eq!(engine.stats.undecodable, 0, "{name}");
    assert_eq!(engine.anomalies.total(), 0, "{name}");
    assert_eq!(
        engine.stats.correlation_profiles,
        vec![(profile, wants.len() as u64)],
        "{name}: correlation ids come from {}",
        profile.name()
    );
    let corrs: BTreeSet<&str> = wants.iter().map(|w| w.correlation.as_str()).collect();
    assert_eq!(engine.flows.len(), corrs.len(), "{name}: flows");
    for (i, w) in wants.iter().enumerate() {
        let i = i as u32;
        let r = st.get(i);
        let what = format!("{name} event {}", w.id);
        assert_eq!(st.id_str(i), w.id, "{what}");
        assert_eq!(st.str(r.event_type), w.ty, "{what}");
        assert_eq!(st.opt_str(r.source), Some(w.source.as_str()), "{what}");
        assert_eq!(engine.correlation_of(i), Some(w.correlation.as_str()));
        assert_eq!(st.opt_str(r.causation), w.causation.as_deref(), "{what}");
        assert!(r.time().is_some(), "{what}: time");
        let p = r.provenance();
        assert_eq!(p.id, profile, "{what}: id profile");
        assert_eq!(p.correlation, profile, "{what}: correlation profile");
        let cause_profile = if w.causation.is_some() {
            profile
        } else {
            Profile::None
        };
        assert_eq!(p.causation, cause_profile, "{what}: causation profile");
        if with_seq {
            assert_eq!(p.sequence, profile, "{what}: sequence profile");
            assert_eq!(p.subject, profile, "{what}: subject profile");
        }
        if let Some(c) = r.causation {
            let parent = st.first_with_id(c).expect("cause present");
            assert_eq!(engine.flows.flow_of(parent), engine.flows.flow_of(i));
        }
    }

    // The same trace with its last event delivered twice: the duplicate's JSON names the profiles.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(format!("{name}.jsonl"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    let last = text
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap()
        .to_string();
    text.push_str(&last);
    text.push('\n');
    std::fs::write(&copy, text).unwrap();
    let engine = load(&[&copy], &[]);
    let dups: Vec<Value> = sorted_anomalies(&engine)
        .into_iter()
        .map(|a| anomaly_json(&engine, a))
        .collect();
    assert_eq!(dups.len(), 1, "{name}: {dups:?}");
    let d = &dups[0];
    assert_eq!(d["kind"], "duplicate");
    assert_eq!(d["event_id"], wants.last().unwrap().id.as_str());
    assert_eq!(
        d["correlation_id"],
        wants.last().unwrap().correlation.as_str()
    );
    assert_eq!(d["profiles"]["id"], profile.name(), "{name}: {d}");
    assert_eq!(d["profiles"]["correlation"], profile.name(), "{name}: {d}");
}

#[test]
fn kcat_sample_ids_come_from_cloudevents_binary_headers() {
    let lines = json_lines(&sample("kcat-sample"));
    assert!(lines.len() >= 8);
    let wants: Vec<Want> = lines
        .iter()
        .map(|l| {
            assert!(l.contains_key("payload") && l.contains_key("broker"));
            let h = kcat_headers(l);
            Want {
                id: h["ce_id"].clone(),
                ty: h["ce_type"].clone(),
                source: h["ce_source"].clone(),
                correlation: h["ce_correlationid"].clone(),
                causation: h.get("ce_causationid").cloned(),
            }
        })
        .collect();
    assert!(wants.iter().any(|w| w.causation.is_some()));
    check_format_sample("kcat-sample", Profile::CloudEventsBinary, &wants, true);
}

#[test]
fn cloudevents_sample_ids_come_from_structured_attributes() {
    let lines = json_lines(&sample("cloudevents-sample"));
    assert!(lines.len() >= 6);
    let wants: Vec<Want> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["specversion"], "1.0");
            Want {
                id: s(&l["id"]).into(),
                ty: s(&l["type"]).into(),
                source: s(&l["source"]).into(),
                correlation: s(&l["correlationid"]).into(),
                causation: l.get("causationid").map(|c| s(c).to_string()),
            }
        })
        .collect();
    assert!(wants.iter().any(|w| w.causation.is_some()));
    check_format_sample("cloudevents-sample", Profile::CloudEvents, &wants, true);
}

#[test]
fn nservicebus_sample_ids_come_from_nservicebus_headers() {
    let lines = json_lines(&sample("nservicebus-sample"));
    assert!(lines.len() >= 8);
    let wants: Vec<Want> = lines
        .iter()
        .map(|l| {
            let h = kcat_headers(l);
            // "Shop.Messages.Events.OrderPlaced, Shop.Messages, Version=..." -> "OrderPlaced"
            let full = h["NServiceBus.EnclosedMessageTypes"]
                .split(',')
                .next()
                .unwrap();
            Want {
                id: h["NServiceBus.MessageId"].clone(),
                ty: full.rsplit('.').next().unwrap().trim().to_string(),
                source: h["NServiceBus.OriginatingEndpoint"].clone(),
                correlation: h["NServiceBus.ConversationId"].clone(),
                causation: h.get("NServiceBus.RelatedTo").cloned(),
            }
        })
        .collect();
    assert!(wants.iter().any(|w| w.causation.is_some()));
    check_format_sample("nservicebus-sample", Profile::NServiceBus, &wants, false);
}

/// The recording sample: the kcat sample's records as `record` writes them (trace format version
/// 2) plus an Avro one; they load as the kcat lines do, through the same decoder and profiles.
#[test]
fn recording_sample_loads_as_its_records_did() {
    let rec = load(&[&sample("recording-sample")], &[]);
    let kcat = load(&[&sample("kcat-sample")], &[]);
    let (r, k, n) = (&rec.store, &kcat.store, kcat.store.len() as u32);
    assert_eq!(r.len() as u32, n + 1, "one record more: the Avro one");
    for i in 0..n {
        let (a, b) = (r.get(i), k.get(i));
        assert_eq!(r.id_str(i), k.id_str(i));
        assert_eq!(r.str(a.event_type), k.str(b.event_type));
        assert_eq!(r.opt_str(a.causation), k.opt_str(b.causation));
        assert_eq!(rec.correlation_of(i), kcat.correlation_of(i));
        assert_eq!(
            (a.provenance(), a.time(), a.ts_type()),
            (b.provenance(), b.time(), b.ts_type())
        );
    }
    assert_eq!(
        (r.id_str(n), r.get(n).provenance().id),
        ("orders-avro/0@0", Profile::Transport)
    );
    let a = anomaly_json(&rec, sorted_anomalies(&rec)[0]);
    let message = a["message"].as_str().unwrap();
    let want = "orders-avro/0@0: Confluent wire format, schema id 7: no schema (18 bytes)";
    assert!(message.contains(want), "{message}");
}

#[test]
fn malformed_sample_reports_each_bad_line_and_keeps_the_good_ones() {
    let path = sample("malformed");
    let bytes = std::fs::read(&path).unwrap();
    // The sample really has what it claims to have.
    assert_ne!(bytes.last(), Some(&b'\n'), "last line ends without newline");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    assert!(
        lines.iter().any(|l| std::str::from_utf8(l).is_err()),
        "invalid UTF-8"
    );
    assert!(lines.iter().any(|l| l.contains(&0)), "NUL bytes");
    assert!(lines.iter().any(|l| l.ends_with(b"\r")), "a CRLF line");

    // Good lines (by an independent reading): JSON objects with an "id" and a "type".
    let mut good_ids = Vec::new();
    let mut bad_lines = Vec::new();
    let mut missing_id = false;
    for (i, raw) in lines.iter().enumerate() {
        let line_no = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.trim_ascii().is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(raw) {
            Ok(Value::Object(m)) if m.contains_key("eventscope_trace") => {}
            Ok(Value::Object(m)) if m.contains_key("id") && m.contains_key("type") => {
                good_ids.push(s(&m["id"]).to_string())
            }
            Ok(Value::Object(m)) => {
                missing_id |= !m.contains_key("id");
                bad_lines.push(line_no)
            }
            _ => bad_lines.push(line_no),
        }
    }
    assert!(missing_id, "a line without id");
    assert!(good_ids.len() >= 3 && bad_lines.len() >= 6);
    assert_eq!(
        *bad_lines.last().unwrap(),
        lines.len() as u64,
        "the truncated last line"
    );

    for threads in ["1", "2"] {
        let engine = load(&[&path], &["--threads", threads]);
        let st = &engine.store;
        let ids: Vec<&str> = (0..st.len() as u32).map(|i| st.id_str(i)).collect();
        assert_eq!(ids, good_ids, "all good lines are loaded, in order");
        assert_eq!(engine.stats.undecodable as usize, bad_lines.len());
        let mut reported = Vec::new();
        for a in sorted_anomalies(&engine) {
            let v = anomaly_json(&engine, a);
            assert_eq!(v["kind"], "undecodable", "{v}");
            assert_eq!(v["event_id"], Value::Null, "{v}");
            let loc = s(&v["location"]);
            assert!(loc.starts_with(&path.display().to_string()), "{loc}");
            assert!(s(&v["message"]).starts_with(loc), "{v}");
            reported.push(line_of(loc));
        }
        reported.sort();
        assert_eq!(reported, bad_lines, "each bad line reported by its number");
    }
}

#[test]
fn stuck_sample_depends_on_the_timeout() {
    // With a timeout longer than the trace, nothing is stuck; declaring the follow-up type
    // expected makes the childless ShipmentCreated events stuck too.
    let path = sample("stuck");
    let engine = load(&[&path], &["--stuck-after", "10m"]);
    assert_eq!(engine.anomalies.total(), 0);
    let engine = load(&[&path], &["--expect", "ShipmentCreated"]);
    let st = &engine.store;
    let max = engine.stats.max_time.unwrap();
    let mut want: Vec<String> = st
        .records()
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let ty = st.str(r.event_type);
            (ty == "ShipmentCreated" || ty == "OrderConfirmed")
                && !st.has_children(r.id)
                && max - r.time().unwrap() > 30_000_000_000
        })
        .map(|(i, _)| st.id_str(i as u32).to_string())
        .collect();
    want.sort();
    assert!(want.len() >= 3);
    let mut got: Vec<String> = sorted_anomalies(&engine)
        .into_iter()
        .map(|a| {
            assert_eq!(a.kind, AnomalyKind::Stuck);
            st.id_str(a.event.unwrap()).to_string()
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
}
