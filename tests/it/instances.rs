//! Two `baocao run` on one PostgreSQL database, as an office runs them for availability:
//! sending is shared and each recipient gets each message exactly once, even when a pass
//! lasts longer than a claim's lease (a slow mail server); one watcher holds the report
//! mailbox, and when it dies the other takes over and counts what arrives.

use std::process::Command;
use std::time::Duration;

use crate::harness::mail_env::{MailEnv, mail_env, text_reply};
use crate::harness::service::{ALWAYS_OPEN, Service, holds_for, wait_until};
use crate::harness::smtp_sink::SmtpSink;
use crate::harness::{Backend, Env, local_smtp_config};

const UNITS: usize = 24;

#[test]
fn two_instances_on_one_postgres_database_send_each_reminder_exactly_once() {
    let env = Env::new(Backend::Postgres);
    let sink = SmtpSink::keeping(1);
    // A lease shorter than a pass (24 messages at a second each over 2 + 2 connections), just
    // longer than one send may take.
    let smtp = "timeout-seconds = 5\nclaim-lease-seconds = 6\nconcurrency = 2\n";
    std::fs::write(&env.config, local_smtp_config(sink.port, "none", smtp, ALWAYS_OPEN)).unwrap();
    env.import_units((0..UNITS).map(|i| {
        [
            format!("dv-{i}"),
            format!("Trường THCS số {i}"),
            "truong".into(),
            format!("dv{i}@donvi.test"),
        ]
    }));
    env.add_request(
        "4189/KH-BCĐ",
        "Triển khai Kế hoạch vận động hiến máu tình nguyện",
        "17h00 ngày 15/3/2030",
        &["--group", "truong"],
    )
    .ok();

    let mut first = Service::start(&env, None);
    let mut second = Service::start(&env, None);
    first.wait_ready();
    second.wait_ready();
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
    let outbox = env.outbox();
    let states: Vec<&str> = outbox.iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert!(states.iter().all(|s| *s == "sent"), "{states:?}");
    first.stop();
    second.stop();
}

#[test]
fn one_watcher_holds_the_mailbox_and_the_other_takes_over_when_it_dies() {
    let MailEnv { env, lab, mailbox } = mail_env(Backend::Postgres, None, ALWAYS_OPEN);
    env.muongcha_request("pgd.muongcha@lab.test");

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
    let reply = text_reply(
        "pgd.muongcha@lab.test",
        &mailbox,
        "Báo cáo [BC-1]",
        "failover-1@lab.test",
        None,
        "",
    );
    lab.submit("pgd.muongcha@lab.test", &mailbox, &reply);
    wait_until(Duration::from_secs(30), "the reply counted by the new leader", || {
        env.unit_status("BC-1", "pgd-muongcha")["state"] == "reported"
    });
    second.stop();
}
