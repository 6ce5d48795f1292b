//! Intake drain benchmark: 10,000 messages already in the report mailbox (Dovecot on
//! loopback, IMAPS), drained once by `baocao intake watch --once` — fetch, parse, keep a
//! copy, classify, match, record — on SQLite and on PostgreSQL, beside two peers on the same
//! messages in the same run: a trivial client's raw
//! `UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE BODY.PEEK[])`, and the Python script
//! `benches/peers/imap_intake.py` (imaplib + email doing intake's job, same durability).
//! Prints messages per second for each, the ratios, and baocao's peak RSS and CPU time.
//!
//!   cargo bench --bench intake-drain [-- MESSAGES [sqlite|postgres|both]]
//!
//! The mailbox holds what a report mailbox sees: replies from 500 units to 3 open requests
//! (code or token in the subject, a PDF of ~8 KB attached; most are resubmissions, as in a
//! long-running mailbox; one in the middle carries 24 MB), out-of-office replies, mail from
//! unknown personal addresses, and delivery-status reports.

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use futures::TryStreamExt as _;
use harness::mail_lab::{MAIL_UID, MailLab};
use harness::service::{try_memory_kib, wait_sampling};
use harness::{Backend, Env, base64};

const UNITS: usize = 500;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let backends = match args.get(1).map(String::as_str) {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    };
    let lab = MailLab::shared();
    let mailbox = lab.address("vanphong");
    let start_day = chrono::Utc::now() - chrono::Duration::days(3);
    let start = start_day
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%d/%m/%Y");
    let envs: Vec<(Backend, Env)> = backends
        .into_iter()
        .map(|backend| {
            let env = Env::new(backend);
            lab.write_config(
                &env,
                &mailbox,
                lab.submission_port,
                &format!("start-from = \"{start}\"\n\n[digest]\nenabled = false\n"),
            );
            register(&env);
            (backend, env)
        })
        .collect();

    // The first login makes Dovecot create the mailbox; then the messages go straight into
    // its Maildir (as delivered mail would lie there), with their arrival time as mtime.
    let settings = baocao::adapters::config::load(&envs[0].1.config).unwrap().settings;
    let server = settings.imap.clone().unwrap().server;
    baocao::adapters::tls::install_crypto_provider();
    let mut session = baocao::adapters::imap::connect(&server, MailLab::PASSWORD)
        .await
        .unwrap();
    session.examine("INBOX").await.unwrap();
    let bytes = fill_maildir(lab, &mailbox, count);
    // Dovecot indexes the new files once, before any client is timed.
    let indexed = session.examine("INBOX").await.unwrap();
    assert_eq!(indexed.exists as usize, count, "Dovecot sees every message");
    session.logout().await.ok();

    let (raw_count, raw_bytes, raw_secs) = raw_fetch(&server).await;
    assert_eq!(raw_count, count);
    let python = python_peer(lab, &server, &mailbox, &envs[0].1);
    assert_eq!(python.0, count, "the Python script saw every message");

    let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!(
        "intake drain: {count} messages ({:.1} MB: one of 24 MB, the others {:.1} KB each) in the report mailbox, Dovecot IMAPS on 127.0.0.1",
        mb(bytes),
        (bytes - (24 << 20).min(bytes)) as f64 / (count.max(2) - 1) as f64 / 1024.0,
    );
    let raw_rate = raw_count as f64 / raw_secs;
    let python_rate = python.0 as f64 / python.1;
    println!(
        "  {:<60} {count:>6} msgs in {:>6.2} s = {:>7.0} msg/s ({:.1} MB/s)",
        "peer: trivial client, UID FETCH 1:* BODY.PEEK[] (raw)",
        raw_secs,
        raw_rate,
        mb(raw_bytes) / raw_secs
    );
    println!(
        "  {:<60} {count:>6} msgs in {:>6.2} s = {:>7.0} msg/s",
        "peer: Python imaplib + email (benches/peers/imap_intake.py)", python.1, python_rate,
    );
    for (backend, env) in &envs {
        let drain = drain(env);
        let reconcile = env.baocao(&["intake", "reconcile", "--json"]).ok().json();
        let accounted = ["counted", "review", "ignored"]
            .iter()
            .map(|k| reconcile[k].as_u64().unwrap())
            .sum::<u64>() as usize;
        assert_eq!(accounted, count, "every message accounted for: {reconcile:#}");
        let rate = count as f64 / drain.seconds;
        let store = match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        println!(
            "  {:<60} {count:>6} msgs in {:>6.2} s = {:>7.0} msg/s",
            format!("baocao intake watch --once, {store}"),
            drain.seconds,
            rate,
        );
        println!(
            "    ratio: {:.2} of the raw FETCH, {:.1}× the Python script; peak RSS {:.1} MB, CPU {:.2} s user + {:.2} s system; {} counted, {} review, {} ignored",
            rate / raw_rate,
            rate / python_rate,
            drain.peak_rss_kb as f64 / 1024.0,
            drain.user_secs,
            drain.system_secs,
            reconcile["counted"],
            reconcile["review"],
            reconcile["ignored"]
        );
    }
}

