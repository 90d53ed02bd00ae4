//! The core's layers, enforced: a module may use only modules of lower layers (ARCHITECTURE.md,
//! "Layering"). Reads every source file, drops its test module, and checks each `crate::name`
//! reference against the table below. A new module must be added to the table.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lowest first. Modules on one line are independent of each other.
const LAYERS: &[&[&str]] = &[
    // Foundations: no dependency inside the crate, or only on each other's lower lines.
    &["limits", "fmt", "problem", "time", "hist"],
    &["rng", "catalog"],
    &["profile", "traffic", "metrics"],
    // The seam between serving and scaling.
    &["scaling"],
    // Autoscalers (Application Auto Scaling; Kubernetes ones go here), clients, reports.
    &["autoscaling", "client", "report"],
    // The file format, then its compilation into a runnable plan.
    &["scenario"],
    &["plan"],
    // Engines run plans.
    &["engine"],
    // Front-of-core helpers built on everything below.
    &["examples", "export", "measured", "vocab", "loadtest"],
    &["lesson", "rightsize"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's text without its `#[cfg(test)]` modules (tests may reach anywhere), wherever they
/// stand in the file.
fn non_test_text(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]\nmod ") {
        out.push_str(&rest[..i]);
        let module = &rest[i..];
        let Some(open) = module.find('{') else { return out };
        let end = matching_brace(module, open).unwrap_or(module.len() - 1);
        rest = &module[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The index of the `}` closing the `{` at `open`, skipping strings, raw strings, character
/// literals and line comments.
fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let b = text.as_bytes();
    let (mut depth, mut i) = (0usize, open);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i += text[i..].find('\n').unwrap_or(text.len() - i);
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#')) && !b[i.saturating_sub(1)].is_ascii_alphanumeric() => {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                i = start + text[start..].find(&close)? + close.len() - 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') => i += 2,
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                i += 2 + text[i + 2..].find('\'')?;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `crate::name` references in `text`.
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        // Skip `scalelab_core::`-style paths that merely end in "crate".
        if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            out.insert(name);
        }
        // `use crate::{a, b}` groups.
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let name: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn modules_use_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = rel.components().next().unwrap().as_os_str().to_str().unwrap().trim_end_matches(".rs");
        if module == "lib" || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        seen.insert(module.to_string());
        let Some(own) = layer_of(module) else {
            violations.push(format!("{}: module `{module}` is in no layer; add it to LAYERS", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for dep in references(&non_test_text(&text)) {
            if dep == module {
                continue;
            }
            match layer_of(&dep) {
                Some(l) if l < own => {}
                Some(l) => violations.push(format!(
                    "{}: `{module}` (layer {own}) uses `{dep}` (layer {l}); a module may use only lower layers",
                    rel.display()
                )),
                None => violations.push(format!("{}: uses `{dep}`, which is in no layer", rel.display())),
            }
        }
    }
    assert!(violations.is_empty(), "layering violations:\n{}", violations.join("\n"));
    // Every module in the table exists, so the table cannot go stale.
    for name in LAYERS.iter().flat_map(|l| l.iter()) {
        assert!(seen.contains(*name), "LAYERS names `{name}`, which has no source file");
    }
}

#[test]
fn test_modules_are_skipped_wherever_they_stand() {
    let text =
        "use crate::a;\n#[cfg(test)]\nmod tests {\n use crate::b; let s = \"}\"; let c = '}';\n}\nuse crate::c;\n";
    assert_eq!(references(&non_test_text(text)).into_iter().collect::<Vec<_>>(), ["a", "c"]);
}

#[test]
fn the_check_sees_grouped_and_inline_references() {
    let refs = references("use crate::{time::Duration, rng};\nfn f() { crate::engine::x(); my_crate::nope(); }");
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["engine", "rng", "time"]);
}
