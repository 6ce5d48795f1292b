//! A clerk never needs a mail password: with the passwords as systemd credentials (only the
//! service can read them), `reminders send`, `intake reconcile` and `doctor` ask the
//! running service through the database and print its answer; without a running service
//! they say what to do; `--direct` reads the passwords in the command itself (root or the
//! service's user: `$CREDENTIALS_DIRECTORY`, else the configuration's directory).

use std::path::PathBuf;
use std::time::Duration;

use baocao::adapters::store::{JobAnswer, JobState, Store};

use crate::harness::mail_env::{MailEnv, mail_env};
use crate::harness::mail_lab::MailLab;
use crate::harness::service::{ALWAYS_OPEN, Service, wait_until};
use crate::harness::{Backend, Env};

/// An office on the lab whose two passwords are the systemd credential `mail-password`,
/// kept in a directory only the service is told about (returned).
fn office_with_credentials() -> (Env, String, PathBuf) {
    let MailEnv { env, mailbox, .. } = mail_env(Backend::Sqlite, None, ALWAYS_OPEN);
    let file = env.path("lab-password");
    let config = std::fs::read_to_string(&env.config).unwrap().replace(
        &format!("password-file = \"{}\"", file.display()),
        "password-credential = \"mail-password\"",
    );
    assert_eq!(config.matches("password-credential").count(), 2, "{config}");
    std::fs::write(&env.config, config).unwrap();
    let credentials = env.path("credentials");
    std::fs::create_dir(&credentials).unwrap();
    std::fs::rename(&file, credentials.join("mail-password")).unwrap();
    (env, mailbox, credentials)
}

fn a_message(mailbox: &str, n: usize) -> Vec<u8> {
    format!(
        "From: Someone <someone-{n}@lab.test>\r\nTo: {mailbox}\r\nSubject: hello {n}\r\n\
         Message-ID: <jobs-{n}@lab.test>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0700\r\n\r\nhello\r\n"
    )
    .into_bytes()
}

