//! Normalisation of request codes and tokens so that the spellings people type compare
//! equal: `4189/KH-BCĐ`, `4189/kh-bcd` and `4189 / KH-BCD` share one key. Pure code.
//!
//! This module decides what "the same code" means; it does not search messages for codes
//! (that is intake's job, which uses these keys).

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
    use super::code_key;

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
