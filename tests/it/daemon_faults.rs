//! `baocao run` through real faults: Dovecot killed and restarted, Postfix stopped for a
//! minute, the SQLite database's directory briefly unwritable, PostgreSQL restarted. The
//! service keeps running and says what is wrong (STATUS line and `baocao status`), and
//! afterwards every due message is sent once and every message that arrived is counted once.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::mail_env::{DISTRICT_OFFICES, lab_units, text_reply};
use crate::harness::mail_lab::MailLab;
use crate::harness::service::{ALWAYS_OPEN, Service, holds_for, wait_until};
use crate::harness::{Backend, Env, PrivatePostgres};

/// The lab configuration with temporary SMTP failures retried after 5 s (then 10, 20, …).
fn configure(env: &Env, lab: &MailLab, mailbox: &str) {
    lab.write_config(env, mailbox, lab.submission_port, ALWAYS_OPEN);
    let text = std::fs::read_to_string(&env.config).unwrap();
    let text = text.replacen(
        "timeout-seconds = 30\n",
        "timeout-seconds = 30\nfirst-retry-seconds = 5\n",
        1,
    );
    std::fs::write(&env.config, text).unwrap();
}

fn open_request(env: &Env, code: &str, token: &str) {
    env.request_for(code, &["pgd-muongcha", "pgd-tuangiao", "pgd-tuachua"]);
    env.baocao(&["request", "activate", token]).ok();
}

/// A unit's report with the request's token in the subject (no threading).
fn report(from: &str, to: &str, token: &str) -> String {
    let id = format!("{}@donvi.lab.test", rand::random::<u64>());
    text_reply(from, to, &format!("Báo cáo [{token}] của đơn vị"), &id, None, "")
}

fn reported(env: &Env, token: &str) -> usize {
    let status = env.baocao(&["status", token, "--json"]).ok().json();
    status["requests"][0]["reported"].as_u64().unwrap_or(0) as usize
}

fn status_text(env: &Env) -> String {
    env.baocao(&["status"]).ok().stdout
}

/// Makes every directory under `root` immutable (nothing can be created or removed there,
/// as with a read-only directory, even for root) until dropped.
struct Unwritable(Vec<String>);

impl Unwritable {
    fn directories_under(root: &std::path::Path) -> Unwritable {
        let output = Command::new("find").arg(root).args(["-type", "d"]).output().unwrap();
        let dirs: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let status = Command::new("chattr").arg("+i").args(&dirs).status().unwrap();
        assert!(status.success(), "chattr +i");
        Unwritable(dirs)
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.0).status();
    }
}

/// Three units, BC-1 active, the service running and its notices delivered.
fn start_office(env: &Env, lab: &MailLab) -> (String, Vec<String>, Service) {
    let mailbox = lab.address("vanphong");
    configure(env, lab, &mailbox);
    let units = lab_units(env, lab, &DISTRICT_OFFICES);
    open_request(env, "4189/KH-BCĐ", "BC-1");
    let service = Service::start(env, None);
    service.wait_ready();
    for unit in &units {
        assert!(
            lab.wait_for_inbox(unit, 1, Duration::from_secs(20)),
            "{}",
            service.log_text()
        );
    }
    (mailbox, units, service)
}

