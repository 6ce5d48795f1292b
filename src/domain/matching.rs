//! Normalisation of request codes and tokens so that the spellings people type compare
//! equal: `4189/KH-BCĐ`, `4189/kh-bcd` and `4189 / KH-BCD` share one key. Pure code.
//!
//! This module decides what "the same code" means; [`search_key`] and [`contains_key`]
//! let intake look for a code, a token or a phrase inside running text the same way.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The comparison key of a code: no diacritics (Đ becomes d), lower case, no white space,
/// and no leading zeros in runs of digits (`0165` and `165` are the same number).
pub fn code_key(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) || c.is_whitespace() {
            continue;
        }
        match c {
            'đ' | 'Đ' => folded.push('d'),
            _ => folded.extend(c.to_lowercase()),
        }
    }
    strip_leading_zeros(&folded)
}

/// The comparison form of running text: like [`code_key`] (no diacritics, Đ as d, lower
/// case, no leading zeros) but words stay apart, with one space between them, and spaces
/// around `/` and `-` removed so `4189 / KH - BCĐ` reads as `4189/kh-bcd`.
pub fn search_key(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !folded.is_empty();
            continue;
        }
        let joins = matches!(c, '/' | '-');
        if pending_space && !joins && !folded.ends_with(['/', '-']) {
            folded.push(' ');
        }
        pending_space = false;
        match c {
            'đ' | 'Đ' => folded.push('d'),
            _ => folded.extend(c.to_lowercase()),
        }
    }
    strip_leading_zeros(&folded)
}

/// Whether `needle` (a [`search_key`]) occurs in `haystack` (a [`search_key`]) as a whole:
/// not glued to a letter or digit on either side, so `bc-1` is not found in `bc-17`.
pub fn contains_key(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(found) = haystack[from..].find(needle) {
        let start = from + found;
        let end = start + needle.len();
        let before = haystack[..start].chars().next_back();
        let after = haystack[end..].chars().next();
        let glued = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        if !glued(before) && !glued(after) {
            return true;
        }
        from = start + haystack[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn strip_leading_zeros(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // True while we are inside a run of digits that so far holds only zeros.
    let mut only_zeros_so_far = false;
    let mut chars = text.chars().peekable();
    let mut previous_was_digit = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            if !previous_was_digit {
                only_zeros_so_far = true;
            }
            let next_is_digit = chars.peek().is_some_and(|d| d.is_ascii_digit());
            if c == '0' && only_zeros_so_far && next_is_digit {
                previous_was_digit = true;
                continue;
            }
            only_zeros_so_far = false;
            previous_was_digit = true;
        } else {
            previous_was_digit = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{code_key, contains_key, search_key};

    #[test]
    fn codes_are_found_in_running_text_whatever_the_spelling() {
        let needle = search_key("4189/KH-BCĐ");
        assert_eq!(needle, "4189/kh-bcd");
        for text in [
            "RE: Báo cáo theo Kế hoạch số 4189/KH-BCĐ ngày 01/12",
            "bao cao 4189 / kh - bcd",
            "TL: [04189/Kh-Bcđ]",
        ] {
            assert!(contains_key(&search_key(text), &needle), "{text:?}");
        }
        for text in ["14189/KH-BCĐ", "4189/KH-BCĐT", "4189 KH BCD"] {
            assert!(!contains_key(&search_key(text), &needle), "{text:?}");
        }
        assert!(contains_key(&search_key("[BC-17] Nhắc"), &search_key("BC-17")));
        assert!(!contains_key(&search_key("[BC-17] Nhắc"), &search_key("BC-1")));
        assert!(contains_key(&search_key("Đơn vị ĐÃ NHẬN ạ"), &search_key("đã nhận")));
    }

    #[test]
    fn spellings_of_one_code_share_a_key() {
        let expected = "4189/kh-bcd";
        for spelling in [
            "4189/KH-BCĐ",
            "4189/kh-bcd",
            "4189 / KH-BCD",
            "04189/Kh-Bcđ",
            " 4189/KH - BCĐ ",
        ] {
            assert_eq!(code_key(spelling), expected, "{spelling:?}");
        }
    }

    #[test]
    fn decomposed_and_composed_vietnamese_share_a_key() {
        let composed = "165/LĐLĐ-Huyện";
        let decomposed: String = unicode_normalization::UnicodeNormalization::nfd(composed).collect();
        assert_eq!(code_key(composed), code_key(&decomposed));
        assert_eq!(code_key(composed), "165/ldld-huyen");
    }

    #[test]
    fn zeros_inside_numbers_are_kept() {
        assert_eq!(code_key("BC-0100"), "bc-100");
        assert_eq!(code_key("100/QĐ"), "100/qd");
        assert_eq!(code_key("0"), "0");
        assert_eq!(code_key("00"), "0");
        assert_ne!(code_key("4189/KH"), code_key("418/KH"));
    }
}
