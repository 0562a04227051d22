//! Avro bodies of the Confluent wire format, rendered as JSON text for the profiles and the
//! inspector. Schemas are parsed with the `apache-avro` crate; bodies are decoded by the plan
//! compiled from the schema (`avro_plan.rs`), and can also be read through `apache-avro`'s `Value`
//! (`decode_via_value`), which the fast path is checked against.
//!
//! Rendering (Avro specification, <https://avro.apache.org/docs/1.12.0/specification/>, with the
//! choices the specification leaves open; the differential test in `tests/producers/schemas.rs`
//! holds fastavro's reading of the same bytes to it):
//! - records are objects with their fields in schema order; maps are objects; arrays are arrays;
//! - a union is its branch's value, unwrapped (not Avro's JSON encoding `{"string": "x"}`), so a
//!   nullable `correlationId` reads like a JSON one;
//! - an enum is its symbol; `bytes` and `fixed` are strings of one code point per byte
//!   (U+0000-U+00FF), as in Avro's JSON encoding;
//! - `float` is the exact `f32` value widened to `f64`;
//! - `decimal` is a string with exactly `scale` digits after the point (`"-12.30"`): a JSON number
//!   could lose digits;
//! - `timestamp-millis` / `timestamp-micros` / `timestamp-nanos` are RFC 3339 UTC strings with 3 / 6
//!   / 9 fractional digits (`2026-11-28T10:00:00.120Z`), `local-timestamp-*` the same without `Z`;
//!   `date` is `YYYY-MM-DD`; `time-millis` / `time-micros` are `HH:MM:SS.fff` / `HH:MM:SS.ffffff`;
//!   `uuid` is its hyphenated text; `duration` is `{"months":..,"days":..,"millis":..}`.

use apache_avro::Schema;
use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use std::collections::HashMap;
use std::fmt::Write;

/// A parsed writer schema, its named types (to follow references) and its decode plan.
#[derive(Debug)]
pub struct AvroSchema {
    schema: Schema,
    names: HashMap<String, Schema>,
    plan: super::avro_plan::Plan,
    full_name: Option<String>,
}

/// The longest string, bytes or collection `apache-avro` may allocate for (its default is 512 MiB):
/// a Kafka record is at most a few MiB (`message.max.bytes`, 1 MiB by default), so a longer length
/// prefix is hostile or damaged and is refused rather than allocated.
const MAX_ALLOCATION: usize = 16 << 20;

impl AvroSchema {
    pub fn parse(text: &str) -> Result<AvroSchema, String> {
        apache_avro::util::max_allocation_bytes(MAX_ALLOCATION);
        let schema = Schema::parse_str(text).map_err(|e| e.to_string())?;
        let names = ResolvedSchema::try_from(&schema)
            .map_err(|e| e.to_string())?
            .get_names()
            .iter()
            .map(|(n, s)| (n.fullname(None), (*s).clone()))
            .collect();
        let plan = super::avro_plan::Plan::compile(&schema, &names)?;
        let full_name = schema.name().map(|n| n.fullname(None));
        Ok(AvroSchema {
            schema,
            names,
            plan,
            full_name,
        })
    }

    /// The full name of the top-level record, enum or fixed type.
    pub fn name(&self) -> Option<String> {
        self.full_name.clone()
    }

    /// Decodes one datum (the whole body: trailing bytes are an error) to JSON text.
    pub fn decode(&self, body: &[u8]) -> Result<String, String> {
        self.plan.decode(body)
    }

    /// [`AvroSchema::decode`], and where the top-level fields are in the text when the plan
    /// knows (`avro_plan::Plan::decode_top`).
    pub fn decode_top(
        &self,
        body: &[u8],
    ) -> Result<(String, Option<Vec<super::TopField>>), String> {
        self.plan.decode_top(body)
    }

