//! Arrival → recorded with IDLE: `baocao intake watch` follows the report mailbox (Dovecot on
//! loopback, IMAPS, IDLE) while a raw client waits in IDLE on the same mailbox and fetches
//! each new message as soon as the server says it exists. Units' replies are sent one at a time
//! through Postfix; for each, the time from the end of its SMTP submission to the raw
//! client's fetch, and to baocao's "message recorded" (its outcome, copy and checkpoint
//! committed) are taken. Prints the median and 95th percentile of both and the difference.
//!
//!   cargo bench --bench idle-latency [-- MESSAGES]

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::process::Stdio;
use std::time::{Duration, SystemTime};

use futures::TryStreamExt as _;
use harness::mail_env::{UNITS, lab_units, text_reply};
use harness::mail_lab::MailLab;
use harness::service::wait_until;
use harness::{Backend, Env};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(40);
    let lab = MailLab::shared();
    let env = Env::new(Backend::Sqlite);
    let mailbox = lab.address("vanphong");
    lab.write_config(
        &env,
        &mailbox,
        lab.submission_port,
        "[intake]\nidle-minutes = 10\n\n[digest]\nenabled = false\n",
    );
    let units = lab_units(&env, lab, &UNITS[..3]);
    env.add_request(
        "4189/KH-BCĐ",
        "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện",
        "17h00 ngày 15/3/2030",
        &["--group", "gdnn-gdtx", "--no-attachment-required"],
    )
    .ok();
    env.baocao(&["request", "activate", "BC-1"]).ok();
    // The mailbox exists before either client logs in; intake starts after that message.
    lab.submit("setup@lab.test", &mailbox, "Subject: khởi tạo\n\nhộp thư mới\n");
    assert!(lab.wait_for_inbox(&mailbox, 1, Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(1_100));

    let log = env.path("watch.log");
    let mut watcher = env
        .command(&["intake", "watch"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until(Duration::from_secs(30), "the watcher in IDLE", || {
        read_log().contains("watching the report mailbox")
    });

    let settings = baocao::adapters::config::load(&env.config).unwrap().settings;
    let server = settings.imap.clone().unwrap().server;
    baocao::adapters::tls::install_crypto_provider();
    let (fetched, seen) = std::sync::mpsc::channel::<(u32, SystemTime)>();
    tokio::spawn(raw_idle_client(server, fetched));
    // The raw client says it is in IDLE with UID 0.
    assert_eq!(seen.recv_timeout(Duration::from_secs(30)).unwrap().0, 0);
    std::thread::sleep(Duration::from_millis(500));

    let (mut raw, mut ours) = (Vec::new(), Vec::new());
    for i in 0..count {
        let from = &units[i % units.len()];
        let reply = text_reply(
            from,
            &mailbox,
            "Báo cáo 4189/KH-BCĐ",
            &format!("idle-{i}@donvi.lab.test"),
            None,
            "",
        );
        lab.submit(from, &mailbox, &reply);
        let sent = SystemTime::now();
        let (uid, raw_at) = seen.recv_timeout(Duration::from_secs(30)).unwrap();
        let needle = format!("uid={uid} ");
        let recorded = || {
            read_log()
                .lines()
                .filter(|line| line.contains("message recorded") && line.contains(&needle))
                .find_map(|line| chrono::DateTime::parse_from_rfc3339(line.split_whitespace().next()?).ok())
        };
        wait_until(Duration::from_secs(30), "baocao recorded the message", || {
            recorded().is_some()
        });
        let recorded_at: SystemTime = recorded().unwrap().with_timezone(&chrono::Utc).into();
        raw.push(millis(raw_at, sent));
        ours.push(millis(recorded_at, sent));
        // Both back in IDLE before the next one.
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = watcher.kill();
    let _ = watcher.wait();

    let (raw_median, raw_p95) = (percentile(&raw, 50), percentile(&raw, 95));
    let (our_median, our_p95) = (percentile(&ours, 50), percentile(&ours, 95));
    println!(
        "arrival → recorded with IDLE: {count} replies submitted one at a time to Postfix (LMTP into Dovecot), SQLite store"
    );
    println!(
        "  {:<58} median {raw_median:>6.1} ms, p95 {raw_p95:>6.1} ms",
        "peer: raw IDLE client, new message fetched"
    );
    println!(
        "  {:<58} median {our_median:>6.1} ms, p95 {our_p95:>6.1} ms",
        "baocao intake watch, outcome + copy + checkpoint committed"
    );
    println!(
        "    difference: median {:+.1} ms, p95 {:+.1} ms (goal: median ≤ raw + 100 ms)",
        our_median - raw_median,
        our_p95 - raw_p95
    );
}

/// Milliseconds from `from` to `to` (negative if `to` came first).
fn millis(to: SystemTime, from: SystemTime) -> f64 {
    match to.duration_since(from) {
        Ok(d) => d.as_secs_f64() * 1000.0,
        Err(e) => -e.duration().as_secs_f64() * 1000.0,
    }
}

fn percentile(values: &[f64], p: usize) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((sorted.len() * p).div_ceil(100)).max(1) - 1;
    sorted[rank.min(sorted.len() - 1)]
}

/// Waits in IDLE; on each wake-up fetches what is new (the whole message) and reports each
/// UID with the moment it arrived here. First reports UID 0 once it is in IDLE.
async fn raw_idle_client(
    server: baocao::adapters::config::ServerSettings,
    fetched: std::sync::mpsc::Sender<(u32, SystemTime)>,
) {
    let mut session = baocao::adapters::imap::connect(&server, MailLab::PASSWORD)
        .await
        .unwrap();
    let mailbox = session.examine("INBOX").await.unwrap();
    let mut last = mailbox.uid_next.unwrap_or(1) - 1;
    let mut announced = false;
    loop {
        let mut idle = session.idle();
        idle.init().await.unwrap();
        if !announced {
            fetched.send((0, SystemTime::now())).unwrap();
            announced = true;
        }
        let (wait, _stop) = idle.wait_with_timeout(Duration::from_secs(600));
        wait.await.unwrap();
        session = idle.done().await.unwrap();
        let fetches: Vec<async_imap::types::Fetch> = session
            .uid_fetch(format!("{}:*", last + 1), "(UID BODY.PEEK[])")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let now = SystemTime::now();
        for fetch in fetches {
            if let Some(uid) = fetch.uid
                && uid > last
            {
                last = uid;
                if fetched.send((uid, now)).is_err() {
                    return;
                }
            }
        }
    }
}
