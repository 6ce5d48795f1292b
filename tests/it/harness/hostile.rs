//! Messages built to hurt a mail reader, each under a size cap: millions of Message-IDs in
//! References, deep nesting, a hundred thousand parts, huge and numerous headers, bad
//! charsets, NUL bytes, bare line ends, broken base64, giant HTML. Used by the hostile-mail
//! tests (every one must end in one recorded state, within the time budget, without a
//! panic) and by `cargo bench --bench hostile` (the worst decision time and peak RSS).

/// One hostile message: a short name saying what it is, and its bytes.
pub struct Hostile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// A registered unit's address in seed 000 (`config/seed-000-units.csv`), so the messages
/// get past the sender rule and reach the rules that read their content.
pub const UNIT_ADDRESS: &str = "pgddt.tuachua@dienbien.edu.vn";

/// Every shape, each filled up to about `cap` bytes where size is what hurts.
pub fn messages(cap: usize) -> Vec<Hostile> {
    let fill = cap.saturating_sub(64 * 1024).max(64 * 1024);
    vec![
        Hostile {
            name: "giant-references",
            bytes: giant_references(fill),
        },
        Hostile {
            name: "giant-in-reply-to",
            bytes: header_list("In-Reply-To", fill),
        },
        Hostile {
            name: "deep-nesting",
            bytes: deep_nesting(fill.min(8 * 1024 * 1024)),
        },
        Hostile {
            name: "many-attachments",
            bytes: many_attachments(fill),
        },
        Hostile {
            name: "many-headers",
            bytes: many_headers(fill),
        },
        Hostile {
            name: "one-huge-subject",
            bytes: huge_subject(fill),
        },
        Hostile {
            name: "many-encoded-words",
            bytes: encoded_words(fill),
        },
        Hostile {
            name: "many-from-mailboxes",
            bytes: many_from(fill),
        },
        Hostile {
            name: "rfc2231-continuations",
            bytes: continuations(fill),
        },
        Hostile {
            name: "many-received",
            bytes: many_received(fill),
        },
        Hostile {
            name: "nul-and-bare-line-ends",
            bytes: nul_and_bare(fill),
        },
        Hostile {
            name: "bad-charsets",
            bytes: bad_charsets(fill),
        },
        Hostile {
            name: "broken-base64",
            bytes: broken_base64(fill),
        },
        Hostile {
            name: "giant-html",
            bytes: giant_html(fill),
        },
        Hostile {
            name: "text-full-of-codes",
            bytes: codes_everywhere(fill),
        },
        Hostile {
            name: "dsn-many-recipients",
            bytes: dsn_many_recipients(fill),
        },
        Hostile {
            name: "deep-quotes",
            bytes: deep_quotes(fill),
        },
    ]
}

fn head(extra: &str) -> String {
    format!(
        "From: Phòng GD&ĐT Tủa Chùa <{UNIT_ADDRESS}>\r\nTo: vanphong.sodienbien@moet.edu.vn\r\n\
         Subject: Bao cao [BC-1]\r\nMessage-ID: <{}@dienbien.edu.vn>\r\nDate: Mon, 20 Dec 2030 09:00:00 +0700\r\n\
         MIME-Version: 1.0\r\n{extra}",
        unique()
    )
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "hostile-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn plain_body() -> &'static str {
    "Content-Type: text/plain; charset=utf-8\r\n\r\nKính gửi Văn phòng Sở, đơn vị gửi báo cáo.\r\n"
}

fn ids(prefix: &str, fill: usize) -> String {
    let mut out = String::with_capacity(fill + 64);
    let mut i = 0u64;
    while out.len() < fill {
        out.push_str(&format!(" <{prefix}{i}@x.vn>"));
        i += 1;
    }
    out
}

fn giant_references(fill: usize) -> Vec<u8> {
    format!("{}References:{}\r\n{}", head(""), ids("r", fill), plain_body()).into_bytes()
}

fn header_list(name: &str, fill: usize) -> Vec<u8> {
    format!("{}{name}:{}\r\n{}", head(""), ids("i", fill), plain_body()).into_bytes()
}

