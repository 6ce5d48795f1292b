//! The report sentences of the body: whether a report is asked, its deadline (the words
//! around a date that [`parse_deadline`] reads, with a deadline word such as "trước" or
//! "chậm nhất" among them), the mailbox it goes to and whether a file is expected.

use chrono_tz::Tz;

use super::text::{Doc, Flow};
use super::{Deadline, Found, ReportAsked, Source};
use crate::domain::dates::{parse_date, parse_deadline};
use crate::domain::matching::{contains_key, search_key};
use crate::domain::model::EmailAddress;

pub struct Read {
    pub report: ReportAsked,
    pub deadlines: Vec<Found<Deadline>>,
    pub mailbox: Option<Found<String>>,
    pub file: Option<Source>,
}

/// What makes a sentence ask for a report.
const REPORT_WORDS: &[&str] = &[
    "bao cao",
    "gui ve",
    "nop ve",
    "gui ket qua",
    "tong hop gui",
    "han nop",
    "han gui",
];

/// What starts a sentence that carries the deadline of the report sentence before it.
const DEADLINE_OPENERS: &[&str] = &["thoi han", "han ", "thoi gian", "cham nhat", "truoc "];

/// Words that say the deadline is one: a date alone ("ngày 05/01/2024") is not.
const DEADLINE_WORDS: &[&str] = &["truoc", "cham nhat", "han", "het ngay", "trong ngay", "trong thang"];

/// What says a file is expected with the report.
const FILE_WORDS: &[&str] = &[
    "file",
    "tep",
    "ban mem",
    "ban dien tu",
    "ban scan",
    "ban chup",
    "gui kem",
    "dinh kem",
    "kem theo",
    "email",
    "e-mail",
    "thu dien tu",
    "hop thu",
    "excel",
    "dinh dang",
    ".doc",
    ".xls",
    "pdf",
];

/// What says a letter is for information only.
const FOR_INFORMATION: &[&str] = &["de biet"];

/// Whether a sentence asks for a report: a report word, not only as the name of a cited
/// document ("Căn cứ Báo cáo số 12/BC-UBND").
fn is_report_sentence(key: &str) -> bool {
    let mut cleaned = key.to_string();
    while let Some(at) = cleaned.find("bao cao so ") {
        let after = &cleaned[at + "bao cao so ".len()..];
        if !after.starts_with(|c: char| c.is_ascii_digit()) {
            break;
        }
        cleaned.replace_range(at..at + "bao cao so ".len(), "");
    }
    REPORT_WORDS.iter().any(|w| contains_key(&cleaned, w))
}

pub fn read(flow: &Flow, doc: &Doc, zone: Tz) -> Read {
    let sentences = flow.sentences();
    let mut report_first: Option<Source> = None;
    let mut deadlines = Vec::new();
    let mut mailbox = None;
    let mut any_mailbox = None;
    let mut file = None;
    let mut previous_was_report = false;
    let mut information: Option<Source> = None;
    for &(start, end) in &sentences {
        let sentence = &flow.text[start..end];
        let key = search_key(sentence);
        let source = || doc.source(&flow.lines_of(start, end));
        if information.is_none() && FOR_INFORMATION.iter().any(|w| contains_key(&key, w)) {
            information = Some(source());
        }
        let report = is_report_sentence(&key);
        // "Thời hạn: …" after a report sentence, or its continuation after ";".
        let carries = previous_was_report
            && (DEADLINE_OPENERS.iter().any(|o| key.starts_with(o))
                || sentence.trim_start().starts_with(char::is_lowercase));
        previous_was_report = report || carries;
        for (offset, address) in emails(sentence) {
            let found = Found {
                value: address,
                source: doc.source(&flow.lines_of(start + offset, start + offset + 1)),
            };
            if (report || carries) && mailbox.is_none() {
                // A report sent to an address goes as a file attached to the mail.
                if file.is_none() {
                    file = Some(found.source.clone());
                }
                mailbox = Some(found);
            } else if any_mailbox.is_none() && (key.contains("email") || key.contains("hop thu")) {
                any_mailbox = Some(found);
            }
        }
        if !(report || carries) {
            continue;
        }
        if report && report_first.is_none() {
            report_first = Some(source());
        }
        if file.is_none()
            && let Some(at) = FILE_WORDS.iter().filter_map(|w| key.find(w)).min()
        {
            file = Some(
                doc.source(&flow.lines_of(start + key_offset(sentence, at), start + key_offset(sentence, at) + 1)),
            );
        }
        for (at, length, found) in sentence_deadlines(sentence, zone) {
            deadlines.push(Found {
                value: found,
                source: doc.source(&flow.lines_of(start + at, start + at + length)),
            });
        }
    }
    let report = match (report_first, information) {
        (Some(source), _) if !deadlines.is_empty() => ReportAsked::Yes { source },
        (_, Some(source)) => ReportAsked::No { source: Some(source) },
        (Some(source), None) => ReportAsked::Yes { source },
        (None, None) if !deadlines.is_empty() => ReportAsked::Yes {
            source: deadlines[0].source.clone(),
        },
        (None, None) => ReportAsked::No { source: None },
    };
    let mailbox = mailbox.or(any_mailbox.filter(|_| matches!(report, ReportAsked::Yes { .. })));
    Read {
        report,
        deadlines,
        mailbox,
        file,
    }
}

