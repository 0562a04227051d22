//! Schemas from a Confluent Schema Registry (`--schema-registry URL`), read only, following its API
//! reference (<https://docs.confluent.io/platform/current/schema-registry/develop/api.html>):
//! `GET /schemas/ids/{id}` gives `{"schema", "schemaType"?, "references"?}` (no `schemaType` means
//! AVRO), each reference `{"name", "subject", "version"}` is read with
//! `GET /subjects/{subject}/versions/{version}` (recursively). Protobuf schemas are asked for with
//! `?format=serialized` (a base64 `FileDescriptorProto`, what Confluent's own deserializers ask
//! for) unless the registry already gave that form, so no `.proto` compiler is needed.
//!
//! This layer does no networking: the GET is a [`Fetch`] given by the ingest layer
//! (`ingest::registry`, HTTP). [`Registry`] caches per session: one fetch per id however many
//! threads and records ask for it (they wait for the one in flight), and a failed fetch is
//! remembered and tried again only after a backoff (1 s, doubling up to [`MAX_BACKOFF`]), so a
//! registry that is down costs one request per id per backoff, never one per record. Records
//! decoded while their schema is missing keep their bytes (`decode::record`); once the registry
//! answers, later records decode.

use super::{Entry, Kind, avro, json_schema, protobuf};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A schema as a registry holds it (the `GET /schemas/ids/{id}` answer), with its references
/// resolved. Also the form schemas take in a recording's sidecar (`sidecar.rs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// `AVRO` (also when the registry leaves it out), `JSON` or `PROTOBUF`.
    #[serde(default = "avro_type")]
    pub schema_type: String,
    /// The schema text: Avro or JSON Schema JSON, or a base64 Protobuf `FileDescriptorProto`.
    pub schema: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

fn avro_type() -> String {
    "AVRO".into()
}

/// One reference of a schema: the name it is imported by (an Avro full name, a `.proto` import
/// path), the subject and version holding it, and (once read) the schema itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Box<Registered>>,
}

/// Why a GET failed.
#[derive(Clone, Debug, PartialEq)]
pub enum FetchError {
    /// The registry answered with this HTTP status and body (`{"error_code", "message"}`).
    Status(u16, String),
    /// It could not be reached, or the answer could not be read.
    Transport(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Status(code, body) => {
                #[derive(Deserialize)]
                struct Error {
                    error_code: i64,
                    message: String,
                }
                match serde_json::from_str::<Error>(body) {
                    Ok(e) => write!(f, "HTTP {code}, error_code {}: {}", e.error_code, e.message),
                    Err(_) => write!(
                        f,
                        "HTTP {code}: {}",
                        body.chars().take(200).collect::<String>()
                    ),
                }
            }
            FetchError::Transport(e) => write!(f, "cannot reach it: {e}"),
        }
    }
}

/// A registry's HTTP GET (`ingest::registry` implements it).
pub trait Fetch: Send + Sync {
    /// The registry's address as shown in messages (never with credentials).
    fn url(&self) -> &str;
    /// `GET {url}{path}`: the body of a 2xx answer.
    fn get(&self, path: &str) -> Result<String, FetchError>;
}

/// The longest wait before a failed id is asked for again.
pub const MAX_BACKOFF: Duration = Duration::from_secs(16);
/// References nested deeper than this are refused (a cycle in a hostile registry).
const MAX_DEPTH: usize = 32;

enum Slot {
    Fetching,
    Ready(Arc<Entry>),
    Failed {
        why: String,
        retry_at: Instant,
        failures: u32,
    },
}

/// The schemas of one registry, fetched on demand and cached for the session.
pub struct Registry {
    fetch: Box<dyn Fetch>,
    slots: Mutex<HashMap<u32, Slot>>,
    fetched: Condvar,
    /// Referenced schemas by (subject, version): shared by every id that imports them.
    references: Mutex<HashMap<(String, i64), Registered>>,
    /// HTTP requests made (counted, so tests can show one fetch per id, not per record).
    requests: AtomicU64,
    /// Bumped whenever a schema is added (a recording's sidecar is rewritten then).
    generation: AtomicU64,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Registry({})", self.fetch.url())
    }
}

fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(8)).min(MAX_BACKOFF)
}

