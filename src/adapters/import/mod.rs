//! Reading a unit list as an office keeps it: `.xlsx`, `.xls`, `.ods` or `.csv` (see
//! [`encoding`] for the code pages a CSV may come in; `.txt` for Excel's "Unicode Text").
//!
//! The header row is found below any title rows ("DANH SÁCH ĐƠN VỊ …", merged cells): it
//! is the first row that names at least two of baocao's columns, in Vietnamese (with or
//! without diacritics) or English: mã đơn vị, tên đơn vị, nhóm, email, cấp trên. `STT`,
//! `Ghi chú` and phone columns are ignored silently, any other column with one warning.
//! Empty rows are skipped; rows are numbered as the spreadsheet numbers them. Cells are
//! trimmed; a cell with several groups or addresses separates them with `;`, `,`, spaces or
//! new lines; a code typed as a number (12, shown 12.0) is the code `12`.
//!
//! This module turns a file into one [`SheetRow`] per unit row, each with the unit it
//! describes and the problems of the row itself. It does not touch the store: codes given
//! twice, addresses given to two units, unknown parents and loops are found by
//! `Store::check_units` over every row that has a code, and [`UnitSheet::problems`] puts
//! both kinds together in row order, so one run names every problem of a file.

pub mod encoding;
pub mod mapping;

use std::collections::HashMap;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use crate::domain::matching::code_key;
use crate::domain::model::{EmailAddress, GroupCode, UnitCode, UnitInput};

/// A file that could not be read as a unit list at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Unreadable(String),
}

/// One row, labelled `dòng N` as the spreadsheet numbers it.
pub type LabelledUnit = (String, UnitInput);

/// A unit list as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSheet {
    /// Every row that holds something in baocao's columns, in file order.
    pub rows: Vec<SheetRow>,
    /// What the clerk should know but does not stop the import (ignored columns, a legacy
    /// code page).
    pub warnings: Vec<String>,
}

/// One unit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// The row number the spreadsheet shows.
    pub number: usize,
    /// The unit as far as the row describes it; `None` when it has no usable code. A row
    /// with problems still carries its unit, so registry checks can name its other faults.
    pub unit: Option<UnitInput>,
    /// The display names the row gives its groups ("Tên nhóm").
    pub group_names: Vec<(GroupCode, String)>,
    /// What is wrong with the row itself, in Vietnamese.
    pub problems: Vec<String>,
}

impl SheetRow {
    pub fn label(&self) -> String {
        format!("dòng {}", self.number)
    }
}

impl UnitSheet {
    /// Every row that names a usable code, labelled `dòng N`: what the registry checks look
    /// at, and what is applied when nothing is wrong.
    pub fn units(&self) -> Vec<LabelledUnit> {
        self.rows
            .iter()
            .filter_map(|row| row.unit.clone().map(|unit| (row.label(), unit)))
            .collect()
    }

    /// The group display names the file gives, each once (a conflicting name is a problem
    /// of the row that gives it).
    pub fn group_names(&self) -> Vec<(GroupCode, String)> {
        let mut names: Vec<(GroupCode, String)> = Vec::new();
        for (group, name) in self.rows.iter().flat_map(|row| &row.group_names) {
            if !names.iter().any(|(known, _)| known == group) {
                names.push((group.clone(), name.clone()));
            }
        }
        names
    }

    /// Every problem of the file, `dòng N: …`, in row order: each row's own problems, then
    /// what the registry checks found about it. `found` pairs an index into
    /// [`UnitSheet::units`] with a sentence.
    pub fn problems(&self, found: impl IntoIterator<Item = (usize, String)>) -> Vec<String> {
        let numbers: Vec<usize> = self
            .rows
            .iter()
            .filter(|row| row.unit.is_some())
            .map(|row| row.number)
            .collect();
        let mut problems: Vec<(usize, String)> = self
            .rows
            .iter()
            .flat_map(|row| row.problems.iter().map(move |p| (row.number, p.clone())))
            .collect();
        problems.extend(
            found
                .into_iter()
                .filter_map(|(index, text)| numbers.get(index).map(|&number| (number, text))),
        );
        // Stable: a row's own problems stay before the registry's, each in the order found.
        problems.sort_by_key(|(number, _)| *number);
        problems
            .into_iter()
            .map(|(number, text)| format!("dòng {number}: {text}"))
            .collect()
    }
}