/// Runs the Python peer against the same mailbox; returns (messages, seconds) as it timed
/// them (login to logout, the interpreter's start left out).
fn python_peer(
    lab: &MailLab,
    server: &baocao::adapters::config::ServerSettings,
    mailbox: &str,
    env: &Env,
) -> (usize, f64) {
    let work = env.dir.path().join("python-peer");
    std::fs::create_dir_all(&work).unwrap();
    let addresses = work.join("addresses.txt");
    std::fs::write(
        &addresses,
        (0..UNITS).map(|i| unit_address(i) + "\n").collect::<String>(),
    )
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/imap_intake.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(&server.host)
        .arg(server.port.to_string())
        .arg(server.user.as_deref().unwrap_or(mailbox))
        .arg(MailLab::PASSWORD)
        .arg(&lab.ca_file)
        .arg(&addresses)
        .arg(&work)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the Python peer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = String::from_utf8_lossy(&output.stdout);
    let mut fields = out.split_whitespace();
    let count = fields.next().and_then(|f| f.parse().ok()).unwrap();
    let seconds = fields.next().and_then(|f| f.parse().ok()).unwrap();
    (count, seconds)
}

/// 500 units in one group and three active requests for it.
fn register(env: &Env) {
    env.import_units((0..UNITS).map(|i| {
        [
            format!("dv-{i}"),
            format!("Trường THCS số {i} huyện Mường Chà"),
            "bench".into(),
            unit_address(i),
        ]
    }));
    for (code, title) in REQUESTS {
        env.add_request(code, title, "17h00 ngày 15/3/2030", &["--group", "bench"])
            .ok();
    }
    for token in ["BC-1", "BC-2", "BC-3"] {
        env.baocao(&["request", "activate", token]).ok();
    }
}

const REQUESTS: [(&str, &str); 3] = [
    ("4189/KH-BCĐ", "Triển khai Kế hoạch vận động hiến máu tình nguyện"),
    ("1062/KH-UBND", "Phong trào thi đua quốc phòng toàn dân"),
    ("165/LĐLĐ", "Báo cáo công tác công đoàn 6 tháng đầu năm"),
];

fn unit_address(i: usize) -> String {
    format!("thcs{i}@muongcha.edu.vn")
}

/// Writes `count` messages into the mailbox's `cur/`; returns their total size.
fn fill_maildir(lab: &MailLab, mailbox: &str, count: usize) -> usize {
    let cur = lab.maildir(mailbox).join("cur");
    std::fs::create_dir_all(&cur).unwrap();
    let attachment = attachment_base64();
    // One report of about 24 MB (just under the 25 MB cap) in the middle: the drain's peak
    // memory must stay under 100 MB with it (issue 16).
    let big = (count / 2..count).find(|i| i % 20 >= 3);
    let big_attachment = vec![attachment.as_str(); 2_900].join("\r\n");
    let first = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    let mut total = 0;
    for i in 0..count {
        let message = if Some(i) == big {
            message(i, mailbox, &big_attachment)
        } else {
            message(i, mailbox, &attachment)
        };
        total += message.len();
        let path = cur.join(format!("{}.M{i}P1.bench:2,", 1_700_000_000 + i));
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(message.as_bytes()).unwrap();
        file.set_modified(first + Duration::from_secs(10 * i as u64)).unwrap();
    }
    let owner = format!("{MAIL_UID}:{MAIL_UID}");
    let status = Command::new("chown")
        .args(["-R", &owner])
        .arg(lab.maildir(mailbox))
        .status()
        .unwrap();
    assert!(status.success());
    total
}

