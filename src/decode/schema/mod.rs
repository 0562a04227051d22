//! Schema-aware payloads: records in the Confluent Schema Registry wire format
//! (<https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format>:
//! magic byte 0, a 4-byte big-endian schema id, then the body) decoded with schemas loaded once
//! from a directory (`--schemas DIR`), so that the body becomes the event's JSON payload, read by
//! the profiles exactly as if it had been sent as JSON.
//!
//! A directory holds `.avsc` files (Avro), `.json` files (JSON Schema), `.desc` files
//! (Protobuf `FileDescriptorSet`s, `protobuf.rs`) and `.proto` files (Protobuf sources, compiled
//! when loaded, `proto_source.rs`; one that does not compile is a problem of the set, and the
//! other files still load). A record's schema is
//! found by its id (an `ids.json` map `{"42": "orders-value.avsc"}`, or a file named `42.avsc`),
//! else by its subject under the TopicNameStrategy, `<topic>-value` (a file named
//! `orders-value.avsc`). Loading reads every file once; decoding does no I/O.
//!
//! A set may also ask a Schema Registry for ids it does not hold (`registry.rs`, once per id),
//! and a recording carries the schemas it was decoded with in a sidecar (`sidecar.rs`).

pub mod avro;
mod avro_plan;
pub use avro_plan::TopField;
pub mod json_schema;
mod proto_source;
pub mod protobuf;
mod protobuf_raw;
pub mod registry;
pub mod schemaless;
pub mod sidecar;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One loaded schema.
#[derive(Debug)]
pub enum Kind {
    Avro(Box<avro::AvroSchema>),
    Json(json_schema::JsonSchema),
    Protobuf(protobuf::ProtoSchema),
}

#[derive(Debug)]
pub struct Entry {
    /// The file (or registry URL) it came from (for messages).
    pub file: String,
    /// Where it came from in the content type note: `file=orders-value.avsc`,
    /// `registry=http://host:8081/schemas/ids/7`.
    pub origin: String,
    /// The schema as a registry holds it (what a recording's sidecar keeps).
    pub source: registry::Registered,
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

/// The schemas of one `--schemas DIR` (and/or a registry, a recording's sidecar), shared by
/// every decoder thread.
#[derive(Clone, Debug, Default)]
pub struct SchemaSet {
    dir: String,
    /// Looked up once per record, hence Fx rather than SipHash: it holds only the schemas given,
    /// so a record's id can make a lookup no slower than a few comparisons.
    by_id: rustc_hash::FxHashMap<u32, Arc<Entry>>,
    by_subject: HashMap<String, Arc<Entry>>,
    /// `--schema-registry`: asked for ids the set does not hold.
    registry: Option<Arc<registry::Registry>>,
    /// Files of the directory that could not be loaded (`.proto` files that do not compile).
    problems: Vec<String>,
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
    /// Where the top-level fields are in `json`, when the decoder knows (Avro records).
    pub top: Option<Vec<TopField>>,
}

fn load_file(dir: &Path, path: &Path) -> Result<Option<Entry>, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !["avsc", "json", "desc", "proto"].contains(&ext) {
        return Ok(None);
    }
    let shown = || path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", shown()))?;
    let text = |schema_type: &str| {
        String::from_utf8(bytes.clone())
            .map(|schema| registry::Registered {
                schema_type: schema_type.into(),
                schema,
                references: Vec::new(),
            })
            .map_err(|e| format!("{}: {e}", shown()))
    };
    let source = match ext {
        "avsc" => text("AVRO")?,
        "json" => text("JSON")?,
        "proto" => registry::from_descriptor_set(&proto_source::compile(dir, path)?)
            .map_err(|e| format!("{}: {e}", shown()))?,
        _ => registry::from_descriptor_set(&bytes).map_err(|e| format!("{}: {e}", shown()))?,
    };
    let file = path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let origin = format!("file={file}");
    let entry = registry::entry(&source, file, origin).map_err(|e| format!("{}: {e}", shown()))?;
    Ok(Some(entry))
}

