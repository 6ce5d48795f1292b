//! `docs/letters.md`: every built-in letter rendered for the two real directives baocao
//! serves (seed 000, a report asked by Kế hoạch 4189/KH-BCĐ; seed 003, Công văn 165/LĐLĐ sent
//! "để biết"). A test keeps the file equal to what the templates render;
//! `BAOCAO_WRITE_DOCS=1 cargo test --lib letters::doc` writes it again after a template change.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::dates::{deadline_wording, parse_deadline};
use crate::domain::model::{LetterFields, Offsets, Recipients, Request, RequestCode, RequestId, RequestState};
use crate::domain::plan::SlotKind;
use crate::services::letters::{
    DigestRequest, DigestVars, OfficeVars, ReceiptVars, Rendered, TemplateKind, Templates, UnitMessage, UnitVars,
};

const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

fn at(text: &str) -> DateTime<Utc> {
    parse_deadline(text, ZONE).expect("a time the reader knows").instant
}

/// Seed 000 as the Sở GD&ĐT Điện Biên would enter it.
fn seed_000() -> Request {
    Request {
        id: RequestId::new(1),
        code: RequestCode::parse("4189/KH-BCĐ").unwrap(),
        year: 2023,
        token: "BC-1".into(),
        title: "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện năm 2023".into(),
        issued_on: NaiveDate::from_ymd_opt(2022, 12, 27),
        deadline: Some(at("trước ngày 31/12/2023")),
        deadline_wording: deadline_wording("trước ngày 31/12/2023"),
        letter: LetterFields {
            issuer: Some("Ban Chỉ đạo Vận động hiến máu tình nguyện tỉnh Điện Biên".into()),
            kind: None,
            content: Some("kết quả thực hiện các nội dung của Kế hoạch (bằng văn bản)".into()),
        },
        recipients: Recipients::default(),
        remind_before: Offsets::parse("7d,3d,1d").unwrap(),
        overdue_after: Offsets::parse("1d,3d").unwrap(),
        attachment_required: true,
        state: RequestState::Active,
        created_at: at("08:00 ngày 18/12/2023"),
        period: None,
        escalation: None,
    }
}

/// Seed 003: the LĐLĐ huyện's own công văn, for its grassroots unions to carry out.
fn seed_003() -> Request {
    Request {
        id: RequestId::new(2),
        code: RequestCode::parse("165/LĐLĐ").unwrap(),
        year: 2024,
        token: "BC-2".into(),
        title: "V/v triển khai kế hoạch Phong trào thi đua thực hiện công tác quốc phòng địa phương và công tác \
                giáo dục quốc phòng - an ninh năm 2024"
            .into(),
        issued_on: NaiveDate::from_ymd_opt(2024, 5, 15),
        deadline: None,
        deadline_wording: None,
        letter: LetterFields {
            issuer: None,
            kind: None,
            content: Some("triển khai thực hiện tốt các nội dung của Công văn và Kế hoạch kèm theo".into()),
        },
        recipients: Recipients::default(),
        remind_before: Offsets::default(),
        overdue_after: Offsets::default(),
        attachment_required: false,
        state: RequestState::Active,
        created_at: at("08:00 ngày 15/5/2024"),
        period: None,
        escalation: None,
    }
}

fn letter(out: &mut String, heading: &str, when: &str, rendered: &Rendered, files: &[String]) {
    out.push_str(&format!("### {heading}\n\n_{when}_\n\n"));
    out.push_str(&format!("**Tiêu đề:** {}\n\n", rendered.subject));
    if !files.is_empty() {
        out.push_str(&format!("**Tệp đính kèm:** {}\n\n", files.join(", ")));
    }
    out.push_str("```text\n");
    out.push_str(rendered.text.trim_end());
    out.push_str("\n```\n\n");
}

