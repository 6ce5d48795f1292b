//! The bytes of a CSV file as text. What offices hand over, by how Excel saves it:
//!
//! - "CSV UTF-8": UTF-8 with a BOM (LibreOffice: without one);
//! - "Unicode Text" (`.txt`): UTF-16 with a BOM, cells separated by tabs;
//! - plain "CSV": the Windows code page, on Vietnamese Windows windows-1258, where a toned
//!   letter is a base letter followed by a combining tone mark;
//! - lists typed long ago with the ABC keyboard in `.VnTime` fonts: TCVN3 bytes, whatever the
//!   code page, with capitals that carry a tone written as small letters (the `.VnTimeH`
//!   font draws them as capitals).
//!
//! Valid UTF-8 is UTF-8. Otherwise the file is read both as windows-1258 and as TCVN3 and
//! kept in the reading that gives Vietnamese text: letters that exist in Vietnamese, at most
//! one tone mark per word, no stray symbols. The wrong reading of either is full of symbols
//! (`Tr­êng` for `Trường`) or of words with two tones (`Trýừèng`), so the two are easy to
//! tell apart on a real list; when neither reading is clearly Vietnamese the file is refused
//! with the way to save it as "CSV UTF-8", rather than importing unit names garbled.

use unicode_normalization::UnicodeNormalization;

/// How the bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf16,
    Windows1258,
    Tcvn3,
}

impl TextEncoding {
    /// What the clerk is told when a legacy encoding was read; `None` for Unicode files.
    pub fn warning(self) -> Option<&'static str> {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf16 => None,
            TextEncoding::Windows1258 => Some(
                "tệp không phải mã UTF-8, đã đọc theo bảng mã Windows-1258 (tệp \"CSV\" của Excel): \
                 xem lại tên đơn vị sau khi nhập; lần sau trong Excel chọn Lưu thành → \"CSV UTF-8 (Comma delimited)\"",
            ),
            TextEncoding::Tcvn3 => Some(
                "tệp không phải mã UTF-8, đã đọc theo bảng mã TCVN3 (ABC, phông .VnTime) và chuyển sang Unicode: \
                 xem lại tên đơn vị sau khi nhập (chữ hoa có dấu của TCVN3 có thể thành chữ thường); \
                 lần sau trong Excel chọn Lưu thành → \"CSV UTF-8 (Comma delimited)\"",
            ),
        }
    }
}

/// The sentence for a file that is not UTF-8 and not recognisably Vietnamese in an old code
/// page.
pub const NOT_RECOGNISED: &str = "tệp CSV không phải mã UTF-8 và không đọc được theo bảng mã tiếng Việt cũ nào \
     (Windows-1258, TCVN3): trong Excel chọn Tệp → Lưu thành → \"CSV UTF-8 (Comma delimited) (*.csv)\"; \
     nếu danh sách gõ bằng phông .VnTime, chuyển mã sang Unicode (ví dụ bằng công cụ chuyển mã của Unikey) rồi lưu lại";

/// Decodes a CSV file's bytes, NFC-normalised, without a BOM.
pub fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = std::str::from_utf8(rest).map_err(|_| NOT_RECOGNISED.to_string())?;
        return Ok((text.nfc().collect(), TextEncoding::Utf8));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        // `decode` follows the BOM to the right byte order and removes it.
        let (text, _, had_errors) = encoding_rs::UTF_16LE.decode(bytes);
        if had_errors {
            return Err("tệp Unicode (UTF-16) bị hỏng: lưu lại tệp thành \"CSV UTF-8 (Comma delimited)\"".into());
        }
        return Ok((text.nfc().collect(), TextEncoding::Utf16));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.nfc().collect(), TextEncoding::Utf8));
    }
    decode_legacy(bytes)
}

