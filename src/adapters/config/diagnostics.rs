//! Problems in a configuration file, each with its line and dotted key, and the lenient
//! reading that reports every unknown key and mistyped value in one run.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::raw::RawConfig;

/// One thing wrong (or unwise) in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

/// The outcome of reading a configuration: problems that make it unusable, and warnings.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", format_problem(&self.file, problem))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// `FILE:LINE: key: message`, the way compilers point at a line.
pub fn format_problem(file: &Path, problem: &Problem) -> String {
    let location = match problem.line {
        Some(line) => format!("{}:{line}", file.display()),
        None => file.display().to_string(),
    };
    if problem.key.is_empty() {
        format!("{location}: {}", problem.message)
    } else {
        format!("{location}: {}: {}", problem.key, problem.message)
    }
}

/// Deserialises as much of the document as can be. serde stops at the first unknown key
/// or value of the wrong type; each time, the key is reported with its line, taken out of
/// the document, and deserialisation starts again, until the rest is accepted. Returns the
/// raw configuration (`None` if an error could not be placed on a key), the problems, and
/// the dotted keys left out, so the checks that follow do not also call them missing.
pub(super) fn deserialize_leniently(
    text: &str,
    mut document: Spanned<toml::de::DeTable<'_>>,
) -> (Option<RawConfig>, Vec<Problem>, HashSet<String>) {
    // Each round deserialises the whole document again: enough rounds for any file a person
    // wrote, not a quadratic run on a generated one.
    const MOST_ROUNDS: usize = 200;
    let mut problems = Vec::new();
    let mut left_out = HashSet::new();
    loop {
        if problems.len() >= MOST_ROUNDS {
            problems.push(Problem {
                line: None,
                key: String::new(),
                message: format!("dừng sau {MOST_ROUNDS} lỗi: sửa các lỗi trên rồi kiểm tra lại"),
            });
            return (None, problems, left_out);
        }
        let error = match RawConfig::deserialize(toml::de::Deserializer::from(document.clone())) {
            Ok(raw) => return (Some(raw), problems, left_out),
            Err(error) => error,
        };
        let mut problem = deserialize_problem(text, &error);
        // Each round takes one entry out, or stops: this ends.
        let path = error.span().and_then(|span| entry_at(document.get_ref(), span.start));
        let Some(path) = path.filter(|path| take_out(document.get_mut(), path)) else {
            problems.push(problem);
            return (None, problems, left_out);
        };
        let key = dotted(&path);
        if !problem.message.starts_with("thiếu khóa") {
            problem.key = key.clone();
        }
        problems.push(problem);
        left_out.insert(key);
    }
}

/// One step from a table to an entry inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    /// An item of an array of tables (`[[web.users]]`).
    Item(usize),
}

