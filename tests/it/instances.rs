//! Two `baocao run` on one PostgreSQL database, as an office runs them for availability:
//! sending is shared and each recipient gets each message exactly once, even when a pass
//! lasts longer than a claim's lease (a slow mail server); one watcher holds the report
//! mailbox, and when it dies the other takes over and counts what arrives.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::mail_lab::MailLab;
use crate::harness::service::{ALWAYS_OPEN, Service, holds_for, wait_until};
use crate::harness::{Backend, Env};

/// Postfix's `smtp-sink`, answering DATA after `delay` seconds and keeping every message.
struct Sink {
    child: Child,
    port: u16,
    dump: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sink {
    fn start(delay: u32) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        // smtp-sink runs as nobody and appends to the dump file.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dump = dir.path().join("dump");
        let child = Command::new("smtp-sink")
            .args(["-u", "nobody", "-w", &delay.to_string(), "-D"])
            .arg(&dump)
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start smtp-sink");
        wait_until(Duration::from_secs(10), "smtp-sink listening", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Sink {
            child,
            port,
            dump,
            _dir: dir,
        }
    }

    /// Every recipient of every message received so far, in order.
    fn recipients(&self) -> Vec<String> {
        std::fs::read_to_string(&self.dump)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("X-Rcpt-Args: <"))
            .map(|l| l.trim_end_matches('>').to_string())
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const UNITS: usize = 24;

#[test]
fn two_instances_on_one_postgres_database_send_each_reminder_exactly_once() {
    let env = Env::new(Backend::Postgres);
    let sink = Sink::start(1);
    // A lease shorter than a pass (24 messages at a second each over 2 + 2 connections), just
    // longer than one send may take.
    std::fs::write(
        &env.config,
        format!(
            r#"
[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
report-mailbox = "vanphong@so.test"

[smtp]
host = "127.0.0.1"
port = {port}
tls = "none"
timeout-seconds = 5
claim-lease-seconds = 6
concurrency = 2
{ALWAYS_OPEN}"#,
            port = sink.port
        ),
    )
    .unwrap();
    let mut csv = String::from("ma,ten,nhom,email\n");
    for i in 0..UNITS {
        csv.push_str(&format!("dv-{i},Trường THCS số {i},truong,dv{i}@donvi.test\n"));
    }
    let file = env.write("units.csv", csv);
    env.baocao(&["unit", "import", file.to_str().unwrap()]).ok();
    env.baocao(&[
        "request",
        "add",
        "4189/KH-BCĐ",
        "--title",
        "Triển khai Kế hoạch vận động hiến máu tình nguyện",
        "--deadline",
        "17h00 ngày 15/3/2030",
        "--group",
        "truong",
    ])
    .ok();

    let mut first = Service::start(&env, None);
    let mut second = Service::start(&env, None);
    first.wait_for_note(Duration::from_secs(20), |n| n == "READY=1");
    second.wait_for_note(Duration::from_secs(20), |n| n == "READY=1");
    // Both services see the activation at their next tick and race for the notices.
    env.baocao(&["request", "activate", "BC-1"]).ok();
    wait_until(Duration::from_secs(90), "every notice delivered", || {
        let mut seen = sink.recipients();
        seen.sort();
        seen.dedup();
        seen.len() == UNITS
    });
    // Anything sent twice would arrive within a lease and a send of the last one.
    holds_for(Duration::from_secs(8), "one notice per unit", || {
        sink.recipients().len() == UNITS
    });
    let recipients = sink.recipients();
    let mut doubles: Vec<&String> = recipients
        .iter()
        .filter(|r| recipients.iter().filter(|x| x == r).count() > 1)
        .collect();
    doubles.sort();
    doubles.dedup();
    assert!(
        doubles.is_empty(),
        "sent twice: {doubles:?}\n--- first ---\n{}\n--- second ---\n{}",
        first.log_text(),
        second.log_text()
    );
    assert_eq!(recipients.len(), UNITS);
    // The work was shared, and the outbox agrees with the server.
    let sent_by = |s: &Service| s.log_text().matches("message sent").count();
    assert_eq!(sent_by(&first) + sent_by(&second), UNITS);
    let outbox = env.baocao(&["outbox", "list", "--json"]).ok().json();
    let states: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert!(states.iter().all(|s| *s == "sent"), "{states:?}");
    first.stop();
    second.stop();
}

#[test]
fn one_watcher_holds_the_mailbox_and_the_other_takes_over_when_it_dies() {
    let lab = MailLab::shared();
    let env = Env::new(Backend::Postgres);
    let mailbox = lab.address("vanphong");
    lab.write_config(&env, &mailbox, lab.submission_port, ALWAYS_OPEN);
    env.baocao(&[
        "unit",
        "add",
        "pgd-muongcha",
        "--name",
        "Phòng GD&ĐT huyện Mường Chà",
        "--email",
        "pgd.muongcha@lab.test",
    ])
    .ok();
    env.baocao(&[
        "request",
        "add",
        "4189/KH-BCĐ",
        "--title",
        "Triển khai Kế hoạch vận động hiến máu tình nguyện",
        "--deadline",
        "17h00 ngày 15/3/2030",
        "--unit",
        "pgd-muongcha",
        "--no-attachment-required",
    ])
    .ok();
    env.baocao(&["request", "activate", "BC-1"]).ok();

    let mut first = Service::start(&env, None);
    first.wait_for_status(Duration::from_secs(20), |s| s.contains("(IDLE)"));
    let mut second = Service::start(&env, None);
    second.wait_for_status(Duration::from_secs(20), |s| s.contains("standby"));
    // The leader stays the leader while it lives.
    holds_for(
        Duration::from_secs(3),
        "the first watching, the second standing by",
        || first.status().contains("(IDLE)") && second.status().contains("standby"),
    );

    // The leader dies without a word; the standby takes the mailbox over.
    let _ = Command::new("kill").args(["-9", &first.pid().to_string()]).status();
    first.wait_exit(Duration::from_secs(10));
    second.wait_for_status(Duration::from_secs(30), |s| s.contains("(IDLE)"));
    let reply = format!(
        "From: pgd.muongcha@lab.test\r\nTo: {mailbox}\r\nSubject: Báo cáo [BC-1]\r\nMessage-ID: <failover-1@lab.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Kính gửi Sở, Phòng GD&ĐT Mường Chà báo cáo: đã tổ chức 3 đợt hiến máu với 120 người tham gia.\r\n"
    );
    lab.submit("pgd.muongcha@lab.test", &mailbox, &reply);
    wait_until(Duration::from_secs(30), "the reply counted by the new leader", || {
        let status = env.baocao(&["status", "BC-1", "--json"]).ok().json();
        status["requests"][0]["units"][0]["state"] == "reported"
    });
    second.stop();
}
