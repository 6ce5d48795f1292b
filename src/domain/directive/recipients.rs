//! "Kính gửi": one line ("Kính gửi: Phòng GD&ĐT các huyện; …") or a list of "- …" lines, each
//! matched to the registry by name, without regard to case or diacritics, with the usual
//! abbreviations (GD&ĐT, UBND, THPT, CĐCS…) read as their words.
//!
//! A line names a unit when it holds the unit's whole name (the longest such name wins); else
//! a group, by the group's display name, by the words its units' names start with ("Phòng Giáo
//! dục và Đào tạo …"), or by its code's words (`truc-thuoc`, `gdnn-gdtx`, `cdcs` read as
//! "công đoàn cơ sở"); when several groups fit, the one named first in the line (its head noun).

use std::collections::BTreeMap;

use super::text::Doc;
use super::{Match, Recipient};
use crate::domain::matching::search_key;
use crate::domain::model::{GroupCode, Unit, UnitCode};

/// The registry's names, as the proposal needs them.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub groups: Vec<RegistryGroup>,
    pub units: Vec<RegistryUnit>,
}

#[derive(Debug, Clone)]
pub struct RegistryGroup {
    pub code: GroupCode,
    pub name: Option<String>,
    /// The names of the group's active units.
    pub unit_names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RegistryUnit {
    pub code: UnitCode,
    pub name: String,
}

impl Registry {
    /// From the active units and the groups' display names.
    pub fn new(units: &[Unit], group_names: &BTreeMap<GroupCode, String>) -> Registry {
        let mut groups: BTreeMap<GroupCode, RegistryGroup> = BTreeMap::new();
        for (code, name) in group_names {
            groups.insert(
                code.clone(),
                RegistryGroup {
                    code: code.clone(),
                    name: Some(name.clone()),
                    unit_names: Vec::new(),
                },
            );
        }
        let active: Vec<&Unit> = units.iter().filter(|u| u.active).collect();
        for unit in &active {
            for group in &unit.groups {
                groups
                    .entry(group.clone())
                    .or_insert_with(|| RegistryGroup {
                        code: group.clone(),
                        name: None,
                        unit_names: Vec::new(),
                    })
                    .unit_names
                    .push(unit.name.clone());
            }
        }
        Registry {
            groups: groups.into_values().collect(),
            units: active
                .iter()
                .map(|u| RegistryUnit {
                    code: u.code.clone(),
                    name: u.name.clone(),
                })
                .collect(),
        }
    }
}

/// Abbreviations of "Kính gửi" lines and unit names, and the words they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("gd&dt", "giao duc va dao tao"),
    ("gddt", "giao duc va dao tao"),
    ("ubnd", "uy ban nhan dan"),
    ("hdnd", "hoi dong nhan dan"),
    ("ldld", "lien doan lao dong"),
    ("cdcs", "cong doan co so"),
    ("thpt", "trung hoc pho thong"),
    ("thcs", "trung hoc co so"),
    ("th", "tieu hoc"),
    ("mn", "mam non"),
    ("tt", "trung tam"),
    ("tp", "thanh pho"),
    ("tx", "thi xa"),
    ("dvtt", "don vi truc thuoc"),
    ("ptdtnt", "pho thong dan toc noi tru"),
];

/// Words of a name as compared: no diacritics, lower case, abbreviations spelled out,
/// punctuation and hyphens as spaces.
fn words(text: &str) -> Vec<String> {
    let key = search_key(text);
    let spaced: String = key
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '&' { c } else { ' ' })
        .collect();
    let mut out = Vec::new();
    for word in spaced.split_whitespace() {
        match ABBREVIATIONS.iter().find(|(short, _)| *short == word) {
            Some((_, long)) => out.extend(long.split(' ').map(str::to_string)),
            None => out.extend(word.split('&').filter(|w| !w.is_empty()).map(str::to_string)),
        }
    }
    out
}

