//! OpenTelemetry span exports (`--spans FILE`), read once into a [`SpanIndex`] that says, for an
//! event's send span, which producer span is its nearest ancestor (the cause's send span) and
//! which trace its causal chain started in (the flow).
//!
//! Two formats, told apart by their top-level field, one JSON document or several (JSON Lines):
//! - OTLP/JSON (`resourceSpans[].scopeSpans[].spans[]`), as the OpenTelemetry Collector's file
//!   exporter writes it, one `ExportTraceServiceRequest` per line. Ids are hex, enums integers
//!   (the `SPAN_KIND_PRODUCER` name is accepted too):
//!   <https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>,
//!   <https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto>,
//!   <https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/fileexporter>.
//! - Jaeger's JSON (`data[].spans[]`, the UI's "Download JSON" and the query service's
//!   `/api/traces`): `traceID`, `spanID`, `references[]` (`CHILD_OF` = parent, `FOLLOWS_FROM` =
//!   link), the kind in the `span.kind` tag: <https://www.jaegertracing.io/docs/latest/apis/>,
//!   <https://github.com/jaegertracing/jaeger-idl/blob/main/proto/api_v2/model.proto>.
//!
//! A send span is a span of kind PRODUCER (semantic conventions for messaging,
//! <https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/>) whose
//! `messaging.system`, when present, is `kafka`.
//!
//! Resolution is linear in spans + links: every span's predecessors (its parent and its links) are
//! indexed once, and one iterative depth-first pass computes each span's nearest producer ancestor
//! from its predecessors' answers (memoised), so a deep trace is neither quadratic nor a stack
//! overflow. A cycle (bad input) is cut where the walk meets a span still being resolved.

use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde_json::Value;
use smallvec::SmallVec;
use std::path::PathBuf;

/// A span reference: (trace id, span id).
pub type SpanRef = (u128, u64);

/// What the spans say about one send span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The nearest producer span above it (through parents and links), if any.
    pub cause: Option<SpanRef>,
    /// The trace its chain of producer spans started in.
    pub origin: u128,
}

struct Node {
    id: SpanRef,
    /// Parent, then links, as span references (resolved to indexes once all files are read).
    preds: SmallVec<[SpanRef; 2]>,
    producer: bool,
}

/// Every span of the given exports, indexed by (trace id, span id), with each span's resolution.
#[derive(Default)]
pub struct SpanIndex {
    index: FxHashMap<SpanRef, u32>,
    resolved: Vec<Resolution>,
}

impl std::fmt::Debug for SpanIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpanIndex({} spans)", self.resolved.len())
    }
}

impl SpanIndex {
    /// Reads span exports; an error names the file and where in it.
    pub fn load(paths: &[PathBuf]) -> Result<SpanIndex, String> {
        let mut nodes = Vec::new();
        for p in paths {
            let bytes = std::fs::read(p).map_err(|e| format!("--spans {}: {e}", p.display()))?;
            read_export(&p.display().to_string(), &bytes, &mut nodes)?;
        }
        Ok(SpanIndex::build(nodes))
    }

    /// Reads exports given as (name, text) pairs.
    pub fn parse(sources: &[(&str, &[u8])]) -> Result<SpanIndex, String> {
        let mut nodes = Vec::new();
        for (name, bytes) in sources {
            read_export(name, bytes, &mut nodes)?;
        }
        Ok(SpanIndex::build(nodes))
    }

    pub fn len(&self) -> usize {
        self.resolved.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resolved.is_empty()
    }

    /// What the spans say about the span `(trace, span)`; `None` when it is not in the exports.
    pub fn resolve(&self, trace: u128, span: u64) -> Option<Resolution> {
        self.index
            .get(&(trace, span))
            .map(|&i| self.resolved[i as usize])
    }

