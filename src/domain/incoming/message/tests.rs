use super::*;

fn letter(raw: &str) -> Letter {
    read(raw.as_bytes()).expect("readable")
}

#[test]
fn a_million_references_keep_the_root_and_the_newest_and_thread_ids_stay_bounded() {
    let mut raw = String::from("From: a@b.vn\nIn-Reply-To: <p@x> <p@x> <q@x>\nReferences:");
    for i in 0..1_000_000 {
        raw.push_str(&format!(" <r{i}@x>"));
    }
    raw.push_str(" <p@x>\n\nhi\n");
    let l = letter(&raw);
    assert_eq!(l.references.len(), MAX_IDS);
    assert_eq!(l.references[0], "r0@x");
    assert_eq!(l.references[MAX_IDS - 1], "p@x");
    assert_eq!(l.references[MAX_IDS - 2], "r999999@x");
    let ids = l.thread_ids();
    // In-Reply-To first, each id once, then the newest References.
    assert_eq!(&ids[..3], ["p@x", "q@x", "r999999@x"]);
    assert!(ids.len() <= 2 + THREAD_TAIL, "{} ids", ids.len());
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn a_parameter_field_of_many_continuations_is_cut_before_parsing() {
    let mut raw = String::from("From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n");
    raw.push_str("Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Disposition: attachment");
    for i in 0..20_000 {
        raw.push_str(&format!(";\r\n filename*{i}*=%C3%A1"));
    }
    raw.push_str("\r\n\r\nJVBERi0x\r\n--b--\r\n");
    let tamed = tame_parameter_fields(raw.as_bytes()).expect("cut");
    assert!(tamed.len() < 20 * 1024, "{}", tamed.len());
    let l = letter(&raw);
    assert_eq!(l.content_hash, content_hash(raw.as_bytes()));
    assert_eq!(l.size, raw.len());
    assert_eq!(l.attachments.len(), 1);
    assert!(l.attachments[0].name.starts_with("ááá"), "{}", l.attachments[0].name);
    // Ordinary messages are parsed as they are.
    assert!(tame_parameter_fields(b"Content-Type: text/plain\r\n\r\nhi").is_none());
}

#[test]
fn crlf_in_an_encoded_subject_does_not_survive() {
    // "Báo cáo\r\nBcc: x@evil.test" in base64
    let l = letter("From: a@b.vn\nSubject: =?UTF-8?B?QsOhbyBjw6FvDQpCY2M6IHhAZXZpbC50ZXN0?=\n\nhi\n");
    assert_eq!(l.subject, "Báo cáo Bcc: x@evil.test");
    assert!(!l.subject.contains('\r') && !l.subject.contains('\n'));
}

#[test]
fn windows_1258_decodes_to_composed_vietnamese() {
    // "Báo cáo" in windows-1258: a + combining acute (0xEC) is how CP1258 writes "á".
    let mut raw = b"From: a@b.vn\nSubject: x\nContent-Type: text/plain; charset=windows-1258\n\n".to_vec();
    raw.extend_from_slice(&[b'B', b'a', 0xEC, b'o', b' ', b'c', b'a', 0xEC, b'o', b'\n']);
    let l = read(&raw).expect("readable");
    assert_eq!(l.text.trim(), "Báo cáo");
}

#[test]
fn own_text_stops_at_quotes_and_history() {
    let text = "Đã nhận ạ.\n\nVào 10:00 Th 2, 4 thg 12, 2023 Văn phòng Sở <vp@so.vn> đã viết:\n> Kính gửi";
    assert_eq!(own_text(text), "Đã nhận ạ.");
    let outlook = "Gửi báo cáo.\n\nFrom: Văn phòng\nSent: Monday\nSubject: x";
    assert_eq!(own_text(outlook), "Gửi báo cáo.");
    let iphone = "Em gửi ạ\n\nSent from my iPhone\n\n> On 4 Dec";
    assert_eq!(own_text(iphone), "Em gửi ạ");
}

#[test]
fn attachments_that_are_not_reports() {
    let raw = "From: a@b.vn\nSubject: x\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Disposition: attachment; filename=smime.p7s\nContent-Transfer-Encoding: base64\n\nAAAA\n--b\nContent-Type: application/ms-tnef; name=winmail.dat\nContent-Disposition: attachment; filename=winmail.dat\nContent-Transfer-Encoding: base64\n\nAAAA\n--b\nContent-Type: application/pdf; name=\"bc.pdf\"\nContent-Disposition: attachment; filename=\"../../etc/bc.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--b--\n";
    let l = letter(raw);
    let names: Vec<(&str, bool)> = l.attachments.iter().map(|a| (a.name.as_str(), a.counts())).collect();
    assert_eq!(
        names,
        vec![("smime.p7s", false), ("winmail.dat", false), ("../../etc/bc.pdf", true)]
    );
    assert_eq!(safe_file_name(&l.attachments[2].name), "etc_bc.pdf");
}

fn names(raw: &str) -> Vec<(String, bool)> {
    letter(raw)
        .attachments
        .iter()
        .map(|a| (a.name.clone(), a.counts()))
        .collect()
}

fn with_part(part: &str) -> String {
    format!(
        "From: a@b.vn\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
             Content-Type: text/plain; charset=utf-8\n\nGửi báo cáo.\n--b\n{part}\n\nJVBERi0xLjQK\n--b--\n"
    )
}

// Issue 12, item 1: RFC 2231 continuations are joined, then decoded.
#[test]
fn rfc2231_continuations_are_joined_before_they_are_decoded() {
    let cases = [
        // A UTF-8 sequence split across segments (E1 BB | 87 is "ệ").
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=utf-8''B%C3%A1o%20c%C3%A1o%20Vi%E1%BB;\n filename*1*=%87t.pdf\nContent-Transfer-Encoding: base64",
            "Báo cáo Việt.pdf",
        ),
        // Encoded and plain segments mixed.
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=utf-8''B%C3%A1o%20c%C3;\n filename*1*=%A1o%20;\n filename*2=\"so-lieu.pdf\"\nContent-Transfer-Encoding: base64",
            "Báo cáo so-lieu.pdf",
        ),
        // Segments out of order, the charset only on segment 0.
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*1*=%A1o.pdf;\n filename*0*=UTF-8''B%C3\nContent-Transfer-Encoding: base64",
            "Báo.pdf",
        ),
        // windows-1258 named on segment 0 only; a tone mark in the next segment.
        (
            "Content-Type: application/msword\nContent-Disposition: attachment;\n filename*0*=windows-1258''Ba;\n filename*1*=%ECo%20ca%ECo.doc\nContent-Transfer-Encoding: base64",
            "Báo cáo.doc",
        ),
        // `name*` in Content-Type, no disposition.
        (
            "Content-Type: application/pdf;\n name*0*=utf-8''%C4%90%E1%BB;\n name*1*=%81%20xu%E1%BA%A5t.pdf\nContent-Transfer-Encoding: base64",
            "Đề xuất.pdf",
        ),
    ];
    for (part, expected) in cases {
        assert_eq!(names(&with_part(part)), vec![(expected.to_string(), true)], "{part}");
    }
}

