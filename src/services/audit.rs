//! The audit trail as people read it: one Vietnamese line per change, and the CSV export
//! (`baocao audit --csv`, the web page's download).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::adapters::store::{AuditRow, AuditSubject, Via, action_vi};
use crate::domain::dates::{format_instant, local_to_utc, parse_date};

/// `04/12/2026 lúc 15:30 · hoa (trang web) · yêu cầu BC-1 · hạn báo cáo: 15/03/2030 → 20/03/2030`.
pub fn line_vi(row: &AuditRow, zone: Tz) -> String {
    format!(
        "{} · {} ({}) · {} {} · {}",
        format_instant(row.at, zone),
        row.actor,
        Via::label_vi(&row.via),
        AuditSubject::label_vi(&row.subject),
        row.subject_key,
        change_vi(row)
    )
}

/// "hạn báo cáo: A → B", "kích hoạt", "gửi tới: thêm X".
pub fn change_vi(row: &AuditRow) -> String {
    let what = row.what_vi();
    match (row.before.as_deref(), row.after.as_deref()) {
        (None, None) => what,
        (None, Some(after)) => format!("{what}: {after}"),
        (Some(before), None) => format!("{what}: bỏ {before}"),
        (Some(before), Some(after)) => format!("{what}: {before} → {after}"),
    }
}

/// The start of day `text` (`dd/mm/yyyy`) in the office's zone — of the day after with
/// `through` (an "until" day is included) —, or the sentence saying it is not a date.
pub fn day_bound(text: &str, zone: Tz, through: bool) -> Result<DateTime<Utc>, String> {
    let date = parse_date(text).ok_or_else(|| format!("không hiểu ngày `{}` (viết dd/mm/yyyy)", text.trim()))?;
    let date = if through { date.succ_opt().unwrap_or(date) } else { date };
    local_to_utc(date.and_hms_opt(0, 0, 0).unwrap_or_default(), zone)
        .ok_or_else(|| format!("ngày `{}` không có 0 giờ ở múi giờ {zone}", text.trim()))
}

/// The rows as a CSV file Excel opens in UTF-8 (with a BOM), one column per fact.
pub fn to_csv(rows: &[AuditRow], zone: Tz) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    writer.write_record([
        "Số",
        "Thời điểm",
        "Người thực hiện",
        "Qua",
        "Đối tượng",
        "Mã",
        "Thao tác",
        "Nội dung",
        "Trước",
        "Sau",
    ])?;
    for row in rows {
        writer.write_record([
            row.id.to_string(),
            row.at.with_timezone(&zone).format("%d/%m/%Y %H:%M:%S").to_string(),
            row.actor.clone(),
            Via::label_vi(&row.via).to_string(),
            AuditSubject::label_vi(&row.subject).to_string(),
            row.subject_key.clone(),
            action_vi(&row.action).to_string(),
            row.field.clone().unwrap_or_default(),
            row.before.clone().unwrap_or_default(),
            row.after.clone().unwrap_or_default(),
        ])?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(field: Option<&str>, before: Option<&str>, after: Option<&str>) -> AuditRow {
        AuditRow {
            id: 7,
            at: "2026-12-04T08:30:00Z".parse().unwrap(),
            actor: "hoa".into(),
            via: "web".into(),
            subject: "request".into(),
            subject_key: "BC-1".into(),
            request_id: None,
            action: "activate".into(),
            field: field.map(str::to_string),
            before: before.map(str::to_string),
            after: after.map(str::to_string),
        }
    }

    #[test]
    fn a_change_reads_as_a_sentence_and_a_csv_row() {
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let changed = row(Some("hạn báo cáo"), Some("15/03/2030"), Some("20/03/2030"));
        assert_eq!(
            line_vi(&changed, zone),
            "04/12/2026 lúc 15:30 · hoa (trang web) · yêu cầu BC-1 · hạn báo cáo: 15/03/2030 → 20/03/2030"
        );
        assert_eq!(change_vi(&row(None, None, None)), "kích hoạt");
        assert_eq!(
            change_vi(&row(Some("tệp gửi kèm"), Some("a.pdf"), None)),
            "tệp gửi kèm: bỏ a.pdf"
        );
        let csv = String::from_utf8(to_csv(&[changed], zone).unwrap()).unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1],
            "7,04/12/2026 15:30:00,hoa,trang web,yêu cầu,BC-1,kích hoạt,hạn báo cáo,15/03/2030,20/03/2030"
        );
    }
}
