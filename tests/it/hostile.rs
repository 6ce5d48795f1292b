//! Hostile mail: messages built to be slow or to break a reader (`harness::hostile`) each end
//! in one recorded state without a panic; a message over the time budget goes to review as
//! `too_complex` and the mailbox goes on; and under `baocao run`, a message with a giant
//! References header neither stops intake nor the web page nor SIGTERM.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::hostile::{self, UNIT_ADDRESS};
use crate::harness::mail_env::{MailEnv, mail_env};
use crate::harness::service::{ALWAYS_OPEN, Service, http, wait_until};
use crate::harness::{Backend, Env};

/// A unit's ordinary reply to BC-1, to show the mailbox goes on after a hostile message.
fn ordinary_reply(id: &str) -> String {
    format!(
        "From: {UNIT_ADDRESS}\r\nTo: vanphong.sodienbien@moet.edu.vn\r\nSubject: Báo cáo [BC-1]\r\n\
         Message-ID: <{id}@dienbien.edu.vn>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Kính gửi Văn phòng Sở, Phòng GD&ĐT Tủa Chùa gửi báo cáo kết quả thực hiện kế hoạch.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"bao-cao.pdf\"\r\nContent-Disposition: attachment; filename=\"bao-cao.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOf\r\n--b--\r\n"
    )
}

fn import(env: &Env, files: &[std::path::PathBuf]) -> Vec<Value> {
    let mut args = vec!["intake", "import", "--received-at", "09:00 ngày 20/12/2030", "--json"];
    let names: Vec<String> = files.iter().map(|f| f.to_str().unwrap().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let run = env.baocao(&args);
    assert_eq!(run.code, 0, "import failed:\n{}\n{}", run.stdout, run.stderr);
    run.json().as_array().unwrap().clone()
}

fn office() -> Env {
    let env = Env::new(Backend::Sqlite);
    env.seed_000_request("17h00 ngày 30/12/2030");
    env
}

#[test]
fn every_hostile_message_ends_in_one_recorded_state_within_the_budget() {
    let env = office();
    let messages = hostile::messages(4 * 1024 * 1024);
    let files: Vec<_> = messages
        .iter()
        .map(|m| env.write(&format!("{}.eml", m.name), &m.bytes))
        .collect();
    let mut all = files.clone();
    all.push(env.write("ordinary.eml", ordinary_reply("after-hostile")));
    let reports = import(&env, &all);
    assert_eq!(reports.len(), all.len());
    for (report, file) in reports.iter().zip(&all) {
        let state = report["state"].as_str().unwrap();
        assert!(
            ["counted", "review", "ignored"].contains(&state),
            "{file:?}: {report:#}"
        );
        assert_eq!(report["recorded"], "new", "{file:?}: {report:#}");
        // Bounded work: even a debug build decides each one well inside the default budget.
        assert_ne!(report["reason"], "too_complex", "{file:?} took longer than the budget");
    }
    // The ordinary reply after them is counted.
    let last = reports.last().unwrap();
    assert_eq!(last["state"], "counted", "{last:#}");
    // A giant References list is kept bounded: the root and the newest ids only.
    let giant = &reports[0];
    let references = giant["references"].as_array().unwrap();
    assert!(references.len() <= 64, "{} references kept", references.len());
    assert_eq!(references[0], "r0@x.vn");
    // Nothing half-written is left beside the copies.
    let leftovers = walk(&env.dir.path().join("messages"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_message_over_the_time_budget_goes_to_review_and_the_next_one_is_counted() {
    let env = office();
    let config = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &env.config,
        format!("{config}\n[intake]\nmessage-time-budget-seconds = 0.01\n"),
    )
    .unwrap();
    let heavy = hostile::messages(8 * 1024 * 1024)
        .into_iter()
        .find(|m| m.name == "giant-html")
        .unwrap();
    let file = env.write("heavy.eml", &heavy.bytes);
    let reports = import(&env, &[file]);
    assert_eq!(reports[0]["state"], "review", "{:#}", reports[0]);
    assert_eq!(reports[0]["reason"], "too_complex", "{:#}", reports[0]);
    assert_eq!(reports[0]["rule"], "time_budget");
    let review = env.baocao(&["review", "list", "--json"]).ok().json();
    assert!(
        review.to_string().contains("too_complex"),
        "the clerk sees why: {review:#}"
    );

    // With the default budget again, the next message is read and counted as usual.
    std::fs::write(&env.config, &config).unwrap();
    let file = env.write("ordinary.eml", ordinary_reply("after-budget"));
    let reports = import(&env, &[file]);
    assert_eq!(reports[0]["state"], "counted", "{:#}", reports[0]);
}

#[test]
fn a_giant_references_header_stops_neither_intake_nor_the_web_page_nor_sigterm() {
    let MailEnv { env, lab, mailbox } = mail_env(Backend::Sqlite, None, ALWAYS_OPEN);
    env.seed_000_request("17h00 ngày 30/12/2030");
    let mut service = Service::start(&env, None);
    service.wait_for_status(Duration::from_secs(20), |s| s.contains("(IDLE)"));
    let port = service.web_port();

    // 200,000 Message-IDs (~3.4 MB of header): minutes of work for a quadratic reader.
    let giant = hostile::messages(4 * 1024 * 1024)
        .into_iter()
        .find(|m| m.name == "giant-references")
        .unwrap();
    lab.place(&mailbox, &giant.bytes);
    lab.place(&mailbox, ordinary_reply("after-giant").as_bytes());

    wait_until(
        Duration::from_secs(30),
        "the reply after the giant message counted",
        || {
            let asked = Instant::now();
            let (code, _, _) = http(port, "GET", "/healthz", &[], "");
            assert!(code == 200 || code == 503, "/healthz answered {code}");
            let took = asked.elapsed();
            assert!(
                took < Duration::from_secs(3),
                "/healthz took {took:?} while intake worked"
            );
            env.unit_status("BC-1", "pgd-tuachua")["state"] == "reported"
        },
    );
    let (status, took) = service.stop();
    assert!(status.success(), "{status:?}\n{}", service.log_text());
    assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
    let reconcile = env.baocao(&["intake", "reconcile", "--json"]).ok().json();
    assert_eq!(reconcile["missing"].as_array().map(Vec::len), Some(0), "{reconcile:#}");
}

#[test]
fn copies_a_crash_left_half_written_are_removed_when_intake_starts() {
    let MailEnv { env, .. } = mail_env(Backend::Sqlite, None, "");
    let shard = env.dir.path().join("messages/ab");
    std::fs::create_dir_all(&shard).unwrap();
    // What `kill -9` during a write leaves (its process is gone), and a copy a live process
    // sharing the directory is writing right now (this test's own pid), which must stay.
    let dead = shard.join(".ab12.4194305.tmp");
    let live = shard.join(format!(".ab34.{}.tmp", std::process::id()));
    let kept = shard.join("ab56.eml");
    for file in [&dead, &live, &kept] {
        std::fs::write(file, "partial").unwrap();
    }
    env.baocao(&["intake", "watch", "--once"]).ok();
    assert!(!dead.exists(), "the crash's leftover is removed");
    assert!(live.exists(), "a live writer's file is left alone");
    assert!(kept.exists(), "finished copies are never touched");
}