/// Reads a spreadsheet or CSV file into unit rows.
pub fn read_units(path: &Path) -> Result<UnitSheet, ImportError> {
    let (rows, warnings) = read_table::<Column>(path)?;
    let mut sheet = sheet_from_rows(rows)?;
    sheet.warnings.splice(0..0, warnings);
    Ok(sheet)
}

/// Reads an uploaded list (its file name gives the kind) into unit rows, through a private
/// temporary file that is removed afterwards.
pub fn read_units_upload(name: &str, bytes: &[u8]) -> Result<UnitSheet, ImportError> {
    let extension = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| matches!(e.as_str(), "csv" | "txt" | "xlsx" | "xlsm" | "xls" | "ods"))
        .ok_or_else(|| {
            ImportError::Unreadable(format!("tệp {name} phải là bảng tính .xlsx, .xls, .ods hoặc tệp .csv"))
        })?;
    let path = std::env::temp_dir().join(format!("baocao-upload-{:016x}.{extension}", rand::random::<u64>()));
    let written = {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(bytes))
    };
    let read = written
        .map_err(|e| ImportError::Unreadable(format!("không lưu tạm được tệp {name}: {e}")))
        .and_then(|()| read_units(&path));
    let _ = std::fs::remove_file(&path);
    read.map_err(|ImportError::Unreadable(text)| {
        ImportError::Unreadable(text.replace(&path.display().to_string(), name))
    })
}

/// Rows as (spreadsheet row number, cells).
pub(crate) type Rows = Vec<(usize, Vec<String>)>;

/// The columns of one kind of file (a unit list, a merge table), found by their headers.
pub(crate) trait ColumnSet: Copy + Eq + std::hash::Hash {
    /// The column a header names, matched with [`header_key`].
    fn for_header(text: &str) -> Option<Self>;
    /// Columns offices keep that the file's reader does not need: no warning.
    fn ignored(self) -> bool;
}

/// A file's rows, with what reading them gave to warn about (a legacy code page): a CSV in
/// any of [`encoding`]'s code pages and separators, or the first sheet of a workbook that
/// has a header row of `C`'s columns.
pub(crate) fn read_table<C: ColumnSet>(path: &Path) -> Result<(Rows, Vec<String>), ImportError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") | Some("txt") => {
            let bytes = std::fs::read(path)
                .map_err(|e| ImportError::Unreadable(format!("không đọc được tệp {}: {e}", path.display())))?;
            csv_table::<C>(&bytes)
        }
        Some("xlsx") | Some("xlsm") | Some("xls") | Some("ods") => workbook_table::<C>(path),
        _ => Err(ImportError::Unreadable(format!(
            "tệp {} phải là bảng tính .xlsx, .xls, .ods hoặc tệp .csv",
            path.display()
        ))),
    }
}

#[cfg(test)]
fn sheet_from_csv(bytes: &[u8]) -> Result<UnitSheet, ImportError> {
    let (rows, warnings) = csv_table::<Column>(bytes)?;
    let mut sheet = sheet_from_rows(rows)?;
    sheet.warnings.splice(0..0, warnings);
    Ok(sheet)
}

pub(crate) fn csv_table<C: ColumnSet>(bytes: &[u8]) -> Result<(Rows, Vec<String>), ImportError> {
    let (text, text_encoding) = encoding::decode(bytes).map_err(ImportError::Unreadable)?;
    // The separator is the one under which a header row appears (title rows above it may
    // hold none); Excel writes `,` or `;` by region, "Unicode Text" uses tabs.
    let mut best: Option<(usize, Rows)> = None;
    for delimiter in [b',', b';', b'\t'] {
        let rows = csv_rows(&text, delimiter)?;
        let known = find_header::<C>(&rows).map_or(0, |(_, header)| header.columns.len());
        if best.as_ref().is_none_or(|(best_known, _)| known > *best_known) {
            best = Some((known, rows));
        }
    }
    let rows = best.map(|(_, rows)| rows).unwrap_or_default();
    let warnings = text_encoding.warning().map(str::to_string).into_iter().collect();
    Ok((rows, warnings))
}

