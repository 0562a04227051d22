//! A schema and its references made into one thing the decoders read: a self-contained Avro
//! schema text, or a Protobuf `FileDescriptorSet` (dependencies first, the schema's file last,
//! as `protobuf.rs` expects).

use super::{Reference, Registered};
use base64::Engine;
use prost_reflect::prost::Message;
use prost_reflect::prost_types::{FileDescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// The Avro schema with each referenced named type written out where it is first used, as
/// Avro's schema resolution allows (a named type is defined once, then used by name), so that
/// the schema parses on its own (and the decoders need no list of schemas). Hand-written:
/// apache-avro can parse a list of schemas, but then decoding needs that list at every call.
pub fn avro_inlined(reg: &Registered) -> Result<String, String> {
    if reg.references.is_empty() {
        return Ok(reg.schema.clone());
    }
    let mut defs = HashMap::new();
    collect_avro(&reg.references, &mut defs, 0)?;
    let mut main: Value = serde_json::from_str(&reg.schema).map_err(|e| e.to_string())?;
    inline(&mut main, "", &mut defs);
    Ok(main.to_string())
}

fn collect_avro(
    refs: &[Reference],
    defs: &mut HashMap<String, Value>,
    depth: usize,
) -> Result<(), String> {
    for r in refs {
        let reg = r
            .resolved
            .as_deref()
            .ok_or_else(|| format!("reference {} was not read", r.name))?;
        if depth < 32 {
            collect_avro(&reg.references, defs, depth + 1)?;
        }
        let mut v: Value =
            serde_json::from_str(&reg.schema).map_err(|e| format!("reference {}: {e}", r.name))?;
        // A referenced type keeps its own namespace wherever it is written out.
        if let Value::Object(m) = &mut v
            && !m.contains_key("namespace")
            && !m
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.contains('.'))
        {
            m.insert("namespace".into(), Value::String(String::new()));
        }
        defs.insert(full_name(&v, "").unwrap_or_else(|| r.name.clone()), v);
    }
    Ok(())
}

/// The full name of a named type's schema object, in the enclosing namespace `ns`.
fn full_name(v: &Value, ns: &str) -> Option<String> {
    full_name_of(v.as_object()?, ns)
}

fn full_name_of(m: &Map<String, Value>, ns: &str) -> Option<String> {
    let name = m.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.into());
    }
    let ns = m.get("namespace").and_then(Value::as_str).unwrap_or(ns);
    Some(if ns.is_empty() {
        name.into()
    } else {
        format!("{ns}.{name}")
    })
}

fn inline(v: &mut Value, ns: &str, defs: &mut HashMap<String, Value>) {
    match v {
        Value::String(name) => {
            let full = if name.contains('.') || ns.is_empty() {
                name.clone()
            } else {
                format!("{ns}.{name}")
            };
            if let Some(mut def) = defs.remove(&full).or_else(|| defs.remove(name.as_str())) {
                inline(&mut def, ns, defs);
                *v = def;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| inline(i, ns, defs)),
        Value::Object(m) => {
            let inner = match full_name_of(m, ns) {
                Some(full) => full.rsplit_once('.').map_or("", |(n, _)| n).to_string(),
                None => ns.to_string(),
            };
            inline_object(m, &inner, defs);
        }
        _ => {}
    }
}

fn inline_object(m: &mut Map<String, Value>, ns: &str, defs: &mut HashMap<String, Value>) {
    for key in ["type", "items", "values"] {
        if let Some(t) = m.get_mut(key) {
            inline(t, ns, defs);
        }
    }
    if let Some(Value::Array(fields)) = m.get_mut("fields") {
        for f in fields.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(t) = f.get_mut("type") {
                inline(t, ns, defs);
            }
        }
    }
}

/// A registry's Protobuf schema text: a base64 `FileDescriptorProto`.
pub fn descriptor(text: &str) -> Result<FileDescriptorProto, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| {
            "the Protobuf schema is .proto text, not a serialized descriptor (the registry did \
             not answer ?format=serialized)"
                .to_string()
        })?;
    FileDescriptorProto::decode(bytes.as_slice()).map_err(|e| e.to_string())
}

/// The `FileDescriptorSet` of a Protobuf schema: its references (depth first, each once, named
/// by the reference name as Confluent's deserializers do), the well-known types it imports
/// without a reference (`google/protobuf/*.proto`, which serializers skip), then its own file.
pub fn descriptor_set(reg: &Registered) -> Result<Vec<u8>, String> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    add_references(&reg.references, &mut files, &mut seen, 0)?;
    let main = descriptor(&reg.schema)?;
    seen.insert(main.name().to_string());
    let wkt = prost_reflect::DescriptorPool::global();
    let mut builtin = Vec::new();
    for dep in files.iter().chain([&main]).flat_map(|f| &f.dependency) {
        if !seen.contains(dep)
            && let Some(f) = wkt.get_file_by_name(dep)
        {
            seen.insert(dep.clone());
            builtin.push(f.file_descriptor_proto().clone());
        }
    }
    builtin.extend(files);
    builtin.push(main);
    Ok(FileDescriptorSet { file: builtin }.encode_to_vec())
}

fn add_references(
    refs: &[Reference],
    files: &mut Vec<FileDescriptorProto>,
    seen: &mut HashSet<String>,
    depth: usize,
) -> Result<(), String> {
    for r in refs {
        if seen.contains(&r.name) {
            continue;
        }
        let reg = r
            .resolved
            .as_deref()
            .ok_or_else(|| format!("reference {} was not read", r.name))?;
        if depth < 32 {
            add_references(&reg.references, files, seen, depth + 1)?;
        }
        let mut file = descriptor(&reg.schema).map_err(|e| format!("reference {}: {e}", r.name))?;
        file.name = Some(r.name.clone());
        seen.insert(r.name.clone());
        files.push(file);
    }
    Ok(())
}

/// A `FileDescriptorSet` (a `.desc` file) as a registry would hold it: the last file is the
/// schema, the others its references (named by their file names).
pub fn from_descriptor_set(bytes: &[u8]) -> Result<Registered, String> {
    let set = FileDescriptorSet::decode(bytes).map_err(|e| e.to_string())?;
    let b64 = |f: &FileDescriptorProto| {
        base64::engine::general_purpose::STANDARD.encode(f.encode_to_vec())
    };
    let (main, deps) = set
        .file
        .split_last()
        .ok_or("the FileDescriptorSet has no file")?;
    Ok(Registered {
        schema_type: "PROTOBUF".into(),
        schema: b64(main),
        references: deps
            .iter()
            .map(|f| Reference {
                name: f.name().into(),
                subject: f.name().into(),
                version: 1,
                resolved: Some(Box::new(Registered {
                    schema_type: "PROTOBUF".into(),
                    schema: b64(f),
                    references: Vec::new(),
                })),
            })
            .collect(),
    })
}
