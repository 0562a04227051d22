//! Framework wire formats (MassTransit, Axon, Spring Kafka, NServiceBus) written by
//! `frameworks.py` with confluent-kafka, recorded with `record`, read back with `check`/`events`:
//! flows, causation links against what the script sent, types, the exact anomaly set, and (once
//! recordings replay through the live decoders) the profiles and the live summary.

use super::*;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// What `frameworks.py` says it sent.
struct Sent {
    records: u64,
    flows: u64,
    links: Vec<(String, String)>,
    types: HashMap<String, String>,
    duplicate: String,
    dead_letter: Option<String>,
    position: Option<(i64, i64)>,
}

fn parse_sent(text: &str) -> Sent {
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    let s = |v: &Value| v.as_str().unwrap().to_string();
    Sent {
        records: v["records"].as_u64().unwrap(),
        flows: v["flows"].as_u64().unwrap(),
        links: (v["links"].as_array().unwrap().iter())
            .map(|l| (s(&l[0]), s(&l[1])))
            .collect(),
        types: (v["types"].as_object().unwrap().iter())
            .map(|(k, t)| (k.clone(), s(t)))
            .collect(),
        duplicate: s(&v["duplicate"]),
        dead_letter: v["dead_letter"].as_str().map(str::to_string),
        position: v["dead_letter_position"]
            .as_array()
            .map(|p| (p[0].as_i64().unwrap(), p[1].as_i64().unwrap())),
    }
}

/// What one framework's run gave.
struct Run {
    sent: Sent,
    live: Value,
    anomalies: Vec<Value>,
    summary: Value,
    events: Vec<Value>,
    /// Whether the recording keeps the records as they came (trace format version 2), so that
    /// `check` runs the live decoders and profiles on it. Version 1 recordings store the resolved
    /// fields as explicit ones (profile `native`).
    lossless: bool,
}

fn run(framework: &str) -> Run {
    let b = Broker::start();
    let topic = format!("shop-{framework}");
    let sent = parse_sent(&py("frameworks.py", &[&b.bootstrap(), framework, &topic]));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let dlt = format!("{topic}.DLT");
    let mut topics = vec![topic.as_str()];
    if sent.dead_letter.is_some() {
        topics.push(&dlt);
    }
    let live = record(&b, &topics, &out, sent.records);
    let head = std::fs::read_to_string(&out).unwrap();
    let first: Value = serde_json::from_str(head.lines().next().unwrap()).unwrap();
    let lossless = first["eventscope_trace"].as_u64() >= Some(2);
    assert!(
        lossless,
        "recordings keep the records as they came (version 2): {first}"
    );
    let (anomalies, summary) = check(&out, &[]);
    let events = events(&out, &[]);
    Run {
        sent,
        live,
        anomalies,
        summary,
        events,
        lossless,
    }
}

fn kinds_and_ids(anomalies: &[Value]) -> BTreeSet<(String, String)> {
    anomalies
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (s("kind"), s("event_id"))
        })
        .collect()
}

/// Flows, types, links, the exact anomaly set and the summary by kind, live and replayed.
fn assert_run(r: &Run, links: (usize, usize, usize), exact_now: bool) {
    let live = &r.live["summary"];
    assert_eq!(
        live["flows"].as_u64(),
        Some(r.sent.flows),
        "live flows: {live}"
    );
    assert_eq!(r.summary["summary"]["flows"].as_u64(), Some(r.sent.flows));
    assert_eq!(r.events.len() as u64, r.sent.records);
    for e in &r.events {
        let id = e["id"].as_str().unwrap();
        assert_eq!(
            e["type"].as_str(),
            r.sent.types.get(id).map(String::as_str),
            "type of {e}"
        );
    }
    assert_eq!(super::links(&r.events, &r.sent.links), links);
    let mut want = BTreeSet::from([("duplicate".to_string(), r.sent.duplicate.clone())]);
    let mut by_kind = json!({"duplicate": 1});
    if let Some(d) = &r.sent.dead_letter {
        want.insert(("dead_letter".to_string(), d.clone()));
        by_kind["dead_letter"] = json!(1);
    }
    for (kind, n) in live["by_kind"].as_object().unwrap() {
        assert_eq!(
            n,
            by_kind.get(kind).unwrap_or(&json!(0)),
            "live {kind}: {live}"
        );
    }
    if exact_now || r.lossless {
        assert_eq!(kinds_and_ids(&r.anomalies), want, "{:#?}", r.anomalies);
    }
    if r.lossless {
        assert_replays_as_live(&r.live, &r.summary);
    }
}