fn csv_rows(text: &str, delimiter: u8) -> Result<Rows, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // Excel numbers records, not lines: a cell over two lines is one row, an empty line
    // (which the reader skips, placing the next record at its start) is a row.
    let mut counted_to = 0;
    let mut line_breaks = 0;
    let mut line_breaks_inside_cells = 0;
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Unreadable(format!("tệp CSV hỏng: {e}")))?;
        let offset = record.position().map_or(0, |p| p.byte() as usize).min(text.len());
        let start = offset + text[offset..].len() - text[offset..].trim_start_matches(['\r', '\n']).len();
        line_breaks += text.as_bytes()[counted_to.min(start)..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = counted_to.max(start);
        rows.push((
            1 + line_breaks - line_breaks_inside_cells,
            record.iter().map(str::to_string).collect(),
        ));
        line_breaks_inside_cells += record.iter().map(|cell| cell.matches('\n').count()).sum::<usize>();
    }
    Ok(rows)
}

fn workbook_table<C: ColumnSet>(path: &Path) -> Result<(Rows, Vec<String>), ImportError> {
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|e| ImportError::Unreadable(format!("không mở được bảng tính {}: {e}", path.display())))?;
    let sheet_count = workbook.sheet_names().len();
    if sheet_count == 0 {
        return Err(ImportError::Unreadable("bảng tính không có trang tính nào".into()));
    }
    // The table is on the first sheet that has a header row (a cover sheet may come first).
    let mut first_sheet_rows = None;
    for index in 0..sheet_count {
        let Some(range) = workbook.worksheet_range_at(index) else {
            continue;
        };
        let range =
            range.map_err(|e| ImportError::Unreadable(format!("không đọc được trang tính thứ {}: {e}", index + 1)))?;
        let mut rows = workbook_rows(&range);
        let mut cells: Vec<&mut String> = rows.iter_mut().flat_map(|(_, cells)| cells.iter_mut()).collect();
        let converted = encoding::convert_tcvn3_cells(&mut cells);
        if find_header::<C>(&rows).is_some() {
            let warnings = if converted {
                vec![encoding::TCVN3_CELLS_WARNING.to_string()]
            } else {
                Vec::new()
            };
            return Ok((rows, warnings));
        }
        first_sheet_rows.get_or_insert(rows);
    }
    Ok((first_sheet_rows.unwrap_or_default(), Vec::new()))
}

fn workbook_rows(range: &calamine::Range<calamine::Data>) -> Rows {
    let (first_row, first_column) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
    range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            // Cells left of the used range are empty; keep column positions stable.
            let mut row = vec![String::new(); first_column];
            row.extend(cells.iter().map(cell_text));
            (first_row + i + 1, row)
        })
        .collect()
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::String(s) => s.clone(),
        // A code typed as a number is stored as a float: 12 and 12.0 are the code `12`.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Code,
    Name,
    Groups,
    Emails,
    Parent,
    /// "Tên nhóm": the display name of the row's group(s).
    GroupNames,
    /// Columns offices keep that baocao does not need: no warning.
    Ignored,
}

impl ColumnSet for Column {
    fn for_header(text: &str) -> Option<Column> {
        column_for(text)
    }

    fn ignored(self) -> bool {
        self == Column::Ignored
    }
}

/// The headers each column may have, as a clerk would write them; matched without regard
/// to case, diacritics, spaces and punctuation (`Mã đơn vị`, `ma_don_vi`, `MA DON VI`).
const COLUMNS: [(Column, &str, &[&str]); 7] = [
    (
        Column::Code,
        "mã đơn vị",
        &["Mã đơn vị", "Mã", "Mã ĐV", "code", "unit", "unit_code"],
    ),
    (
        Column::Name,
        "tên đơn vị",
        &["Tên đơn vị", "Tên", "Đơn vị", "Tên cơ quan", "name"],
    ),
    (
        Column::Groups,
        "nhóm",
        &["Nhóm", "Nhóm đơn vị", "Mã nhóm", "groups", "group"],
    ),
    (
        Column::GroupNames,
        "tên nhóm",
        &["Tên nhóm", "Tên nhóm đơn vị", "group name", "group_names"],
    ),
    (
        Column::Emails,
        "email",
        &[
            "Email",
            "Địa chỉ email",
            "Thư điện tử",
            "Địa chỉ thư điện tử",
            "E-mail",
            "emails",
        ],
    ),
    (
        Column::Parent,
        "cấp trên",
        &["Cấp trên", "Đơn vị cấp trên", "Mã cấp trên", "parent"],
    ),
    (
        Column::Ignored,
        "",
        &[
            "STT",
            "TT",
            "Số TT",
            "Số thứ tự",
            "Ghi chú",
            "Số điện thoại",
            "Điện thoại",
            "SĐT",
            "ĐT",
        ],
    ),
];

const REQUIRED: [Column; 3] = [Column::Code, Column::Name, Column::Emails];

