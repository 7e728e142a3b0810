//! The workspace's layers, checked from its sources and its dependency
//! tree (see docs/design.md, "Layers"):
//!
//! - the scheme (`watermark-core`) and the log's records
//!   (`watermark-log`) do no I/O: no file system, threads or global state,
//!   and no format, async or argument-parsing library in their trees;
//! - dependencies between crates go one way, and the command line and the
//!   service do not depend on each other;
//! - inside every crate, no two top-level modules use each other (no module
//!   cycle);
//! - no error is built from an English literal: errors people read are
//!   sentences of the catalogue (`watermark-text`), written in their
//!   language.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The packages in `package`'s normal (not dev, not build) dependency tree.
fn normal_tree(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "-p", package])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Whether `tree` holds a package named `name` or starting `name-`.
fn holds(tree: &BTreeSet<String>, name: &str) -> bool {
    tree.iter()
        .any(|p| p == name || p.starts_with(&format!("{name}-")))
}

#[test]
fn the_scheme_and_the_log_records_have_no_format_async_or_cli_library() {
    for package in ["watermark-core", "watermark-log"] {
        let tree = normal_tree(package);
        for banned in [
            "arrow",
            "parquet",
            "csv",
            "tokio",
            "clap",
            "axum",
            "hyper",
            "rayon",
            "indicatif",
            "tempfile",
            "watermark-formats",
            "watermark-app",
        ] {
            assert!(!holds(&tree, banned), "{package} depends on {banned}");
        }
    }
}

#[test]
fn crates_depend_on_the_layers_below_only() {
    // Each crate, and the workspace crates it must not reach.
    let rules: [(&str, &[&str]); 9] = [
        (
            "watermark-text",
            &[
                "watermark-core",
                "watermark-formats",
                "watermark-log",
                "watermark-app",
            ],
        ),
        (
            "watermark-core",
            &["watermark-formats", "watermark-log", "watermark-app"],
        ),
        ("watermark-formats", &["watermark-log", "watermark-app"]),
        ("watermark-log", &["watermark-formats", "watermark-app"]),
        (
            "watermark-app",
            &["watermark-cli", "verify-service", "watermark-cluster"],
        ),
        ("watermark-cluster", &["watermark-cli", "verify-service"]),
        ("watermark-cli", &["verify-service"]),
        ("verify-service", &["watermark-cli"]),
        (
            "watermark-py",
            &["watermark-cli", "verify-service", "watermark-cluster"],
        ),
    ];
    for (package, banned) in rules {
        let tree = normal_tree(package);
        for b in banned {
            assert!(!tree.contains(*b), "{package} depends on {b}");
        }
    }
    let app = normal_tree("watermark-app");
    for banned in [
        "clap",
        "indicatif",
        "axum",
        "tokio",
        "datafusion",
        "ballista",
    ] {
        assert!(!holds(&app, banned), "watermark-app depends on {banned}");
    }
}

