//! The periods a message names, as units write them in a subject, a file name or the text:
//! "quý 4", "quý IV", "QIV", "Q4/2026", "tháng 11/2026", "T11", "6 tháng đầu năm",
//! "9 tháng", "báo cáo năm 2026", "HK1", "học kì I", "cuối năm học 2026-2027", with or without
//! diacritics, with or without the year. A date ("ngày 15 tháng 11 năm 2026", "15/11/2026") or
//! a length of time inside a sentence ("trong 6 tháng qua" is still read as the 6-month report,
//! which is what units mean by it) is told apart from a month by the number before "tháng".

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{Period, PeriodKind, SchoolDates};
use crate::domain::matching::search_key;

/// One period named in a text; the year is absent when the text does not say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    pub kind: PeriodKind,
    pub index: u8,
    /// The calendar year, or for the school year the year it starts.
    pub year: Option<i32>,
    /// The words that named it, as found (without diacritics).
    pub text: String,
    /// A bare abbreviation without its year ("T2", "Q1", "H1"): in running text it is as
    /// likely "thứ Hai" or "Quận 1", so only a subject or a file name is read for one.
    pub weak: bool,
    /// A school period with a lone calendar year after it ("HK1/2027"): the school year is the
    /// one whose point ends in that year.
    #[serde(skip)]
    pub calendar_year: Option<i32>,
}

impl Mention {
    /// The period it names: with its year, or the latest one begun on `received` (a reply
    /// received on 05/01/2027 that says "quý 4" means quý IV/2026).
    pub fn period(&self, received: NaiveDate, school: &SchoolDates) -> Option<Period> {
        if let Some(year) = self.year {
            return Period::new(self.kind, year, self.index);
        }
        if let Some(year) = self.calendar_year {
            // "HK1/2027": the term that ends in 2027 (học kỳ I of 2026–2027).
            let start = if school.end_of(Period::new(self.kind, year, self.index)?).year() == year {
                year
            } else {
                year - 1
            };
            return Period::new(self.kind, start, self.index);
        }
        let this_year = received.year();
        [this_year, this_year - 1]
            .into_iter()
            .filter_map(|year| Period::new(self.kind, year, self.index))
            .find(|p| p.starts_on(school) <= received)
    }
}

/// A word of the text and what separated it from the word before ("/", ".", "-", "_" or a
/// space, trimmed to its first character; empty when the words were glued).
struct Word<'a> {
    text: &'a str,
    sep: char,
}

fn words(key: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut sep = ' ';
    let mut start = None;
    for (i, c) in key.char_indices() {
        if c.is_ascii_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            out.push(Word { text: &key[s..i], sep });
            sep = ' ';
        }
        if !c.is_whitespace() && sep == ' ' {
            sep = c;
        }
    }
    if let Some(s) = start {
        out.push(Word { text: &key[s..], sep });
    }
    out
}

