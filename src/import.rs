//! Reading a unit list that a clerk keeps in Excel: `.csv` (UTF-8 with or without BOM,
//! comma or semicolon) or `.xlsx`. Headers may be Vietnamese or English (`ma/code`,
//! `ten/name`, `nhom/groups`, `email/emails`, `cap_tren/parent`); cells with several values
//! separate them with `;`.
//!
//! This module turns a file into checked [`UnitInput`]s labelled with their row numbers,
//! or into the list of every bad row. It does not touch the store: whether parents exist
//! and addresses are free is checked when the batch is applied, in one transaction.

use std::collections::HashMap;
use std::path::Path;

use crate::matching::code_key;
use crate::model::{EmailAddress, GroupCode, UnitCode, UnitInput};

/// A file that could not be read at all, or the list of its bad rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Unreadable(String),
    #[error("{}", .0.join("\n"))]
    BadRows(Vec<String>),
}

/// One row, labelled `dòng N` as Excel numbers it (the header is row 1).
pub type LabelledUnit = (String, UnitInput);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Code,
    Name,
    Groups,
    Emails,
    Parent,
}

/// Reads a `.csv` or `.xlsx` file into unit descriptions.
pub fn read_units(path: &Path) -> Result<Vec<LabelledUnit>, ImportError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let rows = match extension.as_deref() {
        Some("csv") | Some("txt") => {
            let bytes = std::fs::read(path)
                .map_err(|e| ImportError::Unreadable(format!("không đọc được tệp {}: {e}", path.display())))?;
            csv_rows(&bytes)?
        }
        Some("xlsx") | Some("xlsm") => xlsx_rows(path)?,
        _ => {
            return Err(ImportError::Unreadable(format!(
                "tệp {} phải là .csv hoặc .xlsx",
                path.display()
            )));
        }
    };
    units_from_rows(rows)
}

/// Rows as (Excel row number, cells), header first.
type Rows = Vec<(usize, Vec<String>)>;

fn csv_rows(bytes: &[u8]) -> Result<Rows, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        ImportError::Unreadable(
            "tệp CSV không phải mã UTF-8: trong Excel chọn Lưu thành → \"CSV UTF-8 (Comma delimited)\"".into(),
        )
    })?;
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Unreadable(format!("tệp CSV hỏng: {e}")))?;
        let line = record.position().map_or(rows.len() + 1, |p| p.line() as usize);
        rows.push((line, record.iter().map(|c| c.to_string()).collect()));
    }
    Ok(rows)
}

fn xlsx_rows(path: &Path) -> Result<Rows, ImportError> {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(path)
        .map_err(|e| ImportError::Unreadable(format!("không mở được tệp Excel {}: {e}", path.display())))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| ImportError::Unreadable("tệp Excel không có trang tính nào".into()))?
        .map_err(|e| ImportError::Unreadable(format!("không đọc được trang tính đầu tiên: {e}")))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            // Cells left of the used range are empty; keep column positions stable.
            let mut row = vec![String::new(); first_column];
            row.extend(cells.iter().map(|cell| match cell {
                Data::String(s) => s.clone(),
                Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Int(i) => i.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::Empty => String::new(),
                other => other.to_string(),
            }));
            (first_row + i + 1, row)
        })
        .collect())
}

fn column_for(header: &str) -> Option<Column> {
    let key = code_key(header).replace(['-', ' ', '.'], "_");
    match key.as_str() {
        "ma" | "ma_don_vi" | "madonvi" | "code" | "unit" | "unit_code" => Some(Column::Code),
        "ten" | "ten_don_vi" | "tendonvi" | "name" => Some(Column::Name),
        "nhom" | "groups" | "group" | "nhom_don_vi" => Some(Column::Groups),
        "email" | "emails" | "thu_dien_tu" | "dia_chi_email" => Some(Column::Emails),
        "cap_tren" | "don_vi_cap_tren" | "captren" | "parent" => Some(Column::Parent),
        _ => None,
    }
}

