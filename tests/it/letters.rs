//! The letters of a request as the office changes it, end to end through Postfix and
//! Dovecot: a directive "để biết" (seed 003) with its files, an edited and extended request
//! with its "gia hạn" letter, and a closed request's number reused only when confirmed.

use mail_parser::MimeHeaders;
use serde_json::Value;

use crate::harness::Backend;
use crate::harness::mail_env::{MailEnv, UNITS, add_units, assert_sends_at, mail_env, reply, send_at, wait_for};
use crate::on_both_backends;

on_both_backends!(
    a_directive_for_information_goes_once_with_its_files_and_expects_no_reply,
    an_edited_request_records_each_change_and_an_extension_has_its_own_letter,
    a_closed_number_is_reused_only_when_confirmed_and_files_are_size_limited,
);

/// A small PDF-looking file and a spreadsheet-looking one, with Vietnamese names.
fn write_files(m: &MailEnv) -> (std::path::PathBuf, Vec<u8>, std::path::PathBuf, Vec<u8>) {
    let pdf: Vec<u8> = b"%PDF-1.4\n"
        .iter()
        .copied()
        .chain((0..3000u32).map(|i| (i % 251) as u8))
        .collect();
    let xlsx: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 256) as u8).collect();
    let pdf_path = m.env.write("Kế hoạch 1062-KH-UBND.pdf", "");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let xlsx_path = m.env.write("Phụ lục biểu mẫu.xlsx", "");
    std::fs::write(&xlsx_path, &xlsx).unwrap();
    (pdf_path, pdf, xlsx_path, xlsx)
}

/// Bytes as a MIME body: base64 in 76-character lines.
fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    text.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).expect("parses")
}

/// `(name, bytes)` of each attachment of a message.
fn attachments(message: &mail_parser::Message<'_>) -> Vec<(String, Vec<u8>)> {
    message
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or_default().to_string(),
                a.contents().to_vec(),
            )
        })
        .collect()
}