    fn build(nodes: Vec<Node>) -> SpanIndex {
        let mut index = FxHashMap::default();
        index.reserve(nodes.len());
        let mut kept = Vec::with_capacity(nodes.len());
        for n in nodes {
            // The same span in two exports: the first one is kept.
            if let std::collections::hash_map::Entry::Vacant(v) = index.entry(n.id) {
                v.insert(kept.len() as u32);
                kept.push(n);
            }
        }
        let preds: Vec<SmallVec<[u32; 2]>> = kept
            .iter()
            .map(|n| {
                n.preds
                    .iter()
                    .filter_map(|r| index.get(r).copied())
                    .collect()
            })
            .collect();
        let resolved = resolve_all(&kept, &preds);
        SpanIndex { index, resolved }
    }
}

/// Each span's nearest producer ancestor (fewest parent/link hops; the parent before links, then
/// links in order, on a tie) and origin trace, by one iterative post-order walk.
fn resolve_all(nodes: &[Node], preds: &[SmallVec<[u32; 2]>]) -> Vec<Resolution> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; nodes.len()];
    // (nearest producer ancestor, hops to it)
    let mut best: Vec<Option<(u32, u32)>> = vec![None; nodes.len()];
    let mut origin: Vec<u128> = nodes.iter().map(|n| n.id.0).collect();
    let mut stack: Vec<(u32, usize)> = Vec::new();
    for start in 0..nodes.len() as u32 {
        if state[start as usize] != NEW {
            continue;
        }
        state[start as usize] = OPEN;
        stack.push((start, 0));
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            if let Some(&p) = preds[node as usize].get(next) {
                top.1 += 1;
                if state[p as usize] == NEW {
                    state[p as usize] = OPEN;
                    stack.push((p, 0));
                }
                continue;
            }
            stack.pop();
            let mut found: Option<(u32, u32)> = None;
            for &p in &preds[node as usize] {
                // A predecessor still open is on a cycle: ignore that edge.
                if state[p as usize] != DONE {
                    continue;
                }
                let via = if nodes[p as usize].producer {
                    Some((p, 1))
                } else {
                    best[p as usize].map(|(c, d)| (c, d + 1))
                };
                if let Some(v) = via
                    && found.is_none_or(|f| v.1 < f.1)
                {
                    found = Some(v);
                }
            }
            best[node as usize] = found;
            if let Some((c, _)) = found {
                origin[node as usize] = origin[c as usize];
            }
            state[node as usize] = DONE;
        }
    }
    best.iter()
        .zip(origin)
        .map(|(b, origin)| Resolution {
            cause: b.map(|(c, _)| nodes[c as usize].id),
            origin,
        })
        .collect()
}

/// Both export formats in one pass: whichever top-level field is present.
#[derive(Deserialize)]
struct Export {
    #[serde(default, rename = "resourceSpans", alias = "resource_spans")]
    resource_spans: Option<Vec<ResourceSpans>>,
    #[serde(default)]
    data: Option<Vec<JaegerTrace>>,
}

#[derive(Deserialize)]
struct ResourceSpans {
    #[serde(
        default,
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans"
    )]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<OtlpSpan>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    #[serde(default)]
    trace_id: String,
    #[serde(default)]
    span_id: String,
    #[serde(default)]
    parent_span_id: String,
    #[serde(default)]
    kind: Value,
    #[serde(default)]
    links: Vec<OtlpLink>,
    #[serde(default)]
    attributes: Vec<OtlpAttribute>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpLink {
    #[serde(default)]
    trace_id: String,
    #[serde(default)]
    span_id: String,
}

