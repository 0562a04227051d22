//! OpenTelemetry: PyPI `opentelemetry-instrumentation-confluent-kafka` (>= 0.66b1) with
//! `opentelemetry-sdk` traces a small shop whose records carry only a W3C `traceparent`; its
//! consumers use the instrumentation's default consumer span (a new trace linked to the record's
//! send span). `otel.py` exports the spans as OTLP/JSON (the collector file exporter's form) and
//! as Jaeger JSON.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

const TOPICS: [&str; 4] = ["orders", "payments", "shipping", "dispatch"];

fn kinds(anomalies: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in anomalies {
        out.entry(a["kind"].as_str().unwrap().to_string())
            .or_default()
            .push(a["event_id"].as_str().unwrap_or("").to_string());
    }
    out
}

#[test]
fn opentelemetry_traceparent_only_with_and_without_spans() {
    let b = Broker::start();
    let bs = b.bootstrap();
    for t in TOPICS {
        helper(&bs, &["create", t, "2"], "");
    }
    let dir = tempfile::tempdir().unwrap();
    let spans = dir.path().join("spans.jsonl");
    let jaeger = dir.path().join("jaeger.json");
    let args = [
        bs.as_str(),
        spans.to_str().unwrap(),
        jaeger.to_str().unwrap(),
    ];
    let out: Value = serde_json::from_str(&py("otel.py", &args)).unwrap();
    let produced = out["events"].as_array().unwrap();
    let resent = out["resent"].as_str().unwrap();
    // 8 orders x (OrderPlaced, PaymentProcessed, InventoryReserved, OrderConfirmed,
    // ShipmentCreated) and one exact re-send.
    assert_eq!(produced.len(), 41);
    let sent: Vec<(String, String)> = produced
        .iter()
        .filter_map(|e| Some((e["id"].as_str()?.into(), e["cause"].as_str()?.into())))
        .collect();
    assert_eq!(sent.len(), 33);
    let traces: BTreeSet<&str> = produced
        .iter()
        .map(|e| e["id"].as_str().unwrap().split('-').next().unwrap())
        .collect();

    let rec = dir.path().join("rec.jsonl");
    let live = record(&b, &TOPICS, &rec, 41);

    // Without spans: one flow per trace, ids from the trace context, causation unknown (no
    // orphan), the exact re-send flagged by content.
    let (anomalies, summary) = check(&rec, &[]);
    assert_replays_as_live(&live, &summary);
    assert_eq!(
        summary["summary"]["flows"].as_u64(),
        Some(traces.len() as u64)
    );
    let want = BTreeMap::from([("duplicate".to_string(), vec![resent.to_string()])]);
    assert_eq!(kinds(&anomalies), want, "{anomalies:?}");
    let dup = &anomalies[0]["message"].as_str().unwrap();
    assert!(
        dup.contains("same topic, key, value and headers as")
            && dup.contains("except trace context"),
        "{dup}"
    );
    let evs = events(&rec, &[]);
    assert_eq!(evs.len(), 41);
    // Ids are <trace id>-<send span id>; types from the value's `type`.
    let typed = |evs: &[Value]| -> BTreeSet<(String, String)> {
        evs.iter()
            .map(|e| {
                (
                    e["id"].as_str().unwrap().into(),
                    e["type"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(typed(&evs), typed(produced));
    for e in &evs {
        assert_eq!(e["profiles"]["id"], "tracecontext", "{e}");
        assert_eq!(e["profiles"]["correlation"], "tracecontext", "{e}");
        assert_eq!(e["profiles"]["causation"], "none", "{e}");
    }
    assert_eq!(links(&evs, &sent), (0, 0, 33));

    // With the spans (OTLP/JSON, then the same as Jaeger JSON): every link right, one flow per
    // order, the re-send still the only anomaly.
    for export in [&spans, &jaeger] {
        with_spans(&rec, export, &sent, &want);
    }
}

fn with_spans(
    rec: &Path,
    export: &Path,
    sent: &[(String, String)],
    want: &BTreeMap<String, Vec<String>>,
) {
    let spans_arg = ["--spans", export.to_str().unwrap()];
    let (anomalies, summary) = check(rec, &spans_arg);
    assert_eq!(summary["summary"]["flows"].as_u64(), Some(8), "{summary}");
    assert_eq!(&kinds(&anomalies), want, "{anomalies:?}");
    let evs = events(rec, &spans_arg);
    assert_eq!(links(&evs, sent), (33, 0, 0), "{export:?}");
    let roots: Vec<&Value> = evs.iter().filter(|e| e["causationid"].is_null()).collect();
    assert_eq!(roots.len(), 8);
    assert!(roots.iter().all(|e| e["type"] == "OrderPlaced"));
    let mut per_order: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &evs {
        assert_eq!(e["profiles"]["correlation"], "spans", "{e}");
        per_order
            .entry(e["key"].as_str().unwrap())
            .or_default()
            .insert(e["correlationid"].as_str().unwrap());
    }
    assert_eq!(per_order.len(), 8);
    assert!(per_order.values().all(|c| c.len() == 1), "{per_order:?}");
}