fn roman_or_number(text: &str, max: u8) -> Option<u8> {
    let value = match text {
        "i" => 1,
        "ii" => 2,
        "iii" => 3,
        "iv" => 4,
        _ => text.parse::<u8>().ok()?,
    };
    (1..=max).contains(&value).then_some(value)
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A year written after a period: `2026`, `/2026`, `.2026`, `năm 2026`, `/26`; the year and
/// how many words it used.
fn year_after(words: &[Word<'_>], at: usize) -> Option<(i32, usize)> {
    let word = words.get(at)?;
    if word.text == "nam" {
        let next = words.get(at + 1)?;
        if next.text.len() == 4
            && let Some(year) = four_digit_year(next.text)
        {
            return Some((year, 2));
        }
        return None;
    }
    if let Some(year) = four_digit_year(word.text) {
        return Some((year, 1));
    }
    // "Q4/26", "T11.26"; not "quý 4 - 12 trường" nor "tháng 11-12".
    if word.text.len() == 2 && is_number(word.text) && matches!(word.sep, '/' | '.') {
        return word.text.parse::<i32>().ok().map(|y| (2000 + y, 1));
    }
    None
}

fn four_digit_year(text: &str) -> Option<i32> {
    if text.len() != 4 || !is_number(text) {
        return None;
    }
    text.parse::<i32>().ok().filter(|y| (2000..=2099).contains(y))
}

/// A school year after a school period: `năm học 2026-2027`, `2026-2027`, `2026 2027`,
/// `nh 2026-2027`, `năm học 2026`; the start year, how many words it used, and whether it was
/// a lone year with no "năm học" (`HK1/2027`: a calendar year, see [`Mention::period`]).
fn school_year_after(words: &[Word<'_>], at: usize) -> Option<(i32, usize, bool)> {
    let mut used = 0;
    if words.get(at).is_some_and(|w| w.text == "nam") && words.get(at + 1).is_some_and(|w| w.text == "hoc") {
        used = 2;
    } else if words.get(at).is_some_and(|w| w.text == "nh") {
        used = 1;
    }
    let first = four_digit_year(words.get(at + used)?.text)?;
    let second = words.get(at + used + 1).and_then(|w| four_digit_year(w.text));
    match second {
        Some(second) if second == first + 1 => Some((first, used + 2, false)),
        _ => Some((first, used + 1, used == 0)),
    }
}

/// The periods `text` names, in the order written. Each is read once: "quý IV năm 2026" is
/// one quarter, not also a year.
pub fn mentions(text: &str) -> Vec<Mention> {
    let key = search_key(text);
    let words = words(&key);
    let mut found: Vec<Mention> = Vec::new();
    let mut i = 0;
    let mut after_mention = usize::MAX;
    while i < words.len() {
        match read_at(&words, i, i == after_mention) {
            Some((mut mention, used)) => {
                let names: Vec<&str> = words[i..(i + used).min(words.len())].iter().map(|w| w.text).collect();
                mention.text = names.join(" ");
                if !found.contains(&mention) {
                    found.push(mention);
                }
                i += used.max(1);
                after_mention = i;
            }
            None => i += 1,
        }
    }
    found
}

fn text_at<'a>(words: &'a [Word<'_>], at: usize) -> &'a str {
    words.get(at).map_or("", |w| w.text)
}

/// A mention starting at word `i`, and how many words it used (with its year). Right after
/// another mention, the word before belongs to that one ("quý 3 tháng 9": the 3 is not a day).
fn read_at(words: &[Word<'_>], i: usize, after_mention: bool) -> Option<(Mention, usize)> {
    let word = text_at(words, i);
    let next = text_at(words, i + 1);
    let previous = if i == 0 || after_mention {
        ""
    } else {
        text_at(words, i - 1)
    };
    let make = |kind, index, used: usize, school: bool| {
        let (year, more, calendar) = if school {
            school_year_after(words, i + used).map_or((None, 0, false), |(y, n, c)| (Some(y), n, c))
        } else {
            year_after(words, i + used).map_or((None, 0, false), |(y, n)| (Some(y), n, false))
        };
        let (year, calendar_year) = if calendar { (None, year) } else { (year, None) };
        (
            Mention {
                kind,
                index,
                year,
                text: String::new(),
                weak: false,
                calendar_year,
            },
            used + more,
        )
    };
    // A bare abbreviation ("Q1", "T2", "H1") counts only at the start, after "BC"/"báo cáo",
    // or with its year; and stays weak without a year.
    let abbreviation = |kind, index| -> Option<(Mention, usize)> {
        let (mut mention, used) = make(kind, index, 1, false);
        // "BC_2027_Q1": the year written before it.
        if mention.year.is_none()
            && let Some(year) = four_digit_year(previous)
        {
            mention.year = Some(year);
        }
        let introduced = previous.is_empty() || matches!(previous, "bc" | "cao" | "baocao" | "ky" | "va");
        if mention.year.is_none() && !introduced {
            return None;
        }
        mention.weak = mention.year.is_none();
        Some((mention, used))
    };
    // Quarters: "quý 4", "quý IV", "quí IV", "quy4", "QIV", "Q4".
    if matches!(word, "quy" | "qui")
        && let Some(index) = roman_or_number(next, 4)
    {
        return Some(make(PeriodKind::Quarter, index, 2, false));
    }
    for prefix in ["quy", "qui"] {
        if let Some(rest) = word.strip_prefix(prefix)
            && let Some(index) = roman_or_number(rest, 4)
        {
            return Some(make(PeriodKind::Quarter, index, 1, false));
        }
    }
    if let Some(rest) = word.strip_prefix('q')
        && let Some(index) = roman_or_number(rest, 4)
    {
        return abbreviation(PeriodKind::Quarter, index);
    }
    // School terms: "học kỳ I", "học kì 1", "HK1", "HK I", "HKII".
    if (word == "hoc" && matches!(next, "ky" | "ki")) || word == "hk" {
        let used = if word == "hk" { 1 } else { 2 };
        if let Some(term) = roman_or_number(text_at(words, i + used), 2) {
            return Some(make(PeriodKind::SchoolYear, term + 1, used + 1, true));
        }
    }
    if let Some(rest) = word.strip_prefix("hk")
        && let Some(term) = roman_or_number(rest, 2)
    {
        return Some(make(PeriodKind::SchoolYear, term + 1, 1, true));
    }
    // "đầu năm học", "cuối năm học", "tổng kết năm học".
    if matches!(word, "dau" | "cuoi" | "ket") && next == "nam" && text_at(words, i + 2) == "hoc" {
        let point = if word == "dau" { 1 } else { 3 };
        // The school year follows "năm học" itself.
        let (mention, used) = make(PeriodKind::SchoolYear, point, 1, true);
        return Some((mention, used.max(3)));
    }
    // Months: "tháng 11", "tháng 11/2026", "T11", "T.11" — but not a date ("ngày 15 tháng 11",
    // "15 tháng 11 năm 2026") nor "6 tháng", which is a length.
    if word == "thang"
        && let Some(month) = roman_or_number(next, 12).filter(|_| is_number(next))
        && !is_number(previous)
        && previous != "ngay"
    {
        return Some(make(PeriodKind::Month, month, 2, false));
    }
    if let Some(rest) = word.strip_prefix("thang")
        && is_number(rest)
        && let Some(month) = roman_or_number(rest, 12)
    {
        // "BC_thang11_2026.xlsx".
        return Some(make(PeriodKind::Month, month, 1, false));
    }
    if let Some(rest) = word.strip_prefix('t')
        && is_number(rest)
        && let Some(month) = roman_or_number(rest, 12)
    {
        return abbreviation(PeriodKind::Month, month);
    }
    if word == "t"
        && words.get(i + 1).is_some_and(|w| w.sep == '.')
        && let Some(month) = roman_or_number(next, 12).filter(|_| is_number(next))
    {
        return Some(make(PeriodKind::Month, month, 2, false));
    }
    // "6 tháng (đầu năm)", "sáu tháng đầu năm", "6 tháng cuối năm", "9 tháng", "nửa đầu năm",
    // "H1"; a number before "tháng" that is followed by a month number is a date.
    let months_long = match word {
        "6" | "9" => word.parse::<u8>().ok(),
        "sau" if next == "thang" && text_at(words, i + 2) == "dau" => Some(6),
        "chin" if next == "thang" => Some(9),
        _ => None,
    };
    if let Some(length) = months_long
        && next == "thang"
        && !is_number(text_at(words, i + 2))
        && previous != "ngay"
        && !is_number(previous)
    {
        let mut used = 2;
        let mut index = 1;
        if matches!(text_at(words, i + 2), "dau" | "cuoi") && text_at(words, i + 3) == "nam" {
            if text_at(words, i + 2) == "cuoi" {
                index = 2;
            }
            used = 4;
            if text_at(words, i + 4) == "hoc" {
                return None;
            }
        }
        let kind = if length == 6 {
            PeriodKind::HalfYear
        } else {
            PeriodKind::NineMonths
        };
        if kind == PeriodKind::NineMonths && index == 2 {
            return None;
        }
        return Some(make(kind, index, used, false));
    }
    if word == "nua" && matches!(next, "dau" | "cuoi") && text_at(words, i + 2) == "nam" {
        let index = if next == "dau" { 1 } else { 2 };
        return Some(make(PeriodKind::HalfYear, index, 3, false));
    }
    if let Some(index) = match word {
        "h1" => Some(1),
        "h2" => Some(2),
        _ => None,
    } {
        return abbreviation(PeriodKind::HalfYear, index);
    }
    // "BC 6T 2026", "9T/2026".
    if let Some(index) = match word {
        "6t" => Some((PeriodKind::HalfYear, 1)),
        "9t" => Some((PeriodKind::NineMonths, 1)),
        _ => None,
    } {
        return abbreviation(index.0, index.1);
    }
    // The year report: "báo cáo năm 2026", "BC năm 2026", "cả năm", "tổng kết năm 2026".
    if word == "nam" && matches!(previous, "cao" | "bc" | "ca" | "ket") && next != "hoc" {
        if let Some(year) = four_digit_year(next) {
            return Some((
                Mention {
                    kind: PeriodKind::Year,
                    index: 1,
                    year: Some(year),
                    text: String::new(),
                    weak: false,
                    calendar_year: None,
                },
                2,
            ));
        }
        if previous == "ca" {
            return Some(make(PeriodKind::Year, 1, 1, false));
        }
    }
    None
}
