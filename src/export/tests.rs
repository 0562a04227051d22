use super::*;
use crate::analysis::testkit::{EvExt, ev, found, run};
use crate::decode::{Format as In, LineDecoder, LineOutcome, ProfileConfig};
use serde_json::Value;

/// corr-A: a1 -> (a2 -> a4, a3); corr-B: b1 and its duplicate; x1: an orphan without
/// correlation (its missing cause "ghost" keys its flow).
fn engine() -> Engine {
    run(vec![
        ev("a1", "OrderPlaced", "orders", 0)
            .corr("corr-A")
            .at("orders", 0, 1)
            .seq("order-1", 1),
        ev("a2", "PaymentProcessed", "payments", 0)
            .corr("corr-A")
            .cause("a1")
            .millis(50),
        ev("a3", "InventoryReserved", "inventory", 0)
            .corr("corr-A")
            .cause("a1")
            .millis(60),
        ev("a4", "OrderConfirmed", "orders", 0)
            .corr("corr-A")
            .cause("a2")
            .millis(90),
        ev("b1", "OrderPlaced", "orders", 1).corr("corr-B").data(7),
        ev("b1", "OrderPlaced", "orders", 1).corr("corr-B").data(7),
        ev("x1", "Shipped", "shipping", 2).cause("ghost"),
    ])
}

fn text(e: &Engine, sel: &Selection, f: Format) -> String {
    let mut out = Vec::new();
    write(e, sel, f, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn one(e: &Engine, key: &str) -> Selection {
    Selection::by_key(e, &[key.to_string()]).unwrap()
}

fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

#[test]
fn otlp_spans_follow_causation() {
    let e = engine();
    let doc: Value = serde_json::from_str(&text(&e, &Selection::all(&e), Format::Otlp)).unwrap();
    let mut spans = Vec::new();
    for rs in doc["resourceSpans"].as_array().unwrap() {
        let service = rs["resource"]["attributes"][0]["value"]["stringValue"].clone();
        for s in rs["scopeSpans"][0]["spans"].as_array().unwrap() {
            spans.push((service.clone(), s.clone()));
        }
    }
    assert_eq!(spans.len(), 7, "a span per event");
    let by_span: std::collections::HashMap<&str, &str> = spans
        .iter()
        .map(|(_, s)| {
            let id = attr(s, "messaging.message.id").unwrap()["stringValue"]
                .as_str()
                .unwrap();
            (s["spanId"].as_str().unwrap(), id)
        })
        .collect();
    assert_eq!(by_span.len(), 7, "span ids are unique, the duplicate's too");
    // Spans come grouped by flow, then by service: compare as a sorted list.
    let mut parents: Vec<(&str, Option<&str>)> = spans
        .iter()
        .map(|(_, s)| {
            let id = attr(s, "messaging.message.id").unwrap()["stringValue"]
                .as_str()
                .unwrap();
            (id, s["parentSpanId"].as_str().map(|p| by_span[p]))
        })
        .collect();
    parents.sort();
    assert_eq!(
        parents,
        [
            ("a1", None),
            ("a2", Some("a1")),
            ("a3", Some("a1")),
            ("a4", Some("a2")),
            ("b1", None),
            ("b1", None),
            ("x1", None),
        ]
    );
    let a1 = &spans[0].1;
    assert_eq!(spans[0].0, "orders");
    assert_eq!(a1["traceId"].as_str().unwrap(), otlp::trace_id("corr-A"));
    assert_eq!(a1["traceId"].as_str().unwrap().len(), 32);
    assert_eq!(a1["name"], "OrderPlaced");
    let start: i64 = a1["startTimeUnixNano"].as_str().unwrap().parse().unwrap();
    let end: i64 = a1["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
    assert_eq!(end - start, 50_000_000, "ends at its first child");
    assert_eq!(
        attr(a1, "messaging.destination.name").unwrap()["stringValue"],
        "orders"
    );
    assert_eq!(
        attr(a1, "messaging.destination.partition.id").unwrap()["stringValue"],
        "0"
    );
    assert_eq!(attr(a1, "messaging.kafka.offset").unwrap()["intValue"], "1");
    let dup = &spans[5].1;
    assert_eq!(dup["events"][0]["name"], "duplicate");
    let x1 = &spans[6].1;
    assert_eq!(x1["events"][0]["name"], "orphan_cause");
    assert_eq!(
        attr(x1, "eventscope.causation_id").unwrap()["stringValue"],
        "ghost"
    );
    let again: Value = serde_json::from_str(&text(&e, &Selection::all(&e), Format::Otlp)).unwrap();
    assert_eq!(doc, again, "ids are derived, not random");
}

#[test]
fn mermaid_draws_one_flow_in_time_order() {
    let e = engine();
    assert_eq!(
        text(&e, &one(&e, "corr-A"), Format::Mermaid),
        "sequenceDiagram\n    title Flow corr-A\n    participant S0 as orders\n    \
         participant S1 as payments\n    participant S2 as inventory\n    \
         S0->>S0: OrderPlaced\n    S0->>S1: PaymentProcessed (+50 ms)\n    \
         S0->>S2: InventoryReserved (+60 ms)\n    S1->>S0: OrderConfirmed (+40 ms)\n"
    );
    let dup = text(&e, &one(&e, "corr-B"), Format::Mermaid);
    assert!(
        dup.contains("S0->>S0: OrderPlaced (repeat)\n    Note over S0: warning duplicate: "),
        "{dup}"
    );
    let err = write(&e, &Selection::all(&e), Format::Mermaid, &mut Vec::new()).unwrap_err();
    assert!(
        err.to_string()
            .contains("draws one flow, the selection has 3"),
        "{err}"
    );
}

#[test]
fn the_drawing_puts_effects_right_of_their_causes() {
    let e = engine();
    let f = one(&e, "corr-A").flows()[0];
    let l = Layout::of(&e, f);
    let place: Vec<(&str, usize, usize)> = l
        .nodes
        .iter()
        .map(|n| (n.event_type.as_str(), n.column, n.row))
        .collect();
    assert_eq!(
        place,
        [
            ("OrderPlaced", 0, 0),
            ("PaymentProcessed", 1, 0),
            ("InventoryReserved", 1, 1),
            ("OrderConfirmed", 2, 0),
        ]
    );
    assert_eq!(
        l.edges,
        [
            (0, 1, Some(50_000_000)),
            (0, 2, Some(60_000_000)),
            (1, 3, Some(40_000_000))
        ]
    );
    let svg = svg(&l);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(svg.matches("<rect x=").count(), 4);
    assert_eq!(svg.matches("marker-end").count(), 3);
    assert!(svg.contains(">40 ms</text>"));
}

#[cfg(feature = "gui")]
#[test]
fn the_png_is_the_drawing_rasterised() {
    let e = engine();
    let l = Layout::of(&e, one(&e, "corr-A").flows()[0]);
    let png = png(&l).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = l.size();
    // IHDR: width and height, big-endian, at bytes 16..24.
    let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), (w.ceil() as u32, h.ceil() as u32));
}

#[test]
fn tables_have_their_columns_and_a_row_each() {
    let e = engine();
    let all = Selection::all(&e);
    let csv = text(&e, &all, Format::FlowsCsv);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], tables::FLOW_COLUMNS.join(","));
    assert_eq!(lines.len(), 4);
    assert!(
        lines[1].starts_with("corr-A,OrderPlaced,4,complete,2026-01-01T00:00:00.000Z,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].ends_with(",90.0,orders payments inventory,0,"),
        "{}",
        lines[1]
    );
    let rows: Value = serde_json::from_str(&text(&e, &all, Format::AnomaliesJson)).unwrap();
    let kinds: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["duplicate", "orphan_cause"]);
    assert_eq!(rows[0]["correlation_id"], "corr-B");
    let only_a = text(&e, &one(&e, "corr-A"), Format::AnomaliesCsv);
    assert_eq!(
        only_a,
        format!("{}\n", tables::ANOMALY_COLUMNS.join(",")),
        "a header, no rows"
    );
}

