//! RFC 2231 parameter values, read from the raw header: `filename*0*=utf-8''B%C3%A1o%20c;
//! filename*1*=%C3%A1o.docx` is one value, whose segments are put in order and joined
//! **before** the percent-encoding and the charset are decoded (RFC 2231 §3 and §4.1). A
//! character whose UTF-8 bytes a client split across two segments then survives, the
//! charset named only on segment 0 applies to all of them, and encoded and plain segments
//! may be mixed. Pure code.
//!
//! mail-parser 0.11.9 decodes each segment on its own (a split character becomes U+FFFD,
//! segments after the first are read as UTF-8 whatever the charset), so [`parameter`] is
//! asked first and mail-parser's value is used only when the parameter is not written in
//! RFC 2231 form. This module does not clean or shorten names; the caller does.

use mail_parser::decoders::charsets::map::charset_decoder;

/// The value of parameter `name` (any case) in a raw Content-Type or Content-Disposition
/// value, when it is written in RFC 2231 form (`name*=`, `name*0=`, `name*0*=`…); `None`
/// when it is absent or written plainly (`name="…"`, RFC 2047 words included).
pub fn parameter(raw_value: &[u8], name: &str) -> Option<String> {
    let mut extended = None;
    let mut segments: Vec<Segment> = Vec::new();
    for (attribute, value) in parameters(raw_value) {
        let Some(rest) = strip_prefix_ignore_case(&attribute, name) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('*') else {
            continue;
        };
        if rest.is_empty() {
            extended.get_or_insert(value);
            continue;
        }
        let (number, encoded) = match rest.strip_suffix('*') {
            Some(number) => (number, true),
            None => (rest, false),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(number) = number.parse::<u32>() else { continue };
        segments.push(Segment { number, encoded, value });
    }
    if segments.is_empty() {
        let value = extended?;
        segments.push(Segment {
            number: 0,
            encoded: true,
            value,
        });
    }
    // Segments may come in any order; a number given twice keeps its first value.
    segments.sort_by_key(|s| s.number);
    segments.dedup_by_key(|s| s.number);
    let joined = join(&segments);
    let joined = joined.trim();
    (!joined.is_empty()).then(|| joined.to_string())
}

/// The value of parameter `name` written plainly (`name="…"` or a token), as the raw header
/// has it: RFC 2047 words decoded, and a backslash that escapes nothing kept, so a Windows
/// path (`"C:\Users\…\a.doc"`, which old Outlook sends unescaped) is not run together
/// the way a strict reading of the quoted string runs it.
pub fn plain_parameter(raw_value: &[u8], name: &str) -> Option<String> {
    let (_, value) = parameters(raw_value)
        .into_iter()
        .find(|(attribute, _)| attribute.eq_ignore_ascii_case(name))?;
    let text = String::from_utf8_lossy(&value).into_owned();
    let text = if text.contains("=?") {
        decode_encoded_words(&text)
    } else {
        text
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// One `name*N[*]=value` of a continued parameter.
struct Segment {
    number: u32,
    encoded: bool,
    value: Vec<u8>,
}

/// The segments in order: runs of encoded segments are percent-decoded, joined, and only
/// then decoded with the charset of the first segment; plain segments are literal text.
fn join(segments: &[Segment]) -> String {
    let mut charset: Option<String> = None;
    let mut text = String::new();
    let mut pending: Vec<u8> = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        if !segment.encoded {
            text.push_str(&decode(charset.as_deref(), &std::mem::take(&mut pending)));
            text.push_str(&String::from_utf8_lossy(&segment.value));
            continue;
        }
        let mut value = segment.value.as_slice();
        if let Some((named, rest)) = split_charset(value, index == 0) {
            // Only the first segment may name the charset; some clients repeat it.
            if index == 0 {
                charset = Some(named);
            }
            value = rest;
        }
        pending.extend(percent_decode(value));
    }
    text.push_str(&decode(charset.as_deref(), &pending));
    if segments.iter().all(|s| !s.encoded) && text.contains("=?") {
        // Plain segments carrying RFC 2047 words (`name*0="=?UTF-8?B?…"`): the words are
        // whole only once joined.
        return decode_encoded_words(&text);
    }
    text
}

/// `charset'language'rest` at the start of an encoded segment. On segment 0 the two quotes
/// are required by the RFC and taken whatever sits between them; later segments only lose a
/// prefix that names a charset we know (a client repeating it), since a quote there may be
/// part of the name.
fn split_charset(value: &[u8], first: bool) -> Option<(String, &[u8])> {
    let first_quote = value.iter().position(|&b| b == b'\'')?;
    let second_quote = first_quote + 1 + value[first_quote + 1..].iter().position(|&b| b == b'\'')?;
    let charset = std::str::from_utf8(&value[..first_quote])
        .ok()?
        .trim()
        .to_ascii_lowercase();
    let language = &value[first_quote + 1..second_quote];
    let plausible = charset
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        && language.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    if !plausible {
        return None;
    }
    if !first && (charset.is_empty() || !known_charset(&charset)) {
        return None;
    }
    Some((charset, &value[second_quote + 1..]))
}

fn known_charset(charset: &str) -> bool {
    is_utf8_or_ascii(charset) || charset_decoder(charset.as_bytes()).is_some()
}

fn is_utf8_or_ascii(charset: &str) -> bool {
    matches!(
        charset,
        "" | "utf-8" | "utf8" | "us-ascii" | "ascii" | "unicode-1-1-utf-8"
    )
}

/// Text from bytes in `charset`: UTF-8 (and ASCII, and no charset) as such, others through
/// mail-parser's tables; an unknown charset or invalid UTF-8 is read leniently.
fn decode(charset: Option<&str>, bytes: &[u8]) -> String {
    let charset = charset.unwrap_or("");
    if !is_utf8_or_ascii(charset)
        && let Some(decoder) = charset_decoder(charset.as_bytes())
    {
        return decoder(bytes);
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// `%XX` to a byte; a `%` not followed by two hex digits stays as written.
fn percent_decode(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%'
            && let (Some(high), Some(low)) = (
                value.get(i + 1).and_then(|b| hex_digit(*b)),
                value.get(i + 2).and_then(|b| hex_digit(*b)),
            )
        {
            out.push(high << 4 | low);
            i += 3;
            continue;
        }
        out.push(value[i]);
        i += 1;
    }
    out
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// RFC 2047 words in a joined value, decoded by mail-parser as it decodes a Subject.
fn decode_encoded_words(text: &str) -> String {
    let line = format!("{text}\n");
    match mail_parser::parsers::MessageStream::new(line.as_bytes()).parse_unstructured() {
        mail_parser::HeaderValue::Text(decoded) => decoded.into_owned(),
        _ => text.to_string(),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// The `attribute=value` pairs after the first `;` of a raw header value, unfolded;
/// quoted values lose their quotes and backslash escapes. Attribute names keep their case.
fn parameters(raw_value: &[u8]) -> Vec<(String, Vec<u8>)> {
    let unfolded: Vec<u8> = raw_value
        .iter()
        .copied()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect();
    let mut pairs = Vec::new();
    let mut i = match skip_to_semicolon(&unfolded, 0) {
        Some(next) => next,
        None => return pairs,
    };
    while i < unfolded.len() {
        // Attribute name, up to `=` or `;`.
        let start = i;
        while i < unfolded.len() && unfolded[i] != b'=' && unfolded[i] != b';' {
            i += 1;
        }
        let attribute = String::from_utf8_lossy(&unfolded[start..i]).trim().to_string();
        if i >= unfolded.len() || unfolded[i] == b';' {
            i += 1;
            continue;
        }
        i += 1; // '='
        while i < unfolded.len() && (unfolded[i] == b' ' || unfolded[i] == b'\t') {
            i += 1;
        }
        let mut value = Vec::new();
        if unfolded.get(i) == Some(&b'"') {
            i += 1;
            while i < unfolded.len() && unfolded[i] != b'"' {
                // A backslash escapes only a quote or a backslash; before anything else it
                // is the backslash of a Windows path old Outlook writes unescaped.
                if unfolded[i] == b'\\' && matches!(unfolded.get(i + 1), Some(b'"' | b'\\')) {
                    i += 1;
                }
                value.push(unfolded[i]);
                i += 1;
            }
            // Whatever follows the closing quote up to the next `;` is ignored.
            i = skip_to_semicolon(&unfolded, i + 1).unwrap_or(unfolded.len());
        } else {
            let start = i;
            while i < unfolded.len() && unfolded[i] != b';' {
                i += 1;
            }
            value.extend_from_slice(trim_bytes(&unfolded[start..i]));
            i += 1;
        }
        if !attribute.is_empty() {
            pairs.push((attribute, value));
        }
    }
    pairs
}

/// The position after the next `;` that is not inside a quoted string, from `from`.
fn skip_to_semicolon(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quoted = false;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b';' if !quoted => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn trim_bytes(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filename(raw: &str) -> Option<String> {
        parameter(raw.as_bytes(), "filename")
    }

    #[test]
    fn a_character_split_across_segments_is_joined_before_decoding() {
        // "Báo cáo.docx": the two bytes of "á" (C3 A1) sit in different segments.
        let raw = "attachment;\r\n filename*0*=utf-8''B%C3;\r\n filename*1*=%A1o%20c%C3%A1o.docx\r\n";
        assert_eq!(filename(raw).as_deref(), Some("Báo cáo.docx"));
    }

    #[test]
    fn a_three_byte_character_split_twice() {
        // "ệ" is E1 BB 87.
        let raw = "attachment; filename*0*=UTF-8''Vi%E1; filename*1*=%BB; filename*2*=%87t.pdf";
        assert_eq!(filename(raw).as_deref(), Some("Việt.pdf"));
    }

    #[test]
    fn encoded_and_plain_segments_mix() {
        let raw = "attachment; filename*0*=utf-8''B%C3%A1o%20c%C3%A1o%20; filename*1=\"ket-qua 2023.pdf\"";
        assert_eq!(filename(raw).as_deref(), Some("Báo cáo ket-qua 2023.pdf"));
    }

    #[test]
    fn segments_out_of_order_are_put_in_order_numerically() {
        let raw = "attachment; filename*10*=.pdf; filename*1*=%A1o; filename*0*=utf-8''B%C3; filename*2=-; filename*3=x; \
                   filename*4=x; filename*5=x; filename*6=x; filename*7=x; filename*8=x; filename*9=x";
        assert_eq!(filename(raw).as_deref(), Some("Báo-xxxxxxx.pdf"));
    }

    #[test]
    fn the_charset_on_segment_zero_applies_to_every_segment() {
        // "Báo cáo" in windows-1258: a + combining acute (EC), split after the base letter.
        let raw = "attachment; filename*0*=windows-1258''Ba; filename*1*=%ECo%20ca%ECo.doc";
        let name = filename(raw).expect("a name");
        use unicode_normalization::UnicodeNormalization;
        assert_eq!(name.nfc().collect::<String>(), "Báo cáo.doc");
    }

    #[test]
    fn a_repeated_charset_on_a_later_segment_is_dropped() {
        let raw = "attachment; filename*0*=utf-8''B%C3; filename*1*=utf-8''%A1o.pdf";
        assert_eq!(filename(raw).as_deref(), Some("Báo.pdf"));
    }

    #[test]
    fn name_in_content_type_and_any_case() {
        let raw = "application/pdf;\r\n\tNAME*0*=UTF-8''%C4%90%E1%BB; Name*1*=%81.pdf";
        assert_eq!(parameter(raw.as_bytes(), "name").as_deref(), Some("Đề.pdf"));
        // `filename` is not `name`, nor the other way round.
        assert_eq!(parameter(raw.as_bytes(), "filename"), None);
        let other = "attachment; filename*0*=utf-8''a.pdf";
        assert_eq!(parameter(other.as_bytes(), "name"), None);
    }

    #[test]
    fn plain_and_extended_single_values() {
        assert_eq!(
            filename("attachment; filename=\"a b.pdf\""),
            None,
            "plain: mail-parser's job"
        );
        assert_eq!(
            filename("attachment; filename*=utf-8''B%C3%A1o.pdf").as_deref(),
            Some("Báo.pdf")
        );
        assert_eq!(
            filename("attachment; filename*=''plain.pdf").as_deref(),
            Some("plain.pdf")
        );
    }

    #[test]
    fn encoded_words_in_plain_segments_are_decoded_once_joined() {
        // "Báo cáo.pdf" as one RFC 2047 word cut in two segments.
        let raw = "attachment; filename*0=\"=?UTF-8?B?QsOhbyBj\"; filename*1=\"w6FvLnBkZg==?=\"";
        assert_eq!(filename(raw).as_deref(), Some("Báo cáo.pdf"));
    }

    #[test]
    fn plain_values_keep_the_backslashes_of_a_windows_path() {
        let raw = "attachment; filename=\"C:\\Users\\Van Thu\\B\\\\c.pdf\"; size=10";
        assert_eq!(
            plain_parameter(raw.as_bytes(), "filename").as_deref(),
            Some("C:\\Users\\Van Thu\\B\\c.pdf")
        );
        let encoded = "attachment; filename=\"=?UTF-8?B?QsOhbyBjw6FvLnBkZg==?=\"";
        assert_eq!(
            plain_parameter(encoded.as_bytes(), "filename").as_deref(),
            Some("Báo cáo.pdf")
        );
        assert_eq!(
            plain_parameter(b"attachment; filename=a.pdf", "FILENAME").as_deref(),
            Some("a.pdf")
        );
        assert_eq!(plain_parameter(b"attachment", "filename"), None);
    }

    #[test]
    fn broken_input_does_not_panic() {
        for raw in [
            "attachment; filename*0*=utf-8''%",
            "attachment; filename*0*=utf-8''%E",
            "attachment; filename*0*=%ZZ%",
            "attachment; filename*x*=a; filename**=b; filename*99999999999*=c",
            "attachment; filename*0=\"unterminated",
            "attachment; ;;; =; filename*0",
            "",
        ] {
            let _ = filename(raw);
        }
        assert_eq!(filename("attachment; filename*0*=utf-8''%").as_deref(), Some("%"));
    }
}