/// ~8 KB of base64, the size of a small signed PDF.
fn attachment_base64() -> String {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 2_463_534_242;
    while bytes.len() < 6000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x & 0xff) as u8);
    }
    base64(&bytes)
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Message `i`: mostly unit reports, with the other kinds a report mailbox gets.
fn message(i: usize, office: &str, attachment: &str) -> String {
    let unit = i % UNITS;
    let request = i % 3;
    let (code, title) = REQUESTS[request];
    let date = "Date: Mon, 04 Mar 2030 09:00:00 +0700\r\n";
    match i % 20 {
        0 => format!(
            "From: Hiệu trưởng <{}>\r\nTo: {office}\r\nSubject: Trả lời tự động: [BC-{}] Nhắc báo cáo\r\n\
             Message-ID: <auto-{i}@muongcha.edu.vn>\r\n{date}Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             Tôi đang đi công tác đến hết tuần, sẽ trả lời khi trở về.\r\n",
            unit_address(unit),
            request + 1
        ),
        1 => format!(
            "From: Nguyễn Văn An <an.nguyen{i}@gmail.com>\r\nTo: {office}\r\n\
             Subject: =?UTF-8?B?{}?=\r\nMessage-ID: <CAF{i}x@mail.gmail.com>\r\n{date}MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"g{i}\"\r\n\r\n--g{i}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
             Em gửi báo cáo của trường ạ.\r\n--g{i}\r\nContent-Type: application/pdf; name=\"bao-cao.pdf\"\r\n\
             Content-Disposition: attachment; filename=\"bao-cao.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             {attachment}\r\n--g{i}--\r\n",
            b64(&format!("Báo cáo {code}"))
        ),
        2 => format!(
            "From: Mail Delivery System <MAILER-DAEMON@moet.edu.vn>\r\nTo: {office}\r\n\
             Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{i}@moet.edu.vn>\r\n{date}\
             Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"d{i}\"\r\n\r\n\
             --d{i}\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\
             --d{i}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.moet.edu.vn\r\n\r\n\
             Final-Recipient: rfc822; old{unit}@muongcha.edu.vn\r\nAction: failed\r\nStatus: 5.1.1\r\n\
             Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--d{i}\r\nContent-Type: text/rfc822-headers\r\n\r\n\
             Message-ID: <baocao.bc-1.{i}.0@moet.edu.vn>\r\nSubject: [BC-1] Nhắc báo cáo\r\n\r\n--d{i}--\r\n"
        ),
        _ => format!(
            "From: =?UTF-8?B?{}?= <{}>\r\nTo: {office}\r\nSubject: RE: [BC-{}] Nhắc báo cáo theo văn bản số {code}\r\n\
             Message-ID: <{i}.reply@muongcha.edu.vn>\r\n{date}MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"m{i}\"\r\n\r\n--m{i}\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
             K=C3=ADnh g=E1=BB=ADi: V=C4=83n ph=C3=B2ng S=E1=BB=9F\r\n\r\n\
             Tr=C6=B0=E1=BB=9Dng g=E1=BB=ADi b=C3=A1o c=C3=A1o {title}.\r\n\r\n\
             > Đến nay Sở chưa nhận được báo cáo của quý đơn vị\r\n--m{i}\r\n\
             Content-Type: application/pdf; name=\"=?UTF-8?B?{}?=\"\r\n\
             Content-Disposition: attachment; filename*=utf-8''B%C3%A1o%20c%C3%A1o%20{unit}.pdf\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--m{i}--\r\n",
            b64(&format!("Trường THCS số {unit}")),
            unit_address(unit),
            request + 1,
            b64(&format!("Báo cáo {unit}.pdf")),
        ),
    }
}

fn b64(text: &str) -> String {
    base64(text.as_bytes())
}

/// The trivial client: one session, one FETCH of everything, bodies counted and dropped.
async fn raw_fetch(server: &baocao::adapters::config::ServerSettings) -> (usize, usize, f64) {
    let mut session = baocao::adapters::imap::connect(server, MailLab::PASSWORD)
        .await
        .unwrap();
    session.examine("INBOX").await.unwrap();
    let started = Instant::now();
    let mut stream = session
        .uid_fetch("1:*", "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[])")
        .await
        .unwrap();
    let (mut count, mut bytes) = (0, 0);
    while let Some(fetch) = stream.try_next().await.unwrap() {
        count += 1;
        bytes += fetch.body().map_or(0, <[u8]>::len);
    }
    drop(stream);
    let seconds = started.elapsed().as_secs_f64();
    session.logout().await.ok();
    (count, bytes, seconds)
}

struct Drain {
    seconds: f64,
    peak_rss_kb: u64,
    user_secs: f64,
    system_secs: f64,
}

/// Runs `intake watch --once` and samples its peak RSS (VmHWM) and CPU time while it runs.
fn drain(env: &Env) -> Drain {
    let started = Instant::now();
    let mut child = env
        .command(&["intake", "watch", "--once"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (mut peak, mut ticks) = (0, (0, 0));
    let status = wait_sampling(&mut child, Duration::from_millis(20), |pid| {
        peak = peak.max(try_memory_kib(pid, "VmHWM").unwrap_or(0));
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // Fields after the command name: state is 3rd; utime 14th, stime 15th.
            if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                if let (Some(u), Some(s)) = (fields.get(11), fields.get(12)) {
                    ticks = (u.parse().unwrap_or(ticks.0), s.parse().unwrap_or(ticks.1));
                }
            }
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(status.success(), "intake watch --once failed: {out}");
    eprintln!("baocao: {}", out.trim());
    let hz = 100.0; // USER_HZ on Linux
    Drain {
        seconds,
        peak_rss_kb: peak,
        user_secs: ticks.0 as f64 / hz,
        system_secs: ticks.1 as f64 / hz,
    }
}
