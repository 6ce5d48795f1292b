//! The layer rule, checked over the source: the tree is the layers, every `crate::` path
//! points to a module of the same layer or one below, and no two modules import each other,
//! directly or around a loop.
//!
//! 0. `domain/` — the pure core (imports nothing outside itself);
//! 1. `adapters/config`, `adapters/import`, `adapters/documents` — reading input (configuration,
//!    calendar file, unit lists, directives' files);
//! 2. `adapters/store`, `files`, `smtp`, `imap`, `tls`, `clock` — the database, the kept
//!    message copies, mail, TLS, the wall clock;
//! 3. `services/` — `letters`, `reminders`, `intake`, `decisions`, `jobs`, `checks`: what
//!    the product does, from the core and the adapters;
//! 4. `wiring/` — `current`, `daemon`, `web`, `cli`, `telemetry`.
//!
//! The nodes are the modules one level inside each folder (`domain::plan`,
//! `adapters::store`, `services::letters`…). A new one must be given a layer here, in its
//! folder's range.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("adapters::config", 1),
    ("adapters::import", 1),
    ("adapters::documents", 1),
    ("adapters::store", 2),
    ("adapters::files", 2),
    ("adapters::smtp", 2),
    ("adapters::imap", 2),
    ("adapters::tls", 2),
    ("adapters::clock", 2),
    ("services::letters", 3),
    ("services::reminders", 3),
    ("services::intake", 3),
    ("services::decisions", 3),
    ("services::jobs", 3),
    ("services::checks", 3),
    ("services::series", 3),
    ("services::audit", 3),
    ("services::units", 3),
    ("wiring::current", 4),
    ("wiring::daemon", 4),
    ("wiring::web", 4),
    ("wiring::cli", 4),
    ("wiring::telemetry", 4),
    ("layers", 4),
];

/// The folders and the layers each may hold.
const FOLDERS: &[(&str, std::ops::RangeInclusive<u8>)] = &[
    ("domain", 0..=0),
    ("adapters", 1..=2),
    ("services", 3..=3),
    ("wiring", 4..=4),
];

const LAYER_NAMES: [&str; 5] = ["domain", "input", "adapters", "services", "wiring"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The node a file belongs to: the module one level inside its folder (`domain::plan`,
/// `adapters::store`), or a top-level file's own module.
fn node_of(relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.as_slice() {
        [only] if only == "lib" || only == "main" => None,
        [top, child, ..] if is_folder(top) && child != "mod" => Some(format!("{top}::{child}")),
        [top, _] if is_folder(top) => None,
        [top, ..] => Some(top.clone()),
        [] => None,
    }
}

/// Every `crate::a::b` a file names outside comments, as the node it points to.
fn imports(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            // `crate::{a::X, b}` names each of its members.
            let group = rest.strip_prefix('{').map(|g| g.split('}').next().unwrap_or_default());
            let members: Vec<&str> = match group {
                Some(group) => group.split(',').map(str::trim).collect(),
                None => vec![rest],
            };
            for member in members {
                let path: Vec<&str> = member
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or_default()
                    .split("::")
                    .collect();
                match path.as_slice() {
                    [top, child, ..] if is_folder(top) && !child.is_empty() => found.insert(format!("{top}::{child}")),
                    [top, ..] if !top.is_empty() => found.insert(top.to_string()),
                    _ => false,
                };
            }
        }
    }
    found
}

fn is_folder(name: &str) -> bool {
    FOLDERS.iter().any(|(folder, _)| *folder == name)
}

fn layer_of(node: &str) -> Option<u8> {
    let top = node.split("::").next().unwrap_or_default();
    LAYERS
        .iter()
        .find(|(name, _)| *name == node || (*name == top && top == "domain"))
        .map(|(_, layer)| *layer)
}

/// A loop in the graph, if there is one: the nodes around it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if !state.contains_key(node.as_str()) {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, edges, &mut state, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn every_import_points_down_and_no_module_loop_exists() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let Some(node) = node_of(relative) else { continue };
        let Some(layer) = layer_of(&node) else {
            problems.push(format!(
                "{}: module `{node}` has no layer in src/layers.rs",
                relative.display()
            ));
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap();
        for target in imports(&source) {
            if target == node {
                continue;
            }
            let Some(target_layer) = layer_of(&target) else {
                continue;
            };
            if target_layer > layer {
                problems.push(format!(
                    "{}: `{node}` ({}) imports `{target}` ({}), a layer above",
                    relative.display(),
                    LAYER_NAMES[layer as usize],
                    LAYER_NAMES[target_layer as usize]
                ));
            }
            edges.entry(node.clone()).or_default().insert(target);
        }
    }
    for (name, layer) in LAYERS {
        let folder = name.split("::").next().unwrap_or_default();
        if let Some((_, range)) = FOLDERS.iter().find(|(f, _)| *f == folder)
            && !range.contains(layer)
        {
            problems.push(format!(
                "`{name}` is given layer {layer}, outside its folder's {range:?}"
            ));
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        problems.push(format!("modules import each other in a loop: {}", cycle.join(" → ")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import_and_a_loop() {
    // What the rule is made of, on small inputs: the reader finds paths in code and not in
    // comments, and the loop finder reports a loop.
    let found = imports("use crate::store::Store; // crate::web\nlet x = crate::domain::dates::parse(1);");
    assert_eq!(
        found,
        BTreeSet::from(["store".to_string(), "domain::dates".to_string()])
    );
    assert_eq!(
        imports("use crate::adapters::store::Store;\nuse crate::services::letters::Setup;"),
        BTreeSet::from(["adapters::store".to_string(), "services::letters".to_string()])
    );
    assert!(imports("use mycrate::web::x;").is_empty());
    assert_eq!(
        imports("use crate::{config::Settings, web};"),
        BTreeSet::from(["config".to_string(), "web".to_string()])
    );
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("daemon".into()).or_default().insert("web".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("web".into()).or_default().insert("daemon".into());
    assert!(find_cycle(&edges).is_some());
    assert!(layer_of("domain::plan") < layer_of("adapters::store"));
    assert!(layer_of("adapters::store") < layer_of("services::letters"));
    assert_eq!(layer_of("adapters::nothing"), None);
}