    /// [`AvroSchema::decode`] through `apache-avro`'s `Value` tree: the reference the plan is
    /// checked against (tests, fuzz target). Slower, and it reserves room for an array's or map's
    /// whole block count before reading it.
    pub fn decode_via_value(&self, body: &[u8]) -> Result<String, String> {
        let mut reader = body;
        let value = apache_avro::from_avro_datum(&self.schema, &mut reader, None)
            .map_err(|e| e.to_string())?;
        if !reader.is_empty() {
            return Err(format!("{} bytes left after the datum", reader.len()));
        }
        let mut out = String::with_capacity(body.len() * 2);
        self.render(&value, &self.schema, &mut out)?;
        Ok(out)
    }

    fn resolve<'s>(&'s self, schema: &'s Schema) -> &'s Schema {
        match schema {
            Schema::Ref { name } => self.names.get(&name.fullname(None)).unwrap_or(schema),
            _ => schema,
        }
    }

    fn render(&self, value: &Value, schema: &Schema, out: &mut String) -> Result<(), String> {
        let schema = self.resolve(schema);
        match value {
            Value::Union(i, inner) => {
                let branch = match schema {
                    Schema::Union(u) => u.variants().get(*i as usize).unwrap_or(schema),
                    _ => schema,
                };
                self.render(inner, branch, out)
            }
            Value::Record(fields) => {
                let field_schemas = match schema {
                    Schema::Record(r) => Some(&r.fields),
                    _ => None,
                };
                out.push('{');
                for (k, (name, v)) in fields.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    string(out, name);
                    out.push(':');
                    let fs = field_schemas
                        .and_then(|f| f.get(k))
                        .map_or(&Schema::Null, |f| &f.schema);
                    self.render(v, fs, out)?;
                }
                out.push('}');
                Ok(())
            }
            Value::Array(items) => {
                let item = match schema {
                    Schema::Array(a) => &*a.items,
                    _ => &Schema::Null,
                };
                out.push('[');
                for (k, v) in items.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    self.render(v, item, out)?;
                }
                out.push(']');
                Ok(())
            }
            Value::Map(entries) => {
                let item = match schema {
                    Schema::Map(m) => &*m.types,
                    _ => &Schema::Null,
                };
                out.push('{');
                for (k, (name, v)) in entries.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    string(out, name);
                    out.push(':');
                    self.render(v, item, out)?;
                }
                out.push('}');
                Ok(())
            }
            Value::Decimal(d) => {
                let scale = match schema {
                    Schema::Decimal(s) => s.scale,
                    _ => 0,
                };
                let bytes = Vec::<u8>::try_from(d).map_err(|e| e.to_string())?;
                string(out, &decimal_text(&bytes, scale));
                Ok(())
            }
            scalar => scalar_json(scalar, out),
        }
    }
}

