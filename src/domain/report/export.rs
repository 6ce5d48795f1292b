//! Exports of one request's status for the office: CSV (UTF-8 with a BOM, so Excel reads the
//! Vietnamese letters) and XLSX ready to print ("Danh sách đơn vị chưa báo cáo"): a title
//! block with the office, the request's number, title and deadline, then one row per unit
//! (STT, đơn vị, nhóm, trạng thái, thời gian nhận, trễ hạn, tệp đính kèm), grouped by the
//! unit's group, A4 landscape, one page wide, the header row repeated on every page.
//!
//! The rows are decided from a [`RequestStatus`] (pure); only the writers know the formats.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::status::{RequestStatus, UnitState, UnitStatus};
use crate::domain::dates::format_instant;

/// Which units an export lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Units that have not reported: pending, overdue, or waiting in review.
    Pending,
    /// Units past their deadline: reported late, or overdue without a report.
    Late,
    All,
}

impl Only {
    pub fn parse(text: &str) -> Option<Only> {
        match text.trim().to_lowercase().as_str() {
            "pending" | "chua-bao-cao" => Some(Only::Pending),
            "late" | "tre-han" => Some(Only::Late),
            "all" | "tat-ca" => Some(Only::All),
            _ => None,
        }
    }

    fn keeps(self, state: UnitState) -> bool {
        match self {
            // For a request "để biết": the units the notice has not reached.
            Only::Pending => !state.has_reported() && state != UnitState::Informed,
            Only::Late => matches!(state, UnitState::ReportedLate | UnitState::Overdue),
            Only::All => true,
        }
    }

    /// The sheet's title.
    pub fn title(self) -> &'static str {
        match self {
            Only::Pending => "DANH SÁCH ĐƠN VỊ CHƯA BÁO CÁO",
            Only::Late => "DANH SÁCH ĐƠN VỊ BÁO CÁO TRỄ HẠN",
            Only::All => "TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ",
        }
    }
}

/// The column headers, in order.
pub const COLUMNS: [&str; 7] = [
    "STT",
    "Đơn vị",
    "Nhóm",
    "Trạng thái",
    "Thời gian nhận",
    "Trễ hạn",
    "Tệp đính kèm",
];

/// One row of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub code: String,
    pub name: String,
    pub group: String,
    pub state: String,
    pub received_at: String,
    /// How late ("2 giờ", "1 ngày làm việc"), else empty.
    pub late: String,
    pub attachments: String,
}

impl Row {
    /// The cells after the number (and the code, which only the CSV has), as [`COLUMNS`] names them.
    fn cells(&self) -> [&str; 6] {
        [
            &self.name,
            &self.group,
            &self.state,
            &self.received_at,
            &self.late,
            &self.attachments,
        ]
    }
}

/// Units of one group, in the order the export shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub group: String,
    pub rows: Vec<Row>,
}

/// What every export shows above its rows.
#[derive(Debug, Clone)]
pub struct Heading {
    pub office: String,
    pub title: &'static str,
    pub request: String,
    pub deadline: String,
    pub summary: String,
}

/// The rows `only` keeps, grouped by each unit's first group, shown by its display name (the
/// code when it has none; groups in alphabetical order, units without a group last), numbered 1, 2,
/// 3… across groups.
pub fn sections(status: &RequestStatus, only: Only, zone: Tz) -> Vec<Section> {
    // Sorted as a reader looks names up: without regard to case or diacritics.
    let mut by_group: std::collections::BTreeMap<(bool, String, String), Vec<&UnitStatus>> = Default::default();
    for unit in status.units.iter().filter(|u| only.keeps(u.state)) {
        let group = unit.group_names.first().or(unit.groups.first()).cloned();
        let name = group.clone().unwrap_or_else(|| "(không thuộc nhóm)".into());
        by_group
            .entry((group.is_none(), crate::domain::matching::code_key(&name), name))
            .or_default()
            .push(unit);
    }
    let mut number = 0;
    by_group
        .into_iter()
        .map(|((_, _, group), units)| Section {
            rows: units
                .into_iter()
                .map(|u| {
                    number += 1;
                    row(number, &group, u, zone)
                })
                .collect(),
            group,
        })
        .collect()
}

