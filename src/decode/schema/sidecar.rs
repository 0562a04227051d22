//! A recording's schemas. `record` writes the schemas it decoded with (those of `--schemas DIR`
//! and those the registry gave) next to the recording, in `<recording>.schemas.json`:
//!
//! ```json
//! {"eventscope_schemas":1,
//!  "ids":{"7":{"schemaType":"AVRO","schema":"{...}","references":[{"name":"shop.Money",
//!        "subject":"money","version":1,"resolved":{"schema":"{...}"}}]}},
//!  "subjects":{"orders-value":{"schemaType":"JSON","schema":"{...}"}}}
//! ```
//!
//! each schema as the registry's `GET /schemas/ids/{id}` gives it, with its references read
//! (`resolved`), Protobuf as base64 `FileDescriptorProto`s. Loading a recording reads its sidecar
//! by itself ([`apply`]), so the recording opens with no registry and decodes as live did.

use super::registry::{self, Registered};
use super::{Entry, SchemaSet};
use crate::decode::ProfileConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Appended to a recording's file name.
pub const SUFFIX: &str = ".schemas.json";

#[derive(Default, Serialize, Deserialize)]
struct Sidecar {
    eventscope_schemas: u32,
    #[serde(default)]
    ids: BTreeMap<u32, Registered>,
    #[serde(default)]
    subjects: BTreeMap<String, Registered>,
}

/// `rec.jsonl` -> `rec.jsonl.schemas.json`.
pub fn path_for(recording: &Path) -> PathBuf {
    let mut name = recording.as_os_str().to_owned();
    name.push(SUFFIX);
    PathBuf::from(name)
}

impl SchemaSet {
    /// A number that changes whenever [`SchemaSet::sidecar_json`] would (a registry gave a
    /// schema).
    pub fn generation(&self) -> u64 {
        self.registry.as_ref().map_or(0, |r| r.generation())
    }

    /// The sidecar of a recording decoded with this set: every schema it holds by id or subject,
    /// and every schema its registry gave so far.
    pub fn sidecar_json(&self) -> String {
        let mut out = Sidecar {
            eventscope_schemas: 1,
            ..Default::default()
        };
        let fetched = self.registry.iter().flat_map(|r| r.fetched());
        for (id, e) in self
            .by_id
            .iter()
            .map(|(id, e)| (*id, e.clone()))
            .chain(fetched)
        {
            out.ids.entry(id).or_insert_with(|| e.source.clone());
        }
        for (s, e) in &self.by_subject {
            out.subjects.insert(s.clone(), e.source.clone());
        }
        serde_json::to_string(&out).unwrap_or_default()
    }

    /// This set with the schemas of the sidecar at `path` added (the set's own win).
    pub fn with_sidecar(&self, path: &Path) -> Result<SchemaSet, String> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let sidecar: Sidecar = serde_json::from_str(&text)
            .map_err(|e| format!("{shown}: {e} (a recording's schemas)"))?;
        let file = path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        let load = |what: String, reg: &Registered| -> Result<Arc<Entry>, String> {
            registry::entry(reg, file.clone(), format!("file={file}"))
                .map(Arc::new)
                .map_err(|e| format!("{shown}: {what}: {e}"))
        };
        let mut set = self.clone();
        if set.dir.is_empty() {
            set.dir = shown.clone();
        }
        for (id, reg) in &sidecar.ids {
            if !set.by_id.contains_key(id) {
                set.by_id.insert(*id, load(format!("schema id {id}"), reg)?);
            }
        }
        for (subject, reg) in &sidecar.subjects {
            if !set.by_subject.contains_key(subject) {
                let entry = load(format!("subject {subject}"), reg)?;
                set.by_subject.insert(subject.clone(), entry);
            }
        }
        Ok(set)
    }
}

/// Writes the sidecar of `recording` (through a temporary file, so a reader never sees half).
pub fn write(set: &SchemaSet, recording: &Path) -> std::io::Result<()> {
    let path = path_for(recording);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, set.sidecar_json())?;
    std::fs::rename(&tmp, &path)
}

/// The profiles for reading `recording`: with the schemas of its sidecar when it has one.
pub fn apply(profiles: &mut ProfileConfig, recording: &Path) -> Result<(), String> {
    let path = path_for(recording);
    if !path.exists() {
        return Ok(());
    }
    let base = profiles.schemas.as_deref().cloned().unwrap_or_default();
    profiles.schemas = Some(Arc::new(base.with_sidecar(&path)?));
    Ok(())
}