fn units_from_rows(rows: Rows) -> Result<Vec<LabelledUnit>, ImportError> {
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let (_, header) = rows
        .next()
        .ok_or_else(|| ImportError::Unreadable("tệp không có dòng nào".into()))?;
    let mut columns: HashMap<Column, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for (index, name) in header.iter().enumerate() {
        match column_for(name) {
            Some(column) if columns.contains_key(&column) => {
                return Err(ImportError::Unreadable(format!(
                    "cột `{}` bị lặp ở dòng tiêu đề",
                    name.trim()
                )));
            }
            Some(column) => {
                columns.insert(column, index);
            }
            None if name.trim().is_empty() => {}
            None => unknown.push(name.trim().to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(ImportError::Unreadable(format!(
            "dòng 1: không hiểu cột {}; các cột dùng được: ma, ten, nhom, email, cap_tren",
            unknown.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", ")
        )));
    }
    for (column, name) in [(Column::Code, "ma"), (Column::Name, "ten"), (Column::Emails, "email")] {
        if !columns.contains_key(&column) {
            return Err(ImportError::Unreadable(format!("dòng 1: thiếu cột `{name}`")));
        }
    }
    let cell = |cells: &[String], column: Column| -> String {
        columns
            .get(&column)
            .and_then(|&i| cells.get(i))
            .map(|c| c.trim().to_string())
            .unwrap_or_default()
    };
    let list = |text: String| -> Vec<String> {
        text.split([';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };

    let mut units = Vec::new();
    let mut problems = Vec::new();
    let mut first_row_of: HashMap<UnitCode, usize> = HashMap::new();
    let mut first_row_of_address: HashMap<EmailAddress, usize> = HashMap::new();
    for (row, cells) in rows {
        let mut row_problems = Vec::new();
        let code = UnitCode::parse(&cell(&cells, Column::Code))
            .map_err(|e| row_problems.push(e.0))
            .ok();
        let name = cell(&cells, Column::Name);
        if name.is_empty() {
            row_problems.push("thiếu tên đơn vị".to_string());
        }
        let groups: Vec<GroupCode> = list(cell(&cells, Column::Groups))
            .iter()
            .filter_map(|g| GroupCode::parse(g).map_err(|e| row_problems.push(e.0)).ok())
            .collect();
        let mut addresses: Vec<EmailAddress> = Vec::new();
        let address_texts = list(cell(&cells, Column::Emails));
        if address_texts.is_empty() {
            row_problems.push("thiếu địa chỉ email".to_string());
        }
        for text in address_texts {
            match EmailAddress::parse(&text) {
                Ok(address) if addresses.contains(&address) => {}
                Ok(address) => addresses.push(address),
                Err(e) => row_problems.push(e.0),
            }
        }
        let parent_text = cell(&cells, Column::Parent);
        let parent = if parent_text.is_empty() {
            None
        } else {
            UnitCode::parse(&parent_text)
                .map_err(|e| row_problems.push(format!("cấp trên: {}", e.0)))
                .ok()
        };
        if let Some(code) = &code
            && let Some(first) = first_row_of.insert(code.clone(), row)
        {
            row_problems.push(format!("mã đơn vị `{code}` trùng với dòng {first}"));
        }
        for address in &addresses {
            if let Some(first) = first_row_of_address.get(address) {
                row_problems.push(format!("địa chỉ {address} trùng với dòng {first}"));
            } else {
                first_row_of_address.insert(address.clone(), row);
            }
        }
        match code {
            Some(code) if row_problems.is_empty() => {
                units.push((
                    format!("dòng {row}"),
                    UnitInput {
                        code,
                        name,
                        groups,
                        parent,
                        addresses,
                    },
                ));
            }
            _ => problems.extend(row_problems.into_iter().map(|p| format!("dòng {row}: {p}"))),
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::BadRows(problems));
    }
    if units.is_empty() {
        return Err(ImportError::Unreadable(
            "tệp chỉ có dòng tiêu đề, không có đơn vị nào".into(),
        ));
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<LabelledUnit>, ImportError> {
        units_from_rows(csv_rows(text.as_bytes()).unwrap())
    }

    #[test]
    fn vietnamese_headers_semicolons_and_a_bom_are_understood() {
        let text = "\u{feff}Mã;Tên;Nhóm;Email;Cấp trên\n\
                    pgd-muongcha;Phòng GD&ĐT huyện Mường Chà, Điện Biên;phong-gddt;pgd@muongcha.edu.vn;\n\
                    th-muongcha;Trường TH Mường Chà;truc-thuoc;a@x.vn;pgd-muongcha\n";
        let units = read(text).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].0, "dòng 2");
        assert_eq!(units[0].1.name, "Phòng GD&ĐT huyện Mường Chà, Điện Biên");
        assert_eq!(units[1].1.parent.as_ref().unwrap().as_str(), "pgd-muongcha");
    }

    #[test]
    fn several_values_in_a_cell_are_split_on_semicolons() {
        let text = "code,name,groups,emails\nu1,Unit 1,a;b,x@y.vn; Z@Y.VN\n";
        let units = read(text).unwrap();
        assert_eq!(units[0].1.groups.len(), 2);
        assert_eq!(
            units[0].1.addresses.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            ["x@y.vn", "z@y.vn"]
        );
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number() {
        let text =
            "ma,ten,email\nu1,Một,a@x.vn\nu2,Hai,not-an-address\nu1,Trùng,b@x.vn\n,Không mã,c@x.vn\nu5,Năm,a@x.vn\n";
        let Err(ImportError::BadRows(problems)) = read(text) else {
            panic!("should be refused")
        };
        let rows: Vec<&str> = problems.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(rows, ["dòng 3", "dòng 4", "dòng 5", "dòng 6"], "{problems:?}");
    }

    #[test]
    fn unknown_or_missing_columns_are_named() {
        assert!(matches!(read("ma,ten,dien_thoai\n"), Err(ImportError::Unreadable(m)) if m.contains("dien_thoai")));
        assert!(matches!(read("ma,ten\nu1,x\n"), Err(ImportError::Unreadable(m)) if m.contains("email")));
    }
}