/// Seed 003: Công văn 165/LĐLĐ of LĐLĐ huyện Dương Minh Châu asks its grassroots unions to
/// carry out a plan, and asks no report.
fn a_directive_for_information_goes_once_with_its_files_and_expects_no_reply(backend: Backend) {
    let m = mail_env(backend, None, "");
    let addresses = add_units(&m, &UNITS[..3]);
    let (pdf_path, pdf, xlsx_path, xlsx) = write_files(&m);
    // A deadline and --no-report contradict each other.
    let both = m.env.baocao(&[
        "request",
        "add",
        "165/LĐLĐ",
        "--title",
        "x",
        "--deadline",
        "31/5/2030",
        "--no-report",
        "--group",
        "gdnn-gdtx",
    ]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    let added = m
        .env
        .baocao(&[
            "request",
            "add",
            "165/LĐLĐ",
            "--title",
            "V/v triển khai kế hoạch Phong trào thi đua thực hiện công tác quốc phòng địa phương năm 2030",
            "--no-report",
            "--issued",
            "01/3/2030",
            "--issuer",
            "Ban Thường vụ Liên đoàn Lao động huyện",
            "--group",
            "gdnn-gdtx",
            "--attach",
            pdf_path.to_str().unwrap(),
            "--attach",
            xlsx_path.to_str().unwrap(),
        ])
        .ok();
    added.assert_stdout_contains("Hạn:        không có (văn bản để biết, không yêu cầu báo cáo)");
    added.assert_stdout_contains("Gửi kèm:    Kế hoạch 1062-KH-UBND.pdf (3 KB), Phụ lục biểu mẫu.xlsx (2 KB)");
    let shown = m.env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(shown["deadline"], Value::Null);
    assert_eq!(shown["attachment_required"], false);
    assert_eq!(shown["remind_before"], "");
    assert_eq!(shown["files"].as_array().unwrap().len(), 2);

    m.env
        .baocao(&["request", "activate", "BC-1", "--at", "08:00 ngày 4/3/2030"])
        .ok();
    let plan = m
        .env
        .baocao(&["reminders", "plan", "--at", "08:00 ngày 4/3/2030", "--json"])
        .ok()
        .json();
    let plan = plan.as_array().unwrap();
    assert_eq!(plan.len(), 3, "the notice only: {plan:#?}");
    assert!(plan.iter().all(|l| l["kind"] == "notice"));

    let status = m.env.baocao(&["status", "BC-1", "--json"]).ok().json();
    assert!(
        status["requests"][0]["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["state"] == "not_informed"),
        "{status:#}"
    );
    assert_sends_at(&m, "08:00 ngày 4/3/2030", 3);
    for (address, (_, name, _)) in addresses.iter().zip(UNITS) {
        wait_for(m.lab, address, 1);
        let raw = &m.lab.messages(address)[0];
        let message = parse(raw);
        let subject = message.subject().unwrap();
        assert_eq!(
            subject,
            "[BC-1] Công văn số 165/LĐLĐ về việc triển khai kế hoạch Phong trào thi đua thực hiện công tác \
             quốc phòng địa phương năm 2030 (để biết, thực hiện)"
        );
        let text = message.body_text(0).unwrap().replace("\r\n", "\n");
        assert!(text.contains(&format!("Kính gửi: {name}")), "{text}");
        assert!(
            text.contains(
                "gửi đơn vị Công văn số 165/LĐLĐ ngày 01/03/2030 của Ban Thường vụ Liên đoàn Lao động huyện về việc \
                 triển khai kế hoạch"
            ),
            "{text}"
        );
        assert!(
            text.contains("Đề nghị đơn vị nghiên cứu, triển khai thực hiện."),
            "{text}"
        );
        assert!(text.contains("không yêu cầu báo cáo"), "{text}");
        assert!(!text.contains("Hạn báo cáo"), "{text}");
        assert!(
            text.contains("  - Kế hoạch 1062-KH-UBND.pdf\n  - Phụ lục biểu mẫu.xlsx\n"),
            "{text}"
        );
        assert_eq!(
            attachments(&message),
            vec![
                ("Kế hoạch 1062-KH-UBND.pdf".to_string(), pdf.clone()),
                ("Phụ lục biểu mẫu.xlsx".to_string(), xlsx.clone()),
            ],
            "the files arrive with their names and bytes"
        );
    }
    let status = m.env.baocao(&["status", "BC-1"]).ok().stdout;
    assert!(status.contains("3/3 đã gửi văn bản"), "{status}");
    assert!(status.contains("đã gửi văn bản"), "{status}");
    // Weeks later nothing more goes: no reminder, no overdue notice.
    assert_sends_at(&m, "09:00 ngày 15/4/2030", 0);
    assert_eq!(m.env.outbox().len(), 3);

    // A unit answers "đã nhận": nothing counts, nothing waits for a person.
    let parent = parse(&m.lab.messages(&addresses[0])[0])
        .message_id()
        .unwrap()
        .to_string();
    let outcome = m.env.import_at(
        "ack.eml",
        reply(
            &addresses[0],
            &m.mailbox,
            "ack@mail.lab.test",
            Some(&parent),
            "",
            "Đơn vị đã nhận văn bản.",
        ),
        "10:00 ngày 4/3/2030",
    );
    assert_eq!(outcome["state"], "ignored", "{outcome:#}");
    assert_eq!(outcome["rule"], "for_information", "{outcome:#}");
    assert!(
        outcome["detail"].as_str().unwrap().contains("văn bản để biết 165/LĐLĐ"),
        "{outcome:#}"
    );
    // A report cannot be recorded for it either.
    let mark = m.env.baocao(&["mark", "BC-1", UNITS[0].0, "--note", "bản giấy"]);
    assert_eq!(mark.code, 1);
    mark.assert_stderr_contains("văn bản để biết, không yêu cầu báo cáo");
    // Nor its deadline moved.
    for args in [
        &["request", "extend", "BC-1", "--until", "31/5/2030"][..],
        &["request", "edit", "BC-1", "--deadline", "31/5/2030"][..],
    ] {
        let refused = m.env.baocao(args);
        assert_eq!(refused.code, 1, "{args:?}");
        refused.assert_stderr_contains("không có hạn để gia hạn");
    }

    // Two of the units merge (the 1/7/2025 reform): the new unit has the directive already;
    // the same offices do not get it twice.
    m.env
        .baocao(&[
            "unit",
            "merge",
            UNITS[0].0,
            UNITS[1].0,
            "--into",
            "gdnn-moi",
            "--name",
            "Trung tâm GDNN-GDTX khu vực Mường Ảng",
            "--at",
            "08:00 ngày 8/4/2030",
        ])
        .ok();
    assert_sends_at(&m, "09:00 ngày 8/4/2030", 0);
    let merged = m.env.unit_status("BC-1", "gdnn-moi");
    assert_eq!(merged["state"], "informed", "{merged:#}");
}

fn an_edited_request_records_each_change_and_an_extension_has_its_own_letter(backend: Backend) {
    let m = mail_env(backend, None, "");
    let addresses = add_units(&m, &UNITS[..2]);
    let (pdf_path, pdf, xlsx_path, xlsx) = write_files(&m);
    m.env
        .baocao(&[
            "request",
            "add",
            "4189/KH-BCĐ",
            "--title",
            "Báo cáo kết quả hiến máu",
            "--deadline",
            "trước 17h00 ngày 15/3/2030",
            "--group",
            "gdnn-gdtx",
            "--remind",
            "1d",
            "--overdue",
            "",
            "--attach",
            pdf_path.to_str().unwrap(),
        ])
        .ok();
    // A draft's title, content and files change before anything goes.
    let edited = m
        .env
        .baocao(&[
            "request",
            "edit",
            "BC-1",
            "--title",
            "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện",
            "--content",
            "kết quả theo biểu mẫu kèm theo",
            "--attach",
            xlsx_path.to_str().unwrap(),
            "--remove-attachment",
            "Kế hoạch 1062-KH-UBND.pdf",
        ])
        .ok();
    for line in [
        "  trích yếu: Báo cáo kết quả hiến máu → Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện",
        "  nội dung yêu cầu: thêm kết quả theo biểu mẫu kèm theo",
        "  tệp gửi kèm: bỏ Kế hoạch 1062-KH-UBND.pdf",
        "  tệp gửi kèm: thêm Phụ lục biểu mẫu.xlsx",
    ] {
        assert!(edited.stdout.contains(line), "{line}\n{}", edited.stdout);
    }
    let nothing = m
        .env
        .baocao(&["request", "edit", "BC-1", "--content", "kết quả theo biểu mẫu kèm theo"]);
    assert_eq!(nothing.code, 1);
    nothing.assert_stderr_contains("không có gì thay đổi");
    let missing = m.env.baocao(&[
        "request",
        "edit",
        "BC-1",
        "--remove-attachment",
        "khong-co.pdf",
        "--add-unit",
        "xyz",
    ]);
    assert_eq!(missing.code, 1);
    missing.assert_stderr_contains("yêu cầu không có tệp gửi kèm `khong-co.pdf`");
    missing.assert_stderr_contains("không có đơn vị `xyz`");

    m.env
        .baocao(&["request", "activate", "BC-1", "--at", "08:00 ngày 4/3/2030"])
        .ok();
    assert_sends_at(&m, "08:00 ngày 4/3/2030", 2);
    for address in &addresses {
        wait_for(m.lab, address, 1);
        let raw = m.lab.messages(address).remove(0);
        let message = parse(&raw);
        assert_eq!(
            attachments(&message),
            vec![("Phụ lục biểu mẫu.xlsx".to_string(), xlsx.clone())],
            "the notice carries the files as they are when it goes"
        );
        let text = message.body_text(0).unwrap();
        assert!(text.contains("về việc triển khai thực hiện Kế hoạch"), "{text}");
        assert!(
            text.contains("đề nghị đơn vị báo cáo kết quả theo biểu mẫu kèm theo."),
            "{text}"
        );
    }
    assert!(!pdf.is_empty());

    // Once units have the deadline, it may only move later.
    let earlier = m.env.baocao(&["request", "edit", "BC-1", "--deadline", "10/3/2030"]);
    assert_eq!(earlier.code, 1);
    earlier.assert_stderr_contains("chỉ được lùi hạn (gia hạn)");

    m.env
        .baocao(&[
            "request",
            "extend",
            "BC-1",
            "--until",
            "trước 17h00 ngày 22/3/2030",
            "--at",
            "09:00 ngày 5/3/2030",
        ])
        .ok();
    let sent = send_at(&m, "09:00 ngày 5/3/2030");
    assert_eq!(sent["outbox"]["sent"], 2, "the extension letter: {sent:#}");
    for address in &addresses {
        wait_for(m.lab, address, 2);
        let messages: Vec<Vec<u8>> = m.lab.messages(address);
        let parsed: Vec<mail_parser::Message<'_>> = messages.iter().map(|raw| parse(raw)).collect();
        let notice_id = parsed
            .iter()
            .find(|p| !p.subject().unwrap().contains("Gia hạn"))
            .and_then(|p| p.message_id())
            .unwrap()
            .to_string();
        let extension = parsed
            .iter()
            .find(|p| p.subject().unwrap().contains("Gia hạn"))
            .expect("a gia hạn letter");
        assert_eq!(
            extension.subject().unwrap(),
            "[BC-1] Gia hạn báo cáo theo Kế hoạch số 4189/KH-BCĐ (hạn mới trước 17h00 ngày 22/3/2030)"
        );
        let text = extension.body_text(0).unwrap();
        assert!(text.contains("thông báo gia hạn thời gian báo cáo"), "{text}");
        assert!(text.contains("Hạn báo cáo mới: trước 17h00 ngày 22/3/2030"), "{text}");
        assert!(attachments(extension).is_empty(), "the files are not sent twice");
        assert_eq!(
            extension.in_reply_to().as_text(),
            Some(notice_id.as_str()),
            "in the notice's thread"
        );
    }

    // A unit forwards the notice back with our form attached: not a report.
    let form = base64_lines(&xlsx);
    let forward = format!(
        "From: {}\nTo: {}\nSubject: Fwd: [BC-1] Đề nghị báo cáo\nMessage-ID: <fwd@mail.lab.test>\n\
         Date: Tue, 05 Mar 2030 10:00:00 +0700\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n\
         Chuyển tiếp để lãnh đạo xem.\n--b1\nContent-Type: application/octet-stream; name=\"bieu-mau.xlsx\"\n\
         Content-Disposition: attachment; filename=\"bieu-mau.xlsx\"\nContent-Transfer-Encoding: base64\n\n{form}\n--b1--\n",
        addresses[0], m.mailbox
    );
    let outcome = m.env.import_at("forward.eml", forward, "10:00 ngày 5/3/2030");
    assert_ne!(outcome["state"], "counted", "{outcome:#}");
    assert_eq!(outcome["reason"], "missing_attachment", "{outcome:#}");

    // Every change is on record with who made it.
    let shown = m.env.baocao(&["request", "show", "BC-1"]).ok().stdout;
    assert!(shown.contains("Lịch sử thay đổi:"), "{shown}");
    assert!(
        shown.contains(
            "hạn báo cáo (gia hạn): 15/03/2030 lúc 17:00 (văn bản ghi: trước 17h00 ngày 15/3/2030) → \
             22/03/2030 lúc 17:00 (văn bản ghi: trước 17h00 ngày 22/3/2030)"
        ),
        "{shown}"
    );
    assert_eq!(shown.matches("tệp gửi kèm:").count(), 2, "{shown}");
    let user = std::env::var("USER").unwrap_or_default();
    if !user.is_empty() {
        assert!(shown.contains(&format!("({user}) trích yếu:")), "{shown}");
    }

    m.env.baocao(&["request", "close", "BC-1"]).ok();
    let closed = m.env.baocao(&["request", "edit", "BC-1", "--title", "x"]);
    assert_eq!(closed.code, 1);
    closed.assert_stderr_contains("đã đóng: không sửa được");
}

fn a_closed_number_is_reused_only_when_confirmed_and_files_are_size_limited(backend: Backend) {
    let m = mail_env(backend, None, "");
    add_units(&m, &UNITS[..1]);
    let add = |extra: &[&str]| {
        let mut args = vec![
            "request",
            "add",
            "165/LĐLĐ",
            "--title",
            "Phong trào thi đua",
            "--deadline",
            "31/5/2030",
            "--unit",
            UNITS[0].0,
        ];
        args.extend_from_slice(extra);
        m.env.baocao(&args)
    };
    // Too large: refused, nothing created.
    let big = m.env.write("lon.pdf", "");
    std::fs::write(&big, vec![b'x'; 11 * 1024 * 1024]).unwrap();
    let refused = add(&["--attach", big.to_str().unwrap()]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("quá 7 MB");
    let unreadable = add(&["--attach", "/khong/co/tep.pdf"]);
    assert_eq!(unreadable.code, 1);
    unreadable.assert_stderr_contains("không có tệp này");
    let listed = m.env.baocao(&["request", "list", "--json"]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 0);

    add(&[]).ok();
    let open_clash = add(&[]);
    assert_eq!(open_clash.code, 1);
    open_clash.assert_stderr_contains("chưa đóng; sửa yêu cầu đó bằng: baocao request edit BC-");
    m.env.baocao(&["request", "close", "165/LĐLĐ@2030"]).ok();
    let unconfirmed = add(&[]);
    assert_eq!(unconfirmed.code, 1);
    unconfirmed.assert_stderr_contains("đã dùng cho yêu cầu");
    unconfirmed.assert_stderr_contains("--reuse-number");
    let reused = add(&["--reuse-number", "--json"]).ok().json();
    let new_token = reused["token"].as_str().unwrap().to_string();
    // The number now names the new request; the closed one keeps its record and its token.
    let by_number = m
        .env
        .baocao(&["request", "show", "165/LĐLĐ@2030", "--json"])
        .ok()
        .json();
    assert_eq!(by_number["token"], new_token.as_str());
    let old = m.env.baocao(&["request", "list", "--json"]).ok().json();
    let old = old
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["token"] != new_token.as_str())
        .unwrap()
        .clone();
    assert_eq!(old["state"], "closed");
    assert_eq!(old["code"], "165/LĐLĐ");
    let history = m
        .env
        .baocao(&["request", "show", old["token"].as_str().unwrap()])
        .ok()
        .stdout;
    assert!(
        history.contains("số hiệu: 165/LĐLĐ năm 2030 → dùng lại cho yêu cầu mới"),
        "{history}"
    );
}