fn decode_legacy(bytes: &[u8]) -> Result<(String, TextEncoding), String> {
    let (windows_1258, _) = encoding_rs::WINDOWS_1258.decode_without_bom_handling(bytes);
    let windows_1258: String = windows_1258.nfc().collect();
    let tcvn3 = decode_tcvn3(bytes);
    let as_1258 = judge(&windows_1258);
    let as_tcvn3 = judge(&tcvn3);
    match (as_1258.is_vietnamese(), as_tcvn3.is_vietnamese()) {
        (true, false) => Ok((windows_1258, TextEncoding::Windows1258)),
        (false, true) => Ok((tcvn3, TextEncoding::Tcvn3)),
        (true, true) if as_1258.oddities < as_tcvn3.oddities => Ok((windows_1258, TextEncoding::Windows1258)),
        (true, true) if as_tcvn3.oddities < as_1258.oddities => Ok((tcvn3, TextEncoding::Tcvn3)),
        _ => Err(NOT_RECOGNISED.to_string()),
    }
}

/// TCVN3 (TCVN 5712:1993, VN3, the ABC keyboard's code) from 0xA1 on; `None` is a byte
/// with no letter. Below 0x80 it is ASCII; 0x80–0x9F are the Windows punctuation the fonts
/// kept; 0xA0 is a no-break space.
const TCVN3_FROM_A1: [Option<char>; 95] = {
    let mut table = [None; 95];
    let letters: [(u8, char); 74] = [
        (0xA1, 'Ă'),
        (0xA2, 'Â'),
        (0xA3, 'Ê'),
        (0xA4, 'Ô'),
        (0xA5, 'Ơ'),
        (0xA6, 'Ư'),
        (0xA7, 'Đ'),
        (0xA8, 'ă'),
        (0xA9, 'â'),
        (0xAA, 'ê'),
        (0xAB, 'ô'),
        (0xAC, 'ơ'),
        (0xAD, 'ư'),
        (0xAE, 'đ'),
        (0xB5, 'à'),
        (0xB6, 'ả'),
        (0xB7, 'ã'),
        (0xB8, 'á'),
        (0xB9, 'ạ'),
        (0xBB, 'ằ'),
        (0xBC, 'ẳ'),
        (0xBD, 'ẵ'),
        (0xBE, 'ắ'),
        (0xC6, 'ặ'),
        (0xC7, 'ầ'),
        (0xC8, 'ẩ'),
        (0xC9, 'ẫ'),
        (0xCA, 'ấ'),
        (0xCB, 'ậ'),
        (0xCC, 'è'),
        (0xCE, 'ẻ'),
        (0xCF, 'ẽ'),
        (0xD0, 'é'),
        (0xD1, 'ẹ'),
        (0xD2, 'ề'),
        (0xD3, 'ể'),
        (0xD4, 'ễ'),
        (0xD5, 'ế'),
        (0xD6, 'ệ'),
        (0xD7, 'ì'),
        (0xD8, 'ỉ'),
        (0xDC, 'ĩ'),
        (0xDD, 'í'),
        (0xDE, 'ị'),
        (0xDF, 'ò'),
        (0xE1, 'ỏ'),
        (0xE2, 'õ'),
        (0xE3, 'ó'),
        (0xE4, 'ọ'),
        (0xE5, 'ồ'),
        (0xE6, 'ổ'),
        (0xE7, 'ỗ'),
        (0xE8, 'ố'),
        (0xE9, 'ộ'),
        (0xEA, 'ờ'),
        (0xEB, 'ở'),
        (0xEC, 'ỡ'),
        (0xED, 'ớ'),
        (0xEE, 'ợ'),
        (0xEF, 'ù'),
        (0xF1, 'ủ'),
        (0xF2, 'ũ'),
        (0xF3, 'ú'),
        (0xF4, 'ụ'),
        (0xF5, 'ừ'),
        (0xF6, 'ử'),
        (0xF7, 'ữ'),
        (0xF8, 'ứ'),
        (0xF9, 'ự'),
        (0xFA, 'ỳ'),
        (0xFB, 'ỷ'),
        (0xFC, 'ỹ'),
        (0xFD, 'ý'),
        (0xFE, 'ỵ'),
    ];
    let mut i = 0;
    while i < letters.len() {
        table[(letters[i].0 - 0xA1) as usize] = Some(letters[i].1);
        i += 1;
    }
    table
};

