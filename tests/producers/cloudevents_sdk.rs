//! The CloudEvents Python SDK (PyPI cloudevents, its Kafka binding's `to_binary` and
//! `to_structured`) with a per-source `sequence` as the Sequence extension defines it, spread
//! over 8 orders (subjects) and 3 partitions, written by `cloudevents_sdk.py`, recorded with
//! `record`: no false `sequence_gap` or `out_of_order`, the one injected lower sequence in its
//! partition still `out_of_order`, the flows and links as produced, and the recording replays as
//! the live session saw it.

use super::*;
use serde_json::Value;

fn run(mode: &str) {
    let b = Broker::start();
    let topic = format!("shop-ce-{mode}");
    let sent: Value =
        serde_json::from_str(py("cloudevents_sdk.py", &[&b.bootstrap(), mode, &topic]).trim())
            .unwrap();
    let records = sent["records"].as_u64().unwrap();
    assert_eq!(records, 49);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let live = record(&b, &[&topic], &out, records);
    let (anomalies, summary) = check(&out, &[]);
    assert_replays_as_live(&live, &summary);

    // Exactly one anomaly: the injected lower sequence, judged within its partition and source.
    let injected = sent["injected"].as_str().unwrap();
    let found: Vec<(&str, &str)> = anomalies
        .iter()
        .map(|a| (a["kind"].as_str().unwrap(), a["event_id"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("out_of_order", injected)], "{mode}: {anomalies:?}");
    let msg = anomalies[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("sequence 5 after ") && msg.contains("for source /shop/orders"),
        "{mode}: {msg}"
    );
    // Evidence from one partition's offsets, e.g. "(shop-ce-binary/2 offsets 17 > 16)".
    assert!(
        msg.contains(&format!("({topic}/")) && msg.contains(" offsets "),
        "same partition: {msg}"
    );
    eprintln!("{mode}: {msg}");
    let by_kind: Vec<_> = (summary["summary"]["by_kind"].as_object().unwrap().iter())
        .filter(|(_, n)| n.as_u64() != Some(0))
        .collect();
    assert_eq!(by_kind, [(&"out_of_order".to_string(), &Value::from(1))]);

    // Flows and links as produced; every event's sequence and subject from the SDK's attributes.
    assert_eq!(summary["summary"]["flows"].as_u64(), sent["flows"].as_u64());
    let evs = events(&out, &[]);
    assert_eq!(evs.len() as u64, records);
    let links: Vec<(String, String)> = (sent["links"].as_array().unwrap().iter())
        .map(|l| (l[0].as_str().unwrap().into(), l[1].as_str().unwrap().into()))
        .collect();
    assert_eq!(links.len(), 41);
    assert_eq!(super::links(&evs, &links), (41, 0, 0), "{mode}");
    for e in &evs {
        assert!(
            e["sequence"].is_number() || e["sequence"].is_string(),
            "{e}"
        );
        assert!(e["subject"].as_str().unwrap().starts_with("ord-"), "{e}");
        assert_eq!(e["correlationid"], e["subject"], "{e}");
    }
}

#[test]
fn cloudevents_sdk_binary_mode_per_source_sequence() {
    run("binary");
}

#[test]
fn cloudevents_sdk_structured_mode_per_source_sequence() {
    run("structured");
}
