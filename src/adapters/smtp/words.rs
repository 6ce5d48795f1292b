//! Header text that is not ASCII (the office's name, a unit's name, a Vietnamese subject)
//! as RFC 2047 encoded-words split only between words: lettre splits at any character, so
//! "Điện Biên" may travel as "…Điện Bi" + "ên", and a mail client that shows the folding
//! space between encoded-words (several do) prints "Bi ên". Here every encoded-word holds
//! whole words, the space after a word inside the word it ends, so a decoder that drops
//! the folding whitespace (as RFC 2047 says) and one that keeps it both show every word
//! whole. A single word longer than an encoded-word can hold is the only thing cut.

use base64::Engine;

/// Longest header line we write (RFC 5322 recommends 78 characters before CRLF).
const LINE: usize = 78;
const PREFIX: &str = "=?utf-8?b?";
const SUFFIX: &str = "?=";

/// How many bytes of text fit one encoded-word on a line that already holds `used`
/// characters.
fn budget(used: usize) -> usize {
    // RFC 2047: an encoded-word is at most 75 characters (12 of them around 60 of base64).
    (LINE.saturating_sub(used + PREFIX.len() + SUFFIX.len()) / 4 * 3).min(45)
}

/// `text` split into pieces that each end after a space (or at the end), never inside a
/// word, none longer than `first` bytes for the first piece and `rest` after it, unless a
/// single word is longer (then that word alone is cut at character boundaries).
fn pieces(text: &str, first: usize, rest: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut limit = first.max(4);
    while start < text.len() {
        let remaining = &text[start..];
        let mut end = if remaining.len() <= limit {
            remaining.len()
        } else {
            // The last space within the limit ends the piece (kept in it).
            match remaining[..floor_char(remaining, limit)].rfind(' ') {
                Some(space) if space > 0 => space + 1,
                _ => floor_char(remaining, limit),
            }
        };
        if end == 0 {
            end = remaining.chars().next().map_or(remaining.len(), char::len_utf8);
        }
        out.push(&remaining[..end]);
        start += end;
        limit = rest.max(4);
    }
    out
}

/// The largest character boundary of `s` at or below `at`.
fn floor_char(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text` as the value of a header named `name` (for the first line's length): unchanged
/// when it is printable ASCII, else encoded-words folded onto lines of their own.
pub fn encode(name: &str, text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_string();
    }
    let first = budget(name.len() + 2);
    let rest = budget(1);
    pieces(text, first, rest)
        .into_iter()
        .map(|piece| {
            format!(
                "{PREFIX}{}{SUFFIX}",
                base64::engine::general_purpose::STANDARD.encode(piece.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// A `From`/`To` value: the display name (encoded as above, or quoted when ASCII) and the
/// address, the address on a line of its own when the last line would grow too long.
pub fn mailbox(name: &str, header: &str, address: &str) -> String {
    let phrase = if name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        encode(header, name)
    };
    let last_line = phrase.rsplit("\r\n").next().map_or(0, str::len);
    let first_line = if phrase.contains("\r\n") { 0 } else { header.len() + 2 };
    if first_line + last_line + address.len() + 3 > LINE {
        format!("{phrase}\r\n <{address}>")
    } else {
        format!("{phrase} <{address}>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the encoded-words decode to, one string per encoded-word.
    fn decoded_words(value: &str) -> Vec<String> {
        value
            .split(|c: char| c.is_whitespace())
            .filter_map(|token| token.strip_prefix(PREFIX)?.strip_suffix(SUFFIX).map(str::to_string))
            .map(|b64| {
                let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
                String::from_utf8(bytes).unwrap()
            })
            .collect()
    }

    const NAMES: &[&str] = &[
        "Sở Giáo dục và Đào tạo tỉnh Điện Biên",
        "Ủy ban nhân dân huyện Mường Nhé, tỉnh Điện Biên — Văn phòng HĐND và UBND huyện",
        "Trường Phổ thông Dân tộc Nội trú Trung học phổ thông huyện Tủa Chùa tỉnh Điện Biên",
        "Báo cáo kết quả thực hiện Kế hoạch số 4189/KH-BCĐ về chuyển đổi số năm 2026 (đợt 2)",
        "Đ",
        "Nghiêngngữđặcbiệtdàikhôngcókhoảngtrắngnàođểtáchracảmàvẫnphảigửiđượcthưđiđếnđơnvị",
    ];

    #[test]
    fn encoded_words_hold_whole_words_and_read_back_as_the_text() {
        for name in NAMES {
            for header in ["From", "To", "Subject"] {
                let value = encode(header, name);
                let words = decoded_words(&value);
                assert_eq!(words.concat(), *name, "{value}");
                for word in value.split_whitespace() {
                    assert!(word.len() <= 75, "RFC 2047 allows 75 characters: {word}");
                }
                for (n, line) in value.split("\r\n").enumerate() {
                    let width = line.len() + if n == 0 { header.len() + 2 } else { 0 };
                    assert!(width <= LINE, "{header}: line {n} is {width} long: {value}");
                }
                // A decoder that keeps the folding space shows the text with only extra
                // spaces (the last name is one word too long for an encoded-word).
                if *name == NAMES[5] {
                    continue;
                }
                assert_eq!(
                    words.join(" ").split_whitespace().collect::<Vec<_>>(),
                    name.split_whitespace().collect::<Vec<_>>(),
                    "{header}: {value}"
                );
            }
        }
    }

    #[test]
    fn only_a_word_longer_than_an_encoded_word_is_cut() {
        let long = NAMES[5];
        let words = decoded_words(&encode("Subject", long));
        assert!(words.len() > 1);
        assert_eq!(words.concat(), long);
        let name = NAMES[1];
        for word in decoded_words(&encode("From", name)) {
            assert!(
                word.ends_with(' ') || name.ends_with(&word),
                "{word:?} ends inside a word"
            );
        }
    }

    #[test]
    fn ascii_stays_readable_and_mailboxes_quote_or_encode_the_name() {
        assert_eq!(encode("Subject", "Report BC-17"), "Report BC-17");
        assert_eq!(
            mailbox("Office \"A\"", "From", "a@b.vn"),
            "\"Office \\\"A\\\"\" <a@b.vn>"
        );
        let value = mailbox(NAMES[0], "From", "vanphong.sodienbien@moet.edu.vn");
        assert!(value.ends_with(" <vanphong.sodienbien@moet.edu.vn>"), "{value}");
        for line in value.split("\r\n") {
            assert!(line.len() + 6 <= LINE, "{value}");
        }
    }

    #[test]
    fn mail_parser_reads_the_headers_back_whole() {
        let from = mailbox(NAMES[1], "From", "vanphong@moet.edu.vn");
        let subject = encode("Subject", NAMES[3]);
        let raw = format!("From: {from}\r\nSubject: {subject}\r\nTo: a@b.vn\r\n\r\nbody\r\n");
        let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(message.subject(), Some(NAMES[3]));
        let sender = message.from().and_then(|f| f.first()).unwrap();
        assert_eq!(sender.name(), Some(NAMES[1]));
        assert_eq!(sender.address(), Some("vanphong@moet.edu.vn"));
    }
}
