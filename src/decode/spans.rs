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
use serde_json::value::RawValue;
use smallvec::SmallVec;
use std::borrow::Cow;
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
    /// Bad input met (each naming the file and where in it); the rest was read.
    problems: Vec<String>,
}

/// At most this many problems are kept word for word; the rest are counted.
const MAX_PROBLEMS: usize = 20;

/// Spans and problems read so far.
#[derive(Default)]
struct Reader {
    nodes: Vec<Node>,
    problems: Vec<String>,
    more_problems: usize,
}

impl Reader {
    fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.more_problems += 1;
        }
    }

    fn finish(mut self) -> SpanIndex {
        if self.more_problems > 0 {
            self.problems
                .push(format!("--spans: {} more problems", self.more_problems));
        }
        let mut index = SpanIndex::build(self.nodes);
        index.problems = self.problems;
        index
    }
}

impl std::fmt::Debug for SpanIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpanIndex({} spans)", self.resolved.len())
    }
}

impl SpanIndex {
    /// Reads span exports. Bad input (an unreadable file, a document that is not an export, a
    /// span with a bad id) is skipped and reported in [`SpanIndex::problems`], naming the file
    /// and where in it; everything else is read.
    pub fn load(paths: &[PathBuf]) -> SpanIndex {
        let mut r = Reader::default();
        for p in paths {
            match std::fs::read(p) {
                Ok(bytes) => r.export(&p.display().to_string(), &bytes),
                Err(e) => r.problem(format!("--spans {}: {e}", p.display())),
            }
        }
        r.finish()
    }

    /// Reads exports given as (name, text) pairs, like [`SpanIndex::load`].
    pub fn parse(sources: &[(&str, &[u8])]) -> SpanIndex {
        let mut r = Reader::default();
        for (name, bytes) in sources {
            r.export(name, bytes);
        }
        r.finish()
    }

    /// What could not be read, each naming the file and where in it.
    pub fn problems(&self) -> &[String] {
        &self.problems
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
        SpanIndex {
            index,
            resolved,
            problems: Vec::new(),
        }
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

// The export structs borrow from the file's bytes (ids are plain hex, so nothing is copied) and
// keep only what resolution needs; serde skips every other field without building it.

/// Text borrowed from the input when it has no escapes.
type Text<'a> = Cow<'a, str>;

/// Both export formats in one pass: whichever top-level field is present.
#[derive(Deserialize)]
struct Export<'a> {
    #[serde(default, borrow, rename = "resourceSpans", alias = "resource_spans")]
    resource_spans: Option<Vec<ResourceSpans<'a>>>,
    #[serde(default, borrow)]
    data: Option<Vec<JaegerTrace<'a>>>,
}

#[derive(Deserialize)]
struct ResourceSpans<'a> {
    #[serde(
        default,
        borrow,
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans"
    )]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(default, borrow)]
    spans: Vec<OtlpSpan<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan<'a> {
    #[serde(default, borrow)]
    trace_id: Text<'a>,
    #[serde(default, borrow)]
    span_id: Text<'a>,
    #[serde(default, borrow)]
    parent_span_id: Text<'a>,
    /// An integer, or the enum's name.
    #[serde(default, borrow)]
    kind: Option<&'a RawValue>,
    #[serde(default, borrow)]
    links: Vec<OtlpLink<'a>>,
    #[serde(default, borrow)]
    attributes: Vec<Attribute<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpLink<'a> {
    #[serde(default, borrow)]
    trace_id: Text<'a>,
    #[serde(default, borrow)]
    span_id: Text<'a>,
}

/// An OTLP attribute (`{"key", "value": {"stringValue": ...}}`) or a Jaeger tag (`{"key",
/// "type", "value"}`); the value is parsed only for the keys looked at.
#[derive(Deserialize)]
struct Attribute<'a> {
    #[serde(borrow)]
    key: Text<'a>,
    #[serde(default, borrow)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct OtlpValue<'a> {
    #[serde(default, borrow, rename = "stringValue")]
    string_value: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct JaegerTrace<'a> {
    #[serde(default, borrow)]
    spans: Vec<JaegerSpan<'a>>,
}

#[derive(Deserialize)]
struct JaegerSpan<'a> {
    #[serde(default, borrow, rename = "traceID")]
    trace_id: Text<'a>,
    #[serde(default, borrow, rename = "spanID")]
    span_id: Text<'a>,
    #[serde(default, borrow)]
    references: Vec<JaegerRef<'a>>,
    #[serde(default, borrow)]
    tags: Vec<Attribute<'a>>,
}

#[derive(Deserialize)]
struct JaegerRef<'a> {
    #[serde(default, borrow, rename = "refType")]
    ref_type: Text<'a>,
    #[serde(default, borrow, rename = "traceID")]
    trace_id: Text<'a>,
    #[serde(default, borrow, rename = "spanID")]
    span_id: Text<'a>,
}

/// The value of the attribute `key`: OTLP's `stringValue`, or a Jaeger tag's string.
fn attribute<'a>(attrs: &'a [Attribute<'a>], key: &str, otlp: bool) -> Option<Text<'a>> {
    let raw = attrs.iter().find(|a| a.key == key)?.value?.get();
    if otlp {
        serde_json::from_str::<OtlpValue>(raw).ok()?.string_value
    } else {
        serde_json::from_str::<Text>(raw).ok()
    }
}

/// Up to `max` hex digits as a number, not zero. (One pass; `from_str_radix` plus a digit check
/// was a fifth of reading an export.)
fn hex(s: &str, max: usize) -> Option<u128> {
    if s.is_empty() || s.len() > max {
        return None;
    }
    let mut v: u128 = 0;
    for b in s.bytes() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u128::from(d);
    }
    (v != 0).then_some(v)
}