fn tcvn3_char(byte: u8) -> char {
    match byte {
        0x00..=0x7F => char::from(byte),
        0x80..=0x9F => {
            let bytes = [byte];
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
            text.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER)
        }
        0xA0 => '\u{A0}',
        _ => TCVN3_FROM_A1[(byte - 0xA1) as usize].unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

/// TCVN3 bytes as Unicode. Words written in capitals get their toned letters in capitals
/// too: TCVN3 has no code for them, so they were typed as small letters in a capitals font.
pub fn decode_tcvn3(bytes: &[u8]) -> String {
    let text: String = bytes.iter().map(|&b| tcvn3_char(b)).collect();
    capitalise_words_in_capitals(&text)
}

/// What the clerk is told when cells of a spreadsheet were converted from TCVN3.
pub const TCVN3_CELLS_WARNING: &str = "các ô gõ bằng phông .VnTime (bảng mã TCVN3) đã được chuyển sang Unicode: \
     xem lại tên đơn vị sau khi nhập (chữ hoa có dấu của TCVN3 có thể thành chữ thường)";

/// Converts the cells of a spreadsheet that were typed in `.VnTime` fonts. Such a cell
/// holds TCVN3 bytes as the Latin-1 characters they are in a Western font (`Tr­êng` for
/// `Trường`); a cell with any character beyond Latin-1 was typed in Unicode and is left
/// alone. The cells are converted together or not at all, when their TCVN3 reading is
/// Vietnamese and reads better than the cells as they are. Says whether it converted.
pub fn convert_tcvn3_cells(cells: &mut [&mut String]) -> bool {
    let latin1 = |text: &str| -> Option<Vec<u8>> {
        if text.is_ascii() {
            return None;
        }
        text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
    };
    let candidates: Vec<(usize, Vec<u8>)> = cells
        .iter()
        .enumerate()
        .filter_map(|(index, cell)| latin1(cell).map(|bytes| (index, bytes)))
        .collect();
    if candidates.is_empty() {
        return false;
    }
    let as_written: String = candidates
        .iter()
        .map(|(index, _)| cells[*index].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let as_tcvn3: Vec<String> = candidates.iter().map(|(_, bytes)| decode_tcvn3(bytes)).collect();
    let written = judge(&as_written);
    let tcvn3 = judge(&as_tcvn3.join("\n"));
    if written.oddities == 0 || !tcvn3.is_vietnamese() || tcvn3.oddities >= written.oddities {
        return false;
    }
    for ((index, _), converted) in candidates.iter().zip(as_tcvn3) {
        *cells[*index] = converted;
    }
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordCase {
    /// `PHòNG`, `ĐàO`: capitals, with small toned letters that can only be capitals.
    Capitals,
    /// `Và`, `Hà`: one capital then small toned letters; capitals only beside capitals.
    Undecided,
    Other,
}

fn word_case(word: &str) -> WordCase {
    let capitals = word.chars().filter(|c| c.is_uppercase()).count();
    let small_ascii = word.chars().any(|c| c.is_ascii_lowercase());
    let small_toned = word.chars().any(|c| !c.is_ascii() && c.is_lowercase());
    match (capitals, small_ascii, small_toned) {
        (2.., false, true) => WordCase::Capitals,
        (1, false, true) => WordCase::Undecided,
        _ => WordCase::Other,
    }
}

fn capitalise_words_in_capitals(text: &str) -> String {
    // Split into words and what lies between them, keeping both.
    let mut pieces: Vec<(bool, &str)> = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (index, c) in text.char_indices() {
        if c.is_alphabetic() != in_word {
            if index > start {
                pieces.push((in_word, &text[start..index]));
            }
            start = index;
            in_word = c.is_alphabetic();
        }
    }
    if start < text.len() {
        pieces.push((in_word, &text[start..]));
    }
    let words: Vec<(usize, WordCase)> = pieces
        .iter()
        .enumerate()
        .filter(|(_, (is_word, _))| *is_word)
        .map(|(index, (_, word))| (index, word_case(word)))
        .collect();
    let mut capitalise = vec![false; pieces.len()];
    for (position, &(index, case)) in words.iter().enumerate() {
        let beside_capitals = [position.checked_sub(1), Some(position + 1)]
            .into_iter()
            .flatten()
            .filter_map(|p| words.get(p))
            .any(|&(_, case)| case == WordCase::Capitals);
        capitalise[index] = case == WordCase::Capitals || (case == WordCase::Undecided && beside_capitals);
    }
    pieces
        .iter()
        .zip(capitalise)
        .map(|(&(_, piece), upper)| if upper { piece.to_uppercase() } else { piece.to_string() })
        .collect()
}

/// What a reading of a file looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Evidence {
    /// Letters with Vietnamese diacritics.
    pub letters: usize,
    /// Things Vietnamese text does not contain: symbols among letters, undecodable bytes,
    /// tone marks that did not join a letter, a second tone in a word.
    pub oddities: usize,
}

impl Evidence {
    /// Vietnamese letters, with at most one oddity for twenty of them (a stray symbol in a
    /// real list, such as a degree sign, must not make the file unreadable).
    pub fn is_vietnamese(self) -> bool {
        self.letters > 0 && self.oddities * 20 <= self.letters
    }
}

const VIETNAMESE_SMALL_LETTERS: &str = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";

fn is_vietnamese_letter(c: char) -> bool {
    !c.is_ascii() && c.to_lowercase().all(|small| VIETNAMESE_SMALL_LETTERS.contains(small))
}

fn is_tone_mark(c: char) -> bool {
    matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}')
}

/// Counts Vietnamese letters and oddities in NFC text.
pub(crate) fn judge(text: &str) -> Evidence {
    let mut evidence = Evidence {
        letters: 0,
        oddities: 0,
    };
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r') {
                evidence.oddities += 1;
            }
        } else if is_vietnamese_letter(c) {
            evidence.letters += 1;
        } else if !is_ordinary_punctuation(c) {
            evidence.oddities += 1;
        }
    }
    for word in text.split(|c: char| !c.is_alphabetic()) {
        let tones = word.nfd().filter(|&c| is_tone_mark(c)).count();
        evidence.oddities += tones.saturating_sub(1);
    }
    evidence
}

