//! Cleaning what a message says before anything reads it: display lines, text, addresses, ids and
//! file names (control and bidi characters out, NFC, bounded lengths).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use mail_parser::{HeaderName, Message};
use unicode_normalization::UnicodeNormalization;

use super::*;

/// One line of display text: NFC, control and bidirectional-override characters (CR, LF,
/// NUL, escape sequences, U+202E…) replaced by spaces, spaces collapsed, at most
/// [`MAX_LINE`] characters. This is what stops a CRLF hidden in an encoded word from
/// reaching a header we write or a terminal we print to.
pub fn clean_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LINE * 4));
    let mut pending_space = false;
    let mut count = 0;
    for c in text.nfc() {
        if c.is_control() || is_format_control(c) || c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            if count + 1 >= MAX_LINE {
                break;
            }
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
        if count >= MAX_LINE {
            break;
        }
    }
    out
}

pub(super) fn is_format_control(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Text of many lines: NFC, line ends unified, other control characters removed.
pub(super) fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfc() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() || is_format_control(c) => {}
            '\u{00A0}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Every From mailbox's address, lower case: the first one (mail-parser's `from()`) first,
/// then the others of every From header in order, each once, at most [`MAX_AUTHORS`].
pub(super) fn from_addresses(message: &Message<'_>) -> Vec<String> {
    let mut addresses: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let first = message.from().and_then(|a| a.first()).and_then(|a| a.address());
    let others = message
        .headers()
        .iter()
        .filter(|h| h.name == HeaderName::From)
        .filter_map(|h| h.value().as_address())
        .flat_map(|a| a.iter().filter_map(|m| m.address()));
    for address in first.into_iter().chain(others) {
        let address = clean_address(address);
        if !address.is_empty() && seen.insert(address.clone()) {
            addresses.push(address);
            if addresses.len() == MAX_AUTHORS {
                break;
            }
        }
    }
    addresses
}

/// A mailbox address, lower case; empty (no address) when it holds a control or space
/// character, which no real address does: a garbled address must not be read as a
/// registered one with the garbage removed.
pub(super) fn clean_address(address: &str) -> String {
    let address = address.trim();
    if address
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || is_format_control(c))
    {
        return String::new();
    }
    clean_line(address).to_lowercase()
}

pub(super) fn clean_id(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    id.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .take(MAX_LINE)
        .collect()
}

/// A file name fit to show: NFC, no control characters. A `/` stays, because Vietnamese
/// document numbers contain it (`Báo cáo số 215/BC-PGDĐT.docx`); a Windows path, which old
/// Outlook sends as the name (`C:\Users\…\file.docx`), keeps only its last component,
/// since the folders are the sender's and never part of the document's name. Never used as
/// a file system name as it is: [`safe_file_name`] makes one.
pub(super) fn clean_file_name(name: &str) -> String {
    let name = name.rsplit('\\').next().unwrap_or(name);
    let cleaned = clean_line(name);
    if cleaned.is_empty() {
        "(không tên)".to_string()
    } else {
        cleaned
    }
}

/// Longest file system name made, in bytes (most file systems allow 255).
pub(super) const MAX_SAFE_NAME_BYTES: usize = 200;

/// An attachment's name made safe wherever a file system name or a Content-Disposition
/// header is produced: the parts between `/` or `\` joined with `_` (`.` and `..` dropped),
/// characters Windows forbids and control characters replaced by `_`, no leading dot, no
/// trailing dot or space, no device name (`CON`, `LPT1`…), at most 200 bytes with the
/// extension kept. `Báo cáo số 215/BC-PGDĐT.docx` becomes `Báo cáo số 215_BC-PGDĐT.docx`.
pub fn safe_file_name(name: &str) -> String {
    let components: Vec<String> = name
        .split(['/', '\\'])
        .map(|part| clean_line(part).trim_matches([' ', '.']).to_string())
        .filter(|part| !part.is_empty())
        .collect();
    let joined = components.join("_");
    let mut safe: String = joined
        .chars()
        .map(|c| {
            if c.is_control() || is_format_control(c) || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    safe = safe.trim_matches([' ', '.']).to_string();
    let stem = safe.split('.').next().unwrap_or("").trim().to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit());
    if device {
        safe.insert(0, '_');
    }
    if safe.len() > MAX_SAFE_NAME_BYTES {
        safe = shorten_keeping_extension(&safe, MAX_SAFE_NAME_BYTES);
    }
    if safe.is_empty() {
        "tep-dinh-kem".to_string()
    } else {
        safe
    }
}

/// `name` cut to at most `limit` bytes on a character boundary, its extension (up to ten
/// characters after the last dot) kept.
pub(super) fn shorten_keeping_extension(name: &str, limit: usize) -> String {
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.chars().count() <= 11)
        .unwrap_or("");
    let stem = &name[..name.len() - extension.len()];
    let mut cut = limit.saturating_sub(extension.len()).min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{extension}", stem[..cut].trim_end())
}

pub(super) fn id_list(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match value {
        mail_parser::HeaderValue::Text(t) => bounded_ids(std::iter::once(t.as_ref())),
        mail_parser::HeaderValue::TextList(list) => bounded_ids(list.iter().map(|t| t.as_ref())),
        _ => Vec::new(),
    }
}

/// Cleaned, non-empty ids in order, at most [`MAX_IDS`]: the first (a thread's root) and the
/// newest `MAX_IDS - 1`. Only the kept ones are cleaned, so a header of a million ids costs
/// one pass over it and nothing more.
pub(super) fn bounded_ids<'a>(ids: impl DoubleEndedIterator<Item = &'a str>) -> Vec<String> {
    let mut nonempty = ids.filter(|id| !id.trim().is_empty());
    let Some(first) = nonempty.next() else {
        return Vec::new();
    };
    let mut tail: Vec<&str> = nonempty.rev().take(MAX_IDS - 1).collect();
    tail.reverse();
    std::iter::once(first)
        .chain(tail)
        .map(clean_id)
        .filter(|id| !id.is_empty())
        .collect()
}

pub(super) fn to_utc(date: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(date.to_timestamp(), 0)
}