#[test]
fn commands_that_need_a_mail_password_ask_the_running_service_or_say_what_to_do() {
    let (env, mailbox, credentials) = office_with_credentials();
    env.seed_000_request("17h00 ngày 30/12/2030");

    // No service: the command cannot read the credential and says both ways out.
    for (args, command) in [
        (&["reminders", "send"][..], "baocao reminders send --direct"),
        (&["intake", "reconcile"][..], "baocao intake reconcile --direct"),
        (&["intake", "watch", "--once"][..], "baocao intake watch --direct"),
    ] {
        let run = env.baocao(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("systemd credential \"mail-password\""),
            "{args:?}: {}",
            run.stderr
        );
        run.assert_stderr_contains("systemctl start baocao");
        run.assert_stderr_contains(command);
    }
    assert_eq!(MailLab::shared().inbox_count(&mailbox), 0);

    let mut service = Service::start_with_env(&env, &[("CREDENTIALS_DIRECTORY", &credentials)]);
    service.wait_for_status(Duration::from_secs(30), |s| s.contains("(IDLE)"));
    MailLab::shared().place(&mailbox, &a_message(&mailbox, 1));
    MailLab::shared().place(&mailbox, &a_message(&mailbox, 2));

    // Reconcile through the service: it logs in with its credential and counts the mailbox.
    wait_until(Duration::from_secs(30), "reconcile sees both messages", || {
        let run = env.baocao(&["intake", "reconcile", "--json"]);
        let seen = run.code == 0 && run.json()["in_mailbox"] == 2 && run.json()["pending"] == serde_json::json!([]);
        if seen {
            run.assert_stderr_contains("dịch vụ baocao đang chạy làm việc này");
            assert_eq!(run.json()["mailbox"], "INBOX", "{}", run.stdout);
        }
        seen
    });
    let text = env.baocao(&["intake", "reconcile"]).ok();
    text.assert_stdout_contains("có 2 thư");

    // Sending through the service: what it did comes back as the command's own output.
    let run = env.baocao(&["reminders", "send", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.json()["outbox"]["sent"].is_u64(), "{}", run.stdout);
    let run = env.baocao(&["reminders", "send"]).ok();
    assert!(run.stdout.starts_with("đã gửi "), "{}", run.stdout);
    assert!(service.log_text().contains("doing the work a command asked for"));
    wait_until(Duration::from_secs(30), "the 23 notices are sent", || {
        env.baocao(&["outbox", "list", "--json"])
            .json()
            .as_array()
            .is_some_and(|all| all.iter().filter(|m| m["state"] == "sent").count() == 23)
    });

    // doctor: the service checks both logins with its credential.
    let run = env.baocao(&["doctor"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_stdout_contains("[ok]       Mật khẩu thư: chỉ dịch vụ baocao đọc được");
    run.assert_stdout_contains("[ok]       Đăng nhập IMAP: đăng nhập được");
    run.assert_stdout_contains("[ok]       Đăng nhập máy chủ gửi thư");

    // --direct reads the credential here: not found beside the configuration, so refused …
    let run = env.baocao(&["intake", "reconcile", "--direct"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_stderr_contains("không có tệp mật khẩu hộp thư nhận báo cáo");
    run.assert_stderr_contains("bỏ --direct");
    // … found in $CREDENTIALS_DIRECTORY (as under systemd-run) or beside the configuration.
    let run = env.baocao_env(
        &["intake", "reconcile", "--direct"],
        &[("CREDENTIALS_DIRECTORY", &credentials)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("dịch vụ baocao đang chạy làm việc"),
        "{}",
        run.stderr
    );
    run.assert_stdout_contains("có 2 thư");
    std::fs::copy(credentials.join("mail-password"), env.path("mail-password")).unwrap();
    let run = env.baocao(&["doctor", "--direct"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("Mật khẩu thư"), "{}", run.stdout);
    run.assert_stdout_contains("[ok]       Đăng nhập IMAP");
    std::fs::remove_file(env.path("mail-password")).unwrap();

    // While the service watches, `intake watch` points to it instead of competing.
    let run = env.baocao(&["intake", "watch", "--once"]);
    assert_eq!(run.code, 1);
    run.assert_stderr_contains("đang chạy và theo dõi hộp thư");

    // Stopped service: the clerk is told again what to do, at once.
    service.stop();
    let run = env.baocao(&["reminders", "send"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_stderr_contains("dịch vụ không chạy");
}

/// The job table's rules on both databases: one taker per job, an abandoned job is never
/// taken, a taken job cannot be abandoned, the answer comes back whole.
fn job_rules(backend: Backend) {
    let env = Env::new(backend);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::connect(&env.db.url).await.unwrap();
        let now: chrono::DateTime<chrono::Utc> = "2026-12-02T08:00:00Z".parse().unwrap();
        // Takers A and B are live services (a job whose service is gone is abandoned).
        for instance in ["A", "B"] {
            store
                .record_service_health(&baocao::adapters::store::ServiceHealth {
                    instance: instance.into(),
                    pid: 1,
                    started_at: now,
                    updated_at: now,
                    status_line: "running".into(),
                    imap_problem: None,
                    smtp_problem: None,
                    login_refused: None,
                    status_vi: None,
                })
                .await
                .unwrap();
        }
        let first = store.request_job("send_due", "vanthu", now).await.unwrap();
        let second = store.request_job("reconcile", "vanthu", now).await.unwrap();
        assert_eq!(store.job_state(first).await.unwrap(), JobState::Waiting);

        let (a, b) = tokio::join!(store.take_job("A", now), store.take_job("B", now));
        let taken: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(taken.len(), 2, "{taken:?}");
        assert_ne!(taken[0].0, taken[1].0, "two takers never share a job: {taken:?}");
        assert!(!store.abandon_job(first, now).await.unwrap(), "a taken job stays");
        assert!(matches!(
            store.job_state(second).await.unwrap(),
            JobState::Running { .. }
        ));

        let third = store.request_job("mail_check", "vanthu", now).await.unwrap();
        assert!(store.abandon_job(third, now).await.unwrap());
        assert_eq!(store.job_state(third).await.unwrap(), JobState::Abandoned);
        assert_eq!(
            store.take_job("A", now).await.unwrap(),
            None,
            "abandoned is never taken"
        );

        let answer = JobAnswer {
            exit_code: 1,
            out: "Hộp thư INBOX có 2 thư\n".into(),
            err: "có thư chưa được ghi nhận".into(),
            json: Some("{\"in_mailbox\": 2}".into()),
        };
        store.finish_job(first, &answer, now).await.unwrap();
        assert_eq!(store.job_state(first).await.unwrap(), JobState::Done(answer));

        let live = store.live_services(now - chrono::Duration::seconds(30)).await.unwrap();
        assert_eq!(live.len(), 2, "{live:?}");
        assert_eq!(
            store.jobs_running(now - chrono::Duration::seconds(30)).await.unwrap(),
            1
        );

        // A command that was killed stops touching its job: a service never takes it late.
        let later = |s: i64| now + chrono::Duration::seconds(s);
        let gone = store.request_job("send_due", "vanthu", now).await.unwrap();
        assert_eq!(store.take_job("A", later(25)).await.unwrap(), None);
        assert_eq!(store.job_state(gone).await.unwrap(), JobState::Abandoned);
        // One that waits keeps it takeable.
        let waiting = store.request_job("send_due", "vanthu", later(30)).await.unwrap();
        store.touch_job(waiting, later(45)).await.unwrap();
        let taken = store.take_job("A", later(55)).await.unwrap();
        assert_eq!(taken.map(|t| t.0), Some(waiting));
        store.close().await;
    });
}

#[test]
fn jobs_are_taken_once_and_never_after_being_abandoned_on_sqlite() {
    job_rules(Backend::Sqlite);
}

#[test]
fn jobs_are_taken_once_and_never_after_being_abandoned_on_postgres() {
    job_rules(Backend::Postgres);
}