fn row(number: usize, group: &str, unit: &UnitStatus, zone: Tz) -> Row {
    let mut state = unit.state.label_vi().to_string();
    if !unit.failing_addresses.is_empty() {
        state.push_str(" (địa chỉ lỗi)");
    }
    Row {
        number,
        code: unit.unit.clone(),
        name: unit.name.clone(),
        group: group.to_string(),
        state,
        received_at: unit.reported_at.map(|t| format_instant(t, zone)).unwrap_or_default(),
        late: unit.late_by.clone().unwrap_or_default(),
        attachments: unit.attachments.join("; "),
    }
}

pub fn heading(status: &RequestStatus, office: &str, only: Only, now: DateTime<Utc>, zone: Tz) -> Heading {
    Heading {
        office: office.to_uppercase(),
        title: only.title(),
        request: format!("Văn bản số {}: {}", status.code, status.title),
        deadline: format!(
            "Hạn báo cáo: {} · Mã theo dõi: {}",
            crate::domain::dates::deadline_shown(status.deadline, status.deadline_wording.as_deref(), zone),
            status.request
        ),
        summary: {
            let local = now.with_timezone(&zone);
            format!(
                "{} {}/{} đơn vị · Số liệu tính đến {} ngày {}",
                if status.deadline.is_some() {
                    "Đã báo cáo"
                } else {
                    "Văn bản để biết, đã gửi tới"
                },
                status.reported,
                status.total,
                local.format("%H:%M"),
                local.format("%d/%m/%Y")
            )
        },
    }
}

/// `bc-17-chua-bao-cao.xlsx`: the download's name.
pub fn file_name(token: &str, only: Only, extension: &str) -> String {
    let what = match only {
        Only::Pending => "chua-bao-cao",
        Only::Late => "tre-han",
        Only::All => "tinh-hinh",
    };
    format!("{}-{what}.{extension}", token.to_lowercase())
}

/// CSV with a BOM and a header row; the unit code is added after STT for machines.
pub fn to_csv(sections: &[Section]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.insert(1, "Mã đơn vị");
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(&header);
    for row in sections.iter().flat_map(|s| &s.rows) {
        let number = row.number.to_string();
        let _ = writer.write_record([number.as_str(), &row.code].into_iter().chain(row.cells()));
    }
    writer.into_inner().unwrap_or_default()
}