/// Punctuation a Vietnamese list may hold besides ASCII: typographic quotes and dashes, the
/// ellipsis, the bullet, the no-break space, the degree and the numero sign.
fn is_ordinary_punctuation(c: char) -> bool {
    matches!(c, '\u{A0}' | '‘' | '’' | '“' | '”' | '–' | '—' | '…' | '•' | '°' | '№')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latin1(text: &str) -> Vec<u8> {
        text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect()
    }

    #[test]
    fn the_tcvn3_everyone_has_seen_reads_as_vietnamese() {
        let bytes = latin1("Céng hßa x· héi chñ nghÜa ViÖt Nam - §éc lËp - Tù do - H¹nh phóc");
        assert_eq!(
            decode_tcvn3(&bytes),
            "Cộng hòa xã hội chủ nghĩa Việt Nam - Độc lập - Tự do - Hạnh phúc"
        );
        let bytes = latin1("Tr\u{AD}êng TiÓu häc M\u{AD}êng Chµ, Së Gi¸o dôc vµ §µo t¹o");
        assert_eq!(
            decode_legacy(&bytes).unwrap(),
            (
                "Trường Tiểu học Mường Chà, Sở Giáo dục và Đào tạo".to_string(),
                TextEncoding::Tcvn3
            )
        );
    }

    #[test]
    fn words_in_capitals_keep_their_toned_letters_in_capitals() {
        assert_eq!(
            decode_tcvn3(&latin1("PHßNG GI¸O DôC Vµ §µO T¹O huyÖn Hµ")),
            "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO huyện Hà"
        );
    }

    #[test]
    fn windows_1258_with_combining_tones_reads_as_precomposed_letters() {
        // "Trường Tiểu học Mường Chà, Điện Biên; ngã ba" as iconv -t CP1258 writes it.
        let bytes = b"Tr\xFD\xF5\xCCng Ti\xEA\xD2u ho\xF2c M\xFD\xF5\xCCng Ch\xE0, \xD0i\xEA\xF2n Bi\xEAn; nga\xDE ba";
        let (text, encoding) = decode_legacy(bytes).unwrap();
        assert_eq!(encoding, TextEncoding::Windows1258);
        assert_eq!(text, "Trường Tiểu học Mường Chà, Điện Biên; ngã ba");
        assert!(text.chars().all(|c| !is_tone_mark(c)), "NFC: {text:?}");
    }

    #[test]
    fn each_wrong_reading_is_not_vietnamese() {
        let tcvn3 = latin1("Tr\u{AD}êng TiÓu häc M\u{AD}êng Chµ, §iÖn Bi\u{AA}n");
        let (as_1258, _) = encoding_rs::WINDOWS_1258.decode_without_bom_handling(&tcvn3);
        assert!(!judge(&as_1258.nfc().collect::<String>()).is_vietnamese());
        let windows_1258 = b"Tr\xFD\xF5\xCCng Ti\xEA\xD2u ho\xF2c M\xFD\xF5\xCCng Ch\xE0, \xD0i\xEA\xF2n";
        assert!(!judge(&decode_tcvn3(windows_1258)).is_vietnamese());
    }

    #[test]
    fn utf8_utf16_and_boms() {
        assert_eq!(decode("Mã".as_bytes()).unwrap(), ("Mã".to_string(), TextEncoding::Utf8));
        assert_eq!(
            decode(b"\xEF\xBB\xBFM\xC3\xA3").unwrap(),
            ("Mã".to_string(), TextEncoding::Utf8)
        );
        // Decomposed (macOS) text comes out composed.
        assert_eq!(decode("Ma\u{303}".as_bytes()).unwrap().0, "Mã");
        let mut little = vec![0xFF, 0xFE];
        let mut big = vec![0xFE, 0xFF];
        for unit in "Mã\tTên".encode_utf16() {
            little.extend(unit.to_le_bytes());
            big.extend(unit.to_be_bytes());
        }
        assert_eq!(decode(&little).unwrap(), ("Mã\tTên".to_string(), TextEncoding::Utf16));
        assert_eq!(decode(&big).unwrap().0, "Mã\tTên");
    }

    #[test]
    fn bytes_that_are_neither_are_refused_with_the_way_out() {
        let error = decode(b"ma,ten\nu1,\xC6\xD8\xC5 \xA4\xA4\xB1\n").unwrap_err();
        assert!(error.contains("CSV UTF-8"), "{error}");
        // A BOM followed by bytes that are not UTF-8 is refused too.
        assert!(decode(b"\xEF\xBB\xBFma,\xB8\n").is_err());
    }

    #[test]
    fn spreadsheet_cells_typed_in_vntime_fonts_are_converted_together() {
        let mut header = "Tên đơn vị".to_string();
        let mut name = "Tr\u{AD}êng TiÓu häc M\u{AD}êng Chµ".to_string();
        let mut short = "Lôc".to_string();
        let mut code = "th-muongcha".to_string();
        assert!(convert_tcvn3_cells(&mut [
            &mut header,
            &mut name,
            &mut short,
            &mut code
        ]));
        assert_eq!(
            [header.as_str(), name.as_str(), short.as_str(), code.as_str()],
            ["Tên đơn vị", "Trường Tiểu học Mường Chà", "Lục", "th-muongcha"]
        );
        // Unicode text that happens to stay within Latin-1 is left as it is.
        let mut place = "Cà Mau".to_string();
        let mut other = "Bà Rịa".to_string();
        assert!(!convert_tcvn3_cells(&mut [&mut place, &mut other]));
        assert_eq!(place, "Cà Mau");
    }

    #[test]
    fn a_stray_symbol_in_a_long_list_does_not_make_it_unreadable() {
        let mut text = "Phòng Giáo dục và Đào tạo huyện Điện Biên Đông ".repeat(3);
        text.push('±');
        assert!(judge(&text).is_vietnamese(), "{:?}", judge(&text));
    }
}
