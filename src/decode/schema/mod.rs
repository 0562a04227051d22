//! Schema-aware payloads: records in the Confluent Schema Registry wire format
//! (<https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format>:
//! magic byte 0, a 4-byte big-endian schema id, then the body) decoded with schemas loaded once
//! from a directory (`--schemas DIR`), so that the body becomes the event's JSON payload, read by
//! the profiles exactly as if it had been sent as JSON.
//!
//! A directory holds `.avsc` files (Avro), `.json` files (JSON Schema) and `.desc` files
//! (Protobuf `FileDescriptorSet`s, `protobuf.rs`). A record's schema is
//! found by its id (an `ids.json` map `{"42": "orders-value.avsc"}`, or a file named `42.avsc`),
//! else by its subject under the TopicNameStrategy, `<topic>-value` (a file named
//! `orders-value.avsc`). Loading reads every file once; decoding does no I/O.

pub mod avro;
mod avro_plan;
pub mod json_schema;
pub mod protobuf;
mod protobuf_raw;
pub mod schemaless;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One loaded schema.
#[derive(Debug)]
pub enum Kind {
    Avro(avro::AvroSchema),
    Json(json_schema::JsonSchema),
    Protobuf(protobuf::ProtoSchema),
}

#[derive(Debug)]
pub struct Entry {
    /// The file it came from (for messages).
    pub file: String,
    pub kind: Kind,
}

impl Entry {
    fn format(&self) -> &'static str {
        match self.kind {
            Kind::Avro(_) => "avro",
            Kind::Json(_) => "json",
            Kind::Protobuf(_) => "protobuf",
        }
    }

    fn decoder(&self) -> crate::model::PayloadDecoder {
        use crate::model::PayloadDecoder as D;
        match self.kind {
            Kind::Avro(_) => D::Avro,
            Kind::Json(_) => D::JsonSchema,
            Kind::Protobuf(_) => D::Protobuf,
        }
    }
}

/// The schemas of one `--schemas DIR`, shared by every decoder thread.
#[derive(Debug, Default)]
pub struct SchemaSet {
    dir: String,
    by_id: HashMap<u32, Arc<Entry>>,
    by_subject: HashMap<String, Arc<Entry>>,
}

/// A body decoded with its schema.
pub struct Decoded {
    /// The payload as JSON text.
    pub json: String,
    /// The record (Avro), message (Protobuf) or title (JSON Schema) name: a candidate event type.
    pub name: Option<String>,
    /// What was used, shown as the event's content type:
    /// `avro; schema-id=42; file=orders-value.avsc; name=shop.OrderPlaced`.
    pub note: String,
    pub decoder: crate::model::PayloadDecoder,
}

fn load_file(path: &Path) -> Result<Option<Entry>, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !["avsc", "json", "desc"].contains(&ext) {
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = || String::from_utf8(bytes.clone()).map_err(|e| e.to_string());
    let kind = match ext {
        "avsc" => text()
            .and_then(|t| avro::AvroSchema::parse(&t))
            .map(Kind::Avro),
        "json" => text()
            .and_then(|t| json_schema::JsonSchema::parse(&t))
            .map(Kind::Json),
        _ => protobuf::ProtoSchema::parse(&bytes).map(Kind::Protobuf),
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let file = path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    Ok(Some(Entry { file, kind }))
}

impl SchemaSet {
    /// Loads every `.avsc`, `.json` and `.desc` file of `dir` (not recursively) and its `ids.json`.
    pub fn load_dir(dir: &Path) -> Result<SchemaSet, String> {
        let shown = dir.display().to_string();
        let listing = std::fs::read_dir(dir).map_err(|e| format!("--schemas {shown}: {e}"))?;
        let mut set = SchemaSet {
            dir: shown,
            ..Default::default()
        };
        let mut by_file = HashMap::new();
        for item in listing {
            let path = item.map_err(|e| format!("{}: {e}", set.dir))?.path();
            if path.file_name().is_some_and(|f| f == "ids.json") {
                continue;
            }
            let Some(entry) = load_file(&path)? else {
                continue;
            };
            let entry = Arc::new(entry);
            let stem = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            match stem.parse::<u32>() {
                Ok(id) => set.by_id.insert(id, entry.clone()),
                Err(_) => set.by_subject.insert(stem, entry.clone()),
            };
            by_file.insert(entry.file.clone(), entry);
        }
        let ids = dir.join("ids.json");
        if ids.exists() {
            set.read_ids(&ids, &by_file)?;
        }
        Ok(set)
    }

    fn read_ids(
        &mut self,
        ids: &Path,
        by_file: &HashMap<String, Arc<Entry>>,
    ) -> Result<(), String> {
        let shown = ids.display();
        let text = std::fs::read_to_string(ids).map_err(|e| format!("{shown}: {e}"))?;
        let map: HashMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| format!("{shown}: {e} (expected {{\"42\": \"orders-value.avsc\"}})"))?;
        for (id, file) in map {
            let id: u32 = id
                .parse()
                .map_err(|_| format!("{shown}: '{id}' is not a schema id"))?;
            let entry = by_file.get(&file).ok_or_else(|| {
                format!("{shown}: schema id {id} names '{file}', not in the directory")
            })?;
            self.by_id.insert(id, entry.clone());
        }
        Ok(())
    }

    /// How many schema ids and subjects the set knows.
    pub fn len(&self) -> usize {
        self.by_id.len() + self.by_subject.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes the body of a wire-format record with schema id `id` on `topic`. The error names
    /// the id, the subject tried and the directory.
    pub fn decode(&self, id: u32, topic: Option<&str>, body: &[u8]) -> Result<Decoded, String> {
        // The subject is only spelled out when the id is unknown (not once per record).
        let subject = || topic.map(|t| format!("{t}-value"));
        let entry = match self.by_id.get(&id) {
            Some(e) => Some(e),
            None => subject().and_then(|s| self.by_subject.get(&s)),
        };
        let entry = entry.ok_or_else(|| {
            format!(
                "no schema for id {id}{} in {}",
                subject().map_or(String::new(), |s| format!(" or subject {s}")),
                self.dir
            )
        })?;
        let decoded = match &entry.kind {
            Kind::Avro(s) => s.decode(body).map(|j| (j, s.name())),
            Kind::Json(s) => json_schema::JsonSchema::decode(body).map(|j| (j, s.name())),
            Kind::Protobuf(s) => s.decode(body).map(|(j, n)| (j, Some(n))),
        };
        let (json, name) = decoded
            .map_err(|e| format!("{} schema {} (id {id}): {e}", entry.format(), entry.file))?;
        let mut note = format!("{}; schema-id={id}; file={}", entry.format(), entry.file);
        if let Some(n) = &name {
            note.push_str("; name=");
            note.push_str(n);
        }
        Ok(Decoded {
            json,
            name,
            note,
            decoder: entry.decoder(),
        })
    }
}

#[cfg(test)]
mod tests;
