//! The status of a periodic report across its periods: one row per unit, one column per
//! period ("Tổng hợp tình hình báo cáo định kỳ"), each cell how the unit stands for that
//! period (on time, late, overdue, pending, waiting in review, not asked), with the text
//! table, CSV and XLSX. Built from each period's [`RequestStatus`], so every rule of the
//! status (the first on-time submission decides, extensions, lateness in working days)
//! holds here too.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Serialize;

use super::status::{RequestStatus, UnitState};
use crate::domain::dates::format_instant;

/// One period's column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub token: String,
    pub period_key: String,
    pub label: String,
    /// Short heading for the terminal ("T11/26", "Q4/26").
    pub short: String,
    pub deadline: Option<DateTime<Utc>>,
}

/// How one unit stands for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub state: UnitState,
    pub reported_at: Option<DateTime<Utc>>,
    pub late_by: Option<String>,
}

impl Cell {
    /// One letter for the terminal table (see [`LEGEND_VI`]).
    pub fn mark(&self) -> &'static str {
        match self.state {
            UnitState::Reported => "Đ",
            UnitState::ReportedLate => "M",
            UnitState::Overdue => "Q",
            UnitState::Review => "X",
            UnitState::Pending => "C",
            UnitState::Informed | UnitState::NotInformed => "·",
        }
    }

    /// What the spreadsheet cell says: "Đúng hạn (03/12/2026)", "Muộn 2 ngày làm việc", …
    pub fn text_vi(&self, zone: Tz) -> String {
        let day = |at: Option<DateTime<Utc>>| at.map(|a| format!(" ({})", a.with_timezone(&zone).format("%d/%m/%Y")));
        match self.state {
            UnitState::Reported => format!("Đúng hạn{}", day(self.reported_at).unwrap_or_default()),
            UnitState::ReportedLate => format!(
                "Muộn {}{}",
                self.late_by.clone().unwrap_or_default(),
                day(self.reported_at).unwrap_or_default()
            ),
            UnitState::Overdue => format!("Quá hạn {}", self.late_by.clone().unwrap_or_default()),
            UnitState::Review => "Chờ xem xét".to_string(),
            UnitState::Pending => "Chưa đến hạn".to_string(),
            UnitState::Informed | UnitState::NotInformed => self.state.label_vi().to_string(),
        }
        .trim()
        .to_string()
    }
}

/// The marks of the terminal table.
pub const LEGEND_VI: &str = "Đ: đúng hạn · M: muộn · Q: quá hạn, chưa báo cáo · C: chưa đến hạn · X: chờ xem xét · –: không phải báo cáo kỳ này";

/// One unit's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub unit: String,
    pub name: String,
    /// Its groups as the office reads them (display names).
    pub groups: Vec<String>,
    /// One per column; `None` where the unit was not asked for that period.
    pub cells: Vec<Option<Cell>>,
    pub on_time: usize,
    pub late: usize,
    pub overdue: usize,
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub series: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// Builds the matrix from each period's status, columns in the order given, units by code.
pub fn matrix(series: &str, title: &str, periods: Vec<(Column, RequestStatus)>) -> Matrix {
    let count = periods.len();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut columns = Vec::with_capacity(count);
    for (index, (column, status)) in periods.into_iter().enumerate() {
        columns.push(column);
        for unit in status.units {
            let row = rows.entry(unit.unit.clone()).or_insert_with(|| Row {
                unit: unit.unit.clone(),
                name: unit.name.clone(),
                groups: unit.group_names.clone(),
                cells: vec![None; count],
                on_time: 0,
                late: 0,
                overdue: 0,
            });
            match unit.state {
                UnitState::Reported => row.on_time += 1,
                UnitState::ReportedLate => row.late += 1,
                UnitState::Overdue => row.overdue += 1,
                _ => {}
            }
            row.cells[index] = Some(Cell {
                state: unit.state,
                reported_at: unit.reported_at,
                late_by: unit.late_by,
            });
        }
    }
    Matrix {
        series: series.to_string(),
        title: title.to_string(),
        columns,
        rows: rows.into_values().collect(),
    }
}

/// One unit group's record over a matrix's periods: reports on time, late, and overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRecord {
    pub group: String,
    pub on_time: usize,
    pub late: usize,
    pub overdue: usize,
}

impl GroupRecord {
    /// Reports due so far (on time, late or still missing past the deadline).
    pub fn due(&self) -> usize {
        self.on_time + self.late + self.overdue
    }

    /// The share on time, in whole percent (rounded down); `None` before anything was due.
    pub fn on_time_percent(&self) -> Option<usize> {
        (100 * self.on_time).checked_div(self.due())
    }
}