/// The printable workbook.
pub fn to_xlsx(heading: &Heading, sections: &[Section]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Tình hình báo cáo")?;
    let last_col = (COLUMNS.len() - 1) as u16;
    let bold = Format::new().set_bold();
    let super::SheetFormats {
        title,
        centered,
        cell,
        header,
    } = super::SheetFormats::new();
    let group = cell.clone().set_bold().set_background_color(0xF2F2F2);
    let number = cell.clone().set_align(FormatAlign::Center);

    sheet.write_string_with_format(0, 0, &heading.office, &bold)?;
    sheet.merge_range(2, 0, 2, last_col, heading.title, &title)?;
    sheet.merge_range(3, 0, 3, last_col, &heading.request, &centered)?;
    sheet.merge_range(4, 0, 4, last_col, &heading.deadline, &centered)?;
    sheet.merge_range(5, 0, 5, last_col, &heading.summary, &centered)?;
    let header_row = 7;
    for (col, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(header_row, col as u16, *name, &header)?;
    }
    let mut r = header_row + 1;
    for section in sections {
        let text = format!("Nhóm: {} ({} đơn vị)", section.group, section.rows.len());
        sheet.merge_range(r, 0, r, last_col, &text, &group)?;
        r += 1;
        for row in &section.rows {
            sheet.write_number_with_format(r, 0, row.number as f64, &number)?;
            for (col, text) in row.cells().into_iter().enumerate() {
                sheet.write_string_with_format(r, col as u16 + 1, text, &cell)?;
            }
            r += 1;
        }
    }
    if sections.is_empty() {
        sheet.merge_range(r, 0, r, last_col, "Không có đơn vị nào.", &cell)?;
    }
    for (col, width) in [6.0, 45.0, 14.0, 16.0, 20.0, 9.0, 40.0].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(header_row, header_row)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::RequestState;
    use chrono::TimeZone;

    fn unit(code: &str, group: Option<&str>, state: UnitState) -> UnitStatus {
        let at = Utc.with_ymd_and_hms(2023, 12, 29, 2, 15, 0).unwrap();
        UnitStatus {
            unit: code.into(),
            name: format!("Đơn vị {code}"),
            groups: group.map(|g| vec![g.to_string()]).unwrap_or_default(),
            group_names: group
                .map(|g| match g {
                    "phong-gddt" => "Phòng Giáo dục và Đào tạo các huyện".to_string(),
                    other => other.to_string(),
                })
                .into_iter()
                .collect(),
            state,
            reported_at: state.has_reported().then_some(at),
            via: None,
            attachments: if state.has_reported() {
                vec!["Báo cáo.pdf".into()]
            } else {
                vec![]
            },
            deadline: Some(at),
            last_reminder_at: None,
            reminders_sent: 0,
            incoming_id: None,
            failing_addresses: vec![],
            late_by: match state {
                UnitState::ReportedLate => Some("2 giờ".into()),
                UnitState::Overdue => Some("1 ngày làm việc".into()),
                _ => None,
            },
        }
    }

    #[test]
    fn the_heading_says_when_the_figures_were_taken_once() {
        let now: DateTime<Utc> = "2026-12-02T07:00:00Z".parse().unwrap();
        let heading = heading(&status(), "Sở X", Only::Pending, now, chrono_tz::Asia::Ho_Chi_Minh);
        assert!(
            heading.summary.ends_with("Số liệu tính đến 14:00 ngày 02/12/2026"),
            "{}",
            heading.summary
        );
        assert_eq!(heading.summary.matches("lúc").count(), 0, "{}", heading.summary);
        assert_eq!(
            heading.deadline,
            "Hạn báo cáo: 30/12/2023 lúc 17:00 (văn bản ghi: trước 17h00 ngày 30/12/2023) · Mã theo dõi: BC-1"
        );
    }

    fn status() -> RequestStatus {
        RequestStatus {
            request: "BC-1".into(),
            code: "4189/KH-BCĐ".into(),
            year: 2022,
            title: "Hiến máu tình nguyện".into(),
            state: RequestState::Active,
            deadline: Some(Utc.with_ymd_and_hms(2023, 12, 30, 10, 0, 0).unwrap()),
            deadline_wording: Some("trước 17h00 ngày 30/12/2023".into()),
            reported: 2,
            total: 5,
            units: vec![
                unit("truong-a", Some("truc-thuoc"), UnitState::Overdue),
                unit("pgd-a", Some("phong-gddt"), UnitState::Reported),
                unit("pgd-b", Some("phong-gddt"), UnitState::Pending),
                unit("le", None, UnitState::Review),
                unit("pgd-c", Some("phong-gddt"), UnitState::ReportedLate),
            ],
        }
    }

    #[test]
    fn rows_are_filtered_grouped_and_numbered_across_groups() {
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let pending = sections(&status(), Only::Pending, zone);
        let shape: Vec<(String, Vec<(usize, String)>)> = pending
            .iter()
            .map(|s| {
                (
                    s.group.clone(),
                    s.rows.iter().map(|r| (r.number, r.code.clone())).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("Phòng Giáo dục và Đào tạo các huyện".into(), vec![(1, "pgd-b".into())]),
                ("truc-thuoc".into(), vec![(2, "truong-a".into())]),
                ("(không thuộc nhóm)".into(), vec![(3, "le".into())]),
            ]
        );
        let late: Vec<String> = sections(&status(), Only::Late, zone)
            .iter()
            .flat_map(|s| s.rows.iter().map(|r| format!("{} {} {}", r.code, r.state, r.late)))
            .collect();
        assert_eq!(
            late,
            vec!["pgd-c báo cáo muộn 2 giờ", "truong-a quá hạn 1 ngày làm việc"]
        );
        let all = sections(&status(), Only::All, zone);
        assert_eq!(all.iter().map(|s| s.rows.len()).sum::<usize>(), 5);
        let reported = &all[0].rows[0];
        assert_eq!(reported.received_at, "29/12/2023 lúc 09:15");
        assert_eq!(reported.attachments, "Báo cáo.pdf");
    }

    #[test]
    fn csv_starts_with_a_bom_and_keeps_vietnamese_text() {
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let bytes = to_csv(&sections(&status(), Only::All, zone));
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("STT,Mã đơn vị,Đơn vị,Nhóm,Trạng thái,Thời gian nhận,Trễ hạn,Tệp đính kèm")
        );
        assert_eq!(
            lines.next(),
            Some(
                "1,pgd-a,Đơn vị pgd-a,Phòng Giáo dục và Đào tạo các huyện,đã báo cáo,29/12/2023 lúc 09:15,,Báo cáo.pdf"
            )
        );
        assert_eq!(Only::parse("chua-bao-cao"), Some(Only::Pending));
        assert_eq!(Only::parse("nope"), None);
    }
}