impl SchemaSet {
    /// Loads every `.avsc`, `.json`, `.desc` and `.proto` file of `dir` (not recursively; a
    /// `.proto` file may import files of subdirectories) and its `ids.json`. A `.proto` file that
    /// does not compile is left out and named in [`SchemaSet::problems`].
    pub fn load_dir(dir: &Path) -> Result<SchemaSet, String> {
        let shown = dir.display().to_string();
        let listing = std::fs::read_dir(dir).map_err(|e| format!("--schemas {shown}: {e}"))?;
        let mut set = SchemaSet {
            dir: shown,
            ..Default::default()
        };
        let mut by_file = HashMap::new();
        let mut failed = std::collections::HashSet::new();
        for item in listing {
            let path = item.map_err(|e| format!("{}: {e}", set.dir))?.path();
            if path.file_name().is_some_and(|f| f == "ids.json") {
                continue;
            }
            let entry = match load_file(dir, &path) {
                Ok(Some(entry)) => entry,
                Ok(None) => continue,
                Err(e) if path.extension().is_some_and(|x| x == "proto") => {
                    set.problems.push(e);
                    failed.insert(path.file_name().map(|f| f.to_string_lossy().into_owned()));
                    continue;
                }
                Err(e) => return Err(e),
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
            set.read_ids(&ids, &by_file, &failed)?;
        }
        Ok(set)
    }

    fn read_ids(
        &mut self,
        ids: &Path,
        by_file: &HashMap<String, Arc<Entry>>,
        failed: &std::collections::HashSet<Option<String>>,
    ) -> Result<(), String> {
        let shown = ids.display();
        let text = std::fs::read_to_string(ids).map_err(|e| format!("{shown}: {e}"))?;
        let map: HashMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| format!("{shown}: {e} (expected {{\"42\": \"orders-value.avsc\"}})"))?;
        for (id, file) in map {
            let id: u32 = id
                .parse()
                .map_err(|_| format!("{shown}: '{id}' is not a schema id"))?;
            if failed.contains(&Some(file.clone())) {
                // Already a problem of the set; the id is simply not held.
                continue;
            }
            let entry = by_file.get(&file).ok_or_else(|| {
                format!("{shown}: schema id {id} names '{file}', not in the directory")
            })?;
            self.by_id.insert(id, entry.clone());
        }
        Ok(())
    }

    /// This set, asking `registry` for the ids it does not hold.
    pub fn with_registry(mut self, registry: Arc<registry::Registry>) -> SchemaSet {
        self.registry = Some(registry);
        self
    }

    pub fn registry(&self) -> Option<&Arc<registry::Registry>> {
        self.registry.as_ref()
    }

    /// What could not be loaded (each names its file and line); the rest of the set works.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// How many schema ids and subjects the set knows.
    pub fn len(&self) -> usize {
        self.by_id.len() + self.by_subject.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn missing(&self, id: u32, subject: &Option<String>) -> String {
        format!(
            "no schema for id {id}{} in {}",
            subject
                .as_ref()
                .map_or(String::new(), |s| format!(" or subject {s}")),
            self.dir
        )
    }

    /// Decodes the body of a wire-format record with schema id `id` on `topic`: the schema held
    /// for the id, else the registry's, else the subject's. The error names the id, the subject
    /// tried, the directory and the registry.
    pub fn decode(&self, id: u32, topic: Option<&str>, body: &[u8]) -> Result<Decoded, String> {
        let subject = || topic.map(|t| format!("{t}-value"));
        let by_subject = || self.by_subject.get(&subject()?);
        let fetched;
        let entry = match (self.by_id.get(&id), &self.registry) {
            (Some(e), _) => e,
            (None, Some(r)) => match (r.entry(id), by_subject()) {
                (Ok(e), _) => {
                    fetched = e;
                    &fetched
                }
                (Err(_), Some(e)) => e,
                (Err(why), None) if self.dir.is_empty() => return Err(why),
                (Err(why), None) => return Err(format!("{why}; {}", self.missing(id, &subject()))),
            },
            (None, None) => by_subject().ok_or_else(|| self.missing(id, &subject()))?,
        };
        let mut top = None;
        let decoded = match &entry.kind {
            Kind::Avro(s) => s.decode_top(body).map(|(j, t)| {
                top = t;
                (j, s.name())
            }),
            Kind::Json(s) => json_schema::JsonSchema::decode(body).map(|j| (j, s.name())),
            Kind::Protobuf(s) => s.decode(body).map(|(j, n)| (j, Some(n))),
        };
        let (json, name) = decoded
            .map_err(|e| format!("{} schema {} (id {id}): {e}", entry.format(), entry.file))?;
        // `{format}; schema-id={id}; {origin}; name={name}`, built without `format!` (once per
        // record).
        let mut id_buf = itoa::Buffer::new();
        let (format, id_text) = (entry.format(), id_buf.format(id));
        let name_len = name.as_ref().map_or(0, |n| n.len() + 7);
        let mut note = String::with_capacity(
            format.len() + id_text.len() + entry.origin.len() + name_len + 14,
        );
        for part in [format, "; schema-id=", id_text, "; ", &entry.origin] {
            note.push_str(part);
        }
        if let Some(n) = &name {
            note.push_str("; name=");
            note.push_str(n);
        }
        Ok(Decoded {
            json,
            name,
            note,
            decoder: entry.decoder(),
            top,
        })
    }
}

#[cfg(test)]
mod tests;
