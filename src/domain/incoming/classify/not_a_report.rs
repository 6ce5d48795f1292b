//! Rule 5's reading of a reply without attachment: only an acknowledgement, a question or
//! a request for more time is "not a report"; anything with content is.

use super::facts::Phrases;
use super::outcome::Rule;
use crate::domain::matching::search_key;

/// Rule 5's check for a reply without attachment: whether the sender's own words are
/// *only* an acknowledgement, a question or a request for more time. The text is cut into
/// sentences (the greeting and the closing with what follows set aside); a sentence that
/// asks for more time, acknowledges or asks a question decides, an apology or a remark about
/// lateness is set aside, and every other sentence is content. More than
/// [`CONTENT_WORDS_OF_A_REPORT`] words of content make the reply a report whatever else it
/// says ("… văn bản sẽ gửi sau", "xin lỗi vì báo cáo chậm …"). The detail quotes the
/// sentence that decided.
pub fn not_a_report(own_text: &str, phrases: &Phrases) -> Option<(Rule, String)> {
    let sentences = sentences(own_text);
    let lists = PhraseKeys::of(phrases);
    let judged: Vec<(&str, SentenceKind)> = sentences.iter().map(|s| (s.as_str(), lists.kind_of(s))).collect();
    let content_words: usize = judged
        .iter()
        .filter(|(_, kind)| *kind == SentenceKind::Content)
        .map(|(sentence, _)| word_count(sentence))
        .sum();
    if content_words > CONTENT_WORDS_OF_A_REPORT {
        return None;
    }
    let first = |wanted: SentenceKind| judged.iter().find(|(_, kind)| *kind == wanted).map(|(s, _)| quote(s));
    if let Some(sentence) = first(SentenceKind::MoreTime) {
        return Some((
            Rule::MoreTime,
            format!("thư xin thêm thời gian (\"{sentence}\"), không kèm báo cáo"),
        ));
    }
    if let Some(sentence) = first(SentenceKind::Acknowledgement) {
        return Some((
            Rule::Acknowledgement,
            format!("thư chỉ xác nhận (\"{sentence}\"), không kèm báo cáo"),
        ));
    }
    if let Some(sentence) = first(SentenceKind::Question) {
        return Some((
            Rule::Question,
            format!("thư hỏi lại (\"{sentence}\"), không kèm báo cáo"),
        ));
    }
    if content_words > 0 {
        return None;
    }
    if let Some(sentence) = first(SentenceKind::Aside) {
        return Some((
            Rule::Acknowledgement,
            format!("thư chỉ xin lỗi hoặc báo chậm (\"{sentence}\"), không kèm báo cáo"),
        ));
    }
    Some((Rule::Empty, "thư không có nội dung và không kèm báo cáo".to_string()))
}

/// More words of content than this, beside the sentences that acknowledge, ask or ask for
/// more time, make a reply a report.
pub const CONTENT_WORDS_OF_A_REPORT: usize = 20;

/// What one sentence of a reply is, for rule 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SentenceKind {
    /// Asks for more time: an asking phrase whose nearest time phrase is a time phrase, not
    /// an apology ("xin gia hạn", "đề nghị cho lùi hạn"; not "xin lỗi vì báo cáo chậm").
    MoreTime,
    Acknowledgement,
    /// Ends in `?` or holds a question phrase.
    Question,
    /// An apology, or a remark about lateness or deadlines that asks nothing: neither
    /// content nor deciding.
    Aside,
    Content,
}

/// The phrase lists as word sequences of [`search_key`]s.
struct PhraseKeys {
    acknowledgement: Vec<Vec<String>>,
    question: Vec<Vec<String>>,
    more_time: Vec<Vec<String>>,
    asking: Vec<Vec<String>>,
    apology: Vec<Vec<String>>,
}

impl PhraseKeys {
    fn of(phrases: &Phrases) -> PhraseKeys {
        let keys = |list: &[String]| -> Vec<Vec<String>> {
            list.iter()
                .map(|p| words_of(&search_key(p)))
                .filter(|w| !w.is_empty())
                .collect()
        };
        PhraseKeys {
            acknowledgement: keys(&phrases.acknowledgement),
            question: keys(&phrases.question),
            more_time: keys(&phrases.more_time),
            asking: keys(&phrases.asking),
            apology: keys(&phrases.apology),
        }
    }

