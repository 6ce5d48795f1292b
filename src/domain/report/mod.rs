//! What the office reads about where things stand: the status of each request, unit by
//! unit, and its CSV/XLSX exports.

pub mod export;
pub mod status;

use unicode_width_free::display_width;

/// Lays rows out in columns padded to the widest cell, counting characters (Vietnamese
/// letters with diacritics are one column each once NFC-normalised).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(display_width(cell));
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[i] - display_width(cell) + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

mod unicode_width_free {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;

    /// Terminal columns of a string: characters after NFC, not counting combining marks.
    pub fn display_width(text: &str) -> usize {
        text.nfc().filter(|c| !is_combining_mark(*c)).count()
    }
}