/// The profiles `events` names for the first event, once recordings replay the live decoders.
fn assert_profiles(r: &Run, want: Value) {
    if r.lossless {
        assert_eq!(r.events[0]["profiles"], want, "{}", r.events[0]);
    }
}

#[test]
fn masstransit_envelope_conversation_is_the_flow_and_initiator_no_cause() {
    let r = run("masstransit");
    // InitiatorId is the saga's CorrelationId: no link at all rather than 40 wrong ones.
    assert_run(&r, (0, 0, 40), true);
    assert_eq!(
        r.live["summary"]["correlation_profiles"],
        json!({"masstransit": 49})
    );
    // The source is the endpoint of `sourceAddress`.
    for e in &r.events {
        let service = match e["type"].as_str().unwrap() {
            "OrderPlaced" | "OrderConfirmed" => "order-service",
            "PaymentProcessed" => "payment-service",
            "InventoryReserved" => "inventory-service",
            _ => "shipping-service",
        };
        assert_eq!(e["source"], service, "{e}");
    }
    assert_profiles(
        &r,
        json!({"id": "masstransit", "type": "masstransit", "correlation": "masstransit",
               "causation": "none", "sequence": "none", "subject": "none"}),
    );
}

#[test]
fn axon_kafka_headers_stitch_and_a_command_is_an_external_trigger() {
    let r = run("axon");
    // A version 1 recording stores Axon's causes as native fields: their external-trigger
    // profile is only kept once recordings replay the live decoders.
    assert_run(&r, (40, 0, 0), false);
    assert_eq!(
        r.live["summary"]["correlation_profiles"],
        json!({"axon": 49})
    );
    assert_profiles(
        &r,
        json!({"id": "axon", "type": "axon", "correlation": "axon", "causation": "axon",
               "sequence": "axon", "subject": "axon"}),
    );
    // The roots name the PlaceOrder command, the flow's trace id, which never reaches Kafka.
    for e in r.events.iter().filter(|e| e["type"] == "OrderPlaced") {
        assert_eq!(e["causationid"], e["correlationid"], "{e}");
    }
    // Per-aggregate sequence from the binary `axon-message-aggregate-seq`.
    let seqs: Vec<_> = (r.events.iter())
        .filter(|e| e["subject"] == "ord-1001")
        .map(|e| e["sequence"].clone())
        .collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5].map(|n| json!(n)));
}

#[test]
fn spring_type_header_and_binary_dead_letter_headers() {
    let r = run("spring");
    assert_run(&r, (40, 0, 0), true);
    assert_eq!(
        r.live["summary"]["correlation_profiles"],
        json!({"common": 51})
    );
    assert_profiles(
        &r,
        json!({"id": "common", "type": "spring", "correlation": "common", "causation": "none",
               "sequence": "none", "subject": "none"}),
    );
    if r.lossless {
        let dl = r
            .anomalies
            .iter()
            .find(|a| a["kind"] == "dead_letter")
            .unwrap();
        let (p, o) = r.sent.position.unwrap();
        let msg = dl["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!("original partition {p}, offset {o}, timestamp ")),
            "{msg}"
        );
    }
}

#[test]
fn nservicebus_headers_and_enclosed_message_types() {
    let r = run("nservicebus");
    assert_run(&r, (40, 0, 0), true);
    assert_eq!(
        r.live["summary"]["correlation_profiles"],
        json!({"nservicebus": 49})
    );
    assert_profiles(
        &r,
        json!({"id": "nservicebus", "type": "nservicebus", "correlation": "nservicebus",
               "causation": "none", "sequence": "none", "subject": "none"}),
    );
}
