//! The layers point one way (ARCHITECTURE.md): a module may use only modules of its own or a lower
//! layer. This reads every `crate::` path in `src/` (in `use` lines, grouped `use crate::{..}`
//! lists and inline paths, test modules included) and fails on any that points upwards, and on a
//! top-level module that has no layer yet (place it before adding it).

use std::path::{Path, PathBuf};

/// Bottom up. Modules on one line share a layer.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["store"],
    &["analysis"],
    &["decode"],
    &["ingest"],
    &["session"],
    &["export"],
    &["ui"],
    &["app"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a piece of source names through `crate::`.
fn crate_paths(source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a::x, b::{y, z}}`: the first name of each item at depth 1 (a group may
                // span lines: the rest of the file is read until its closing brace).
                let start = source.lines().take(n).map(|l| l.len() + 1).sum::<usize>()
                    + (code.len() - group.len());
                for name in group_heads(&source[start..]) {
                    out.push((n + 1, name));
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push((n + 1, name));
            }
        }
    }
    out
}

/// The first identifier of each comma-separated item of a `{...}` group (text after the `{`).
fn group_heads(text: &str) -> Vec<String> {
    let (mut depth, mut heads, mut expect) = (1, Vec::new(), true);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect = true,
            c if expect && depth == 1 && (c.is_alphabetic() || c == '_') => {
                let mut name = c.to_string();
                while let Some(&d) = chars.peek().filter(|d| d.is_alphanumeric() || **d == '_') {
                    name.push(d);
                    chars.next();
                }
                heads.push(name);
                expect = false;
            }
            _ => {}
        }
    }
    heads
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Upward dependencies of one file of module `module`, as "file:line: a -> b".
fn violations(file: &str, module: &str, source: &str) -> Vec<String> {
    let Some(own) = layer_of(module) else {
        return vec![format!(
            "{file}: module `{module}` has no layer in tests/layers.rs"
        )];
    };
    crate_paths(source)
        .into_iter()
        .filter_map(|(line, name)| match layer_of(&name) {
            Some(l) if l > own => Some(format!("{file}:{line}: {module} -> {name}")),
            // Items of lib.rs itself (e.g. `crate::setup_process_memory`) belong to no layer.
            _ => None,
        })
        .collect()
}

#[test]
fn lower_layers_never_use_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs");
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        bad.extend(violations(&rel.display().to_string(), module, &text));
    }
    assert!(
        files.len() > 40,
        "src/ was not read ({} files)",
        files.len()
    );
    assert!(
        bad.is_empty(),
        "dependencies against the layers:\n{}",
        bad.join("\n")
    );
}

/// Files stay under 600 lines unless their first lines say why (`Long file: reason`).
#[test]
fn no_file_over_600_lines_without_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let lines = text.lines().count();
            let reason = text.lines().take(5).any(|l| l.contains("Long file: "));
            (lines > 600 && !reason).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these files or state why at their top:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_check_sees_every_form_of_path() {
    let src = "use crate::model::Sym;\n\
               use crate::{\n    store::EventIdx,\n    ui::{Command, Prefs},\n};\n\
               fn f() { crate::app::run(); } // crate::cli::x in a comment is fine\n";
    assert_eq!(
        crate_paths(src),
        [
            (1, "model".to_string()),
            (2, "store".to_string()),
            (2, "ui".to_string()),
            (6, "app".to_string())
        ]
    );
    let v = violations("analysis/x.rs", "analysis", src);
    assert_eq!(
        v,
        [
            "analysis/x.rs:2: analysis -> ui",
            "analysis/x.rs:6: analysis -> app"
        ]
    );
    assert!(violations("cli/x.rs", "cli", src).is_empty());
    assert_eq!(violations("new/x.rs", "new", src).len(), 1);
}
