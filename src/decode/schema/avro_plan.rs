//! The fast path of Avro decoding: a parsed writer schema compiled once into a decode plan (a flat
//! list of nodes, named types shared, so recursive schemas work) that reads Avro binary and writes
//! the JSON text of `avro.rs` straight away, with no `apache_avro::types::Value` in between.
//!
//! Hand-written because `apache-avro` has no such path: its `from_avro_datum` builds a `Value` tree
//! (an allocation per field name and string), which made decoding ~3.5 µs per 300-byte record.
//! What it renders is held to the `Value` path (`AvroSchema::decode_via_value`) by unit tests and
//! by the fuzz target, and to fastavro by the differential test (`tests/producers/schemas.rs`).
//!
//! Unlike `apache-avro` (which reserves room for a block's count before reading its items), a
//! length prefix never allocates: strings and bytes are borrowed from the input after their length
//! was checked against what remains, and an array's or map's items are written as they are read,
//! so a hostile count fails at the end of the input.

use super::avro::{date_text, decimal_text, latin1, time_text, timestamp};
use apache_avro::Schema;
use apache_avro::schema::{Name, Namespace};
use std::collections::HashMap;

/// One step of the plan; `usize` fields index [`Plan::nodes`].
#[derive(Debug)]
enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Fixed(usize),
    /// The symbols, each already written as a JSON string.
    Enum(Vec<String>),
    /// Each field's `"name":` (with the leading comma for all but the first) and its node.
    Record(Vec<(String, usize)>),
    Array(usize),
    Map(usize),
    Union(Vec<usize>),
    /// `scale`, and the size when the decimal is a `fixed` (else `bytes`).
    Decimal(usize, Option<usize>),
    Date,
    TimeMillis,
    TimeMicros,
    /// Nanoseconds per unit, fraction digits, zone suffix.
    Timestamp(i64, usize, &'static str),
    Duration,
    /// Rare logical types (`uuid`, `big-decimal`) read through `apache-avro` itself.
    ViaValue(Schema),
    /// A named type whose node is still being compiled (replaced before use).
    Pending,
}

/// A compiled writer schema.
#[derive(Debug)]
pub struct Plan {
    nodes: Vec<Node>,
    root: usize,
    /// How deep the JSON it writes nests (objects and arrays), when the schema is not recursive.
    nesting: Option<u32>,
}

/// Where a top-level field's name (without its quotes) and value are in the JSON text.
pub type TopField = (std::ops::Range<usize>, std::ops::Range<usize>);

/// The JSON texts serde_json reads nest at most 128 deep: below this, a plan's text is read by
/// it (and by `serde_json::Value`) whatever the data.
const SAFE_NESTING: u32 = 100;

struct Compiler<'a> {
    names: &'a HashMap<String, Schema>,
    nodes: Vec<Node>,
    named: HashMap<String, usize>,
}

