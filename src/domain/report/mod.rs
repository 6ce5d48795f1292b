//! What the office reads about where things stand: the status of each request, unit by
//! unit, and its CSV/XLSX exports.

pub mod chart;
pub mod export;
pub mod matrix;
pub mod status;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder};

/// The cell formats every printable workbook of the office uses.
pub(crate) struct SheetFormats {
    /// The sheet's title line: bold, 14 pt, centred.
    pub title: Format,
    pub centered: Format,
    /// A table cell: thin border, wrapped, vertically centred.
    pub cell: Format,
    /// A column heading: a cell, bold, centred, light blue.
    pub header: Format,
}

impl SheetFormats {
    pub(crate) fn new() -> SheetFormats {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        SheetFormats {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center),
            centered: Format::new().set_align(FormatAlign::Center),
            header: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(0xD9E1F2),
            cell,
        }
    }
}

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
    let mut out = table_head(header, &widths);
    for row in rows {
        out.push_str(&table_line(
            &widths,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
    }
    out
}

/// The header and rule of a table whose column widths are known in advance (a table
/// printed as its rows come); a header wider than its width widens the column.
pub fn table_head(header: &[&str], widths: &[usize]) -> String {
    let widths: Vec<usize> = header
        .iter()
        .zip(widths)
        .map(|(h, w)| (*w).max(display_width(h)))
        .collect();
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = table_line(&widths, header);
    out.push_str(&table_line(
        &widths,
        &rule.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    out
}

/// One line of a table: every cell but the last padded to its column's width plus two
/// spaces (a cell wider than its column pushes the rest of its line right), then a newline.
pub fn table_line(widths: &[usize], cells: &[&str]) -> String {
    let mut text = String::new();
    for (i, cell) in cells.iter().enumerate() {
        text.push_str(cell);
        if i + 1 < cells.len() {
            let width = widths.get(i).copied().unwrap_or(0);
            text.push_str(&" ".repeat(width.saturating_sub(display_width(cell)) + 2));
        }
    }
    let mut line = text.trim_end().to_string();
    line.push('\n');
    line
}

/// Terminal columns of a string (see [`table`]).
pub fn text_width(text: &str) -> usize {
    display_width(text)
}

mod unicode_width_free {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;

    /// Terminal columns of a string: characters after NFC, not counting combining marks.
    pub fn display_width(text: &str) -> usize {
        text.nfc().filter(|c| !is_combining_mark(*c)).count()
    }
}
