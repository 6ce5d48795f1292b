//! Planning benchmark: 20,000 units × 5 requests (100,000 (request, unit) pairs, 600,000
//! reminder slots), on SQLite and on PostgreSQL. Times the activation of the five requests
//! (`baocao request activate`, which plans every slot), `baocao reminders plan` of all of it
//! (table and `--json`, with the process's peak RSS), and the plan of one request for 500
//! units. There is no outside program that plans reminders, so each figure is printed beside
//! the goal of issue 16 instead of a peer's.
//!
//!   cargo bench --bench planning [-- UNITS [REQUESTS [sqlite|postgres]]]
//!
//! Each request reminds 7, 3 and 1 days before its deadline and sends overdue notices 1 and
//! 3 days after it, besides the notice on activation: six slots per pair.

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::io::Read as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use baocao::adapters::store::{Pools, Store};
use harness::service::{try_memory_kib, wait_sampling};
use harness::{Backend, Env};

/// The units of the one-request plan (goal 3).
const SMALL_REQUEST_UNITS: usize = 500;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let units: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let requests: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let backends = match args.get(2).map(String::as_str) {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    };
    for backend in backends {
        run(backend, units, requests).await;
    }
}

async fn run(backend: Backend, units: usize, requests: usize) {
    let env = Env::new(backend);
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!(
        "planning: {} units × {requests} requests ({} pairs), {name}",
        thousands(units),
        thousands(units * requests)
    );

    let started = Instant::now();
    env.import_units((0..units).map(|i| {
        [
            format!("dv-{i:05}"),
            format!("Trường THCS số {i}"),
            "thcs".to_string(),
            format!("dv{i}@lab.test"),
        ]
    }));
    println!(
        "  {:<58} {:>9}",
        format!("unit import ({} units)", thousands(units)),
        seconds(started.elapsed())
    );

    for r in 1..=requests {
        add_request(&env, r, &["--group", "thcs"]);
    }
    let started = Instant::now();
    for r in 1..=requests {
        env.baocao(&["request", "activate", &format!("BC-{r}")]).ok();
    }
    let activation = started.elapsed();
    let store = Store::connect(&env.db.url).await.unwrap();
    let slots = count(&store, "SELECT COUNT(*) FROM reminder_slots").await;
    println!(
        "  {:<58} {:>9}   goal < 5 s for 600,000 slots",
        format!("request activate × {requests} ({} slots)", thousands(slots)),
        seconds(activation)
    );

    for json in [false, true] {
        let mut args = vec!["reminders", "plan"];
        if json {
            args.push("--json");
        }
        let measured = measure(&env, &args);
        println!(
            "  {:<58} {:>9}   peak RSS {:>5.0} MB   goal < 100 MB",
            format!(
                "{} ({} lines, {:.0} MB)",
                args.join(" "),
                thousands(measured.lines),
                measured.bytes as f64 / 1e6
            ),
            seconds(measured.elapsed),
            measured.peak_rss_kib as f64 / 1024.0
        );
    }

    // One more request, for 500 of the units, as an office plans it day to day.
    let small = requests + 1;
    let named: Vec<String> = (0..SMALL_REQUEST_UNITS.min(units))
        .map(|i| format!("dv-{i:05}"))
        .collect();
    let mut more: Vec<&str> = named.iter().flat_map(|unit| ["--unit", unit.as_str()]).collect();
    more.push("--no-attachment-required");
    add_request(&env, small, &more);
    env.baocao(&["request", "activate", &format!("BC-{small}")]).ok();
    let token = format!("BC-{small}");
    let mut runs: Vec<Measured> = (0..5)
        .map(|_| measure(&env, &["reminders", "plan", "--request", &token]))
        .collect();
    runs.sort_by_key(|m| m.elapsed);
    let median = &runs[runs.len() / 2];
    println!(
        "  {:<58} {:>9}   goal < 100 ms (median of 5, whole process)",
        format!(
            "reminders plan --request ({} units, {} lines)",
            named.len(),
            thousands(median.lines)
        ),
        milliseconds(median.elapsed)
    );
    let startup = (0..5)
        .map(|_| measure(&env, &["request", "list"]).elapsed)
        .min()
        .unwrap_or_default();
    println!(
        "  {:<58} {:>9}   (start-up and database check, for comparison)",
        "request list (best of 5)",
        milliseconds(startup)
    );
    store.close().await;
}

/// Request `BC-r`, due 17h00 15/3/2030, reminding 7, 3 and 1 days before and 1 and 3 days
/// after, for `recipients`; a draft.
fn add_request(env: &Env, r: usize, recipients: &[&str]) {
    let mut more = vec!["--remind", "7d,3d,1d", "--overdue", "1d,3d"];
    more.extend_from_slice(recipients);
    env.add_request(
        &format!("{r}/KH-BCĐ"),
        "Báo cáo kết quả thực hiện kế hoạch",
        "17h00 ngày 15/3/2030",
        &more,
    )
    .ok();
}

struct Measured {
    elapsed: Duration,
    peak_rss_kib: u64,
    lines: usize,
    bytes: usize,
}

/// Runs the binary with `args`, reading its output as it comes (counted, then dropped) and
/// sampling its peak RSS (VmHWM) every 10 ms.
fn measure(env: &Env, args: &[&str]) -> Measured {
    let started = Instant::now();
    let mut child = env
        .command(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut lines, mut bytes) = (0, 0);
        let mut buffer = vec![0_u8; 1 << 16];
        loop {
            let read = stdout.read(&mut buffer).unwrap();
            if read == 0 {
                break (lines, bytes);
            }
            bytes += read;
            lines += buffer[..read].iter().filter(|b| **b == b'\n').count();
        }
    });
    let mut peak = 0;
    let status = wait_sampling(&mut child, Duration::from_millis(10), |pid| {
        peak = u64::max(peak, try_memory_kib(pid, "VmHWM").unwrap_or(0));
    });
    let elapsed = started.elapsed();
    let (lines, bytes) = reader.join().unwrap();
    assert!(status.success(), "baocao {args:?} failed");
    Measured {
        elapsed,
        peak_rss_kib: peak,
        lines,
        bytes,
    }
}

async fn count(store: &Store, statement: &'static str) -> usize {
    let (n,): (i64,) = match store.pools() {
        Pools::Sqlite(pools) => sqlx::query_as(statement).fetch_one(pools.reader()).await.unwrap(),
        Pools::Postgres(pool) => sqlx::query_as(statement).fetch_one(pool).await.unwrap(),
    };
    n as usize
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.2} s", elapsed.as_secs_f64())
}

fn milliseconds(elapsed: Duration) -> String {
    format!("{:.0} ms", elapsed.as_secs_f64() * 1000.0)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