fn json_string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    string(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

impl Compiler<'_> {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Reserves the node of a named type before compiling its body (recursive references).
    fn named(&mut self, name: &Name, ns: &Namespace) -> (usize, Namespace) {
        let fq = name.fully_qualified_name(ns);
        let at = self.push(Node::Pending);
        self.named.insert(fq.fullname(None), at);
        (at, fq.namespace)
    }

    fn compile(&mut self, schema: &Schema, ns: &Namespace) -> Result<usize, String> {
        let node = match schema {
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int => Node::Int,
            Schema::Long => Node::Long,
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes => Node::Bytes,
            Schema::String => Node::String,
            Schema::Date => Node::Date,
            Schema::TimeMillis => Node::TimeMillis,
            Schema::TimeMicros => Node::TimeMicros,
            Schema::TimestampMillis => Node::Timestamp(1_000_000, 3, "Z"),
            Schema::TimestampMicros => Node::Timestamp(1_000, 6, "Z"),
            Schema::TimestampNanos => Node::Timestamp(1, 9, "Z"),
            Schema::LocalTimestampMillis => Node::Timestamp(1_000_000, 3, ""),
            Schema::LocalTimestampMicros => Node::Timestamp(1_000, 6, ""),
            Schema::LocalTimestampNanos => Node::Timestamp(1, 9, ""),
            Schema::Duration => Node::Duration,
            Schema::Uuid | Schema::BigDecimal => Node::ViaValue(schema.clone()),
            Schema::Decimal(d) => match &*d.inner {
                Schema::Bytes => Node::Decimal(d.scale, None),
                Schema::Fixed(f) => Node::Decimal(d.scale, Some(f.size)),
                other => return Err(format!("decimal over {other:?}")),
            },
            Schema::Array(a) => Node::Array(self.compile(&a.items, ns)?),
            Schema::Map(m) => Node::Map(self.compile(&m.types, ns)?),
            Schema::Union(u) => Node::Union(
                u.variants()
                    .iter()
                    .map(|v| self.compile(v, ns))
                    .collect::<Result<_, _>>()?,
            ),
            Schema::Fixed(f) => {
                let (at, _) = self.named(&f.name, ns);
                self.nodes[at] = Node::Fixed(f.size);
                return Ok(at);
            }
            Schema::Enum(e) => {
                let (at, _) = self.named(&e.name, ns);
                self.nodes[at] = Node::Enum(e.symbols.iter().map(|s| json_string(s)).collect());
                return Ok(at);
            }
            Schema::Record(r) => {
                let (at, inner_ns) = self.named(&r.name, ns);
                let mut fields = Vec::with_capacity(r.fields.len());
                for (k, f) in r.fields.iter().enumerate() {
                    let key = format!("{}{}:", if k > 0 { "," } else { "" }, json_string(&f.name));
                    fields.push((key, self.compile(&f.schema, &inner_ns)?));
                }
                self.nodes[at] = Node::Record(fields);
                return Ok(at);
            }
            Schema::Ref { name } => {
                let fq = name.fully_qualified_name(ns);
                if let Some(&at) = self.named.get(&fq.fullname(None)) {
                    return Ok(at);
                }
                let target = self
                    .names
                    .get(&fq.fullname(None))
                    .ok_or_else(|| format!("unknown type {}", fq.fullname(None)))?;
                return self.compile(target, &fq.namespace);
            }
        };
        Ok(self.push(node))
    }
}

/// Input being read; every read checks what remains first.
#[derive(Clone, Copy)]
struct Reader<'a> {
    buf: &'a [u8],
    /// Array and map items that may still take no bytes at all (`null`, an empty record): only
    /// they could make a count outrun the input, so a datum may have as many of them as it has
    /// bytes (at least [`MIN_EMPTY_ITEMS`]), which bounds the JSON text by the input's size.
    empty_items: usize,
}

const MIN_EMPTY_ITEMS: usize = 1024;