/// A header row is looked for among this many rows at the top of the sheet.
const HEADER_SEARCH_ROWS: usize = 30;

pub(crate) fn header_key(text: &str) -> String {
    code_key(text).chars().filter(|c| c.is_alphanumeric()).collect()
}

fn column_for(header: &str) -> Option<Column> {
    column_in(&COLUMNS, header)
}

/// The column of `table` (column, what it holds, its headers) that `header` names.
pub(crate) fn column_in<C: Copy>(table: &[(C, &str, &[&str])], header: &str) -> Option<C> {
    let key = header_key(header);
    table
        .iter()
        .find(|(_, _, names)| names.iter().any(|name| header_key(name) == key))
        .map(|(column, _, _)| *column)
}

/// `mã đơn vị ("Mã đơn vị", "Mã", …)`: a column and the headers it may have.
fn describe(column: Column) -> String {
    let Some((_, what, names)) = COLUMNS.iter().find(|(c, _, _)| *c == column) else {
        return String::new();
    };
    let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("{what} ({})", names.join(", "))
}

/// The header row: where each column is, and what it holds that baocao does not know.
#[derive(Debug)]
pub(crate) struct Header<C> {
    pub columns: HashMap<C, usize>,
    pub unknown: Vec<String>,
    pub repeated: Vec<String>,
}

impl<C: ColumnSet> Header<C> {
    /// The tidied text of `column` in a row; empty when the file has no such column.
    pub(crate) fn cell(&self, cells: &[String], column: C) -> String {
        self.columns
            .get(&column)
            .and_then(|&i| cells.get(i))
            .map(|c| tidy(c))
            .unwrap_or_default()
    }
}

fn read_header<C: ColumnSet>(cells: &[String]) -> Header<C> {
    let mut header = Header {
        columns: HashMap::new(),
        unknown: Vec::new(),
        repeated: Vec::new(),
    };
    for (index, text) in cells.iter().enumerate() {
        let text = tidy(text);
        match C::for_header(&text) {
            Some(column) if column.ignored() => {}
            Some(column) if header.columns.contains_key(&column) => header.repeated.push(text),
            Some(column) => {
                header.columns.insert(column, index);
            }
            None if text.is_empty() => {}
            None => header.unknown.push(text),
        }
    }
    header
}

/// The first row near the top that names at least two of the file's columns.
pub(crate) fn find_header<C: ColumnSet>(rows: &Rows) -> Option<(usize, Header<C>)> {
    rows.iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(position, (_, cells))| (position, read_header::<C>(cells)))
        .find(|(_, header)| header.columns.len() >= 2)
}

/// A cell as the clerk means it: composed Unicode, no invisible characters, no spaces
/// around it.
pub(crate) fn tidy(cell: &str) -> String {
    cell.nfc()
        .filter(|c| !matches!(c, '\u{200B}' | '\u{FEFF}'))
        .collect::<String>()
        .trim()
        .to_string()
}

/// A code cell formatted as a number with decimals is saved to CSV as shown: `12.0`, or
/// `12,0` with Vietnamese regional settings. The code is `12`.
pub(crate) fn whole_number_as_typed(text: &str) -> String {
    match text.split_once(['.', ',']) {
        Some((whole, zeros))
            if !whole.is_empty()
                && whole.chars().all(|c| c.is_ascii_digit())
                && !zeros.is_empty()
                && zeros.chars().all(|c| c == '0') =>
        {
            whole.to_string()
        }
        _ => text.to_string(),
    }
}

/// The values of a cell that may hold several: separated by `;`, `,`, spaces or new lines.
fn list(cell: &str) -> Vec<String> {
    cell.split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A header row that names a column twice is refused; columns it does not know are one
/// warning.
pub(crate) fn header_warnings<C>(header_row: usize, header: &Header<C>) -> Result<Vec<String>, ImportError> {
    let quoted = |headers: &[String]| {
        headers
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !header.repeated.is_empty() {
        return Err(ImportError::Unreadable(format!(
            "dòng {header_row}: cột {} bị lặp ở dòng tiêu đề",
            quoted(&header.repeated)
        )));
    }
    if header.unknown.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "bỏ qua cột {} (baocao không dùng)",
        quoted(&header.unknown)
    )])
}