fn deep_nesting(fill: usize) -> Vec<u8> {
    let depth = (fill / 80).min(50_000);
    let mut out = head("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
    for level in 1..=depth {
        out.push_str(&format!(
            "--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n",
            level - 1
        ));
    }
    out.push_str(&format!("--b{depth}\r\n{}", plain_body()));
    for level in (0..=depth).rev() {
        out.push_str(&format!("--b{level}--\r\n"));
    }
    out.into_bytes()
}

fn many_attachments(fill: usize) -> Vec<u8> {
    let mut out = head("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
    out.push_str(&format!("--b\r\n{}", plain_body()));
    let mut i = 0u64;
    while out.len() < fill {
        out.push_str(&format!(
            "--b\r\nContent-Type: application/pdf; name=\"BC-1 {i}.pdf\"\r\n\
             Content-Disposition: attachment; filename=\"BC-1 {i}.pdf\"\r\n\r\nJVBERi0xLjQK\r\n"
        ));
        i += 1;
    }
    out.push_str("--b--\r\n");
    out.into_bytes()
}

fn many_headers(fill: usize) -> Vec<u8> {
    let mut out = head("");
    let mut i = 0u64;
    while out.len() < fill {
        out.push_str(&format!("X-Header-{i}: giá trị {i}\r\n"));
        i += 1;
    }
    out.push_str(plain_body());
    out.into_bytes()
}

fn huge_subject(fill: usize) -> Vec<u8> {
    let line = "Báo cáo số 215/BC-PGDĐT ".repeat(fill / 26);
    let message = head("").replace("Subject: Bao cao [BC-1]", &format!("Subject: {line}"));
    format!("{message}{}", plain_body()).into_bytes()
}

fn encoded_words(fill: usize) -> Vec<u8> {
    let word = "=?utf-8?b?QsOhbyBjw6FvIA==?= ";
    let subject = word.repeat(fill / word.len());
    let message = head("").replace("Subject: Bao cao [BC-1]", &format!("Subject: {subject}"));
    format!("{message}{}", plain_body()).into_bytes()
}

fn many_from(fill: usize) -> Vec<u8> {
    let mut list = format!("<{UNIT_ADDRESS}>");
    let mut i = 0u64;
    while list.len() < fill {
        list.push_str(&format!(", u{i} <u{i}@x.vn>"));
        i += 1;
    }
    let message = head("").replace(
        &format!("From: Phòng GD&ĐT Tủa Chùa <{UNIT_ADDRESS}>"),
        &format!("From: {list}"),
    );
    format!("{message}{}", plain_body()).into_bytes()
}

fn continuations(fill: usize) -> Vec<u8> {
    let mut params = String::new();
    let mut i = 0u64;
    while params.len() < fill / 2 {
        params.push_str(&format!(";\r\n filename*{i}*=%C3%A1%2F"));
        i += 1;
    }
    let mut out = head("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
    out.push_str(&format!("--b\r\n{}", plain_body()));
    out.push_str(&format!(
        "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment{params}\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
    ));
    out.into_bytes()
}

fn many_received(fill: usize) -> Vec<u8> {
    let mut received = String::new();
    let mut i = 0u64;
    while received.len() < fill {
        received.push_str(&format!(
            "Received: from h{i}.x.vn by mx.x.vn; Mon, 20 Dec 2030 09:00:{:02} +0700\r\n\
             Authentication-Results: mx{i}.x.vn; dmarc=fail\r\n",
            i % 60
        ));
        i += 1;
    }
    format!("{received}{}{}", head(""), plain_body()).into_bytes()
}

fn nul_and_bare(fill: usize) -> Vec<u8> {
    let mut out = head("Content-Type: text/plain; charset=utf-8\r\n\r\n").into_bytes();
    let mut i = 0u64;
    while out.len() < fill {
        out.extend_from_slice(b"b\xc3\xa1o c\xc3\xa1o\0\r\rline\nx\0\r\n\n");
        if i.is_multiple_of(1000) {
            out.extend_from_slice(b"--\n");
        }
        i += 1;
    }
    out
}

fn bad_charsets(fill: usize) -> Vec<u8> {
    let mut out = head("Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n").into_bytes();
    let charsets = ["x-unknown", "windows-1258", "utf-7", "iso-2022-jp", "", "utf-16"];
    let mut i = 0;
    while out.len() < fill {
        let charset = charsets[i % charsets.len()];
        out.extend_from_slice(
            format!(
                "--b\r\nContent-Type: text/plain; charset=\"{charset}\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(&[0xff, 0xfe, 0xe1, 0xbb, 0x9d, 0x80, 0x1b, b'$', b'B', b'\r', b'\n']);
        out.extend_from_slice(&vec![0xd8; 4096]);
        out.extend_from_slice(b"\r\n");
        i += 1;
    }
    out.extend_from_slice(b"--b--\r\n");
    out
}

fn broken_base64(fill: usize) -> Vec<u8> {
    let mut out = head("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
    out.push_str(&format!("--b\r\n{}", plain_body()));
    out.push_str("--b\r\nContent-Type: application/pdf; name=\"bc.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    let line = "JVBERi0x!!**~~==AAAA====@@@@%%%%$$$$ Z\r\n";
    out.push_str(&line.repeat(fill.saturating_sub(out.len()) / line.len()));
    out.push_str("--b--\r\n");
    out.into_bytes()
}

fn giant_html(fill: usize) -> Vec<u8> {
    let mut out = head("Content-Type: text/html; charset=utf-8\r\n\r\n");
    let depth = 100_000.min(fill / 40);
    out.push_str(&"<div><blockquote>".repeat(depth));
    out.push_str("Kính gửi");
    while out.len() < fill {
        out.push_str("<p style=\"x\">báo cáo &amp; &#x1F600; &nbsp;</p><br>");
    }
    out.into_bytes()
}

fn codes_everywhere(fill: usize) -> Vec<u8> {
    let mut out = head("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    let mut i = 0u64;
    while out.len() < fill {
        out.push_str(&format!("Báo cáo {i}/KH-BCĐ BC-{i} 4189/kh-bcd đã nhận, gia hạn\r\n"));
        i += 1;
    }
    out.into_bytes()
}

fn dsn_many_recipients(fill: usize) -> Vec<u8> {
    let mut out = String::from(
        "From: MAILER-DAEMON@x.vn\r\nTo: vanphong.sodienbien@moet.edu.vn\r\nSubject: Undelivered Mail\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; x.vn\r\n\r\n",
    );
    let mut i = 0u64;
    while out.len() < fill {
        out.push_str(&format!(
            "Final-Recipient: rfc822; u{i}@x.vn\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        ));
        i += 1;
    }
    out.push_str("--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <");
    out.push_str(&ids("o", 1024));
    out.push_str(">\r\n--b--\r\n");
    out.into_bytes()
}

fn deep_quotes(fill: usize) -> Vec<u8> {
    let mut out = head("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    let mut depth = 1;
    while out.len() < fill {
        out.push_str(&">".repeat(depth % 5000));
        out.push_str(" Vào ngày 20/12/2030, Văn phòng Sở đã viết:\r\n");
        depth += 1;
    }
    out.into_bytes()
}
