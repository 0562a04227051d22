//! The demo's records as Avro in the Confluent wire format (`demo --to-kafka --format avro
//! --schemas DIR`): one record schema per event type (`shop.OrderPlaced`, ...), inferred from the
//! demo's own JSON values, written into DIR as `<id>.avsc` (id = type number + 1, the form
//! `--schemas DIR` matches by id), and each value encoded against its type's schema with
//! apache-avro, so the demo shows the whole schema path: `kafka --schemas DIR` decodes it.

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use serde_json::{Value, json};
use std::path::Path;

/// The schemas of the demo's event types, by type number.
pub struct AvroEncoder {
    schemas: Vec<Schema>,
}

/// The schema id of a type number.
pub fn schema_id(ty: u8) -> u32 {
    u32::from(ty) + 1
}

/// An Avro schema (JSON) for a JSON value: objects are records named `name` (nested ones after
/// their field), arrays take their first item's schema, numbers are `long` or `double`.
fn infer(name: &str, v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let fields: Vec<Value> = m
                .iter()
                .map(|(k, v)| {
                    let mut inner = k.clone();
                    if let Some(first) = inner.get_mut(..1) {
                        first.make_ascii_uppercase();
                    }
                    json!({"name": k, "type": infer(&format!("{name}{inner}"), v)})
                })
                .collect();
            json!({"type": "record", "name": name, "fields": fields})
        }
        Value::Array(items) => json!({"type": "array",
            "items": items.first().map_or(json!("string"), |i| infer(name, i))}),
        Value::String(_) => json!("string"),
        Value::Bool(_) => json!("boolean"),
        Value::Number(n) if n.is_i64() => json!("long"),
        Value::Number(_) => json!("double"),
        Value::Null => json!("null"),
    }
}

/// `v` as a value of `schema`; `None` when it does not fit (the demo's poison record).
fn to_avro(v: &Value, schema: &Schema) -> Option<Avro> {
    Some(match (schema, v) {
        (Schema::Record(r), Value::Object(m)) => Avro::Record(
            (r.fields.iter())
                .map(|f| Some((f.name.clone(), to_avro(m.get(&f.name)?, &f.schema)?)))
                .collect::<Option<_>>()?,
        ),
        (Schema::Array(a), Value::Array(items)) => Avro::Array(
            (items.iter())
                .map(|i| to_avro(i, &a.items))
                .collect::<Option<_>>()?,
        ),
        (Schema::String, Value::String(s)) => Avro::String(s.clone()),
        (Schema::Boolean, Value::Bool(b)) => Avro::Boolean(*b),
        (Schema::Long, Value::Number(n)) => Avro::Long(n.as_i64()?),
        (Schema::Double, Value::Number(n)) => Avro::Double(n.as_f64()?),
        (Schema::Null, Value::Null) => Avro::Null,
        _ => return None,
    })
}

impl AvroEncoder {
    /// Infers the schemas and writes them into `dir` (created if missing).
    pub fn write_schemas(dir: &Path) -> Result<AvroEncoder, String> {
        let shown = dir.display();
        std::fs::create_dir_all(dir).map_err(|e| format!("--schemas {shown}: {e}"))?;
        let mut schemas = Vec::new();
        for (ty, (name, sample)) in super::shop::samples().into_iter().enumerate() {
            let value: Value = serde_json::from_str(&sample).map_err(|e| e.to_string())?;
            let mut schema = infer(name, &value);
            schema["namespace"] = json!("shop");
            let text = serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())?;
            let file = dir.join(format!("{}.avsc", schema_id(ty as u8)));
            std::fs::write(&file, &text).map_err(|e| format!("{}: {e}", file.display()))?;
            schemas.push(Schema::parse_str(&text).map_err(|e| format!("{name}: {e}"))?);
        }
        Ok(AvroEncoder { schemas })
    }

    /// The JSON value of a type-`ty` event in the wire format (magic byte 0, the schema id, the
    /// Avro body); `None` when it does not fit its type's schema.
    pub fn encode(&self, ty: u8, json: &str) -> Option<Vec<u8>> {
        let schema = self.schemas.get(usize::from(ty))?;
        let value: Value = serde_json::from_str(json).ok()?;
        let body = apache_avro::to_avro_datum(schema, to_avro(&value, schema)?).ok()?;
        let mut out = Vec::with_capacity(5 + body.len());
        out.push(0);
        out.extend_from_slice(&schema_id(ty).to_be_bytes());
        out.extend_from_slice(&body);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::schema::SchemaSet;

    /// Every type's value, encoded, decodes with `--schemas DIR` to the same JSON (by value:
    /// `12.50` reads back as `12.5`), and the record name is the type.
    #[test]
    fn every_demo_type_round_trips_through_its_schema() {
        let dir = tempfile::tempdir().unwrap();
        let enc = AvroEncoder::write_schemas(dir.path()).unwrap();
        let set = SchemaSet::load_dir(dir.path()).unwrap();
        let samples = crate::ingest::demo::shop::samples();
        assert_eq!(set.len(), samples.len());
        for (ty, (name, json)) in samples.iter().enumerate() {
            let wire = enc.encode(ty as u8, json).unwrap();
            let id = u32::from_be_bytes(wire[1..5].try_into().unwrap());
            let d = set.decode(id, None, &wire[5..]).unwrap();
            let (got, want): (Value, Value) = (
                serde_json::from_str(&d.json).unwrap(),
                serde_json::from_str(json).unwrap(),
            );
            assert_eq!(got, want, "{name}");
            assert_eq!(d.name, Some(format!("shop.{name}")));
        }
        // The poison record's value (a string where items are) does not fit: sent as it is.
        let poison =
            r#"{"orderId":"o","customerId":"c","items":"<binary 0x1f8b0800>","total":"NaN"}"#;
        assert!(enc.encode(0, poison).is_none());
    }
}
