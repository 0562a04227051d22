//! JSON Schema bodies of the Confluent wire format: plain JSON after the 5-byte header
//! (<https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/serdes-json.html>).
//! The schema is not used to validate (a debugger shows what was sent); its `title` names the type.

use serde_json::value::RawValue;

#[derive(Debug)]
pub struct JsonSchema {
    title: Option<String>,
}

impl JsonSchema {
    pub fn parse(text: &str) -> Result<JsonSchema, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if !v.is_object() && !v.is_boolean() {
            return Err("a JSON Schema is an object or a boolean".into());
        }
        let title = v.get("title").and_then(|t| t.as_str()).map(Into::into);
        Ok(JsonSchema { title })
    }

    /// The schema's `title`, the event type candidate.
    pub fn name(&self) -> Option<String> {
        self.title.clone()
    }

    /// The body as JSON text (validated, white space kept as sent).
    pub fn decode(body: &[u8]) -> Result<String, String> {
        let text = std::str::from_utf8(body).map_err(|e| format!("body is not UTF-8: {e}"))?;
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(raw.get().to_string())
    }
}
