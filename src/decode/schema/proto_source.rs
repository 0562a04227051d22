//! `.proto` source files in `--schemas DIR`, compiled with the `protox` crate (a protobuf
//! compiler in Rust: no `protoc`). Imports are resolved relative to DIR, and the well-known types
//! (`google/protobuf/timestamp.proto`, ...) are built in. The result is what a `.desc` file holds
//! (`protoc --include_imports --descriptor_set_out`): the imported files first, the file itself
//! last, so the message is chosen as for `.desc` files, by the record's message indexes.

use prost_reflect::prost::Message;
use std::path::Path;

/// The `FileDescriptorSet` of the `.proto` file at `path` (in `dir`) and every file it imports.
/// The error names the file and line as a compiler does
/// (`/schemas/invoices-value.proto:4:3: expected ';'`), and the file that imports it when the
/// fault is in an import.
pub fn compile(dir: &Path, path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let mut compiler = protox::Compiler::new([dir]).map_err(|e| format!("{shown}: {e}"))?;
    compiler.include_imports(true);
    compiler.open_file(path).map_err(|e| {
        // protox's Debug form is `file:line:column: message`, the file named relative to DIR.
        let own = path.strip_prefix(dir).ok().and_then(Path::to_str);
        let at = format!("{}/{e:?}", dir.display());
        match e.file() {
            Some(f) if Some(f) == own => at,
            Some(_) => format!("{shown}: in an import: {at}"),
            None => format!("{shown}: {e}"),
        }
    })?;
    let mut set = compiler.file_descriptor_set();
    // Dependencies come first; with one file opened it is already last, and kept there.
    let own = compiler
        .files()
        .find(|f| !f.is_import())
        .map(|f| f.name().to_string());
    if let Some(k) = set
        .file
        .iter()
        .position(|f| Some(f.name()) == own.as_deref())
    {
        let main = set.file.remove(k);
        set.file.push(main);
    }
    Ok(set.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::super::SchemaSet;
    use prost_reflect::prost::Message as _;
    use prost_reflect::{DescriptorPool, DynamicMessage, Value};

    const COMMON: &str = "syntax = \"proto3\";\npackage shop.common;\n\
        message Money { string currency = 1; int64 cents = 2; }\n";
    const INVOICE: &str = r#"syntax = "proto3";
package shop;
import "shop/common.proto";
import "google/protobuf/timestamp.proto";
message Address { string city = 1; }
message InvoiceSent {
  string event_id = 1;
  shop.common.Money amount = 2;
  google.protobuf.Timestamp at = 3;
  message Line { string sku = 1; }
}
"#;

    fn dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("shop")).unwrap();
        std::fs::write(dir.path().join("shop/common.proto"), COMMON).unwrap();
        std::fs::write(dir.path().join("invoices-value.proto"), INVOICE).unwrap();
        dir
    }

    /// `InvoiceSent` (message indexes [1]) in the wire format's body, encoded with the pool
    /// compiled from the sources.
    fn invoice_body(set: &[u8]) -> Vec<u8> {
        let pool = DescriptorPool::decode(set).unwrap();
        let desc = pool.get_message_by_name("shop.InvoiceSent").unwrap();
        let mut m = DynamicMessage::new(desc.clone());
        m.set_field_by_name("event_id", Value::String("i-1".into()));
        let money = pool.get_message_by_name("shop.common.Money").unwrap();
        let mut amount = DynamicMessage::new(money);
        amount.set_field_by_name("cents", Value::I64(1050));
        m.set_field_by_name("amount", Value::Message(amount));
        let ts = pool
            .get_message_by_name("google.protobuf.Timestamp")
            .unwrap();
        let mut at = DynamicMessage::new(ts);
        at.set_field_by_name("seconds", Value::I64(1_764_324_000));
        m.set_field_by_name("at", Value::Message(at));
        let mut body = vec![2, 2]; // one index, 1 (zig-zag)
        body.extend(m.encode_to_vec());
        body
    }

    #[test]
    fn proto_sources_compile_with_imports_and_well_known_types() {
        let dir = dir();
        let compiled = super::compile(dir.path(), &dir.path().join("invoices-value.proto"));
        let compiled = compiled.unwrap();
        let set = SchemaSet::load_dir(dir.path()).unwrap();
        assert!(set.problems().is_empty(), "{:?}", set.problems());
        let got = set.decode(31, Some("invoices"), &invoice_body(&compiled));
        let got = got.unwrap();
        assert_eq!(got.name.as_deref(), Some("shop.InvoiceSent"));
        let json: serde_json::Value = serde_json::from_str(&got.json).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"eventId": "i-1", "amount": {"cents": "1050"},
                "at": "2025-11-28T10:00:00Z"})
        );
        assert!(
            got.note.contains("file=invoices-value.proto"),
            "{}",
            got.note
        );

        // A recording's sidecar keeps the compiled descriptors: no DIR needed to read it.
        let side = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(side.path(), set.sidecar_json()).unwrap();
        drop(dir);
        let alone = SchemaSet::default().with_sidecar(side.path()).unwrap();
        let again = alone.decode(31, Some("invoices"), &invoice_body(&compiled));
        assert_eq!(again.unwrap().json, got.json);
    }

    #[test]
    fn a_proto_that_does_not_compile_is_a_problem_naming_file_and_line() {
        let dir = dir();
        let d = dir.path();
        std::fs::write(
            d.join("7.proto"),
            "syntax = \"proto3\";\n\nmessage A { int32 x = }\n",
        )
        .unwrap();
        std::fs::write(
            d.join("b-value.proto"),
            "syntax = \"proto3\";\nimport \"nope.proto\";\n",
        )
        .unwrap();
        std::fs::write(
            d.join("ids.json"),
            r#"{"7": "7.proto", "9": "invoices-value.proto"}"#,
        )
        .unwrap();
        let set = SchemaSet::load_dir(d).unwrap();
        let problems = set.problems().join("\n");
        let shown = d.display();
        assert!(
            problems.contains(&format!("{shown}/7.proto:3:")),
            "{problems}"
        );
        assert!(
            problems.contains(&format!("{shown}/b-value.proto:2:"))
                && problems.contains("nope.proto"),
            "{problems}"
        );
        assert_eq!(set.problems().len(), 2, "{problems}");
        // The other schemas still load, also by the ids.json entry next to the broken one's.
        let compiled = super::compile(d, &d.join("invoices-value.proto")).unwrap();
        assert!(set.decode(9, None, &invoice_body(&compiled)).is_ok());
        let e = set.decode(7, None, &[0]).err().unwrap();
        assert!(e.contains("no schema for id 7"), "{e}");
        // A fault in an import names the importing file too.
        std::fs::write(
            d.join("shop/common.proto"),
            "syntax = \"proto3\";\nmessage {",
        )
        .unwrap();
        let set = SchemaSet::load_dir(d).unwrap();
        let problems = set.problems().join("\n");
        assert!(
            problems.contains(&format!(
                "{shown}/invoices-value.proto: in an import: {shown}/shop/common.proto:2:"
            )),
            "{problems}"
        );
    }
}