#[test]
fn a_continued_name_inside_a_forwarded_message_is_joined_too() {
    let inner = "From: ketoan@gmail.com\nSubject: bc\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=i\n\n\
                     --i\nContent-Type: text/plain\n\nGửi anh.\n--i\nContent-Type: application/pdf\nContent-Disposition: attachment;\n \
                     filename*0*=utf-8''T%C3%A0i%20ch%C3;\n filename*1*=%ADnh.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--i--\n";
    let encoded = "RnJvbTogYUBiLnZuClN1YmplY3Q6IHgKQ29udGVudC1UeXBlOiBhcHBsaWNhdGlvbi9wZGY7CiBuYW1lKjAqPXV0Zi04JydUJUMzJUEwaSUyMGNoJUMzOwogbmFtZSoxKj0lQURuaC5wZGYKQ29udGVudC1UcmFuc2Zlci1FbmNvZGluZzogYmFzZTY0CgpKVkJFUmkweExqUUsK";
    for forwarded in [
        format!("Content-Type: message/rfc822\nContent-Disposition: attachment\n\n{inner}"),
        format!("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{encoded}\n"),
    ] {
        let raw = format!(
            "From: a@b.vn\nSubject: FW\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n--o\n\
                 Content-Type: text/plain\n\nChuyển tiếp.\n--o\n{forwarded}--o--\n"
        );
        assert_eq!(names(&raw), vec![("Tài chính.pdf".to_string(), true)], "{forwarded}");
        assert!(attachment_named(raw.as_bytes(), "Tài chính.pdf").is_some());
    }
}

// Issue 12, item 2: a body part whose transfer encoding is broken is still body.
#[test]
fn a_text_part_without_name_or_disposition_is_body_not_an_attachment() {
    let broken = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n\
                      R+G7rWkgYsOhbyBj w6FvIQ!!!@@@==\n";
    let raw = format!(
        "From: a@b.vn\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n{broken}--b--\n"
    );
    assert_eq!(names(&raw), vec![], "a garbled body is not a report file");
    let single = format!("From: a@b.vn\nSubject: x\nMIME-Version: 1.0\n{broken}");
    assert_eq!(names(&single), vec![]);
    let html = broken.replace("text/plain", "text/html");
    let alternative = format!(
        "From: a@b.vn\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
             Content-Type: text/plain; charset=utf-8\n\nGửi\n--b\n{html}--b--\n"
    );
    assert_eq!(names(&alternative), vec![]);
    // A text file the sender attached is a report file, and so is a nameless PDF.
    let csv = "Content-Type: text/csv; charset=utf-8\nContent-Disposition: attachment; filename=\"so-lieu.csv\"\nContent-Transfer-Encoding: base64";
    assert_eq!(names(&with_part(csv)), vec![("so-lieu.csv".to_string(), true)]);
    let attached = "Content-Type: text/plain\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64";
    assert_eq!(names(&with_part(attached)).len(), 1);
    let pdf = "Content-Type: application/pdf\nContent-Transfer-Encoding: base64";
    assert_eq!(
        names(&with_part(pdf)),
        vec![("(không tên, application pdf)".to_string(), true)]
    );
}

