//! The span index: both formats, resolution through parents and links, deep and cyclic
//! traces, bad input.

use super::*;

const T1: &str = "0af7651916cd43dd8448eb211c80319c";
const T2: &str = "1bf7651916cd43dd8448eb211c80319c";
const T3: &str = "2cf7651916cd43dd8448eb211c80319c";

/// `id`, `parent`, kind (4 = producer), links as (trace, span).
fn otlp_span(trace: &str, id: &str, parent: &str, kind: u8, links: &[(&str, &str)]) -> String {
    let links: Vec<String> = links
        .iter()
        .map(|(t, s)| format!(r#"{{"traceId":"{t}","spanId":"{s}"}}"#))
        .collect();
    format!(
        r#"{{"traceId":"{trace}","spanId":"{id}","parentSpanId":"{parent}","name":"x","kind":{kind},"links":[{}],"attributes":[{{"key":"messaging.system","value":{{"stringValue":"kafka"}}}}]}}"#,
        links.join(",")
    )
}

fn otlp(spans: &[String]) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{}},"scopeSpans":[{{"scope":{{"name":"t"}},"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

/// The instrumentation's shape: a send span under a root; each consumer a `recv` root in a
/// new trace with a `process` child linked to the record's send span, the children's send
/// spans under `process`.
fn shop() -> Vec<String> {
    vec![
        otlp_span(T1, "00000000000000a1", "", 1, &[]),
        otlp_span(T1, "00000000000000b1", "00000000000000a1", 4, &[]),
        otlp_span(T2, "00000000000000c2", "", 5, &[]),
        otlp_span(
            T2,
            "00000000000000d2",
            "00000000000000c2",
            5,
            &[(T1, "00000000000000b1")],
        ),
        otlp_span(T2, "00000000000000e2", "00000000000000d2", 4, &[]),
        otlp_span(T2, "00000000000000f2", "00000000000000d2", 4, &[]),
        otlp_span(T3, "00000000000000c3", "", 5, &[]),
        otlp_span(
            T3,
            "00000000000000d3",
            "00000000000000c3",
            5,
            &[(T2, "00000000000000e2")],
        ),
        otlp_span(T3, "00000000000000e3", "00000000000000d3", 4, &[]),
    ]
}

fn r(idx: &SpanIndex, t: &str, s: &str) -> (Option<(String, String)>, String) {
    let res = idx
        .resolve(parse_trace_id(t).unwrap(), parse_span_id(s).unwrap())
        .unwrap();
    (
        res.cause
            .map(|(t, s)| (format!("{t:032x}"), format!("{s:016x}"))),
        format!("{:032x}", res.origin),
    )
}

fn some(t: &str, s: &str) -> Option<(String, String)> {
    Some((t.to_string(), s.to_string()))
}

fn assert_shop(idx: &SpanIndex) {
    assert_eq!(r(idx, T1, "00000000000000b1"), (None, T1.to_string()));
    assert_eq!(
        r(idx, T2, "00000000000000e2"),
        (some(T1, "00000000000000b1"), T1.to_string())
    );
    assert_eq!(
        r(idx, T2, "00000000000000f2"),
        (some(T1, "00000000000000b1"), T1.to_string())
    );
    assert_eq!(
        r(idx, T3, "00000000000000e3"),
        (some(T2, "00000000000000e2"), T1.to_string())
    );
    assert_eq!(idx.resolve(1, 1), None);
}

#[test]
fn otlp_causes_and_origins_through_parents_and_links() {
    let text = otlp(&shop());
    let idx = SpanIndex::parse(&[("a.json", text.as_bytes())]);
    assert_eq!(idx.len(), 9);
    assert_shop(&idx);
    // The collector's file exporter: one request per line, spans split over lines.
    let spans = shop();
    let lines = format!("{}\n{}\n", otlp(&spans[..4]), otlp(&spans[4..]));
    let idx = SpanIndex::parse(&[("b.jsonl", lines.as_bytes())]);
    assert_shop(&idx);
}

#[test]
fn jaeger_references_are_parents_and_links() {
    let span = |t: &str, s: &str, refs: &[(&str, &str, &str)], kind: &str| {
        let refs: Vec<String> = refs
            .iter()
            .map(|(ty, rt, rs)| format!(r#"{{"refType":"{ty}","traceID":"{rt}","spanID":"{rs}"}}"#))
            .collect();
        format!(
            r#"{{"traceID":"{t}","spanID":"{s}","operationName":"x","references":[{}],"tags":[{{"key":"span.kind","type":"string","value":"{kind}"}}],"processID":"p1"}}"#,
            refs.join(",")
        )
    };
    let spans = [
        span(T1, "00000000000000a1", &[], "internal"),
        span(
            T1,
            "00000000000000b1",
            &[("CHILD_OF", T1, "00000000000000a1")],
            "producer",
        ),
        span(T2, "00000000000000c2", &[], "consumer"),
        // The link listed before the parent: the CHILD_OF one is still the parent.
        span(
            T2,
            "00000000000000d2",
            &[
                ("FOLLOWS_FROM", T1, "00000000000000b1"),
                ("CHILD_OF", T2, "00000000000000c2"),
            ],
            "consumer",
        ),
        span(
            T2,
            "00000000000000e2",
            &[("CHILD_OF", T2, "00000000000000d2")],
            "producer",
        ),
        span(
            T2,
            "00000000000000f2",
            &[("CHILD_OF", T2, "00000000000000d2")],
            "producer",
        ),
        span(T3, "00000000000000c3", &[], "consumer"),
        span(
            T3,
            "00000000000000d3",
            &[
                ("CHILD_OF", T3, "00000000000000c3"),
                ("FOLLOWS_FROM", T2, "00000000000000e2"),
            ],
            "consumer",
        ),
        span(
            T3,
            "00000000000000e3",
            &[("CHILD_OF", T3, "00000000000000d3")],
            "producer",
        ),
    ];
    let text = format!(
        r#"{{"data":[{{"traceID":"{T1}","spans":[{}],"processes":{{"p1":{{"serviceName":"shop"}}}}}}],"total":0,"limit":0,"offset":0,"errors":null}}"#,
        spans.join(",")
    );
    let idx = SpanIndex::parse(&[("jaeger.json", text.as_bytes())]);
    assert_shop(&idx);
}

#[test]
fn nearest_producer_wins_and_non_kafka_producers_are_not_sends() {
    let mut spans = vec![
        otlp_span(T1, "0000000000000001", "", 4, &[]),
        otlp_span(T1, "0000000000000002", "0000000000000001", 1, &[]),
        otlp_span(T1, "0000000000000003", "0000000000000002", 1, &[]),
        otlp_span(T2, "0000000000000009", "", 4, &[]),
        // Parent two hops from a producer, link one hop: the link's producer is nearer.
        otlp_span(
            T1,
            "0000000000000004",
            "0000000000000003",
            4,
            &[(T2, "0000000000000009")],
        ),
    ];
    spans.push(
        otlp_span(T1, "0000000000000005", "0000000000000004", 4, &[])
            .replace("\"kafka\"", "\"rabbitmq\""),
    );
    spans.push(otlp_span(
        T1,
        "0000000000000006",
        "0000000000000005",
        4,
        &[],
    ));
    let text = otlp(&spans);
    let idx = SpanIndex::parse(&[("n.json", text.as_bytes())]);
    assert_eq!(
        r(&idx, T1, "0000000000000004"),
        (some(T2, "0000000000000009"), T2.to_string())
    );
    // The RabbitMQ producer in between is not a Kafka send.
    assert_eq!(
        r(&idx, T1, "0000000000000006"),
        (some(T1, "0000000000000004"), T2.to_string())
    );
}

#[test]
fn deep_traces_and_cycles_resolve_without_recursion() {
    let n = 200_000;
    let mut spans: Vec<String> = (1..=n)
        .map(|i| {
            let parent = if i == 1 {
                String::new()
            } else {
                format!("{:016x}", i - 1)
            };
            otlp_span(
                T1,
                &format!("{i:016x}"),
                &parent,
                if i == 1 { 4 } else { 1 },
                &[],
            )
        })
        .collect();
    // A cycle: two spans naming each other as parent.
    spans.push(otlp_span(
        T2,
        "00000000000000aa",
        "00000000000000bb",
        4,
        &[],
    ));
    spans.push(otlp_span(
        T2,
        "00000000000000bb",
        "00000000000000aa",
        4,
        &[],
    ));
    let text = otlp(&spans);
    let idx = SpanIndex::parse(&[("deep.json", text.as_bytes())]);
    assert_eq!(
        r(&idx, T1, &format!("{n:016x}")),
        (some(T1, "0000000000000001"), T1.to_string())
    );
    let a = r(&idx, T2, "00000000000000aa");
    let b = r(&idx, T2, "00000000000000bb");
    assert!(a.0.is_some() != b.0.is_some(), "{a:?} {b:?}");
}

#[test]
fn bad_input_names_the_file_and_the_span() {
    let bad = otlp(&[
        otlp_span(T1, "0000000000000001", "", 4, &[]),
        otlp_span(T1, "xyz", "", 4, &[]),
    ]);
    let idx = SpanIndex::parse(&[("bad.json", bad.as_bytes())]);
    // The good span is still read.
    assert_eq!(idx.len(), 1);
    assert_eq!(idx.problems().len(), 1);
    let e = idx.problems().join("\n");
    assert!(
        e.contains("bad.json") && e.contains("resourceSpans[0].scopeSpans[0].spans[1]"),
        "{e}"
    );
    assert!(e.contains("'xyz'"), "{e}");
    let e = SpanIndex::parse(&[("x.json", b"{\"resourceSpans\":[")])
        .problems()
        .join("\n");
    assert!(
        e.contains("x.json") && e.contains("not an OTLP/JSON"),
        "{e}"
    );
    let e = SpanIndex::parse(&[("y.json", b"{\"foo\":1}")])
        .problems()
        .join("\n");
    assert!(e.contains("y.json") && e.contains("neither"), "{e}");
    let e = SpanIndex::parse(&[("z.json", b"  \n")])
        .problems()
        .join("\n");
    assert!(e.contains("z.json") && e.contains("empty"), "{e}");
    let two = format!(
        "{}\n{{\"data\":[{{\"spans\":[{{\"traceID\":\"{T1}\",\"spanID\":\"\"}}]}}]}}\n",
        otlp(&[])
    );
    let e = SpanIndex::parse(&[("j.jsonl", two.as_bytes())])
        .problems()
        .join("\n");
    assert!(
        e.contains("j.jsonl line 2") && e.contains("data[0].spans[0]"),
        "{e}"
    );
    let e = SpanIndex::load(&[PathBuf::from("/nonexistent/spans.json")])
        .problems()
        .join("\n");
    assert!(e.contains("/nonexistent/spans.json"), "{e}");
    let e = SpanIndex::parse(&[(
        "b64.json",
        otlp(&[otlp_span(
            "S/kvNXezTaajzpKdDg5HNg==",
            "AAAAAAAAALE=",
            "",
            4,
            &[],
        )])
        .as_bytes(),
    )])
    .problems()
    .join("\n");
    assert!(e.contains("base64?"), "{e}");
    // Many bad spans: the first few word for word, the rest counted.
    let many: Vec<String> = (0..50).map(|_| otlp_span(T1, "zz", "", 4, &[])).collect();
    let idx = SpanIndex::parse(&[("many.json", otlp(&many).as_bytes())]);
    assert_eq!(idx.problems().len(), MAX_PROBLEMS + 1);
    assert!(
        idx.problems()[MAX_PROBLEMS].contains("30 more"),
        "{:?}",
        idx.problems()
    );
}