/// Where `needle` occurs in `haystack` as consecutive words.
fn position(haystack: &[String], needle: &[String]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Words that head a recipient without naming a kind of body.
const GENERIC_HEADS: &[&str] = &[
    "cac", "don", "vi", "co", "quan", "to", "chuc", "hieu", "truong", "thu", "ban", "chap", "hanh", "lanh", "dao",
    "toan", "the",
];

/// Words of a place level that end the common start of a group's unit names.
const PLACE_WORDS: &[&str] = &[
    "huyen", "tinh", "thi", "xa", "thanh", "pho", "quan", "phuong", "cap", "thi tran",
];

/// The words every unit name of a group starts with, without a trailing place level; at least
/// two words, else none.
fn common_start(names: &[String]) -> Vec<String> {
    let lists: Vec<Vec<String>> = names.iter().map(|n| words(n)).collect();
    let Some(first) = lists.first() else {
        return Vec::new();
    };
    let mut length = first.len();
    for other in &lists[1..] {
        length = length.min(first.iter().zip(other).take_while(|(a, b)| a == b).count());
    }
    let mut start: Vec<String> = first[..length].to_vec();
    while start.last().is_some_and(|w| PLACE_WORDS.contains(&w.as_str())) {
        start.pop();
    }
    if lists.len() < 2 || start.len() < 2 {
        return Vec::new();
    }
    start
}

/// The "Kính gửi" block starting at line `at` (0-based), its lines matched.
pub fn read(doc: &Doc, at: usize, registry: &Registry) -> Vec<Recipient> {
    let mut items: Vec<(String, usize)> = Vec::new();
    let first = doc.line(at);
    let rest = first
        .split_once(':')
        .map(|(_, r)| r)
        .unwrap_or_else(|| first.trim_start().get("Kính gửi".len()..).unwrap_or_default());
    for part in rest.split(';') {
        push_item(&mut items, part, at);
    }
    let mut index = at + 1;
    while let Some(next) = doc.next_filled(index) {
        let line = doc.line(next).trim();
        if line.starts_with(['-', '+', '•', '–']) {
            for part in line.split(';') {
                push_item(&mut items, part, next);
            }
        } else if line.starts_with(|c: char| c.is_lowercase())
            && let Some(last) = items.last_mut()
        {
            last.0.push(' ');
            last.0.push_str(line.trim_end_matches([';', '.', ',']));
        } else {
            break;
        }
        index = next + 1;
    }
    let starts: Vec<(GroupCode, Vec<String>)> = registry
        .groups
        .iter()
        .map(|g| (g.code.clone(), common_start(&g.unit_names)))
        .collect();
    items
        .into_iter()
        .map(|(text, line)| Recipient {
            matched: match_line(&text, registry, &starts),
            text,
            line: line + 1,
        })
        .collect()
}

fn push_item(items: &mut Vec<(String, usize)>, part: &str, line: usize) {
    let text = part
        .trim()
        .trim_start_matches(['-', '+', '•', '–'])
        .trim()
        .trim_end_matches([';', '.', ','])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !text.is_empty() {
        items.push((text, line));
    }
}

/// A line may name two recipients joined by "và" ("Phòng GD&ĐT và Trung tâm GDNN-GDTX các
/// huyện"): when each side names something, both count; "Phòng Giáo dục và Đào tạo" stays whole
/// because "Đào tạo" alone names nothing.
fn match_line(text: &str, registry: &Registry, starts: &[(GroupCode, Vec<String>)]) -> Vec<Match> {
    let whole = match_item(text, registry, starts);
    let parts: Vec<Vec<Match>> = text
        .split(" và ")
        .map(|part| match_item(part, registry, starts))
        .collect();
    if parts.len() > 1 && parts.iter().all(|p| !p.is_empty()) {
        let mut joined: Vec<Match> = Vec::new();
        for m in parts.into_iter().flatten() {
            if !joined.contains(&m) {
                joined.push(m);
            }
        }
        if joined.len() > whole.len() {
            return joined;
        }
    }
    whole
}

fn match_item(text: &str, registry: &Registry, starts: &[(GroupCode, Vec<String>)]) -> Vec<Match> {
    let item = words(text);
    let item: Vec<String> = match item.first().map(String::as_str) {
        Some("cac" | "toan") => item[1..].to_vec(),
        _ => item,
    };
    // A unit named in full: the longest name wins.
    let unit = registry
        .units
        .iter()
        .filter_map(|u| {
            let name = words(&u.name);
            position(&item, &name).map(|_| (name.len(), u))
        })
        .max_by_key(|(length, _)| *length);
    if let Some((_, unit)) = unit {
        // "Phòng GD&ĐT huyện Điện Biên Đông, huyện Mường Nhé": the units whose names differ
        // from the one found only after a shared start, and whose own ending is in the line.
        let found = words(&unit.name);
        let mut matched = vec![Match::Unit {
            code: unit.code.clone(),
            name: unit.name.clone(),
        }];
        for other in registry.units.iter().filter(|u| u.code != unit.code) {
            let name = words(&other.name);
            let shared = found.iter().zip(&name).take_while(|(a, b)| a == b).count();
            let ending = &name[shared..];
            if shared >= 2 && ending.len() >= 2 && position(&item, ending).is_some() {
                matched.push(Match::Unit {
                    code: other.code.clone(),
                    name: other.name.clone(),
                });
            }
        }
        return matched;
    }
    // Groups: by display name, then by their units' common start, then by code words;
    // the earliest in the line wins within a rank.
    let mut best: Option<(u8, usize, &super::RegistryGroup)> = None;
    for group in &registry.groups {
        let by_name = group.name.as_deref().map(words).and_then(|name| {
            let stripped: Vec<String> = match name.first().map(String::as_str) {
                Some("cac") => name[1..].to_vec(),
                _ => name.clone(),
            };
            position(&item, &stripped).or_else(|| position(&stripped, &item).map(|_| 0))
        });
        let by_start = starts
            .iter()
            .find(|(code, _)| code == &group.code)
            .and_then(|(_, start)| (item.starts_with(start) && !start.is_empty()).then_some(0));
        // A code's words name the group only after a generic head ("các đơn vị trực thuộc") or
        // words of its own units' names ("các trường THPT trực thuộc"), not after another
        // body ("các công đoàn cơ sở trực thuộc LĐLĐ": trade unions, not the Sở's units).
        let by_code = position(&item, &words(group.code.as_str())).filter(|&at| {
            item[..at].iter().all(|w| {
                GENERIC_HEADS.contains(&w.as_str())
                    || group.unit_names.iter().chain(&group.name).any(|n| words(n).contains(w))
            })
        });
        let found = [(0u8, by_name), (1, by_start), (2, by_code)]
            .into_iter()
            .find_map(|(rank, at)| at.map(|at| (rank, at)));
        if let Some((rank, at)) = found
            && best.is_none_or(|(r, a, _)| (rank, at) < (r, a))
        {
            best = Some((rank, at, group));
        }
    }
    best.map(|(_, _, group)| {
        vec![Match::Group {
            code: group.code.clone(),
            name: group.name.clone(),
        }]
    })
    .unwrap_or_default()
}