/// Percent-encodes a subject for a URL path (`shop/address.proto` -> `shop%2Faddress.proto`):
/// a dozen lines for one use, where a crate would add a dependency for it.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Registry {
    pub fn new(fetch: Box<dyn Fetch>) -> Registry {
        Registry {
            fetch,
            slots: Mutex::default(),
            fetched: Condvar::new(),
            references: Mutex::default(),
            requests: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        }
    }

    pub fn url(&self) -> &str {
        self.fetch.url()
    }

    /// HTTP requests made so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Changes whenever a schema was added.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u32, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The schemas fetched so far, by id (for the sidecar).
    pub fn fetched(&self) -> Vec<(u32, Arc<Entry>)> {
        let mut out: Vec<_> = (self.lock().iter())
            .filter_map(|(id, s)| match s {
                Slot::Ready(e) => Some((*id, e.clone())),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }

    /// The schema with this id: cached, or fetched now (the caller's thread waits; other threads
    /// asking for the same id wait for this fetch), or the remembered failure until its retry.
    /// The error names the registry.
    pub fn entry(&self, id: u32) -> Result<Arc<Entry>, String> {
        let mut slots = self.lock();
        let failures = loop {
            match slots.get(&id) {
                Some(Slot::Ready(e)) => return Ok(e.clone()),
                Some(Slot::Fetching) => {
                    slots = self.fetched.wait(slots).unwrap_or_else(|e| e.into_inner());
                }
                Some(Slot::Failed {
                    why,
                    retry_at,
                    failures,
                }) => {
                    let now = Instant::now();
                    if now < *retry_at {
                        let wait = retry_at.duration_since(now).as_secs_f64().ceil();
                        return Err(format!("{why} (asked again in {wait} s)"));
                    }
                    break *failures;
                }
                None => break 0,
            }
        };
        slots.insert(id, Slot::Fetching);
        drop(slots);
        let result = self.load(id);
        let mut slots = self.lock();
        let out = match result {
            Ok(entry) => {
                let entry = Arc::new(entry);
                slots.insert(id, Slot::Ready(entry.clone()));
                self.generation.fetch_add(1, Ordering::Relaxed);
                Ok(entry)
            }
            Err(e) => {
                let why = format!("schema registry {}: {e}", self.url());
                let failures = failures + 1;
                slots.insert(
                    id,
                    Slot::Failed {
                        why: why.clone(),
                        retry_at: Instant::now() + backoff(failures),
                        failures,
                    },
                );
                Err(why)
            }
        };
        self.fetched.notify_all();
        out
    }

    fn get(&self, path: &str) -> Result<Registered, String> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let body = self.fetch.get(path).map_err(|e| match e {
            FetchError::Status(404, _) => format!("not found ({e})"),
            e => e.to_string(),
        })?;
        serde_json::from_str(&body).map_err(|e| format!("GET {path}: unexpected answer: {e}"))
    }

    /// Fetches schema `id` and everything it references, and parses it.
    fn load(&self, id: u32) -> Result<Entry, String> {
        let path = format!("/schemas/ids/{id}");
        let mut reg = self.get(&path)?;
        if reg.schema_type == "PROTOBUF" && descriptor(&reg.schema).is_err() {
            reg = self.get(&format!("{path}?format=serialized"))?;
        }
        self.resolve(&mut reg, 0)?;
        let origin = format!("{}{path}", self.url());
        entry(&reg, origin.clone(), format!("registry={origin}"))
    }

    /// Reads every reference of `reg` (and theirs) that is not read yet.
    fn resolve(&self, reg: &mut Registered, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("references nested deeper than {MAX_DEPTH}"));
        }
        let serialized = reg.schema_type == "PROTOBUF";
        for r in reg.references.iter_mut().filter(|r| r.resolved.is_none()) {
            let key = (r.subject.clone(), r.version);
            let known = self
                .references
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .cloned();
            let mut referenced = match known {
                Some(k) => k,
                None => {
                    let path = format!(
                        "/subjects/{}/versions/{}{}",
                        path_segment(&r.subject),
                        r.version,
                        if serialized { "?format=serialized" } else { "" }
                    );
                    self.get(&path)
                        .map_err(|e| format!("reference {} ({path}): {e}", r.name))?
                }
            };
            self.resolve(&mut referenced, depth + 1)?;
            (self.references.lock().unwrap_or_else(|e| e.into_inner()))
                .insert(key, referenced.clone());
            r.resolved = Some(Box::new(referenced));
        }
        Ok(())
    }
}

/// A schema (references resolved) made ready to decode with. `file` names it in messages,
/// `origin` in the content type note (`file=orders-value.avsc`, `registry=http://...`). The
/// error does not name it (the caller does).
pub fn entry(reg: &Registered, file: String, origin: String) -> Result<Entry, String> {
    let kind = match reg.schema_type.as_str() {
        "AVRO" => avro::AvroSchema::parse(&avro_inlined(reg)?).map(|s| Kind::Avro(Box::new(s))),
        "JSON" => json_schema::JsonSchema::parse(&reg.schema).map(Kind::Json),
        "PROTOBUF" => protobuf::ProtoSchema::parse(&descriptor_set(reg)?).map(Kind::Protobuf),
        t => Err(format!("unknown schemaType {t}")),
    }?;
    Ok(Entry {
        file,
        origin,
        source: reg.clone(),
        kind,
    })
}

mod resolve;
pub use resolve::{avro_inlined, descriptor, descriptor_set, from_descriptor_set};

#[cfg(test)]
mod tests;