/// The dotted key of a path, without array positions: `web.users.name`.
pub(super) fn dotted(path: &[Step]) -> String {
    path.iter()
        .filter_map(|step| match step {
            Step::Key(key) => Some(key.as_str()),
            Step::Item(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The innermost entry at `offset`: the one whose key is there, else one inside a nested
/// table, else the one whose value covers it.
pub(super) fn entry_at(table: &toml::de::DeTable<'_>, offset: usize) -> Option<Vec<Step>> {
    use toml::de::DeValue;
    let key_step = |key: &Spanned<std::borrow::Cow<'_, str>>| Step::Key(key.get_ref().to_string());
    if let Some((key, _)) = table.iter().find(|(key, _)| key.span().contains(&offset)) {
        return Some(vec![key_step(key)]);
    }
    for (key, value) in table.iter() {
        let deeper = match value.get_ref() {
            DeValue::Table(inner) => entry_at(inner, offset).map(|path| (None, path)),
            DeValue::Array(items) => items.iter().enumerate().find_map(|(index, item)| match item.get_ref() {
                DeValue::Table(inner) => entry_at(inner, offset).map(|path| (Some(index), path)),
                _ => None,
            }),
            _ => None,
        };
        if let Some((item, path)) = deeper {
            let mut full = vec![key_step(key)];
            full.extend(item.map(Step::Item));
            full.extend(path);
            return Some(full);
        }
    }
    table
        .iter()
        .find(|(_, value)| value.span().contains(&offset))
        .map(|(key, _)| vec![key_step(key)])
}

/// Removes the entry at `path`; says whether there was one.
pub(super) fn take_out(table: &mut toml::de::DeTable<'_>, path: &[Step]) -> bool {
    use toml::de::DeValue;
    match path {
        [Step::Key(key)] => table.remove(key.as_str()).is_some(),
        [Step::Key(key), rest @ ..] => match (table.get_mut(key.as_str()).map(|v| v.get_mut()), rest) {
            (Some(DeValue::Table(inner)), _) => take_out(inner, rest),
            (Some(DeValue::Array(items)), [Step::Item(index), rest @ ..]) => {
                match items.get_mut(*index).map(|item| item.get_mut()) {
                    Some(DeValue::Table(inner)) => take_out(inner, rest),
                    _ => false,
                }
            }
            _ => false,
        },
        _ => false,
    }
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The dotted key written on the line that holds `offset`: the nearest `[table]` above it
/// plus the key before `=` on that line.
pub(super) fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
    let line = text[line_start..line_end].trim();
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    if line.starts_with('[') {
        return line.trim_matches(|c| c == '[' || c == ']').trim().to_string();
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string());
    match (table, key) {
        (Some(table), Some(key)) => format!("{table}.{key}"),
        (None, Some(key)) => key,
        (Some(table), None) => table,
        (None, None) => String::new(),
    }
}

pub(super) fn deserialize_problem(text: &str, error: &toml::de::Error) -> Problem {
    let span = error.span();
    let line = span.as_ref().map(|s| line_of(text, s.start));
    let key = span.as_ref().map(|s| key_at(text, s.start)).unwrap_or_default();
    let raw_message = error.message().trim();
    let message = if let Some(rest) = raw_message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        if field.starts_with("password") && field != "password-file" && field != "password-credential" {
            "không được ghi mật khẩu trong tệp cấu hình; dùng password-file (tệp chỉ root đọc được) hoặc password-credential (LoadCredential của systemd)".to_string()
        } else {
            let expected = rest.split_once("expected ").map(|(_, e)| e).unwrap_or_default();
            let expected = expected.strip_prefix("one of ").unwrap_or(expected);
            format!("khóa `{field}` không có trong cấu hình của baocao (các khóa hợp lệ: {expected})")
        }
    } else if let Some(rest) = raw_message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        format!("thiếu khóa bắt buộc `{field}`")
    } else if let Some(rest) = raw_message.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or_default();
        let expected = rest.split_once("expected ").map(|(_, e)| e).unwrap_or_default();
        let expected = expected.strip_prefix("one of ").unwrap_or(expected);
        format!("giá trị `{value}` không được chấp nhận; ghi một trong: {expected}")
    } else if span.is_some() && (raw_message.starts_with("invalid type") || raw_message.starts_with("invalid value")) {
        let expected = raw_message.rsplit_once("expected ").map(|(_, e)| e).unwrap_or_default();
        let wanted = match expected {
            "a string" => "cần một chuỗi trong dấu ngoặc kép",
            "a boolean" => "cần true hoặc false",
            "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" => {
                "cần một số nguyên, không có dấu ngoặc kép"
            }
            "f32" | "f64" => "cần một số, không có dấu ngoặc kép",
            "a sequence" => "cần một danh sách [\"…\", \"…\"]",
            _ if expected.starts_with("struct ") || expected == "a map" => "cần một bảng [tên-bảng]",
            _ => "không đúng loại",
        };
        if raw_message.starts_with("invalid type") {
            format!("giá trị sai kiểu: {wanted} ({raw_message})")
        } else {
            format!("giá trị nằm ngoài khoảng cho phép ({raw_message})")
        }
    } else {
        format!("tệp không đúng cú pháp TOML ({raw_message})")
    };
    let key = match raw_message.strip_prefix("missing field `") {
        // A missing key's span points at its table; name the key itself.
        Some(rest) => {
            let field = rest.split('`').next().unwrap_or_default();
            if key.is_empty() {
                field.to_string()
            } else {
                format!("{key}.{field}")
            }
        }
        None => key,
    };
    Problem { line, key, message }
}
