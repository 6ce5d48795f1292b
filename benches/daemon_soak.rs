//! Soak benchmark for `baocao run`: the service idle with IDLE open on the report mailbox
//! (Dovecot on loopback) for ten minutes — CPU time used and RSS — and then with 500 units
//! × 3 requests active (1,500 planned (request, unit) pairs, ticks every 5 s) — RSS.
//!
//!   cargo bench --bench daemon-soak [-- IDLE_MINUTES [ACTIVE_MINUTES]]
//!
//! Figures come from /proc/PID/stat (utime, stime) and /proc/PID/status (VmRSS, VmHWM).

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::Backend;
use harness::mail_env::{MailEnv, mail_env};
use harness::service::Service;

const UNITS: usize = 500;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let idle_minutes: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
    let active_minutes: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    // The default clockwork (tick every 5 s) and send window; no mail goes out during the
    // run (notices off, deadlines far), so what is measured is the service itself.
    let MailEnv { env, .. } = mail_env(
        Backend::Sqlite,
        None,
        "\n[reminders]\nnotice-on-activation = false\n\n[digest]\nenabled = false\n",
    );
    let service = Service::start(&env, None);
    service.wait_ready();
    service.wait_for_status(Duration::from_secs(30), |s| s.contains("(IDLE)"));
    let pid = service.pid();
    let ready = sample(pid);
    eprintln!("idle for {idle_minutes} min…");
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(idle_minutes * 60));
    let idle = sample(pid);
    let idle_secs = started.elapsed().as_secs_f64();
    let status_idle = service.status();

    // 500 units × 3 requests, registered and activated while the service runs.
    env.import_units((0..UNITS).map(|i| {
        [
            format!("dv-{i}"),
            format!("Trường THCS số {i}"),
            "bench".into(),
            format!("thcs{i}@muongcha.edu.vn"),
        ]
    }));
    for (n, code) in ["4189/KH-BCĐ", "1062/KH-UBND", "165/LĐLĐ"].iter().enumerate() {
        env.add_request(code, "Báo cáo định kỳ", "17h00 ngày 15/3/2030", &["--group", "bench"])
            .ok();
        env.baocao(&["request", "activate", &format!("BC-{}", n + 1)]).ok();
    }
    service.wait_for_status(Duration::from_secs(120), |s| s.contains("3 requests active"));
    eprintln!("500 units × 3 requests active for {active_minutes} min…");
    let before_active = sample(pid);
    std::thread::sleep(Duration::from_secs(active_minutes * 60));
    let active = sample(pid);
    let status_active = service.status();
    let plan = env.baocao(&["reminders", "plan", "--json"]).ok().json();

    println!("daemon soak: baocao run, SQLite, Dovecot IMAPS with IDLE on 127.0.0.1, tick every 5 s");
    println!(
        "  idle {:.0} s with IDLE open: CPU {:.2} s user + {:.2} s system ({:.3} % of one core); RSS {:.1} MB at ready, {:.1} MB after",
        idle_secs,
        idle.user - ready.user,
        idle.system - ready.system,
        100.0 * (idle.user - ready.user + idle.system - ready.system) / idle_secs,
        ready.rss_kb as f64 / 1024.0,
        idle.rss_kb as f64 / 1024.0,
    );
    println!(
        "  {UNITS} units × 3 requests active ({} planned reminders), {active_minutes} min: RSS {:.1} MB (peak {:.1} MB); CPU {:.2} s",
        plan.as_array().map_or(0, Vec::len),
        active.rss_kb as f64 / 1024.0,
        active.hwm_kb as f64 / 1024.0,
        active.user - before_active.user + active.system - before_active.system,
    );
    println!("  status idle:   {status_idle}");
    println!("  status active: {status_active}");
}

struct Sample {
    user: f64,
    system: f64,
    rss_kb: u64,
    hwm_kb: u64,
}

fn sample(pid: u32) -> Sample {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks = |i: usize| fields[i].parse::<f64>().unwrap() / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Sample {
        user: ticks(11),
        system: ticks(12),
        rss_kb: kb("VmRSS:"),
        hwm_kb: kb("VmHWM:"),
    }
}