#[derive(Deserialize)]
struct OtlpAttribute {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct JaegerTrace {
    #[serde(default)]
    spans: Vec<JaegerSpan>,
}

#[derive(Deserialize)]
struct JaegerSpan {
    #[serde(default, rename = "traceID")]
    trace_id: String,
    #[serde(default, rename = "spanID")]
    span_id: String,
    #[serde(default)]
    references: Vec<JaegerRef>,
    #[serde(default)]
    tags: Vec<JaegerTag>,
}

#[derive(Deserialize)]
struct JaegerRef {
    #[serde(default, rename = "refType")]
    ref_type: String,
    #[serde(default, rename = "traceID")]
    trace_id: String,
    #[serde(default, rename = "spanID")]
    span_id: String,
}

#[derive(Deserialize)]
struct JaegerTag {
    key: String,
    #[serde(default)]
    value: Value,
}

/// A trace id: 1 to 32 hex digits (Jaeger drops leading zeros of 64-bit trace ids), not all zero.
pub fn parse_trace_id(s: &str) -> Option<u128> {
    (!s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u128::from_str_radix(s, 16).ok())
        .flatten()
        .filter(|v| *v != 0)
}

/// A span id: 1 to 16 hex digits, not all zero.
pub fn parse_span_id(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u64::from_str_radix(s, 16).ok())
        .flatten()
        .filter(|v| *v != 0)
}

fn ids(trace: &str, span: &str, at: &dyn Fn() -> String) -> Result<SpanRef, String> {
    let t = parse_trace_id(trace)
        .ok_or_else(|| format!("{}: trace id '{trace}' is not 32 hex digits", at()))?;
    let s = parse_span_id(span)
        .ok_or_else(|| format!("{}: span id '{span}' is not 16 hex digits", at()))?;
    Ok((t, s))
}

fn read_export(name: &str, bytes: &[u8], out: &mut Vec<Node>) -> Result<(), String> {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Export>();
    let mut doc = 0usize;
    loop {
        let start = stream.byte_offset();
        let Some(next) = stream.next() else { break };
        doc += 1;
        let line = 1
            + bytes[..start].iter().filter(|b| **b == b'\n').count()
            + usize::from(bytes.get(start) == Some(&b'\n'));
        let export = next.map_err(|e| {
            format!("--spans {name}: not an OTLP/JSON or Jaeger JSON span export: {e}")
        })?;
        let at_doc = if doc == 1 && stream.byte_offset() >= bytes.trim_ascii_end().len() {
            name.to_string()
        } else {
            format!("{name} line {line}")
        };
        match (export.resource_spans, export.data) {
            (Some(rs), _) => read_otlp(&at_doc, rs, out)?,
            (None, Some(data)) => read_jaeger(&at_doc, data, out)?,
            (None, None) => {
                return Err(format!(
                    "--spans {at_doc}: neither `resourceSpans` (OTLP/JSON) nor `data` (Jaeger JSON)"
                ));
            }
        }
    }
    if doc == 0 {
        return Err(format!("--spans {name}: empty file, no span export"));
    }
    Ok(())
}

fn read_otlp(name: &str, rs: Vec<ResourceSpans>, out: &mut Vec<Node>) -> Result<(), String> {
    for (i, r) in rs.into_iter().enumerate() {
        for (j, ss) in r.scope_spans.into_iter().enumerate() {
            for (k, s) in ss.spans.into_iter().enumerate() {
                let at =
                    || format!("--spans {name}: resourceSpans[{i}].scopeSpans[{j}].spans[{k}]");
                let id = ids(&s.trace_id, &s.span_id, &at)?;
                let mut preds = SmallVec::new();
                if !s.parent_span_id.is_empty() {
                    preds.push(ids(&s.trace_id, &s.parent_span_id, &at)?);
                }
                for (l, link) in s.links.iter().enumerate() {
                    let at = || format!("{}.links[{l}]", at());
                    preds.push(ids(&link.trace_id, &link.span_id, &at)?);
                }
                let producer = matches!(&s.kind, Value::Number(n) if n.as_u64() == Some(4))
                    || s.kind.as_str() == Some("SPAN_KIND_PRODUCER");
                let system = s
                    .attributes
                    .iter()
                    .find(|a| a.key == "messaging.system")
                    .and_then(|a| a.value.get("stringValue"))
                    .and_then(Value::as_str);
                out.push(Node {
                    id,
                    preds,
                    producer: producer && system.is_none_or(|s| s == "kafka"),
                });
            }
        }
    }
    Ok(())
}