/// The byte offset in `sentence` of the character at byte `at` of its [`search_key`]: both
/// have the same words, so the word count up to `at` finds it.
fn key_offset(sentence: &str, at: usize) -> usize {
    let key = search_key(sentence);
    let words_before = key[..at.min(key.len())].split(' ').count().saturating_sub(1);
    sentence
        .split_whitespace()
        .take(words_before)
        .map(|w| w.len() + 1)
        .sum::<usize>()
        .min(sentence.len().saturating_sub(1))
}

/// The email addresses of a sentence and their byte offsets.
fn emails(sentence: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for word in sentence.split(' ') {
        if word.contains('@') {
            let trimmed = word
                .trim_start_matches(['(', '<', '[', '"', ':', '“'])
                .trim_end_matches([')', '>', ']', '"', '.', ',', ';', ':', '”']);
            if let Ok(address) = EmailAddress::parse(trimmed) {
                out.push((offset, address.as_str().to_string()));
            }
        }
        offset += word.len() + 1;
    }
    out
}

/// The deadlines of one sentence: for each date, the widest run of words around it that
/// [`parse_deadline`] reads, cut to start at a deadline word; kept only with one.
fn sentence_deadlines(sentence: &str, zone: Tz) -> Vec<(usize, usize, Deadline)> {
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for word in sentence.split(' ') {
        if !word.is_empty() {
            words.push((offset, word));
        }
        offset += word.len() + 1;
    }
    let bare = |w: &str| {
        w.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '(' | ')'))
            .to_lowercase()
    };
    let mut out: Vec<(usize, usize, Deadline)> = Vec::new();
    let mut used_until = 0;
    let mut j = 0;
    while j < words.len() {
        let span = if parse_date(&bare(words[j].1)).is_some() {
            1
        } else if bare(words[j].1).parse::<u32>().is_ok()
            && words.get(j + 1).is_some_and(|w| bare(w.1) == "tháng")
            && words.get(j + 3).is_some_and(|w| bare(w.1) == "năm")
        {
            5
        } else if bare(words[j].1) == "tháng" && words.get(j + 1).is_some_and(|w| bare(w.1).contains('/')) {
            2
        } else {
            j += 1;
            continue;
        };
        let date_end = (j + span).min(words.len());
        // After the date only a time may follow ("ngày 05/6/2024 lúc 16h30").
        let time_word = |w: &str| {
            !w.starts_with('(')
                && (["lúc", "giờ", "phút", "sáng", "chiều", "trưa", "tối", "đêm"].contains(&bare(w).as_str())
                    || bare(w).starts_with(|c: char| c.is_ascii_digit()))
        };
        let forward = words[date_end..].iter().take(4).take_while(|w| time_word(w.1)).count();
        let mut best: Option<(usize, usize)> = None;
        'search: for s in (used_until.max(j.saturating_sub(10))..=j).collect::<Vec<_>>() {
            for e in (date_end..=date_end + forward).rev() {
                if parse_deadline(&phrase(sentence, &words, s, e), zone).is_ok() {
                    best = Some((s, e));
                    break 'search;
                }
            }
        }
        if let Some((mut s, e)) = best {
            const STARTS: &[&str] = &[
                "trước", "chậm", "hạn", "đến", "trong", "hết", "ngày", "thời", "thứ", "chủ", "lúc",
            ];
            while s < j
                && !STARTS.contains(&bare(words[s].1).as_str())
                && !bare(words[s].1).starts_with(|c: char| c.is_ascii_digit())
            {
                s += 1;
            }
            // A label ("Thời hạn: trước …") is not part of the wording.
            if let Some(label) = (s..j).find(|&k| words[k].1.ends_with(':')) {
                s = label + 1;
            }
            let text = phrase(sentence, &words, s, e);
            let wording = text
                .trim_start_matches(['(', ':'])
                .trim_end_matches(['.', ',', ';', ')', ':'])
                .trim()
                .to_string();
            let key = search_key(&wording);
            if DEADLINE_WORDS.iter().any(|w| contains_key(&key, w))
                && let Ok(parsed) = parse_deadline(&wording, zone)
            {
                let at = words[s].0;
                let end = words[e - 1].0 + words[e - 1].1.len();
                out.push((
                    at,
                    end - at,
                    Deadline {
                        wording,
                        instant: parsed.instant,
                        reading: parsed.reading,
                    },
                ));
                used_until = e;
                j = e;
                continue;
            }
        }
        j = date_end;
    }
    out
}

fn phrase(sentence: &str, words: &[(usize, &str)], start: usize, end: usize) -> String {
    let from = words[start].0;
    let to = words[end - 1].0 + words[end - 1].1.len();
    sentence[from..to].to_string()
}
