//! Web page speed (issue 18): every page a clerk or a leader opens, with 2,000 units and 50
//! active requests each sent to all of them (100,000 (request, unit) pairs, their reminders
//! planned), on SQLite or PostgreSQL. Each page is asked several times over loopback after one
//! warm-up, by a logged-in clerk; the figure is the median and the slowest answer, printed
//! beside the goal of issue 18 (< 100 ms), since no outside program serves these pages.
//!
//!   cargo bench --bench web-pages [-- UNITS REQUESTS [sqlite|postgres]]

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::in_process::InProcess;
use harness::service::{ALWAYS_OPEN, http};
use harness::web::session_cookie;
use harness::{Backend, Env};

const GOAL: Duration = Duration::from_millis(100);
const ASKED: usize = 7;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let units: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let requests: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let backend = match args.get(2).map(String::as_str) {
        Some("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let env = Env::new(backend);
    // No notice goes at activation: the service must not spend the run rendering 100,000 letters.
    env.append_config(&format!("{ALWAYS_OPEN}\n[reminders]\nnotice-on-activation = false\n"));
    let started = Instant::now();
    env.import_units((0..units).map(|i| {
        [
            format!("dv-{i:04}"),
            format!("Trường THCS số {i}"),
            format!("nhom-{}", i % 4),
            format!("dv{i}@lab.test"),
        ]
    }));
    for r in 1..=requests {
        env.baocao(&[
            "request",
            "add",
            &format!("{r}/KH-SGDĐT"),
            "--title",
            &format!("Báo cáo số {r}"),
            "--deadline",
            "17h00 ngày 15/3/2030",
            "--group",
            "nhom-0",
            "--group",
            "nhom-1",
            "--group",
            "nhom-2",
            "--group",
            "nhom-3",
            "--no-attachment-required",
        ])
        .ok();
        env.baocao(&["request", "activate", &format!("BC-{r}")]).ok();
    }
    env.add_clerk();
    println!(
        "web-pages: {units} units × {requests} requests ({} pairs), {:?}; data made in {:.0} s",
        units * requests,
        backend,
        started.elapsed().as_secs_f64()
    );
    let service = InProcess::start(&env);
    let port = service.web_port();
    let session = session_cookie(port);
    let pages = [
        "/",
        "/requests/BC-1",
        "/requests/BC-1/letters",
        "/review",
        "/units",
        "/audit",
        "/series",
        "/requests/new",
        "/requests/BC-1/export.csv?only=all",
        "/requests/BC-1/export.xlsx?only=all",
    ];
    println!("{:<38} {:>10} {:>10} {:>8}", "page", "median ms", "max ms", "goal");
    let mut over = 0;
    for path in pages {
        let (status, _, _) = http(port, "GET", path, &[("Cookie", &session)], "");
        assert_eq!(status, 200, "{path}");
        let mut times: Vec<Duration> = (0..ASKED)
            .map(|_| {
                let begun = Instant::now();
                let (status, _, _) = http(port, "GET", path, &[("Cookie", &session)], "");
                assert_eq!(status, 200, "{path}");
                begun.elapsed()
            })
            .collect();
        times.sort();
        let (median, max) = (times[ASKED / 2], times[ASKED - 1]);
        let met = median < GOAL;
        over += usize::from(!met);
        println!(
            "{path:<38} {:>10.1} {:>10.1} {:>8}",
            median.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0,
            if met { "< 100 ✓" } else { "> 100 ✗" }
        );
    }
    println!(
        "{} of {} pages under 100 ms (median of {ASKED}, loopback, one clerk)",
        pages.len() - over,
        pages.len()
    );
}