fn read_jaeger(name: &str, data: Vec<JaegerTrace>, out: &mut Vec<Node>) -> Result<(), String> {
    for (i, t) in data.into_iter().enumerate() {
        for (k, s) in t.spans.into_iter().enumerate() {
            let at = || format!("--spans {name}: data[{i}].spans[{k}]");
            let id = ids(&s.trace_id, &s.span_id, &at)?;
            let mut preds: SmallVec<[SpanRef; 2]> = SmallVec::new();
            for (r, re) in s.references.iter().enumerate() {
                let at = || format!("{}.references[{r}]", at());
                preds.push(ids(&re.trace_id, &re.span_id, &at)?);
            }
            // The first CHILD_OF reference is the parent (tried first); the others are links.
            if let Some(parent) = s.references.iter().position(|r| r.ref_type == "CHILD_OF") {
                let target = preds.remove(parent);
                preds.insert(0, target);
            }
            let tag = |key: &str| {
                s.tags
                    .iter()
                    .find(|t| t.key == key)
                    .and_then(|t| t.value.as_str())
            };
            let producer = tag("span.kind") == Some("producer");
            out.push(Node {
                id,
                preds,
                producer: producer && tag("messaging.system").is_none_or(|s| s == "kafka"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
        let idx = SpanIndex::parse(&[("a.json", text.as_bytes())]).unwrap();
        assert_eq!(idx.len(), 9);
        assert_shop(&idx);
        // The collector's file exporter: one request per line, spans split over lines.
        let spans = shop();
        let lines = format!("{}\n{}\n", otlp(&spans[..4]), otlp(&spans[4..]));
        let idx = SpanIndex::parse(&[("b.jsonl", lines.as_bytes())]).unwrap();
        assert_shop(&idx);
    }

    #[test]
    fn jaeger_references_are_parents_and_links() {
        let span = |t: &str, s: &str, refs: &[(&str, &str, &str)], kind: &str| {
            let refs: Vec<String> = refs
                .iter()
                .map(|(ty, rt, rs)| {
                    format!(r#"{{"refType":"{ty}","traceID":"{rt}","spanID":"{rs}"}}"#)
                })
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
        let idx = SpanIndex::parse(&[("jaeger.json", text.as_bytes())]).unwrap();
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
        let idx = SpanIndex::parse(&[("n.json", text.as_bytes())]).unwrap();
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
        let idx = SpanIndex::parse(&[("deep.json", text.as_bytes())]).unwrap();
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
        let e = SpanIndex::parse(&[("bad.json", bad.as_bytes())]).unwrap_err();
        assert!(
            e.contains("bad.json") && e.contains("resourceSpans[0].scopeSpans[0].spans[1]"),
            "{e}"
        );
        assert!(e.contains("'xyz'"), "{e}");
        let e = SpanIndex::parse(&[("x.json", b"{\"resourceSpans\":[")]).unwrap_err();
        assert!(
            e.contains("x.json") && e.contains("not an OTLP/JSON"),
            "{e}"
        );
        let e = SpanIndex::parse(&[("y.json", b"{\"foo\":1}")]).unwrap_err();
        assert!(e.contains("y.json") && e.contains("neither"), "{e}");
        let e = SpanIndex::parse(&[("z.json", b"  \n")]).unwrap_err();
        assert!(e.contains("z.json") && e.contains("empty"), "{e}");
        let two = format!(
            "{}\n{{\"data\":[{{\"spans\":[{{\"traceID\":\"{T1}\",\"spanID\":\"\"}}]}}]}}\n",
            otlp(&[])
        );
        let e = SpanIndex::parse(&[("j.jsonl", two.as_bytes())]).unwrap_err();
        assert!(
            e.contains("j.jsonl line 2") && e.contains("data[0].spans[0]"),
            "{e}"
        );
        let e = SpanIndex::load(&[PathBuf::from("/nonexistent/spans.json")]).unwrap_err();
        assert!(e.contains("/nonexistent/spans.json"), "{e}");
    }
}
