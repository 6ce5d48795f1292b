//! The text as extraction leaves it, tidied line by line (NFC, odd spaces, page breaks) with
//! the line numbers kept, and the body as one flow of sentences that remembers each
//! character's line.

use unicode_normalization::UnicodeNormalization;

use super::Source;
use crate::domain::matching::search_key;

/// The lines of a text, tidied, numbered from 1 as given.
pub struct Doc {
    lines: Vec<String>,
}

impl Doc {
    pub fn new(text: &str) -> Doc {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines = text
            .split('\n')
            .map(|line| {
                line.nfc()
                    .map(|c| match c {
                        '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{3000}' => " ".to_string(),
                        // Word and some PDF extractions separate the heading's columns by a tab.
                        '\t' => "    ".to_string(),
                        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{c}' | '\r' => String::new(),
                        c if c.is_control() => String::new(),
                        c => c.to_string(),
                    })
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect();
        Doc { lines }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// The line at a 0-based index.
    pub fn line(&self, index: usize) -> &str {
        self.lines.get(index).map(String::as_str).unwrap_or_default()
    }

    /// The first line (0-based) whose [`search_key`], trimmed, satisfies `test`.
    pub fn find(&self, test: impl Fn(&str) -> bool) -> Option<usize> {
        self.find_from(0, test)
    }

    pub fn find_from(&self, from: usize, test: impl Fn(&str) -> bool) -> Option<usize> {
        (from..self.len()).find(|&i| test(search_key(self.line(i).trim()).as_str()))
    }

    /// The first line at or after `from` with something on it.
    pub fn next_filled(&self, from: usize) -> Option<usize> {
        (from..self.len()).find(|&i| !self.line(i).trim().is_empty())
    }

    /// Where the body starts: after the "Kính gửi" block, else at the first line that opens a
    /// body ("Căn cứ", "Thực hiện", "1. …"), else after the heading's first 12 filled lines.
    pub fn body_start(&self, kinh_gui: Option<usize>) -> usize {
        const OPENERS: &[&str] = &["can cu", "thuc hien", "theo ", "de ", "nham ", "ngay ", "tiep theo"];
        let opens = |key: &str| OPENERS.iter().any(|o| key.starts_with(o));
        if let Some(line) = kinh_gui {
            return (line + 1..self.len())
                .find(|&i| {
                    let t = self.line(i).trim();
                    !t.is_empty() && !t.starts_with(['-', '+', '•', '–']) && !t.starts_with(|c: char| c.is_lowercase())
                })
                .unwrap_or(self.len());
        }
        let filled: Vec<usize> = (0..self.len()).filter(|&i| !self.line(i).trim().is_empty()).collect();
        filled
            .iter()
            .copied()
            .find(|&i| {
                let t = self.line(i).trim();
                // A heading line in capitals ("ĐỀ ÁN") opens nothing.
                let capitals = t.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase);
                (opens(&search_key(t)) && !capitals) || t.starts_with(|c: char| c.is_ascii_digit()) && t.contains(". ")
            })
            .unwrap_or_else(|| filled.get(12).copied().unwrap_or(self.len()))
    }

    /// A source for these 0-based line indexes: their numbers and the first one's text.
    pub fn source(&self, indexes: &[usize]) -> Source {
        Source {
            lines: indexes.iter().map(|i| i + 1).collect(),
            text: indexes
                .first()
                .map(|&i| self.line(i).split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        }
    }
}

/// The body as one string of sentences, each byte mapped back to its line.
pub struct Flow {
    pub text: String,
    /// (byte offset where a line's text starts, 0-based line index).
    starts: Vec<(usize, usize)>,
    /// Byte offsets where a sentence starts.
    pub sentence_starts: Vec<usize>,
}

impl Flow {
    /// Lines `from` up to `to` (exclusive; the end when `None`), spaces collapsed. A line that
    /// opens a list item ("-", "1.", "a)") starts a sentence.
    pub fn new(doc: &Doc, from: usize, to: Option<usize>) -> Flow {
        let mut text = String::new();
        let mut starts = Vec::new();
        let mut sentence_starts = vec![0];
        for index in from..to.unwrap_or(doc.len()).min(doc.len()) {
            let line = doc.line(index).split_whitespace().collect::<Vec<_>>().join(" ");
            if line.is_empty() {
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            if opens_item(&line) && !text.is_empty() {
                sentence_starts.push(text.len());
            }
            starts.push((text.len(), index));
            text.push_str(&line);
        }
        // Sentences also end at ";", "./." and ". " before a capital or a digit.
        let bytes: Vec<(usize, char)> = text.char_indices().collect();
        for (k, &(at, c)) in bytes.iter().enumerate() {
            let next = bytes.get(k + 1).map(|&(_, n)| n);
            let after = bytes.get(k + 2).map(|&(_, n)| n);
            let ends = match c {
                ';' => true,
                '.' => next == Some(' ') && after.is_some_and(|a| a.is_uppercase() || a.is_ascii_digit() || a == '-'),
                _ => false,
            };
            if ends && let Some(&(start, _)) = bytes.get(k + 1) {
                let _ = at;
                sentence_starts.push(start);
            }
        }
        sentence_starts.sort_unstable();
        sentence_starts.dedup();
        Flow {
            text,
            starts,
            sentence_starts,
        }
    }

    /// The sentences: (start, end) byte ranges.
    pub fn sentences(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (k, &start) in self.sentence_starts.iter().enumerate() {
            let end = self.sentence_starts.get(k + 1).copied().unwrap_or(self.text.len());
            if start < end {
                out.push((start, end));
            }
        }
        out
    }

    /// The 0-based line index holding a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search_by(|(start, _)| start.cmp(&offset)) {
            Ok(k) => self.starts[k].1,
            Err(0) => self.starts.first().map_or(0, |s| s.1),
            Err(k) => self.starts[k - 1].1,
        }
    }

    /// The line indexes a byte range covers.
    pub fn lines_of(&self, start: usize, end: usize) -> Vec<usize> {
        let first = self.line_of(start);
        let last = self.line_of(end.saturating_sub(1).max(start));
        self.starts
            .iter()
            .map(|&(_, line)| line)
            .filter(|&line| line >= first && line <= last)
            .collect()
    }
}

fn opens_item(line: &str) -> bool {
    if line.starts_with(['-', '+', '•', '–']) {
        return true;
    }
    let head: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
    if !head.is_empty() && line[head.len()..].starts_with(['.', ')']) {
        return true;
    }
    let mut chars = line.chars();
    matches!((chars.next(), chars.next()), (Some(c), Some(')')) if c.is_lowercase())
}

/// The text up to the first run of `gap` or more spaces (the heading's left column).
pub fn first_column(line: &str, gap: usize) -> &str {
    let pattern = " ".repeat(gap);
    line.find(&pattern).map_or(line, |at| &line[..at]).trim()
}

/// The text after the last run of `gap` or more spaces (the heading's right column).
pub fn last_column(line: &str, gap: usize) -> &str {
    let pattern = " ".repeat(gap);
    line.rfind(&pattern)
        .map_or(line, |at| &line[at + pattern.len()..])
        .trim()
}

/// The byte offset of `word` standing alone in `line`, ignoring case.
pub fn find_word(line: &str, word: &str) -> Option<usize> {
    let count = word.chars().count();
    line.char_indices()
        .find(|&(i, _)| {
            let candidate: String = line[i..].chars().take(count).collect();
            candidate.to_lowercase() == word && is_boundary(line, i, candidate.len())
        })
        .map(|(i, _)| i)
}

fn is_boundary(line: &str, at: usize, len: usize) -> bool {
    let before = line[..at].chars().next_back();
    let after = line.get(at + len..).and_then(|rest| rest.chars().next());
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// `line` without the words that spell `phrase` (a [`search_key`] of words), wherever they
/// occur; hyphens between words do not count.
pub fn remove_phrase(line: &str, phrase: &str) -> String {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    let words: Vec<&str> = line.split_whitespace().collect();
    let keys: Vec<String> = words
        .iter()
        .map(|w| search_key(w).trim_matches(['-', '–', ',']).to_string())
        .collect();
    let mut keep = vec![true; words.len()];
    let mut i = 0;
    while i < words.len() {
        let mut j = i;
        let mut k = 0;
        while j < words.len() && k < wanted.len() {
            if keys[j].is_empty() {
                j += 1;
                continue;
            }
            if keys[j] != wanted[k] {
                break;
            }
            j += 1;
            k += 1;
        }
        if k == wanted.len() {
            keep[i..j].iter_mut().for_each(|w| *w = false);
            i = j;
        } else {
            i += 1;
        }
    }
    words
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(w, _)| *w)
        .collect::<Vec<_>>()
        .join(" ")
}