/// The Rust files under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A file's code without its comments and without its test module (what
/// follows `#[cfg(test)]`, which is last in every file here), or nothing
/// for a file of tests.
fn code_of(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy();
    if name == "tests.rs" || path.components().any(|c| c.as_os_str() == "tests") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_scheme_and_the_log_records_touch_no_files_threads_or_globals() {
    for krate in ["watermark-core", "watermark-log"] {
        for file in rust_files(&root().join(krate).join("src")) {
            let code = code_of(&file);
            for banned in [
                "std::fs",
                "fs::",
                "File::",
                "OpenOptions",
                "std::thread",
                "thread::",
                "OnceLock",
                "static mut",
                "SystemTime",
                "Instant::",
                "std::env",
            ] {
                assert!(
                    !code.contains(banned),
                    "{} uses {banned}",
                    file.strip_prefix(root()).unwrap().display()
                );
            }
            // No global state: a `static` holds only constants.
            for line in code.lines() {
                let t = line.trim_start();
                if t.starts_with("static ") || t.starts_with("pub static ") {
                    assert!(
                        !t.contains("Mutex") && !t.contains("Atomic") && !t.contains("Cell"),
                        "{}: {t}",
                        file.strip_prefix(root()).unwrap().display()
                    );
                }
            }
        }
    }
}

/// `crate::NAME` references in `code`, including the names of a
/// `use crate::{a, b::c}` group.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

/// Top-level modules of a crate and the modules each uses.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut modules = Vec::new();
    let mut reexports = BTreeMap::new();
    for line in lib.lines() {
        let t = line.trim();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub "))
            .unwrap_or(t);
        if let Some(m) = t.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')) {
            modules.push(m.to_owned());
        }
    }
    // `pub use module::{A, b}` at the root: names that lead to a module.
    let code = code_of(&src.join("lib.rs"));
    for (at, _) in code.match_indices("use ") {
        let rest = &code[at + 4..];
        let Some(end) = rest.find(';') else { continue };
        let stmt = &rest[..end];
        if let Some((module, names)) = stmt.split_once("::") {
            if modules.iter().any(|m| m == module.trim()) {
                for name in names.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                    if !name.is_empty() {
                        reexports.insert(name.to_owned(), module.trim().to_owned());
                    }
                }
            }
        }
    }
    let mut graph = BTreeMap::new();
    for m in &modules {
        let mut files = Vec::new();
        let file = src.join(format!("{m}.rs"));
        if file.exists() {
            files.push(file);
        }
        let dir = src.join(m);
        if dir.is_dir() {
            files.extend(rust_files(&dir));
        }
        let mut uses = BTreeSet::new();
        for f in files {
            for r in crate_refs(&code_of(&f)) {
                let target = if modules.contains(&r) {
                    Some(r)
                } else {
                    reexports.get(&r).cloned()
                };
                if let Some(t) = target.filter(|t| t != m) {
                    uses.insert(t);
                }
            }
        }
        graph.insert(m.clone(), uses);
    }
    graph
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut c = path[at..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(graph, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(graph, n, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_module_cycle() {
    for krate in [
        "watermark-text",
        "watermark-core",
        "watermark-formats",
        "watermark-log",
        "watermark-app",
        "watermark-cli",
        "verify-service",
        "watermark-cluster",
    ] {
        let graph = module_graph(&root().join(krate).join("src"));
        assert!(graph.len() > 1 || krate == "verify-service", "{krate}");
        if let Some(c) = cycle(&graph) {
            panic!("{krate} has a module cycle: {}", c.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let refs = crate_refs("use crate::{a::B, c};\nlet x = crate::d::e();");
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["a", "c", "d"]);
}

/// Where `code` builds an error from English text rather than from a
/// sentence of the catalogue: `Error::state("…")`, `Error::policy(format!(…))`
/// and the like (whitespace between the parenthesis and the text allowed),
/// `LogDamage::new` with a literal or `format!` as an argument,
/// `bail!`, `anyhow!`, `.context("…")` and `fail!` with text. Each found is
/// the pattern and the line it starts on.
fn english_errors(code: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    // The line of every character of `squeezed`.
    let mut lines = Vec::with_capacity(squeezed.len());
    for (n, line) in code.lines().enumerate() {
        lines.extend(line.chars().filter(|c| !c.is_whitespace()).map(|_| n + 1));
    }
    let line_at = |byte: usize| lines[squeezed[..byte].chars().count()];
    let mut patterns = vec![
        "bail!(".to_owned(),
        "anyhow!(".to_owned(),
        ".context(\"".to_owned(),
        "fail!(Input,\"".to_owned(),
        "fail!(Server,\"".to_owned(),
    ];
    for kind in ["policy", "state", "key", "altered", "io"] {
        patterns.push(format!("Error::{kind}(\""));
        patterns.push(format!("Error::{kind}(format!"));
    }
    for p in &patterns {
        for (at, _) in squeezed.match_indices(p.as_str()) {
            found.push((p.clone(), line_at(at)));
        }
    }
    // `LogDamage::new(file, message)`: any argument text or `format!`.
    let call = "LogDamage::new(";
    for (at, _) in squeezed.match_indices(call) {
        let mut depth = 1;
        let mut args = vec![String::new()];
        for c in squeezed[at + call.len()..].chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 1 => {
                    args.push(String::new());
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            args.last_mut().unwrap().push(c);
        }
        if args
            .iter()
            .any(|a| a.starts_with('"') || a.starts_with("format!"))
        {
            found.push((call.to_owned(), line_at(at)));
        }
    }
    found
}

#[test]
fn no_error_is_built_from_an_english_literal() {
    // (file, pattern): the few left as they are, and why.
    let allowed: &[(&str, &str)] = &[];
    let mut found = Vec::new();
    for krate in [
        "watermark-core",
        "watermark-formats",
        "watermark-log",
        "watermark-app",
        "watermark-cli",
        "verify-service",
        "watermark-cluster",
        "watermark-py",
    ] {
        for file in rust_files(&root().join(krate).join("src")) {
            let name = file.strip_prefix(root()).unwrap().display().to_string();
            for (pattern, line) in english_errors(&code_of(&file)) {
                if !allowed.contains(&(name.as_str(), pattern.as_str())) {
                    found.push(format!("{name}:{line}: {pattern}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "errors built from English text (make them catalogue sentences, \
         watermark_text::said!):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_english_error_finder_finds_them() {
    let code = "let a = Error::state(said!(Msg::StNoLog, dir.display()));\n\
                let b = Error::state(\"x\");\n\
                let c = Error::policy(\n    format!(\"{n} columns\"),\n);\n\
                let d = LogDamage::new(\n    path,\n    format!(\"bad\"));\n\
                let e = LogDamage::new(path, Said::new(Msg::LgNotUtf8));\n\
                bail!(\"no\");\n\
                let f = x.context(\"reading\")?;\n\
                let g = x.context(Said::new(Msg::CtxServing))?;\n\
                fail!(Server, \"broken\");\n\
                fail!(Input, Msg::ReportExists, p.display());";
    let found = english_errors(code);
    let lines: Vec<usize> = found.iter().map(|(_, l)| *l).collect();
    assert_eq!(found.len(), 6, "{found:?}");
    for line in [2, 3, 6, 10, 11, 13] {
        assert!(lines.contains(&line), "line {line}: {found:?}");
    }
}