    fn kind_of(&self, sentence: &str) -> SentenceKind {
        let words = words_of(&search_key(sentence));
        let time = occurrences(&words, &self.more_time);
        let apology = occurrences(&words, &self.apology);
        // An asking word inside an apology ("xin" of "xin lỗi") asks nothing.
        let asking: Vec<(usize, usize)> = occurrences(&words, &self.asking)
            .into_iter()
            .filter(|(start, _)| !apology.iter().any(|(a, end)| a <= start && start < end))
            .collect();
        let asks_for_time = asking.iter().any(|&(start, end)| {
            // The phrase an asking word governs: the nearest one after it, else before it.
            let after = time
                .iter()
                .map(|t| (t.0, true))
                .chain(apology.iter().map(|a| (a.0, false)))
                .filter(|(at, _)| *at >= end)
                .min_by_key(|(at, _)| *at);
            let before = time
                .iter()
                .map(|t| (t.1, true))
                .chain(apology.iter().map(|a| (a.1, false)))
                .filter(|(at, _)| *at <= start)
                .max_by_key(|(at, _)| *at);
            after.or(before).is_some_and(|(_, is_time)| is_time)
        });
        if asks_for_time {
            SentenceKind::MoreTime
        } else if !occurrences(&words, &self.acknowledgement).is_empty() {
            SentenceKind::Acknowledgement
        } else if sentence.contains('?') || !occurrences(&words, &self.question).is_empty() {
            SentenceKind::Question
        } else if !time.is_empty() || !apology.is_empty() {
            SentenceKind::Aside
        } else {
            SentenceKind::Content
        }
    }
}

/// Where each phrase of `list` occurs in `words`, as `(start, end)` word positions.
fn occurrences(words: &[String], list: &[Vec<String>]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for phrase in list {
        if phrase.len() > words.len() {
            continue;
        }
        for start in 0..=words.len() - phrase.len() {
            if words[start..start + phrase.len()] == phrase[..] {
                found.push((start, start + phrase.len()));
            }
        }
    }
    found
}

/// The words of a [`search_key`]: runs of letters, digits, `/` and `-`.
fn words_of(key: &str) -> Vec<String> {
    key.split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '-'))
        .map(|w| w.trim_matches(['/', '-']))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// A sentence as the review detail quotes it: without its final full stop, at most 200
/// characters.
fn quote(sentence: &str) -> String {
    let trimmed = sentence.trim().trim_end_matches(['.', ' ']);
    let mut quoted: String = trimmed.chars().take(200).collect();
    if trimmed.chars().count() > 200 {
        quoted.push('…');
    }
    quoted
}

/// How the first line of a reply greets ("Kính gửi Văn phòng Sở,").
const GREETINGS: [&str; 8] = [
    "kính gửi",
    "kính thưa",
    "thưa",
    "dear",
    "xin chào",
    "chào",
    "hello",
    "hi",
];
/// How a reply closes; the closing line and what follows (a name, a title, a phone number)
/// are not its content.
const CLOSINGS: [&str; 10] = [
    "trân trọng",
    "xin cảm ơn",
    "cảm ơn",
    "xin chân thành cảm ơn",
    "chân thành cảm ơn",
    "kính chúc",
    "best regards",
    "regards",
    "thanks",
    "thank you",
];
/// A greeting or closing line longer than this is content that happens to start alike.
const SHORT_LINE_WORDS: usize = 10;

/// The sentences of a reply's own words, the greeting and the closing set aside: lines,
/// cut after `.`, `!`, `?` or `;` where a space or the line's end follows.
fn sentences(own_text: &str) -> Vec<String> {
    let starts_with_any = |line: &str, list: &[&str]| {
        let key = search_key(line);
        list.iter().any(|p| {
            let p = search_key(p);
            key.starts_with(&p) && !key[p.len()..].starts_with(char::is_alphanumeric)
        })
    };
    let mut lines: Vec<&str> = own_text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if let Some(first) = lines.first().copied()
        && starts_with_any(first, &GREETINGS)
    {
        match first.split_once(',') {
            Some((_, rest)) => lines[0] = rest.trim(),
            None if word_count(first) <= SHORT_LINE_WORDS => lines[0] = "",
            None => {}
        }
    }
    if let Some(closing) = lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, line)| starts_with_any(line, &CLOSINGS) && word_count(line) <= SHORT_LINE_WORDS / 2 + 1)
        .map(|(i, _)| i)
    {
        lines.truncate(closing);
    }
    let mut out = Vec::new();
    for line in lines {
        let mut start = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, (at, c)) in chars.iter().enumerate() {
            let ends =
                matches!(c, '.' | '!' | '?' | ';') && chars.get(k + 1).is_none_or(|(_, next)| next.is_whitespace());
            if ends {
                let end = at + c.len_utf8();
                out.push(line[start..end].trim().to_string());
                start = end;
            }
        }
        out.push(line[start..].trim().to_string());
    }
    out.retain(|s| word_count(s) > 0);
    out
}