#[test]
fn the_service_rides_out_dovecot_postfix_and_an_unwritable_directory() {
    let lab = MailLab::private();
    let env = Env::new(Backend::Sqlite);
    let (mailbox, units, mut service) = start_office(&env, &lab);

    // Dovecot killed: the service keeps running and says so; a reply that arrives meanwhile
    // waits in Postfix's queue and is counted once Dovecot is back.
    lab.stop_dovecot();
    service.wait_for_status(Duration::from_secs(20), |s| s.starts_with("intake retrying: "));
    wait_until(Duration::from_secs(15), "`status` showing the mailbox problem", || {
        status_text(&env).contains("Không đọc được hộp thư nhận báo cáo, đang thử lại")
    });
    lab.submit(&units[0], &mailbox, &report(&units[0], &mailbox, "BC-1"));
    service.keeps_running(Duration::from_secs(2));
    lab.start_dovecot_again();
    lab.flush_queue();
    wait_until(
        Duration::from_secs(60),
        "the reply sent while Dovecot was down being counted",
        || reported(&env, "BC-1") == 1,
    );
    service.wait_for_status(Duration::from_secs(20), |s| s.contains("(IDLE)"));

    // Postfix stopped for a minute while a new request's notices fall due: retried, shown,
    // then each sent once.
    lab.stop_postfix();
    let stopped = Instant::now();
    open_request(&env, "1062/KH-UBND", "BC-2");
    service.wait_for_status(Duration::from_secs(30), |s| s.contains("SMTP failing: "));
    wait_until(Duration::from_secs(15), "`status` showing the SMTP problem", || {
        status_text(&env).contains("Không gửi được thư, đang thử lại")
    });
    service.keeps_running(Duration::from_secs(60).saturating_sub(stopped.elapsed()));
    lab.start_postfix_again();
    for unit in &units {
        assert!(
            lab.wait_for_inbox(unit, 2, Duration::from_secs(90)),
            "{unit} never got the BC-2 notice:\n{}",
            service.log_text()
        );
    }
    service.wait_for_status(Duration::from_secs(30), |s| !s.contains("SMTP failing"));

    // The directory of the SQLite file and of the kept messages cannot be written for a
    // while: the reply that arrives then is not lost, it is counted once it can be kept.
    let unwritable = Unwritable::directories_under(env.dir.path());
    lab.submit(&units[1], &mailbox, &report(&units[1], &mailbox, "BC-2"));
    service.wait_for_status(Duration::from_secs(30), |s| s.contains("cannot keep a copy"));
    assert_eq!(reported(&env, "BC-2"), 0);
    drop(unwritable);
    wait_until(
        Duration::from_secs(60),
        "the reply counted after the directory came back",
        || reported(&env, "BC-2") == 1,
    );

    // Everything once: each unit got exactly the two notices, the outbox says each went once,
    // and the mailbox's messages are all accounted for.
    holds_for(Duration::from_secs(2), "two notices each", || {
        units.iter().all(|unit| lab.inbox_count(unit) == 2)
    });
    let outbox = env.outbox();
    assert_eq!(outbox.len(), 6);
    assert!(outbox.iter().all(|m| m["state"] == "sent"), "{outbox:#?}");
    let reconcile: Value = env.baocao(&["intake", "reconcile", "--json"]).ok().json();
    assert_eq!(reconcile["counted"], 2, "{reconcile:#}");
    assert_eq!(reconcile["missing"], serde_json::json!([]), "{reconcile:#}");
    let (exit, took) = service.stop();
    assert!(exit.success());
    assert!(took < Duration::from_secs(10));
}

#[test]
fn the_service_rides_out_a_postgresql_restart() {
    let pg = PrivatePostgres::start();
    pg.create_database("baocao");
    let env = Env::on_database(pg.url("baocao"));
    let lab = MailLab::shared();
    let (mailbox, units, mut service) = start_office(&env, lab);

    // PostgreSQL goes away; a reply arrives meanwhile.
    pg.stop();
    service.wait_for_status(Duration::from_secs(45), |s| s.contains("database problem"));
    lab.submit(&units[0], &mailbox, &report(&units[0], &mailbox, "BC-1"));
    service.keeps_running(Duration::from_secs(3));
    pg.start_again();
    wait_until(
        Duration::from_secs(60),
        "the reply being counted after the restart",
        || reported(&env, "BC-1") == 1,
    );
    service.wait_for_status(Duration::from_secs(30), |s| !s.contains("database problem"));

    // And sending works again: a new request's notices go once each.
    open_request(&env, "1062/KH-UBND", "BC-2");
    for unit in &units {
        assert!(
            lab.wait_for_inbox(unit, 2, Duration::from_secs(30)),
            "{}",
            service.log_text()
        );
    }
    holds_for(Duration::from_secs(2), "two notices each", || {
        units.iter().all(|unit| lab.inbox_count(unit) == 2)
    });
    let reconcile: Value = env.baocao(&["intake", "reconcile", "--json"]).ok().json();
    assert_eq!(reconcile["counted"], 1, "{reconcile:#}");
    assert!(service.stop().0.success());
}