const CUT: &str = "datum cut short";

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.buf.len() {
            return Err(format!("{CUT}: {n} bytes wanted, {} left", self.buf.len()));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for j in 0..10 {
            let (&b, rest) = self.buf.split_first().ok_or(CUT)?;
            self.buf = rest;
            v |= u64::from(b & 0x7F) << (j * 7);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("variable-length integer longer than 10 bytes".into())
    }

    fn long(&mut self) -> Result<i64, String> {
        let z = self.varint()?;
        Ok(if z & 1 == 0 {
            (z >> 1) as i64
        } else {
            !(z >> 1) as i64
        })
    }

    fn int(&mut self) -> Result<i32, String> {
        let v = self.long()?;
        i32::try_from(v).map_err(|_| format!("int {v} out of range"))
    }

    /// A length prefix, checked against the bytes left.
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.long()?;
        let len = usize::try_from(len).map_err(|_| format!("negative length {len}"))?;
        self.take(len)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// The next block's item count of an array or map (0 ends it); never used to reserve room.
    fn block(&mut self) -> Result<u64, String> {
        let n = self.long()?;
        if n < 0 {
            self.long()?; // the block's size in bytes, for skipping
        }
        Ok(n.unsigned_abs())
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly as JSON requires; writing to a Vec cannot fail.
    _ = serde_json::to_writer(&mut *out, s);
}

/// `number` of `avro.rs`, written in place.
fn float(out: &mut Vec<u8>, f: f64) {
    match serde_json::Number::from_f64(f) {
        // The text of `Display` (both write zmij's shortest form), without `fmt`'s machinery.
        Some(n) => _ = serde_json::to_writer(&mut *out, &n),
        None => string(out, &f.to_string()),
    }
}

fn push_num(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

impl Plan {
    /// Compiles `schema` with the named types `names` (from `ResolvedSchema`).
    pub fn compile(schema: &Schema, names: &HashMap<String, Schema>) -> Result<Plan, String> {
        let mut c = Compiler {
            names,
            nodes: Vec::new(),
            named: HashMap::new(),
        };
        let root = c.compile(schema, &None)?;
        if c.nodes.iter().any(|n| matches!(n, Node::Pending)) {
            return Err("a named type was left unresolved".into());
        }
        let nesting = nesting(&c.nodes, root, &mut vec![None; c.nodes.len()]);
        Ok(Plan {
            nodes: c.nodes,
            root,
            nesting,
        })
    }

    /// Like [`Plan::decode`], and where each top-level field is in the text when the root is a
    /// record whose text always nests less than serde_json's limit (a schema that is not
    /// recursive), so the profiles can read those fields without parsing the whole text again.
    pub fn decode_top(&self, body: &[u8]) -> Result<(String, Option<Vec<TopField>>), String> {
        let fields = match &self.nodes[self.root] {
            Node::Record(fields) if self.nesting.is_some_and(|n| n <= SAFE_NESTING) => fields,
            _ => return self.decode(body).map(|t| (t, None)),
        };
        let mut r = Reader {
            buf: body,
            empty_items: body.len().max(MIN_EMPTY_ITEMS),
        };
        let mut out = Vec::with_capacity(body.len() * 2 + 16);
        let mut top = Vec::with_capacity(fields.len());
        out.push(b'{');
        for (key, f) in fields {
            // `key` is `"name":` or `,"name":`; an Avro name has no characters JSON escapes.
            let end = out.len() + key.len() - 2;
            let start = out.len() + 1 + usize::from(key.starts_with(','));
            out.extend_from_slice(key.as_bytes());
            let at = out.len();
            self.node(*f, &mut r, &mut out, 1)?;
            top.push((start..end, at..out.len()));
        }
        out.push(b'}');
        if !r.buf.is_empty() {
            return Err(format!("{} bytes left after the datum", r.buf.len()));
        }
        let text = String::from_utf8(out).map_err(|e| e.to_string())?;
        let plain = top.iter().all(|(k, _)| !text[k.clone()].contains('\\'));
        Ok((text, plain.then_some(top)))
    }

    /// Decodes one datum (the whole body: trailing bytes are an error) to JSON text.
    pub fn decode(&self, body: &[u8]) -> Result<String, String> {
        let mut r = Reader {
            buf: body,
            empty_items: body.len().max(MIN_EMPTY_ITEMS),
        };
        let mut out = Vec::with_capacity(body.len() * 2 + 16);
        self.node(self.root, &mut r, &mut out, 0)?;
        if !r.buf.is_empty() {
            return Err(format!("{} bytes left after the datum", r.buf.len()));
        }
        String::from_utf8(out).map_err(|e| e.to_string())
    }

    fn node(&self, at: usize, r: &mut Reader, out: &mut Vec<u8>, depth: u32) -> Result<(), String> {
        if depth > 256 {
            return Err("values nested deeper than 256".into());
        }
        match &self.nodes[at] {
            Node::Record(fields) => {
                out.push(b'{');
                for (key, f) in fields {
                    out.extend_from_slice(key.as_bytes());
                    self.node(*f, r, out, depth + 1)?;
                }
                out.push(b'}');
            }
            Node::Array(item) => {
                out.push(b'[');
                self.blocks(r, out, |plan, r, out| plan.node(*item, r, out, depth + 1))?;
                out.push(b']');
            }
            Node::Map(item) => {
                out.push(b'{');
                self.blocks(r, out, |plan, r, out| {
                    let key = std::str::from_utf8(r.bytes()?).map_err(|e| e.to_string())?;
                    string(out, key);
                    out.push(b':');
                    plan.node(*item, r, out, depth + 1)
                })?;
                out.push(b'}');
            }
            Node::Union(branches) => {
                let i = r.long()?;
                let branch = usize::try_from(i)
                    .ok()
                    .and_then(|i| branches.get(i))
                    .ok_or_else(|| format!("union branch {i} of {}", branches.len()))?;
                self.node(*branch, r, out, depth + 1)?;
            }
            scalar => scalar_node(scalar, r, out)?,
        }
        Ok(())
    }

    /// The blocks of an array or map: `item` writes one item; items are comma-separated.
    fn blocks(
        &self,
        r: &mut Reader,
        out: &mut Vec<u8>,
        item: impl Fn(&Plan, &mut Reader, &mut Vec<u8>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut first = true;
        loop {
            let n = r.block()?;
            if n == 0 {
                return Ok(());
            }
            for _ in 0..n {
                if !first {
                    out.push(b',');
                }
                first = false;
                let left = r.buf.len();
                item(self, r, out)?;
                if r.buf.len() == left {
                    r.empty_items = r.empty_items.checked_sub(1).ok_or_else(|| {
                        "more items of no bytes than the datum has bytes".to_string()
                    })?;
                }
            }
        }
    }
}

/// How deep the JSON of node `at` nests; `None` when the node is recursive. `seen[at]`: in
/// progress (`Some(None)`) or done.
fn nesting(nodes: &[Node], at: usize, seen: &mut [Option<Option<u32>>]) -> Option<u32> {
    if let Some(known) = seen[at] {
        return known;
    }
    seen[at] = Some(None);
    let children: Vec<usize> = match &nodes[at] {
        Node::Record(fields) => fields.iter().map(|(_, f)| *f).collect(),
        Node::Array(item) | Node::Map(item) => vec![*item],
        Node::Union(branches) => branches.clone(),
        _ => Vec::new(),
    };
    let deepest = children
        .into_iter()
        .try_fold(0, |d, c| Some(d.max(nesting(nodes, c, seen)?)));
    let n = match &nodes[at] {
        Node::Record(_) | Node::Array(_) | Node::Map(_) => deepest.map(|d| d + 1),
        Node::Duration => Some(1),
        _ => deepest,
    };
    seen[at] = Some(n);
    n
}

fn scalar_node(node: &Node, r: &mut Reader, out: &mut Vec<u8>) -> Result<(), String> {
    match node {
        Node::Null => out.extend_from_slice(b"null"),
        Node::Boolean => match r.take(1)?[0] {
            0 => out.extend_from_slice(b"false"),
            1 => out.extend_from_slice(b"true"),
            b => return Err(format!("boolean byte {b}")),
        },
        Node::Int => push_num(out, r.int()?),
        Node::Long => push_num(out, r.long()?),
        Node::Float => float(out, f64::from(f32::from_le_bytes(r.array()?))),
        Node::Double => float(out, f64::from_le_bytes(r.array()?)),
        Node::String => {
            let b = r.bytes()?;
            // Printable ASCII other than `"` and `\` is its own JSON text (and valid UTF-8):
            // most strings are, and skip the UTF-8 check and the escaper. (A fold without
            // early exit: the compiler checks many bytes at once.)
            let odd = b.iter().fold(false, |odd, &c| {
                odd | !(0x20..0x7f).contains(&c) | (c == b'"') | (c == b'\\')
            });
            if !odd {
                out.push(b'"');
                out.extend_from_slice(b);
                out.push(b'"');
            } else {
                string(out, std::str::from_utf8(b).map_err(|e| e.to_string())?);
            }
        }
        Node::Bytes => string(out, &latin1(r.bytes()?)),
        Node::Fixed(n) => string(out, &latin1(r.take(*n)?)),
        Node::Enum(symbols) => {
            let i = r.int()?;
            let s = usize::try_from(i)
                .ok()
                .and_then(|i| symbols.get(i))
                .ok_or_else(|| format!("enum index {i} of {}", symbols.len()))?;
            out.extend_from_slice(s.as_bytes());
        }
        Node::Decimal(scale, fixed) => {
            let b = match fixed {
                Some(n) => r.take(*n)?,
                None => r.bytes()?,
            };
            if b.is_empty() {
                // As apache-avro (and Java's BigInteger) refuse it; fastavro would read 0.
                return Err("decimal of no bytes".into());
            }
            string(out, &decimal_text(b, *scale));
        }
        Node::Date => string(out, &date_text(r.int()?)?),
        Node::TimeMillis => string(out, &time_text(i64::from(r.int()?) * 1_000_000, 3)?),
        Node::TimeMicros => {
            let us = r.long()?;
            string(out, &time_text(us.saturating_mul(1_000), 6)?);
        }
        Node::Timestamp(unit, digits, zone) => {
            write_timestamp(out, r.long()?, *unit, *digits, zone)?;
        }
        Node::Duration => {
            let b: [u8; 12] = r.array()?;
            let word = |k: usize| u32::from_le_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]);
            out.extend_from_slice(b"{\"months\":");
            push_num(out, word(0));
            out.extend_from_slice(b",\"days\":");
            push_num(out, word(4));
            out.extend_from_slice(b",\"millis\":");
            push_num(out, word(8));
            out.push(b'}');
        }
        Node::ViaValue(schema) => {
            // Both are length-prefixed bytes: check the length here, as `apache-avro` allocates
            // it before reading.
            let mut peek = *r;
            peek.bytes()?;
            let value = apache_avro::from_avro_datum(schema, &mut r.buf, None)
                .map_err(|e| e.to_string())?;
            let mut text = String::new();
            super::avro::scalar_json(&value, &mut text)?;
            out.extend_from_slice(text.as_bytes());
        }
        Node::Record(_) | Node::Array(_) | Node::Map(_) | Node::Union(_) | Node::Pending => {
            return Err("internal: not a scalar node".into());
        }
    }
    Ok(())
}

/// `timestamp` of `avro.rs` without its allocations for the years 0-9999 (what chrono's `%Y`
/// writes as four digits); other years go through it.
fn write_timestamp(
    out: &mut Vec<u8>,
    v: i64,
    unit: i64,
    digits: usize,
    zone: &str,
) -> Result<(), String> {
    use chrono::{Datelike, Timelike};
    let per_sec = 1_000_000_000 / unit;
    let secs = v.div_euclid(per_sec);
    let nanos = (v.rem_euclid(per_sec) * unit) as u32;
    let t = chrono::DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| format!("timestamp {v} out of range"))?;
    if !(0..=9999).contains(&t.year()) {
        string(out, &timestamp(v, unit, digits, zone)?);
        return Ok(());
    }
    let mut buf = [0u8; 40];
    let mut k = 0;
    let mut put = |n: u32, width: usize| {
        for i in (0..width).rev() {
            buf[k + i] = b'0' + (n / 10u32.pow((width - 1 - i) as u32) % 10) as u8;
        }
        k += width;
    };
    put(t.year() as u32, 4);
    put(t.month(), 2);
    put(t.day(), 2);
    put(t.hour(), 2);
    put(t.minute(), 2);
    put(t.second(), 2);
    put(nanos / 10u32.pow(9 - digits as u32), digits);
    let b = &buf[..k];
    out.push(b'"');
    for (part, sep) in [
        (&b[0..4], b'-'),
        (&b[4..6], b'-'),
        (&b[6..8], b'T'),
        (&b[8..10], b':'),
        (&b[10..12], b':'),
        (&b[12..14], b'.'),
    ] {
        out.extend_from_slice(part);
        out.push(sep);
    }
    out.extend_from_slice(&b[14..]);
    out.extend_from_slice(zone.as_bytes());
    out.push(b'"');
    Ok(())
}

#[cfg(test)]
mod tests;
