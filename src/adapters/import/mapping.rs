//! Reading a merge table (`unit merge --file`): one row per old unit with the columns "Mã
//! cũ", "Mã mới" and, optionally, "Tên mới" — the list a Sở draws up after the reform of
//! 1/7/2025 says which old units became which new ones. The file is read as unit lists are
//! (the same encodings, separators, title rows and workbook sheets; see the parent module).
//!
//! Pure: the rows and their own problems. Whether the codes exist, loops, names that
//! disagree and address conflicts are the store's checks (`store::check_merge`).

use std::path::Path;

use super::{ColumnSet, ImportError, Rows, find_header, header_warnings, whole_number_as_typed};
use crate::domain::model::UnitCode;

/// One row of a merge table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    /// The row number the spreadsheet shows.
    pub number: usize,
    pub old: UnitCode,
    pub new: UnitCode,
    pub new_name: Option<String>,
}

/// A merge table as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSheet {
    /// Rows with both codes readable, in file order.
    pub rows: Vec<MappingRow>,
    /// `dòng N: …` for each row that could not be read.
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum MapColumn {
    Old,
    New,
    NewName,
    Ignored,
}

/// The headers each column may have (matched as unit list headers are).
const MAP_COLUMNS: [(MapColumn, &str, &[&str]); 4] = [
    (
        MapColumn::Old,
        "mã cũ",
        &["Mã cũ", "Mã đơn vị cũ", "Mã ĐV cũ", "old", "old_code"],
    ),
    (
        MapColumn::New,
        "mã mới",
        &["Mã mới", "Mã đơn vị mới", "Mã ĐV mới", "new", "new_code"],
    ),
    (
        MapColumn::NewName,
        "tên mới",
        &["Tên mới", "Tên đơn vị mới", "new_name"],
    ),
    (
        MapColumn::Ignored,
        "",
        &["STT", "TT", "Số TT", "Ghi chú", "Tên cũ", "Tên đơn vị cũ", "Căn cứ"],
    ),
];

impl ColumnSet for MapColumn {
    fn for_header(text: &str) -> Option<MapColumn> {
        super::column_in(&MAP_COLUMNS, text)
    }

    fn ignored(self) -> bool {
        self == MapColumn::Ignored
    }
}

/// Reads a merge table from a `.csv`, `.xlsx`, `.xls` or `.ods` file.
pub fn read_mapping(path: &Path) -> Result<MappingSheet, ImportError> {
    let (rows, warnings) = super::read_table::<MapColumn>(path)?;
    let mut sheet = mapping_from_rows(rows)?;
    sheet.warnings.splice(0..0, warnings);
    Ok(sheet)
}

fn mapping_from_rows(rows: Rows) -> Result<MappingSheet, ImportError> {
    let wanted = || {
        MAP_COLUMNS[..3]
            .iter()
            .map(|(_, what, names)| format!("{what} (\"{}\")", names[0]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((position, header)) = find_header::<MapColumn>(&rows) else {
        return Err(ImportError::Unreadable(format!(
            "không tìm thấy dòng tiêu đề: cần các cột {}",
            wanted()
        )));
    };
    let header_row = rows[position].0;
    let warnings = header_warnings(header_row, &header)?;
    if !(header.columns.contains_key(&MapColumn::Old) && header.columns.contains_key(&MapColumn::New)) {
        return Err(ImportError::Unreadable(format!(
            "dòng {header_row}: cần các cột {}",
            wanted()
        )));
    }
    let cell = |cells: &[String], column: MapColumn| header.cell(cells, column);
    let mut sheet = MappingSheet {
        rows: Vec::new(),
        problems: Vec::new(),
        warnings,
    };
    for (number, cells) in rows.into_iter().skip(position + 1) {
        let [old, new, name] = [MapColumn::Old, MapColumn::New, MapColumn::NewName].map(|c| cell(&cells, c));
        if old.is_empty() && new.is_empty() && name.is_empty() {
            continue;
        }
        let mut problem = |what: &str, text: String| sheet.problems.push(format!("dòng {number}: {what}{text}"));
        let old = UnitCode::parse(&whole_number_as_typed(&old))
            .map_err(|e| problem("mã cũ: ", e.0))
            .ok();
        let new = UnitCode::parse(&whole_number_as_typed(&new))
            .map_err(|e| problem("mã mới: ", e.0))
            .ok();
        if let (Some(old), Some(new)) = (old, new) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            sheet.rows.push(MappingRow {
                number,
                old,
                new,
                new_name: (!name.is_empty()).then_some(name),
            });
        }
    }
    if sheet.rows.is_empty() && sheet.problems.is_empty() {
        return Err(ImportError::Unreadable(format!(
            "dưới dòng tiêu đề (dòng {header_row}) không có dòng nào"
        )));
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<MappingSheet, ImportError> {
        let (rows, warnings) = super::super::csv_table::<MapColumn>(text.as_bytes())?;
        let mut sheet = mapping_from_rows(rows)?;
        sheet.warnings.splice(0..0, warnings);
        Ok(sheet)
    }

    #[test]
    fn a_table_under_a_title_with_semicolons_is_read_row_by_row() {
        let text = "\u{feff}DANH SÁCH SẮP XẾP ĐƠN VỊ\nSTT;Mã cũ;Tên cũ;Mã mới;Tên mới\n\
                    1;PGD-A;Phòng A;xa-moi;UBND  xã Mới\n2;pgd-b;Phòng B;xa-moi;\n;;;;\n3;12,0;Mười hai;13;\n";
        let sheet = read(text).unwrap();
        assert_eq!(sheet.problems, Vec::<String>::new());
        let rows: Vec<(usize, &str, &str, Option<&str>)> = sheet
            .rows
            .iter()
            .map(|r| (r.number, r.old.as_str(), r.new.as_str(), r.new_name.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (3, "pgd-a", "xa-moi", Some("UBND xã Mới")),
                (4, "pgd-b", "xa-moi", None),
                (6, "12", "13", None)
            ]
        );
    }

    #[test]
    fn unreadable_codes_are_row_problems_and_missing_columns_refuse_the_file() {
        let sheet = read("Mã cũ,Mã mới\npgd a,x\n,y\nok,ok2\n").unwrap();
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.problems.len(), 2, "{:?}", sheet.problems);
        assert!(sheet.problems[0].starts_with("dòng 2: mã cũ: "), "{:?}", sheet.problems);
        assert!(sheet.problems[1].starts_with("dòng 3: mã cũ: "), "{:?}", sheet.problems);
        let Err(ImportError::Unreadable(message)) = read("Mã cũ,Tên mới\na,B\n") else {
            panic!("a table without new codes is refused");
        };
        assert!(message.contains("mã mới (\"Mã mới\")"), "{message}");
    }
}
