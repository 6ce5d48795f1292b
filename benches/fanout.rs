//! Fan-out benchmark: reminders to UNITS units sent by `baocao reminders send` (find the due
//! slots, render, write the outbox, claim, send, record; SQLite), beside a peer that only
//! speaks SMTP, with the same number of sessions, in the same run:
//!
//! - plain SMTP into Postfix's `smtp-sink` (accepts and discards), peer Postfix's
//!   `smtp-source -s CONCURRENCY`;
//! - STARTTLS + AUTH into the mail lab's Postfix submission port (certificate checked
//!   against the lab's CA, login through Dovecot; delivery switched to `discard:` for the
//!   run so thousands of messages do not queue up for Dovecot). `smtp-source` has no TLS,
//!   so the peer is the raw client below: per message connect, EHLO, STARTTLS, EHLO,
//!   AUTH PLAIN, MAIL, RCPT, DATA, QUIT, nothing else. It also runs on plain SMTP, beside
//!   `smtp-source`, to show it is an honest stand-in.
//!
//! Both sides open one connection per message, as `smtp-source` does by default.
//!
//!   cargo bench --bench fan-out [-- UNITS=5000 [CONCURRENCY=4]]
//!
//! Needs root and the packages `scripts/setup-test-env.sh` installs (Postfix, Dovecot).

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use harness::mail_lab::MailLab;
use harness::smtp_sink::SmtpSink;
use harness::{Backend, Env};
use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

/// When the due reminders are sent: the 3-day reminder of a deadline on 15/3/2030.
const SEND_AT: &str = "07:30 ngày 13/3/2030";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let units: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let sessions: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    baocao::adapters::tls::install_crypto_provider();

    // Plain SMTP into smtp-sink.
    let sink = SmtpSink::discarding();
    let plain = Env::new(Backend::Sqlite);
    write_config(
        &plain,
        &format!(
            "host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nconcurrency = {sessions}\n",
            sink.port
        ),
        "vanphong@bench.test",
    );
    register(&plain, units);
    let ours_plain = send_reminders(&plain);
    let source = smtp_source(sink.port, sessions, units, ours_plain.size);
    let raw_plain = raw_client(sink.port, None, sessions, units, ours_plain.size).await;

    // STARTTLS + AUTH into the mail lab's Postfix.
    let lab = MailLab::shared();
    discard_delivery(lab);
    let tls = Env::new(Backend::Sqlite);
    let mailbox = lab.address("vanphong");
    let password = tls.write("smtp-password", format!("{}\n", MailLab::PASSWORD));
    std::fs::set_permissions(&password, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    write_config(
        &tls,
        &format!(
            "host = \"127.0.0.1\"\nport = {port}\ntls = \"starttls\"\nuser = \"{mailbox}\"\npassword-file = \"{password}\"\n\
             ca-file = \"{ca}\"\nconcurrency = {sessions}\n",
            port = lab.submission_port,
            password = password.display(),
            ca = lab.ca_file.display()
        ),
        &mailbox,
    );
    register(&tls, units);
    let ours_tls = send_reminders(&tls);
    let login = Login {
        config: baocao::adapters::tls::client_config(Some(&lab.ca_file)).unwrap(),
        user: mailbox.clone(),
        password: MailLab::PASSWORD.to_string(),
    };
    let raw_tls = raw_client(lab.submission_port, Some(&login), sessions, units, ours_tls.size).await;

    println!(
        "fan-out, {units} reminders of ~{} bytes, {sessions} sessions, one connection per message",
        ours_plain.size
    );
    println!("plain SMTP into smtp-sink on 127.0.0.1:");
    line(
        "baocao reminders send (due→outbox→SMTP→record)",
        ours_plain.sent,
        ours_plain.seconds,
    );
    line("postfix smtp-source (SMTP only)", units, source);
    line("raw client (SMTP only, as below)", units, raw_plain);
    ratio("baocao : smtp-source", ours_plain.rate(), units as f64 / source);
    println!("STARTTLS + AUTH into the mail lab's Postfix (submission, delivery discarded):");
    line(
        "baocao reminders send (due→outbox→SMTP→record)",
        ours_tls.sent,
        ours_tls.seconds,
    );
    line("raw client (STARTTLS + AUTH only)", units, raw_tls);
    ratio("baocao : raw client", ours_tls.rate(), units as f64 / raw_tls);
}

fn line(what: &str, messages: usize, seconds: f64) {
    println!(
        "  {what:<50} {messages:>6} messages in {seconds:>7.2} s = {:>6.0} msg/s",
        messages as f64 / seconds
    );
}

fn ratio(what: &str, ours: f64, peer: f64) {
    println!("  {what:<50} {:.2}", ours / peer);
}

/// What one `reminders send` did.
struct Ours {
    sent: usize,
    seconds: f64,
    /// Bytes of one message on the wire, for the peers to send the same.
    size: usize,
}

impl Ours {
    fn rate(&self) -> f64 {
        self.sent as f64 / self.seconds
    }
}

fn write_config(env: &Env, smtp: &str, mailbox: &str) {
    let config = format!(
        r#"[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
report-mailbox = "{mailbox}"

[smtp]
{smtp}
[reminders]
notice-on-activation = false

[digest]
enabled = false
"#
    );
    std::fs::write(&env.config, config).unwrap();
}

/// UNITS units in one group and one active request with a 3-day reminder, due at [`SEND_AT`].
fn register(env: &Env, units: usize) {
    env.import_units((1..=units).map(|i| {
        [
            format!("dv-{i}"),
            format!("Đơn vị số {i} huyện Mường Chà"),
            "bench".into(),
            format!("dv{i}@bench.test"),
        ]
    }));
    env.add_request(
        "4189/KH-BCĐ",
        "Báo cáo kết quả thực hiện Kế hoạch vận động hiến máu tình nguyện",
        "17h00 ngày 15/3/2030",
        &["--group", "bench", "--remind", "3d", "--overdue", ""],
    )
    .ok();
    env.baocao(&["request", "activate", "BC-1"]).ok();
}