/// A trace id: 1 to 32 hex digits (Jaeger drops leading zeros of 64-bit trace ids), not all zero.
pub fn parse_trace_id(s: &str) -> Option<u128> {
    hex(s, 32)
}

/// A span id: 1 to 16 hex digits, not all zero.
pub fn parse_span_id(s: &str) -> Option<u64> {
    // At most 16 digits always fit.
    hex(s, 16).map(|v| v as u64)
}

/// A hint when an id looks like base64: protobuf's standard JSON mapping, which OTLP/JSON
/// replaces with hex for trace and span ids.
fn b64(id: &str) -> &'static str {
    if matches!(id.len(), 12 | 24) && id.ends_with('=') {
        " (base64? OTLP/JSON ids are hex, not protobuf's base64)"
    } else {
        ""
    }
}

fn ids(trace: &str, span: &str, at: &dyn Fn() -> String) -> Result<SpanRef, String> {
    let t = parse_trace_id(trace).ok_or_else(|| {
        format!(
            "{}: trace id '{trace}' is not 32 hex digits{}",
            at(),
            b64(trace)
        )
    })?;
    let s = parse_span_id(span).ok_or_else(|| {
        format!(
            "{}: span id '{span}' is not 16 hex digits{}",
            at(),
            b64(span)
        )
    })?;
    Ok((t, s))
}

impl Reader {
    /// One file: one export document, or several (JSON Lines, as the collector writes).
    fn export(&mut self, name: &str, bytes: &[u8]) {
        let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Export>();
        let mut docs = 0usize;
        // Line numbers counted as the stream advances (never from the start again: linear).
        let (mut counted_to, mut newlines) = (0usize, 0usize);
        loop {
            let start = stream.byte_offset();
            let Some(next) = stream.next() else { break };
            docs += 1;
            newlines += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count();
            counted_to = start;
            // The document starts after the white space that follows the previous one.
            let gap = &bytes[start..stream.byte_offset()];
            let lead = gap.len() - gap.trim_ascii_start().len();
            let line = 1 + newlines + memchr::memchr_iter(b'\n', &gap[..lead]).count();
            let export = match next {
                Ok(e) => e,
                Err(e) => {
                    // Nothing after a syntax error can be trusted to be where it seems.
                    return self.problem(format!(
                        "--spans {name}: not an OTLP/JSON or Jaeger JSON span export: {e}"
                    ));
                }
            };
            let at = if docs == 1 && stream.byte_offset() >= bytes.trim_ascii_end().len() {
                name.to_string()
            } else {
                format!("{name} line {line}")
            };
            match (export.resource_spans, export.data) {
                (Some(rs), _) => self.otlp(&at, rs),
                (None, Some(data)) => self.jaeger(&at, data),
                (None, None) => self.problem(format!(
                    "--spans {at}: neither `resourceSpans` (OTLP/JSON) nor `data` (Jaeger JSON)"
                )),
            }
        }
        if docs == 0 {
            self.problem(format!("--spans {name}: empty file, no span export"));
        }
    }

    fn otlp(&mut self, name: &str, rs: Vec<ResourceSpans>) {
        for (i, r) in rs.into_iter().enumerate() {
            for (j, ss) in r.scope_spans.into_iter().enumerate() {
                for (k, s) in ss.spans.into_iter().enumerate() {
                    let at =
                        || format!("--spans {name}: resourceSpans[{i}].scopeSpans[{j}].spans[{k}]");
                    match otlp_node(&s, &at) {
                        Ok(n) => self.nodes.push(n),
                        Err(e) => self.problem(e),
                    }
                }
            }
        }
    }

    fn jaeger(&mut self, name: &str, data: Vec<JaegerTrace>) {
        for (i, t) in data.into_iter().enumerate() {
            for (k, s) in t.spans.into_iter().enumerate() {
                let at = || format!("--spans {name}: data[{i}].spans[{k}]");
                match jaeger_node(&s, &at) {
                    Ok(n) => self.nodes.push(n),
                    Err(e) => self.problem(e),
                }
            }
        }
    }
}

fn otlp_node(s: &OtlpSpan, at: &dyn Fn() -> String) -> Result<Node, String> {
    let id = ids(&s.trace_id, &s.span_id, at)?;
    let mut preds = SmallVec::new();
    if !s.parent_span_id.is_empty() {
        preds.push(ids(&s.trace_id, &s.parent_span_id, at)?);
    }
    for (l, link) in s.links.iter().enumerate() {
        let at = || format!("{}.links[{l}]", at());
        preds.push(ids(&link.trace_id, &link.span_id, &at)?);
    }
    // OTLP's SpanKind: 4 = SPAN_KIND_PRODUCER.
    let producer = s
        .kind
        .is_some_and(|k| matches!(k.get(), "4" | "\"SPAN_KIND_PRODUCER\""));
    let system = attribute(&s.attributes, "messaging.system", true);
    Ok(Node {
        id,
        preds,
        producer: producer && system.is_none_or(|s| s == "kafka"),
    })
}

fn jaeger_node(s: &JaegerSpan, at: &dyn Fn() -> String) -> Result<Node, String> {
    let id = ids(&s.trace_id, &s.span_id, at)?;
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
    let tag = |key: &str| attribute(&s.tags, key, false);
    Ok(Node {
        id,
        preds,
        producer: tag("span.kind").is_some_and(|k| k == "producer")
            && tag("messaging.system").is_none_or(|s| s == "kafka"),
    })
}

#[cfg(test)]
mod tests;