/// The names a "Tên nhóm" cell gives the row's groups: the whole cell for one group; for
/// several, one name each in the same order, separated by `;` or new lines (names may hold
/// commas).
fn group_names_of_row(groups: &[GroupCode], cell: &str) -> Result<Vec<(GroupCode, String)>, String> {
    let names: Vec<String> = cell
        .split([';', '\n'])
        .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    if groups.is_empty() {
        return Err("có tên nhóm nhưng không có mã nhóm (cột \"Nhóm\")".to_string());
    }
    if names.len() != groups.len() {
        return Err(format!(
            "có {} nhóm nhưng {} tên nhóm: ghi mỗi nhóm một tên, cách nhau bằng dấu ;",
            groups.len(),
            names.len()
        ));
    }
    Ok(groups.iter().cloned().zip(names).collect())
}

fn sheet_from_rows(rows: Rows) -> Result<UnitSheet, ImportError> {
    let Some((header_position, header)) = find_header::<Column>(&rows) else {
        let required: Vec<String> = REQUIRED.iter().map(|c| describe(*c)).collect();
        return Err(ImportError::Unreadable(format!(
            "không tìm thấy dòng tiêu đề trong {HEADER_SEARCH_ROWS} dòng đầu: cần các cột {}; \
             có thể thêm cột {} và {}",
            required.join(", "),
            describe(Column::Groups),
            describe(Column::Parent),
        )));
    };
    let header_row = rows[header_position].0;
    let warnings = header_warnings(header_row, &header)?;
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| !header.columns.contains_key(c))
        .map(|c| format!("thiếu cột {}", describe(*c)))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Unreadable(format!(
            "dòng {header_row}: {}",
            missing.join("; ")
        )));
    }

    let cell = |cells: &[String], column: Column| header.cell(cells, column);
    let mut sheet_rows = Vec::new();
    let mut named: HashMap<GroupCode, (usize, String)> = HashMap::new();
    for (number, cells) in rows.into_iter().skip(header_position + 1) {
        let data_columns = [
            Column::Code,
            Column::Name,
            Column::Groups,
            Column::Emails,
            Column::Parent,
            Column::GroupNames,
        ];
        if data_columns.iter().all(|&column| cell(&cells, column).is_empty()) {
            continue;
        }
        let mut problems = Vec::new();
        let code = UnitCode::parse(&whole_number_as_typed(&cell(&cells, Column::Code)))
            .map_err(|e| problems.push(e.0))
            .ok();
        // A long name wrapped over two lines in its cell is one line of text.
        let name = cell(&cells, Column::Name)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            problems.push("thiếu tên đơn vị".to_string());
        }
        let groups: Vec<GroupCode> = list(&cell(&cells, Column::Groups))
            .iter()
            .filter_map(|g| GroupCode::parse(g).map_err(|e| problems.push(e.0)).ok())
            .collect();
        let group_names = group_names_of_row(&groups, &cell(&cells, Column::GroupNames))
            .map_err(|problem| problems.push(problem))
            .unwrap_or_default();
        for (group, name) in &group_names {
            match named.get(group) {
                Some((first, other)) if other != name => problems.push(format!(
                    "tên nhóm `{group}` là \"{name}\" nhưng ở dòng {first} là \"{other}\" (mỗi nhóm một tên)"
                )),
                Some(_) => {}
                None => {
                    named.insert(group.clone(), (number, name.clone()));
                }
            }
        }
        let mut addresses: Vec<EmailAddress> = Vec::new();
        let address_texts = list(&cell(&cells, Column::Emails));
        if address_texts.is_empty() {
            problems.push("thiếu địa chỉ email".to_string());
        }
        for text in address_texts {
            match EmailAddress::parse(&text) {
                Ok(address) if addresses.contains(&address) => {}
                Ok(address) => addresses.push(address),
                Err(e) => problems.push(e.0),
            }
        }
        let parent_text = whole_number_as_typed(&cell(&cells, Column::Parent));
        let parent = if parent_text.is_empty() {
            None
        } else {
            UnitCode::parse(&parent_text)
                .map_err(|e| problems.push(format!("cấp trên: {}", e.0)))
                .ok()
        };
        sheet_rows.push(SheetRow {
            number,
            unit: code.map(|code| UnitInput {
                code,
                name,
                groups,
                parent,
                addresses,
            }),
            group_names,
            problems,
        });
    }
    if sheet_rows.is_empty() {
        return Err(ImportError::Unreadable(format!(
            "dưới dòng tiêu đề (dòng {header_row}) không có đơn vị nào"
        )));
    }
    Ok(UnitSheet {
        rows: sheet_rows,
        warnings,
    })
}

#[cfg(test)]
mod tests;