impl Matrix {
    /// Each group's record (a unit in several groups counts in each; a unit in none under
    /// "(không thuộc nhóm)"), groups by name.
    pub fn by_group(&self) -> Vec<GroupRecord> {
        let mut groups: BTreeMap<String, GroupRecord> = BTreeMap::new();
        for row in &self.rows {
            let names: Vec<String> = if row.groups.is_empty() {
                vec!["(không thuộc nhóm)".to_string()]
            } else {
                row.groups.clone()
            };
            for name in names {
                let record = groups.entry(name.clone()).or_insert(GroupRecord {
                    group: name,
                    on_time: 0,
                    late: 0,
                    overdue: 0,
                });
                record.on_time += row.on_time;
                record.late += row.late;
                record.overdue += row.overdue;
            }
        }
        groups.into_values().collect()
    }

    /// Only the row of `unit` (a unit's record over the periods shown).
    pub fn only_unit(mut self, unit: &str) -> Matrix {
        self.rows.retain(|r| r.unit == unit);
        self
    }

    /// The terminal table with its legend.
    pub fn render_text(&self, zone: Tz) -> String {
        let mut header: Vec<&str> = vec!["Đơn vị"];
        header.extend(self.columns.iter().map(|c| c.short.as_str()));
        header.extend(["Đúng hạn", "Muộn", "Quá hạn"]);
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| {
                let mut cells = vec![row.unit.clone()];
                cells.extend(
                    row.cells
                        .iter()
                        .map(|c| c.as_ref().map_or("–".to_string(), |c| c.mark().to_string())),
                );
                cells.extend([row.on_time.to_string(), row.late.to_string(), row.overdue.to_string()]);
                cells
            })
            .collect();
        let mut out = format!("{} — {}\n", self.series, self.title);
        for column in &self.columns {
            out.push_str(&format!(
                "  {} = {} ({}{})\n",
                column.short,
                column.label,
                column.token,
                column
                    .deadline
                    .map(|d| format!(", hạn {}", format_instant(d, zone)))
                    .unwrap_or_default()
            ));
        }
        out.push('\n');
        out.push_str(&super::table(&header, &rows));
        out.push_str(LEGEND_VI);
        out.push('\n');
        out
    }

    fn header(&self) -> Vec<String> {
        let mut header = vec!["STT".to_string(), "Mã đơn vị".to_string(), "Tên đơn vị".to_string()];
        header.extend(self.columns.iter().map(|c| c.label.clone()));
        header.extend(["Đúng hạn", "Muộn", "Quá hạn"].map(String::from));
        header
    }

    fn cells(&self, row: &Row, zone: Tz) -> Vec<String> {
        let mut cells = vec![row.unit.clone(), row.name.clone()];
        cells.extend(
            row.cells
                .iter()
                .map(|c| c.as_ref().map_or("Không phải báo cáo".to_string(), |c| c.text_vi(zone))),
        );
        cells.extend([row.on_time.to_string(), row.late.to_string(), row.overdue.to_string()]);
        cells
    }

    /// CSV with a BOM (Excel opens it as UTF-8).
    pub fn to_csv(&self, zone: Tz) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        // Writing into a Vec cannot fail.
        let _ = writer.write_record(self.header());
        for (i, row) in self.rows.iter().enumerate() {
            let mut record = vec![(i + 1).to_string()];
            record.extend(self.cells(row, zone));
            let _ = writer.write_record(record);
        }
        writer.into_inner().unwrap_or_default()
    }

    /// The printable workbook "Tổng hợp tình hình báo cáo định kỳ", cells coloured by state.
    pub fn to_xlsx(&self, office: &str, now: DateTime<Utc>, zone: Tz) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("Tổng hợp định kỳ")?;
        let header = self.header();
        let last_col = (header.len() - 1) as u16;
        let super::SheetFormats {
            title,
            centered,
            cell,
            header: heading,
        } = super::SheetFormats::new();
        let colour = |state: Option<UnitState>| match state {
            Some(UnitState::Reported) => cell.clone().set_background_color(0xC6EFCE),
            Some(UnitState::ReportedLate) => cell.clone().set_background_color(0xFFEB9C),
            Some(UnitState::Overdue) => cell.clone().set_background_color(0xFFC7CE),
            Some(UnitState::Review) => cell.clone().set_background_color(0xDDEBF7),
            _ => cell.clone(),
        };
        sheet.write_string_with_format(0, 0, office, &Format::new().set_bold())?;
        sheet.merge_range(2, 0, 2, last_col, "TỔNG HỢP TÌNH HÌNH BÁO CÁO ĐỊNH KỲ", &title)?;
        sheet.merge_range(3, 0, 3, last_col, &self.title, &centered)?;
        let when = format!("Số liệu đến {}", format_instant(now, zone));
        sheet.merge_range(4, 0, 4, last_col, &when, &centered)?;
        let header_row = 6;
        for (col, name) in header.iter().enumerate() {
            sheet.write_string_with_format(header_row, col as u16, name, &heading)?;
        }
        for (i, row) in self.rows.iter().enumerate() {
            let r = header_row + 1 + i as u32;
            sheet.write_number_with_format(r, 0, (i + 1) as f64, &cell)?;
            let states: Vec<Option<UnitState>> = row.cells.iter().map(|c| c.as_ref().map(|c| c.state)).collect();
            for (col, text) in self.cells(row, zone).into_iter().enumerate() {
                let state = col.checked_sub(2).and_then(|c| states.get(c).copied().flatten());
                sheet.write_string_with_format(r, col as u16 + 1, text, &colour(state))?;
            }
        }
        sheet.set_column_width(0, 5.0)?;
        sheet.set_column_width(1, 18.0)?;
        sheet.set_column_width(2, 40.0)?;
        for col in 3..=last_col {
            sheet.set_column_width(col, 16.0)?;
        }
        sheet.set_landscape();
        sheet.set_paper_size(9);
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(header_row, header_row)?;
        workbook.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::RequestState;
    use crate::domain::report::status::UnitStatus;
    use chrono::TimeZone;
    use chrono_tz::Asia::Ho_Chi_Minh;

    fn unit(code: &str, state: UnitState) -> UnitStatus {
        UnitStatus {
            unit: code.into(),
            name: format!("Đơn vị {code}"),
            groups: vec![],
            group_names: vec![],
            state,
            reported_at: state
                .has_reported()
                .then(|| Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap()),
            via: None,
            attachments: vec![],
            deadline: None,
            last_reminder_at: None,
            reminders_sent: 0,
            incoming_id: None,
            failing_addresses: vec![],
            late_by: (state == UnitState::ReportedLate || state == UnitState::Overdue)
                .then(|| "2 ngày làm việc".into()),
        }
    }

    fn period(token: &str, label: &str, units: Vec<UnitStatus>) -> (Column, RequestStatus) {
        (
            Column {
                token: token.into(),
                period_key: label.into(),
                label: label.into(),
                short: label.into(),
                deadline: None,
            },
            RequestStatus {
                request: token.into(),
                code: "12/KH".into(),
                year: 2026,
                title: "t".into(),
                state: RequestState::Active,
                deadline: None,
                deadline_wording: None,
                reported: 0,
                total: units.len(),
                units,
            },
        )
    }

    #[test]
    fn each_unit_has_one_cell_per_period_and_its_totals() {
        let m = matrix(
            "bc-thang",
            "Báo cáo",
            vec![
                period(
                    "BC-1",
                    "T10",
                    vec![unit("a", UnitState::Reported), unit("b", UnitState::ReportedLate)],
                ),
                period(
                    "BC-2",
                    "T11",
                    vec![
                        unit("a", UnitState::Overdue),
                        unit("b", UnitState::Reported),
                        unit("c", UnitState::Pending),
                    ],
                ),
            ],
        );
        let codes: Vec<&str> = m.rows.iter().map(|r| r.unit.as_str()).collect();
        assert_eq!(codes, ["a", "b", "c"]);
        assert_eq!((m.rows[0].on_time, m.rows[0].late, m.rows[0].overdue), (1, 0, 1));
        assert_eq!((m.rows[1].on_time, m.rows[1].late), (1, 1));
        assert!(m.rows[2].cells[0].is_none(), "c was not asked for T10");
        let text = m.render_text(Ho_Chi_Minh);
        assert!(text.contains("a       Đ    Q"), "{text}");
        assert!(text.contains("c       –    C"), "{text}");
        let csv = String::from_utf8(m.to_csv(Ho_Chi_Minh)).unwrap();
        assert!(csv.contains("Đúng hạn (03/12/2026)"), "{csv}");
        assert!(csv.contains("Quá hạn 2 ngày làm việc"), "{csv}");
        assert!(csv.contains("Không phải báo cáo"), "{csv}");
        let only = m.clone().only_unit("b");
        assert_eq!(only.rows.len(), 1);
        let xlsx = m
            .to_xlsx("Sở", Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap(), Ho_Chi_Minh)
            .unwrap();
        assert!(xlsx.starts_with(b"PK"));
    }
}