pub(super) fn string(out: &mut String, s: &str) {
    // serde_json escapes exactly as JSON requires; writing to a String cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// Bytes as Avro's JSON encoding writes them: one code point U+0000-U+00FF per byte.
pub(super) fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

pub(super) fn scalar_json(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => _ = write!(out, "{i}"),
        Value::Long(i) => _ = write!(out, "{i}"),
        Value::Float(f) => number(out, f64::from(*f)),
        Value::Double(f) => number(out, *f),
        Value::Bytes(b) | Value::Fixed(_, b) => string(out, &latin1(b)),
        Value::String(s) | Value::Enum(_, s) => string(out, s),
        Value::Uuid(u) => string(out, &u.to_string()),
        Value::BigDecimal(d) => string(out, &d.to_string()),
        Value::Date(days) => string(out, &date_text(*days)?),
        Value::TimeMillis(ms) => string(out, &time_text(i64::from(*ms) * 1_000_000, 3)?),
        Value::TimeMicros(us) => string(out, &time_text(us.saturating_mul(1_000), 6)?),
        Value::TimestampMillis(v) => string(out, &timestamp(*v, 1_000_000, 3, "Z")?),
        Value::TimestampMicros(v) => string(out, &timestamp(*v, 1_000, 6, "Z")?),
        Value::TimestampNanos(v) => string(out, &timestamp(*v, 1, 9, "Z")?),
        Value::LocalTimestampMillis(v) => string(out, &timestamp(*v, 1_000_000, 3, "")?),
        Value::LocalTimestampMicros(v) => string(out, &timestamp(*v, 1_000, 6, "")?),
        Value::LocalTimestampNanos(v) => string(out, &timestamp(*v, 1, 9, "")?),
        Value::Duration(d) => {
            let (m, dd, ms): (u32, u32, u32) =
                (d.months().into(), d.days().into(), d.millis().into());
            _ = write!(out, r#"{{"months":{m},"days":{dd},"millis":{ms}}}"#);
        }
        other => return Err(format!("unexpected Avro value {other:?}")),
    }
    Ok(())
}

/// A finite double as serde_json writes it (shortest round-trip text); NaN and infinities,
/// which JSON cannot hold, as strings.
fn number(out: &mut String, f: f64) {
    match serde_json::Number::from_f64(f) {
        Some(n) => _ = write!(out, "{n}"),
        None => string(out, &f.to_string()),
    }
}

/// A decimal's two's-complement big-endian unscaled value, with `scale` digits after the point.
/// Up to 16 bytes (38 digits, the usual maximum precision) exactly; longer values are written as
/// their bytes, as Avro's JSON encoding does.
pub(super) fn decimal_text(bytes: &[u8], scale: usize) -> String {
    if bytes.len() > 16 {
        return latin1(bytes);
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut buf = [if negative { 0xFF } else { 0 }; 16];
    buf[16 - bytes.len()..].copy_from_slice(bytes);
    let v = i128::from_be_bytes(buf);
    let digits = v.unsigned_abs().to_string();
    let digits = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = digits.split_at(digits.len() - scale);
    let sign = if negative { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

pub(super) fn timestamp(
    v: i64,
    nanos_per_unit: i64,
    digits: usize,
    zone: &str,
) -> Result<String, String> {
    let secs = v.div_euclid(1_000_000_000 / nanos_per_unit);
    let sub = v.rem_euclid(1_000_000_000 / nanos_per_unit);
    let nanos = u32::try_from(sub * nanos_per_unit).map_err(|e| e.to_string())?;
    let t = chrono::DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| format!("timestamp {v} out of range"))?;
    let frac = format!("{:09}", nanos);
    Ok(format!(
        "{}.{}{zone}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        &frac[..digits]
    ))
}

pub(super) fn date_text(days: i32) -> Result<String, String> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    epoch
        .checked_add_signed(chrono::TimeDelta::days(i64::from(days)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| format!("date {days} out of range"))
}

pub(super) fn time_text(nanos_of_day: i64, digits: usize) -> Result<String, String> {
    if !(0..86_400_000_000_000).contains(&nanos_of_day) {
        return Err(format!("time of day {nanos_of_day} ns out of range"));
    }
    let s = nanos_of_day / 1_000_000_000;
    let frac = format!("{:09}", nanos_of_day % 1_000_000_000);
    Ok(format!(
        "{:02}:{:02}:{:02}.{}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        &frac[..digits]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal_text(&[0x04, 0xD2], 2), "12.34");
        assert_eq!(decimal_text(&[0xFB, 0x2E], 2), "-12.34");
        assert_eq!(decimal_text(&[0x05], 3), "0.005");
        assert_eq!(decimal_text(&[0x00], 0), "0");
        assert_eq!(decimal_text(&[0xFF], 1), "-0.1");
    }

    #[test]
    fn times_render_as_rfc_3339() {
        assert_eq!(
            timestamp(1_764_324_000_120, 1_000_000, 3, "Z").unwrap(),
            "2025-11-28T10:00:00.120Z"
        );
        assert_eq!(
            timestamp(-1, 1_000, 6, "Z").unwrap(),
            "1969-12-31T23:59:59.999999Z"
        );
        assert_eq!(date_text(-1).unwrap(), "1969-12-31");
        assert_eq!(time_text(3_723_004_000_000, 3).unwrap(), "01:02:03.004");
    }
}
