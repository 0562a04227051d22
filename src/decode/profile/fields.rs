//! The top-level fields of a JSON payload, read for the profiles without building a
//! `serde_json::Value`: strings stay borrowed from the text (unless they hold escapes), nested
//! values are checked and skipped, and only what a profile can read is kept (strings, numbers,
//! an array's first item, and the fields of a `metadata` object, one level down).
//!
//! serde_json parses it through `deserialize_any`, the path `Value` takes, so exactly the texts
//! `Value` accepts are accepted (grammar, number range, nesting limit) and the same value wins
//! on a duplicate key (the last). `serde::de::IgnoredAny` is not used to skip: serde_json skips
//! it without the nesting limit and the number range, so it accepts texts `Value` refuses.
//! Hand-written visitors because no crate keeps "these fields, borrowed" of an unknown object;
//! building the `Value` was most of a record's decoding time (its map and every string
//! allocated).

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// The names under which the `common` profile looks for a metadata object.
pub(crate) const METADATA: [&str; 3] = ["metadata", "Metadata", "meta"];

/// What a profile can read of a value.
#[derive(Debug, PartialEq)]
pub(crate) enum Slot<'a> {
    Str(Cow<'a, str>),
    Num(Number),
    /// An array, with its first item when that is a string.
    Array(Option<Cow<'a, str>>),
    /// An object under one of the [`METADATA`] names: its fields (nested values are `Other`).
    Object(Fields<'a>),
    /// Null, a boolean, or a value nobody reads.
    Other,
}

/// One field: its key (borrowed when it had no escapes, so the text holds it as it is) and value.
#[derive(Debug, PartialEq)]
pub(crate) struct Entry<'a> {
    pub key: Cow<'a, str>,
    /// [`tag`] of the key.
    tag: u64,
    pub slot: Slot<'a>,
}

/// A key's length and first 7 bytes in one word: most names differ there, so a lookup compares
/// words (the profiles look up ~40 names in every payload) and whole names only when they agree.
fn tag(key: &str) -> u64 {
    // A loop of at most 7 steps: a copy of a variable length would call `memcpy`.
    let b = key.as_bytes();
    let head = b
        .iter()
        .take(7)
        .enumerate()
        .fold(0, |w, (i, &c)| w | u64::from(c) << (8 * i));
    head | (b.len().min(255) as u64) << 56
}

impl<'a> Entry<'a> {
    fn new(key: Cow<'a, str>, slot: Slot<'a>) -> Entry<'a> {
        Entry {
            tag: tag(&key),
            key,
            slot,
        }
    }

    /// Whether the key is written in the payload as it reads (no escapes).
    pub fn literal(&self) -> bool {
        matches!(self.key, Cow::Borrowed(_))
    }

    /// The value as the profiles take it: a non-empty string, or a number's text.
    pub fn text(&self) -> Option<String> {
        match &self.slot {
            Slot::Str(s) if !s.is_empty() => Some(s.to_string()),
            Slot::Num(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// The fields of an object, in the order of the text (duplicates kept; the last one counts),
/// and which of them is its metadata object (the first of [`METADATA`] that is an object).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Fields<'a> {
    entries: Vec<Entry<'a>>,
    metadata: Option<usize>,
    /// A bit per key ([`bit`]): most names looked up are in no payload, and miss on one test.
    keys: u64,
}

/// A key's bit in [`Fields::keys`], from its tag.
fn bit(tag: u64) -> u64 {
    1 << (tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

impl<'a> Fields<'a> {
    /// The fields of `text` when it is a JSON object `serde_json::Value` would accept.
    pub fn parse(text: &'a str) -> Option<Fields<'a>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let fields = de.deserialize_any(Level::Top).ok()?;
        de.end().ok()?;
        match fields {
            Slot::Object(f) => Some(f),
            _ => None,
        }
    }

    /// The fields of `text`, a JSON object that `serde_json::Value` is known to accept (written
    /// by the Avro plan, which also says where each top-level field is: `top`), read without
    /// parsing the rest: what [`Fields::parse`] gives for it. A value no profile reads (an object
    /// not under a metadata name, an array whose first item is no string) is not looked at.
    pub fn from_top(text: &'a str, top: &[(Range<usize>, Range<usize>)]) -> Option<Fields<'a>> {
        let mut fields = Vec::with_capacity(top.len());
        for (k, v) in top {
            let (key, value) = (text.get(k.clone())?, text.get(v.clone())?);
            let metadata = METADATA.contains(&key);
            let slot = match value.as_bytes().first()? {
                b'{' if !metadata => Slot::Other,
                b'[' if !value[1..].trim_start().starts_with('"') => Slot::Array(None),
                b't' | b'f' | b'n' => Slot::Other,
                // A string without escapes reads as the text between its quotes.
                b'"' if !value.contains('\\') => {
                    let inner = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
                    Slot::Str(Cow::Borrowed(inner?))
                }
                _ => {
                    let mut de = serde_json::Deserializer::from_str(value);
                    let slot = de.deserialize_any(Level::Field { metadata }).ok()?;
                    de.end().ok()?;
                    slot
                }
            };
            fields.push(Entry::new(Cow::Borrowed(key), slot));
        }
        Some(Fields::new(fields))
    }

    fn new(entries: Vec<Entry<'a>>) -> Fields<'a> {
        let keys = entries.iter().fold(0, |k, e| k | bit(e.tag));
        let mut f = Fields {
            entries,
            metadata: None,
            keys,
        };
        f.metadata = METADATA.iter().find_map(|k| {
            let at = f.entries.iter().rposition(|e| e.key == *k)?;
            matches!(f.entries[at].slot, Slot::Object(_)).then_some(at)
        });
        f
    }

    /// The field named `name` (the last of that name, as `serde_json::Map` keeps it).
    pub fn get(&self, name: &str) -> Option<&Entry<'a>> {
        let t = tag(name);
        if self.keys & bit(t) == 0 {
            return None;
        }
        self.entries
            .iter()
            .rev()
            .find(|e| e.tag == t && (name.len() <= 7 || e.key == name))
    }

    /// The first of [`METADATA`] that is an object.
    pub fn metadata(&self) -> Option<&Fields<'a>> {
        match &self.entries[self.metadata?].slot {
            Slot::Object(f) => Some(f),
            _ => None,
        }
    }
}

/// How much of a value is kept: at the top (the payload), in a top-level field, in a metadata
/// object's field, or nothing (a value skipped after checking it).
#[derive(Clone, Copy)]
enum Level {
    Top,
    Field { metadata: bool },
    Inner,
    Skip,
}

impl<'de> DeserializeSeed<'de> for Level {
    type Value = Slot<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slot<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

/// A key, borrowed when the text allows.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

impl Level {
    fn keeps_text(self) -> bool {
        !matches!(self, Level::Skip)
    }
}

impl<'de> Visitor<'de> for Level {
    type Value = Slot<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Slot<'de>, E> {
        Ok(Slot::Other)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Slot<'de>, E> {
        Ok(Slot::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Slot<'de>, E> {
        Ok(Slot::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Slot<'de>, E> {
        Ok(Number::from_f64(v).map_or(Slot::Other, Slot::Num))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Slot<'de>, E> {
        Ok(Slot::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Slot<'de>, E> {
        Ok(match self.keeps_text() {
            true => Slot::Str(Cow::Owned(v.to_owned())),
            false => Slot::Other,
        })
    }
    fn visit_unit<E>(self) -> Result<Slot<'de>, E> {
        Ok(Slot::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slot<'de>, A::Error> {
        let keep = matches!(self, Level::Top | Level::Field { .. });
        let first = match keep {
            true => seq.next_element_seed(Level::Inner)?,
            false => None,
        };
        // After the last item this reads the `]` again, which ends it again.
        while seq.next_element_seed(Level::Skip)?.is_some() {}
        Ok(match (keep, first) {
            (true, Some(Slot::Str(s))) => Slot::Array(Some(s)),
            (true, _) => Slot::Array(None),
            (false, _) => Slot::Other,
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slot<'de>, A::Error> {
        let nested = match self {
            Level::Top => Level::Field { metadata: false },
            Level::Field { metadata: true } => Level::Inner,
            _ => {
                while map.next_key_seed(Level::Skip)?.is_some() {
                    map.next_value_seed(Level::Skip)?;
                }
                return Ok(Slot::Other);
            }
        };
        let mut fields = Vec::with_capacity(16);
        while let Some(key) = map.next_key_seed(Key)? {
            let level = match nested {
                Level::Field { .. } => Level::Field {
                    metadata: METADATA.contains(&&*key),
                },
                other => other,
            };
            let slot = map.next_value_seed(level)?;
            fields.push(Entry::new(key, slot));
        }
        Ok(Slot::Object(Fields::new(fields)))
    }
}