/// Times one `reminders send` and measures one of its messages as it went on the wire.
fn send_reminders(env: &Env) -> Ours {
    let start = Instant::now();
    let run = env.baocao(&["reminders", "send", "--at", SEND_AT, "--json"]).ok();
    let seconds = start.elapsed().as_secs_f64();
    let sent = run.json()["outbox"]["sent"].as_u64().unwrap() as usize;
    let size = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Runtime::new().unwrap().block_on(async {
                    let settings = baocao::adapters::config::load(&env.config).unwrap().settings;
                    let store = baocao::adapters::store::Store::connect(&env.db.url).await.unwrap();
                    let message = store.outgoing_message(1).await.unwrap();
                    let mailer = baocao::adapters::smtp::Mailer::new(&settings).unwrap();
                    mailer.build(&message).unwrap().formatted().len()
                })
            })
            .join()
            .unwrap()
    });
    Ours { sent, seconds, size }
}

/// Seconds `smtp-source` takes for `messages` messages of `size` bytes over `sessions`.
fn smtp_source(port: u16, sessions: usize, messages: usize, size: usize) -> f64 {
    let start = Instant::now();
    let status = Command::new("smtp-source")
        .args([
            "-s",
            &sessions.to_string(),
            "-m",
            &messages.to_string(),
            "-l",
            &size.to_string(),
        ])
        .args(["-f", "vanphong@bench.test", "-t", "dv@bench.test"])
        .arg(format!("127.0.0.1:{port}"))
        .status()
        .expect("run smtp-source");
    assert!(status.success());
    start.elapsed().as_secs_f64()
}

/// Delivery into Dovecot replaced by `discard:` for this process's lab: the benchmark
/// measures how fast Postfix takes mail in, not how fast Dovecot files it.
fn discard_delivery(lab: &MailLab) {
    let conf = lab.dir.join("postfix-conf");
    let conf = conf.to_str().unwrap();
    let run = |args: &[&str]| assert!(Command::new(args[0]).args(&args[1..]).status().unwrap().success());
    run(&[
        "postconf",
        "-c",
        conf,
        "-e",
        "virtual_transport=discard:fan-out benchmark",
    ]);
    run(&["postfix", "-c", conf, "reload"]);
    std::thread::sleep(Duration::from_secs(2));
}

/// STARTTLS and AUTH PLAIN for the raw client.
struct Login {
    config: Arc<rustls::ClientConfig>,
    user: String,
    password: String,
}

/// Seconds a minimal client takes for `messages` messages of `size` bytes over `sessions`
/// sessions, one connection per message.
async fn raw_client(port: u16, login: Option<&Login>, sessions: usize, messages: usize, size: usize) -> f64 {
    let body = Arc::new(body_of(size));
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..sessions)
        .map(|_| {
            let (body, next) = (body.clone(), next.clone());
            let login = login.map(|l| (l.config.clone(), l.user.clone(), l.password.clone()));
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::SeqCst) < messages {
                    one_message(port, login.as_ref(), &body).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed().as_secs_f64()
}

async fn one_message(port: u16, login: Option<&(Arc<rustls::ClientConfig>, String, String)>, body: &[u8]) {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut plain = BufReader::new(tcp);
    answer(&mut plain, "220").await;
    say(&mut plain, "EHLO bench.test\r\n", "250").await;
    let Some((config, user, password)) = login else {
        return message(&mut plain, body).await;
    };
    say(&mut plain, "STARTTLS\r\n", "220").await;
    let name = rustls::pki_types::ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    let tls = tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, plain.into_inner())
        .await
        .unwrap();
    let mut tls = BufReader::new(tls);
    say(&mut tls, "EHLO bench.test\r\n", "250").await;
    let plain_auth = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
    say(&mut tls, &format!("AUTH PLAIN {plain_auth}\r\n"), "235").await;
    message(&mut tls, body).await;
}

async fn message<S: AsyncBufRead + AsyncWrite + Unpin>(stream: &mut S, body: &[u8]) {
    say(stream, "MAIL FROM:<vanphong@bench.test>\r\n", "250").await;
    say(stream, "RCPT TO:<dv@bench.test>\r\n", "250").await;
    say(stream, "DATA\r\n", "354").await;
    stream.write_all(body).await.unwrap();
    say(stream, ".\r\n", "250").await;
    say(stream, "QUIT\r\n", "221").await;
}

async fn say<S: AsyncBufRead + AsyncWrite + Unpin>(stream: &mut S, line: &str, expected: &str) {
    stream.write_all(line.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    answer(stream, expected).await;
}

/// Reads a (possibly multi-line) reply and checks its code.
async fn answer<S: AsyncBufRead + Unpin>(stream: &mut S, expected: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stream.read_line(&mut line).await.unwrap() > 0, "connection closed");
        assert!(line.starts_with(expected), "expected {expected}, got {line:?}");
        if line.as_bytes().get(3) != Some(&b'-') {
            return;
        }
    }
}

/// A message of about `size` bytes, in 78-character lines, ending with CRLF.
fn body_of(size: usize) -> Vec<u8> {
    let mut body = b"From: vanphong@bench.test\r\nTo: dv@bench.test\r\nSubject: fan-out\r\n\r\n".to_vec();
    while body.len() + 80 <= size {
        body.extend_from_slice(&[b'x'; 78]);
        body.extend_from_slice(b"\r\n");
    }
    body
}
