//! Hostile-mail benchmark: the messages of `tests/it/harness/hostile.rs` built up to the
//! default size cap (25 MB each: giant References, deep nesting, 100,000 parts, huge headers,
//! bad charsets, giant HTML…). For each one it prints how long baocao takes to decide it
//! (read + classify, in process, optimised build) beside Python's standard `email` parser
//! reading the same bytes in the same run, then the peak RSS of one `baocao intake import` of
//! the whole set, with every outcome; then `baocao run`'s RSS and `/healthz` latency under
//! 160 concurrent wrong-password logins and under 1,500 half-open connections.
//!
//!   cargo bench --bench hostile [-- CAP_MB]

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baocao::domain::incoming::classify::{self, Context};
use baocao::domain::incoming::message;
use baocao::domain::incoming::{Rules, Snapshot};
use harness::service::{ALWAYS_OPEN, Service, http_from, memory_kib, try_memory_kib, wait_sampling};
use harness::web::{CLERK, login_flood};
use harness::{Backend, Env};

const PYTHON_PEER: &str = r#"
import sys, time, email
from email import policy
data = open(sys.argv[1], 'rb').read()
start = time.perf_counter()
msg = email.message_from_bytes(data, policy=policy.default)
for h in ('From', 'Subject', 'References', 'In-Reply-To'):
    msg.get(h)
for part in msg.walk():
    part.get_filename()
    if part.get_content_maintype() == 'text':
        try:
            part.get_content()
        except Exception:
            pass
print(time.perf_counter() - start)
"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let cap_mb: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(25);
    let cap = cap_mb * 1024 * 1024;
    let env = Env::new(Backend::Sqlite);
    env.seed_000_request("17h00 ngày 30/12/2030");
    let messages = harness::hostile::messages(cap);
    let snapshot = Snapshot {
        office_mailbox: "vanphong.sodienbien@moet.edu.vn".into(),
        ..Snapshot::default()
    };
    let rules = Rules::default();

    println!("hostile messages up to {cap_mb} MB each; decision = read + classify, optimised, in process");
    println!(
        "  {:<26} {:>9} {:>12} {:>14} {:>9}",
        "message", "size MB", "baocao ms", "python email ms", "ratio"
    );
    let mut worst = (Duration::ZERO, "");
    let mut files = Vec::new();
    for m in &messages {
        let started = Instant::now();
        let letter = message::read(&m.bytes);
        if let Ok(letter) = &letter {
            let context = Context {
                received_at: chrono::Utc::now(),
                duplicate_of: None,
                sent: HashMap::new(),
            };
            std::hint::black_box(classify::classify(letter, &snapshot, &rules, &context));
        }
        let took = started.elapsed();
        if took > worst.0 {
            worst = (took, m.name);
        }
        let file = env.write(&format!("{}.eml", m.name), &m.bytes);
        let python = python_seconds(&file);
        let ours = took.as_secs_f64() * 1000.0;
        println!(
            "  {:<26} {:>9.1} {:>12.1} {:>14} {:>9}",
            m.name,
            m.bytes.len() as f64 / (1024.0 * 1024.0),
            ours,
            python.map_or("> 20 s".to_string(), |p| format!("{:.1}", p * 1000.0)),
            python.map_or("—".to_string(), |p| format!(
                "1 : {:.2}",
                p * 1000.0 / ours.max(0.001)
            )),
        );
        files.push(file);
    }
    println!(
        "  worst decision: {} in {:.0} ms (budget: 10 s per step)",
        worst.1,
        worst.0.as_secs_f64() * 1000.0
    );

    let (seconds, peak_kb, out) = import_measured(&env, &files);
    let outcomes: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let mut tally: HashMap<String, usize> = HashMap::new();
    for o in &outcomes {
        *tally
            .entry(format!(
                "{}/{}",
                o["state"].as_str().unwrap(),
                o["reason"].as_str().unwrap()
            ))
            .or_default() += 1;
    }
    let mut tally: Vec<_> = tally.into_iter().collect();
    tally.sort();
    println!(
        "baocao intake import of all {} ({:.0} MB): {:.1} s, peak RSS {:.0} MB; outcomes: {}",
        files.len(),
        messages.iter().map(|m| m.bytes.len()).sum::<usize>() as f64 / (1024.0 * 1024.0),
        seconds,
        peak_kb as f64 / 1024.0,
        tally
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    daemon_under_attack();
}

/// `baocao run` with a web user: RSS and `/healthz` under a login flood and under idle
/// half-open connections (Slowloris).
fn daemon_under_attack() {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.add_clerk();
    let service = Service::start(&env, None);
    service.wait_ready();
    let port = service.web_port();
    let pid = service.pid();
    let idle = memory_kib(pid, "VmRSS");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let answers = runtime.block_on(login_flood(
        port,
        |i| std::net::Ipv4Addr::new(127, 0, 1, i),
        |_| CLERK.to_string(),
    ));
    let flood_secs = started.elapsed().as_secs_f64();
    let peak = memory_kib(pid, "VmHWM");
    let after = memory_kib(pid, "VmRSS");
    let count = |code| answers.iter().filter(|(s, _)| *s == code).count();
    println!(
        "baocao run under 160 concurrent wrong-password logins from 160 addresses ({:.1} s): RSS {:.0} MB idle, peak {:.0} MB, {:.0} MB after; answers: {} refused (401), {} busy (503), {} throttled (429)",
        flood_secs,
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        after as f64 / 1024.0,
        count(401),
        count(503),
        count(429)
    );

    let mut held = Vec::new();
    for _ in 0..1500 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = std::io::Write::write_all(&mut stream, b"GET /healthz HTT");
            held.push(stream);
        }
    }
    let mut slowest = Duration::ZERO;
    let mut answered = 0;
    for _ in 0..5 {
        let asked = Instant::now();
        let (code, _, _) = runtime.block_on(http_from(
            std::net::Ipv4Addr::LOCALHOST,
            port,
            "GET",
            "/healthz",
            &[],
            "",
        ));
        slowest = slowest.max(asked.elapsed());
        answered += usize::from(code == 200 || code == 503);
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "baocao run with {} half-open connections held: RSS {:.0} MB, {} descriptors open, /healthz answered {answered}/5, slowest {:.0} ms",
        held.len(),
        memory_kib(pid, "VmRSS") as f64 / 1024.0,
        harness::service::open_files(pid),
        slowest.as_secs_f64() * 1000.0
    );
    drop(held);
}

/// Python's parse time in seconds, or `None` past 20 seconds.
fn python_seconds(file: &std::path::Path) -> Option<f64> {
    let mut child = Command::new("python3")
        .args(["-c", PYTHON_PEER])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
            return status.success().then(|| out.trim().parse().ok()).flatten();
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `intake import --json` on the files, sampling the peak RSS.
fn import_measured(env: &Env, files: &[std::path::PathBuf]) -> (f64, u64, String) {
    let started = Instant::now();
    let mut child = env
        .command(&["intake", "import", "--received-at", "09:00 ngày 20/12/2030", "--json"])
        .args(files)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = String::new();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
        out
    });
    let mut peak = 0;
    let status = wait_sampling(&mut child, Duration::from_millis(10), |pid| {
        peak = peak.max(try_memory_kib(pid, "VmHWM").unwrap_or(0));
    });
    let out = reader.join().unwrap();
    assert!(status.success(), "intake import failed: {out}");
    (started.elapsed().as_secs_f64(), peak, out)
}