#[test]
fn ocel_has_every_event_and_the_flow_and_aggregate_objects() {
    let e = engine();
    let doc: Value = serde_json::from_str(&text(&e, &Selection::all(&e), Format::Ocel2)).unwrap();
    let ids: Vec<&str> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a1", "a2", "a3", "a4", "b1", "b1#5", "x1"]);
    let objects: Vec<&str> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        [
            "flow:corr-A",
            "flow:corr-B",
            "flow:ghost",
            "aggregate:order-1"
        ]
    );
    assert_eq!(
        doc["objects"][0]["relationships"][0]["objectId"],
        "aggregate:order-1"
    );
    assert_eq!(
        doc["events"][0]["relationships"][1]["qualifier"],
        "aggregate"
    );
    assert_eq!(doc["events"][5]["attributes"][1]["value"], "duplicate");
}

#[test]
fn the_native_trace_reopens_to_the_same_flows_and_anomalies() {
    let e = engine();
    let trace = text(&e, &Selection::all(&e), Format::Jsonl);
    let dec = LineDecoder::new(In::Native, ProfileConfig::default(), true);
    let events: Vec<_> = trace
        .lines()
        .enumerate()
        .filter_map(|(i, l)| match dec.decode_line(l.as_bytes(), i as u64 + 1) {
            LineOutcome::Event(ev) => Some(ev),
            LineOutcome::Skip => None,
            other => panic!(
                "line {}: {:?}",
                i + 1,
                matches!(other, LineOutcome::Error(_))
            ),
        })
        .collect();
    let back = run(events);
    let flows = |e: &Engine| -> Vec<(String, usize)> {
        e.flows
            .iter()
            .map(|(_, f)| (e.store.str(f.key).to_string(), f.events.len()))
            .collect()
    };
    assert_eq!(flows(&back), flows(&e));
    assert_eq!(found(&back), found(&e));
    let only_b = text(&e, &one(&e, "corr-B"), Format::Jsonl);
    assert_eq!(
        only_b.lines().count(),
        3,
        "the header and corr-B's two events"
    );
}

#[test]
fn unknown_ids_are_named() {
    let e = engine();
    let err = Selection::by_key(&e, &["corr-A".into(), "nope".into()]).unwrap_err();
    assert_eq!(err, "no flow has the correlation id 'nope'");
}