/// The whole document.
pub fn render() -> String {
    let templates = Templates::built_in().expect("the built-in templates load");
    let mut out = String::from(
        "# Thư baocao gửi, theo hai văn bản thật\n\n\
         Mỗi mẫu thư có sẵn (`config/templates/`) được hiển thị cho hai văn bản thật mà baocao phục vụ \
         (`../shared/seeds/`). Tệp này do chương trình tạo ra: một bài kiểm thử so sánh nó với mẫu thư hiện \
         tại; sau khi sửa mẫu, tạo lại bằng `BAOCAO_WRITE_DOCS=1 cargo test --lib letters::doc`.\n\n\
         Tên người liên hệ, địa chỉ thư và đơn vị nhận là ví dụ.\n\n",
    );

    // Seed 000: a report asked, with a deadline "trước ngày 31/12/2023".
    let office = OfficeVars {
        name: "Sở Giáo dục và Đào tạo tỉnh Điện Biên".into(),
        mailbox: "baocao@sgddt.dienbien.gov.vn".into(),
        contact: Some("bà Lò Thị Hoa, Văn phòng Sở, ĐT 0215 3826 123".into()),
    };
    let unit = UnitVars {
        code: "pgd-muongcha".into(),
        name: "Phòng Giáo dục và Đào tạo huyện Mường Chà".into(),
    };
    let request = seed_000();
    let deadline = request.deadline;
    out.push_str(
        "## Văn bản 000: Kế hoạch số 4189/KH-BCĐ (yêu cầu báo cáo)\n\n\
         Sở Giáo dục và Đào tạo tỉnh Điện Biên yêu cầu các đơn vị báo cáo kết quả thực hiện; văn bản ghi hạn \
         \"trước ngày 31/12/2023\" (baocao hiểu là 30/12/2023 lúc 23:59).\n\n",
    );
    let files = vec!["4189-KH-BCD.pdf".to_string()];
    let unit_letter = |kind: SlotKind, when: &str, files: &[String]| {
        let mut vars = UnitMessage::new(office.clone(), unit.clone(), &request, deadline, kind, at(when), ZONE);
        vars.files = files.to_vec();
        if kind == SlotKind::Overdue {
            vars.time_late = "1 ngày làm việc".into();
        }
        vars
    };
    let cases = [
        (
            TemplateKind::Notice,
            SlotKind::Notice,
            "Thông báo",
            "gửi khi bắt đầu theo dõi, 08:00 ngày 18/12/2023, kèm văn bản gốc",
            "08:00 ngày 18/12/2023",
        ),
        (
            TemplateKind::Reminder,
            SlotKind::Reminder,
            "Nhắc trước hạn",
            "1 ngày trước hạn; hạn rơi vào thứ Bảy nên gửi chiều thứ Sáu 29/12/2023",
            "13:30 ngày 29/12/2023",
        ),
        (
            TemplateKind::Overdue,
            SlotKind::Overdue,
            "Quá hạn",
            "sáng ngày làm việc đầu tiên sau hạn: 07:30 thứ Ba 02/01/2024 (01/01 nghỉ Tết Dương lịch)",
            "07:30 ngày 2/1/2024",
        ),
    ];
    for (template, kind, heading, when, time) in cases {
        let with_files: &[String] = if kind == SlotKind::Notice { &files } else { &[] };
        let vars = unit_letter(kind, time, with_files);
        let rendered = templates.render_unit_message(template, &vars).expect("renders");
        letter(&mut out, heading, when, &rendered, with_files);
    }
    let mut extended = request.clone();
    extended.deadline = Some(at("trước 17 giờ ngày 10/01/2024"));
    extended.deadline_wording = deadline_wording("trước 17 giờ ngày 10/01/2024");
    let vars = UnitMessage::new(
        office.clone(),
        unit.clone(),
        &extended,
        extended.deadline,
        SlotKind::Notice,
        at("09:00 ngày 20/12/2023"),
        ZONE,
    );
    let rendered = templates
        .render_unit_message(TemplateKind::Extension, &vars)
        .expect("renders");
    letter(
        &mut out,
        "Gia hạn",
        "`baocao request extend BC-1 --until \"trước 17 giờ ngày 10/01/2024\"`, gửi 09:00 ngày 20/12/2023 \
         trong luồng thư của thông báo",
        &rendered,
        &[],
    );
    let receipt = ReceiptVars::new(
        office.clone(),
        unit.clone(),
        &request,
        deadline.expect("seed 000 has a deadline"),
        at("10:15 ngày 28/12/2023"),
        false,
        vec!["Bao cao hien mau 2023 - PGD Muong Cha.pdf".into()],
        "RE: [BC-1] Đề nghị báo cáo theo văn bản số 4189/KH-BCĐ",
        ZONE,
    );
    let rendered = templates.render_receipt(&receipt).expect("renders");
    letter(
        &mut out,
        "Xác nhận đã nhận báo cáo (khi bật `[intake] receipts`)",
        "trả lời thư báo cáo của đơn vị, 10:15 ngày 28/12/2023",
        &rendered,
        &[],
    );

    // Seed 003: sent "để biết", no report asked.
    let office = OfficeVars {
        name: "Ban Thường vụ Liên đoàn Lao động huyện Dương Minh Châu".into(),
        mailbox: "vanphong@ldld-dmc.tayninh.gov.vn".into(),
        contact: Some("đồng chí Nguyễn Văn An, Văn phòng LĐLĐ huyện, ĐT 0276 3875 000".into()),
    };
    let unit = UnitVars {
        code: "cdcs-thcs-tt".into(),
        name: "Công đoàn cơ sở Trường THCS Thị trấn".into(),
    };
    let request_003 = seed_003();
    out.push_str(
        "## Văn bản 003: Công văn số 165/LĐLĐ (để biết, không yêu cầu báo cáo)\n\n\
         `baocao request add 165/LĐLĐ --no-report --attach 165-LDLD.pdf --attach 1062-KH-UBND.pdf …`: \
         chỉ gửi một thư, không hạn, không nhắc; thư trả lời không được tính là báo cáo.\n\n",
    );
    let files_003 = vec!["165-LDLD.pdf".to_string(), "1062-KH-UBND.pdf".to_string()];
    let mut vars = UnitMessage::new(
        office.clone(),
        unit,
        &request_003,
        None,
        SlotKind::Notice,
        at("08:00 ngày 16/5/2024"),
        ZONE,
    );
    vars.files = files_003.clone();
    let rendered = templates
        .render_unit_message(TemplateKind::Information, &vars)
        .expect("renders");
    letter(
        &mut out,
        "Văn bản để biết",
        "gửi khi bắt đầu, 08:00 ngày 16/5/2024, kèm công văn và kế hoạch",
        &rendered,
        &files_003,
    );

    // The leadership's digest with both requests open.
    let (date, weekday) = DigestVars::date_parts(at("07:00 ngày 29/12/2023"), ZONE);
    let digest = DigestVars {
        office: OfficeVars {
            name: "Sở Giáo dục và Đào tạo tỉnh Điện Biên".into(),
            mailbox: "baocao@sgddt.dienbien.gov.vn".into(),
            contact: None,
        },
        date,
        weekday,
        requests: vec![
            DigestRequest {
                token: "BC-1".into(),
                code: "4189/KH-BCĐ".into(),
                title: request.title.clone(),
                deadline: "30/12/2023 lúc 23:59".into(),
                reported: 17,
                total: 23,
                late: vec![],
                overdue: vec![],
                pending: vec!["Phòng GD&ĐT huyện Mường Chà".into(); 6],
                for_information: false,
                not_informed: vec![],
            },
            DigestRequest {
                // An example of the Sở's own, sent "để biết".
                token: "BC-3".into(),
                code: "2815/SGDĐT-VP".into(),
                title: "V/v thực hiện lịch nghỉ Tết Nguyên đán Giáp Thìn năm 2024".into(),
                deadline: "để biết".into(),
                reported: 22,
                total: 23,
                late: vec![],
                overdue: vec![],
                pending: vec![],
                for_information: true,
                not_informed: vec!["Trường THPT Mường Luân".into()],
            },
        ],
        review_count: 1,
        failing: vec![],
        calendar_warning: None,
        service_warning: None,
        escalated: Vec::new(),
        not_escalated: Vec::new(),
    };
    out.push_str(
        "## Thư tổng hợp hằng ngày gửi lãnh đạo\n\n\
         Của Sở Giáo dục và Đào tạo, với văn bản 000 và một văn bản để biết của Sở (ví dụ).\n\n",
    );
    let rendered = templates.render_digest(&digest).expect("renders");
    letter(
        &mut out,
        "Tổng hợp",
        "07:00 mỗi ngày làm việc, khi có tin",
        &rendered,
        &[],
    );
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn docs_letters_md_shows_what_the_templates_render() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/letters.md");
        let rendered = super::render();
        if std::env::var_os("BAOCAO_WRITE_DOCS").is_some() {
            std::fs::write(&path, &rendered).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/letters.md differs from the templates; write it again with \
             BAOCAO_WRITE_DOCS=1 cargo test --lib letters::doc"
        );
        // Both seeds' letters are there, in the register of NĐ 30/2020.
        assert!(rendered.contains("Thực hiện Kế hoạch số 4189/KH-BCĐ ngày 27/12/2022 của Ban Chỉ đạo"));
        assert!(rendered.contains("Hạn báo cáo: trước ngày 31/12/2023"));
        assert!(rendered.contains("gửi đơn vị Công văn số 165/LĐLĐ ngày 15/05/2024 về việc triển khai"));
        assert!(!rendered.contains("quý đơn vị"));
    }
}