// Issue 12, item 3: Vietnamese document numbers contain `/`.
#[test]
fn a_document_number_with_slashes_keeps_the_whole_name() {
    let part = "Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n \
                    name=\"=?UTF-8?B?QsOhbyBjw6FvIHPhu5EgMjE1L0JDLVBHRMSQVCBuZ8OgeSAyMC8xMi8yMDIzLmRvY3g=?=\"\n\
                    Content-Disposition: attachment;\n filename=\"=?UTF-8?B?QsOhbyBjw6FvIHPhu5EgMjE1L0JDLVBHRMSQVCBuZ8OgeSAyMC8xMi8yMDIzLmRvY3g=?=\"\n\
                    Content-Transfer-Encoding: base64";
    let raw = with_part(part);
    assert_eq!(
        names(&raw),
        vec![("Báo cáo số 215/BC-PGDĐT ngày 20/12/2023.docx".to_string(), true)]
    );
    // The download finds it by the same name.
    let found = attachment_named(raw.as_bytes(), "Báo cáo số 215/BC-PGDĐT ngày 20/12/2023.docx");
    assert!(found.is_some_and(|bytes| bytes.starts_with(b"%PDF")));
    // Old Outlook sends a Windows path: only its last component is the file's name.
    let outlook = "Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"C:\\Users\\vanthu\\Documents\\Báo cáo 12/2023.pdf\"\nContent-Transfer-Encoding: base64";
    assert_eq!(
        names(&with_part(outlook)),
        vec![("Báo cáo 12/2023.pdf".to_string(), true)]
    );
}

#[test]
fn safe_file_names_for_disks_and_headers() {
    let long = format!("{}.docx", "Báo cáo ".repeat(60));
    for (name, expected) in [
        (
            "Báo cáo số 215/BC-PGDĐT ngày 20/12/2023.docx",
            "Báo cáo số 215_BC-PGDĐT ngày 20_12_2023.docx",
        ),
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\Windows\\evil.pdf", "Windows_evil.pdf"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        ("a<b>c:d\"e|f?g*h.pdf", "a_b_c_d_e_f_g_h.pdf"),
        ("tab\tand\u{202E}fdp.exe", "tab and fdp.exe"),
        ("CON.txt", "_CON.txt"),
        ("lpt1", "_lpt1"),
        ("COM10.txt", "COM10.txt"),
        ("", "tep-dinh-kem"),
        ("/", "tep-dinh-kem"),
        ("..", "tep-dinh-kem"),
    ] {
        assert_eq!(safe_file_name(name), expected, "{name:?}");
    }
    let shortened = safe_file_name(&long);
    assert!(
        shortened.len() <= 200 && shortened.ends_with(" Báo.docx"),
        "{shortened}"
    );
}

#[test]
fn delivery_status_recipients_and_original() {
    let raw = "From: MAILER-DAEMON@mx.vn (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\nfailed\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.vn\n\nFinal-Recipient: rfc822; Khong.Co@Donvi.vn\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--r\nContent-Type: message/rfc822\n\nMessage-ID: <baocao.bc-1.2.ab@so.vn>\nSubject: x\n\nbody\n--r--\n";
    let l = letter(raw);
    let bounce = l.bounce.expect("a bounce");
    assert!(bounce.structured && bounce.failed());
    assert_eq!(bounce.recipients[0].address.as_deref(), Some("khong.co@donvi.vn"));
    assert_eq!(bounce.recipients[0].status.as_deref(), Some("5.1.1"));
    assert_eq!(bounce.original_ids, vec!["baocao.bc-1.2.ab@so.vn".to_string()]);
    assert!(l.attachments.is_empty(), "{:?}", l.attachments);
}

#[test]
fn topmost_authentication_results_only() {
    let raw = "Authentication-Results: mx.so.vn;\n dkim=pass; dmarc=fail (p=none) header.from=x.vn\nAuthentication-Results: evil.test; dmarc=pass\nFrom: a@x.vn\nSubject: s\n\nb\n";
    let auth = letter(raw).auth.expect("auth results");
    assert_eq!(auth.authserv_id, "mx.so.vn");
    assert_eq!(auth.dmarc.as_deref(), Some("fail"));
}
