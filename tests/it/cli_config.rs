//! `baocao check-config`: the shipped example passes; broken files exit 78 naming the
//! file, line and key of each problem; secrets are never accepted inline; edited message
//! templates are checked with it.

use crate::harness::{baocao_raw, repo_root};

fn check(text: &str) -> (crate::harness::Run, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baocao.toml");
    std::fs::write(&path, text).unwrap();
    let run = baocao_raw(&["check-config", "--config", path.to_str().unwrap()], dir.path());
    (run, path, dir)
}

#[test]
fn the_shipped_example_passes() {
    let example = repo_root().join("config/baocao.example.toml");
    let run = baocao_raw(&["check-config", "--config", example.to_str().unwrap()], &repo_root());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "ok");
}

#[test]
fn a_password_file_that_does_not_exist_yet_is_only_a_warning() {
    let (run, path, _dir) = check(&format!(
        "{}\n[smtp]\nhost = \"mail.x.vn\"\nuser = \"vp@x.vn\"\npassword-file = \"/nonexistent/smtp-password\"\n",
        crate::harness::MINIMAL_CONFIG
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "ok");
    assert!(
        run.stderr
            .contains(&format!("cảnh báo: {}:10: smtp.password-file", path.display())),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_key_exits_78_naming_file_line_and_key() {
    let (run, path, _dir) = check(&format!(
        "{}\n[smtp]\nhost = \"mail.x.vn\"\nprot = 465\n",
        crate::harness::MINIMAL_CONFIG
    ));
    assert_eq!(run.code, 78);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(&format!("{}:9: smtp.prot:", path.display())),
        "{}",
        run.stderr
    );
}

#[test]
fn an_inline_password_is_refused_and_not_echoed() {
    let (run, path, _dir) = check(&format!(
        "{}\n[imap]\nhost = \"mail.x.vn\"\nuser = \"vp@x.vn\"\npassword = \"hunter2\"\n",
        crate::harness::MINIMAL_CONFIG
    ));
    assert_eq!(run.code, 78);
    assert!(
        run.stderr.contains(&format!("{}:10: imap.password:", path.display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("password-file"));
    assert!(
        !run.stderr.contains("hunter2"),
        "the secret was printed: {}",
        run.stderr
    );
}

#[test]
fn several_wrong_values_are_all_listed() {
    let (run, path, _dir) = check(
        "[office]\nname = \"X\"\ntime-zone = \"Asia/Saigon_Typo\"\nreport-mailbox = \"vanphong at x.vn\"\n\n[reminders]\nremind-before = \"7d,3x\"\n",
    );
    assert_eq!(run.code, 78);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let file = path.display().to_string();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    assert!(lines[0].starts_with(&format!("{file}:3: office.time-zone:")));
    assert!(lines[1].starts_with(&format!("{file}:4: office.report-mailbox:")));
    assert!(lines[2].starts_with(&format!("{file}:7: reminders.remind-before:")));
}

#[test]
fn broken_toml_and_missing_files_exit_78() {
    let (run, path, _dir) = check("[office\nname = \"X\"\n");
    assert_eq!(run.code, 78);
    assert!(
        run.stderr.starts_with(&format!("{}:1:", path.display())),
        "{}",
        run.stderr
    );

    let (run, _path, _dir) = check("[office]\nname = \"X\"\n");
    assert_eq!(run.code, 78);
    run.assert_stderr_contains("office.report-mailbox");

    let dir = tempfile::tempdir().unwrap();
    let run = baocao_raw(&["check-config", "--config", "/nonexistent/baocao.toml"], dir.path());
    assert_eq!(run.code, 78);
    run.assert_stderr_contains("/nonexistent/baocao.toml");
}

#[test]
fn every_command_refuses_a_broken_config_with_78() {
    let (_, path, dir) = check("[office]\nname = \"X\"\nbogus = 1\n");
    let run = baocao_raw(&["--config", path.to_str().unwrap(), "unit", "list"], dir.path());
    assert_eq!(run.code, 78);
    assert!(run.stderr.contains("bogus"));
}

#[test]
fn edited_templates_are_checked_with_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    let config = dir.path().join("baocao.toml");
    std::fs::write(
        &config,
        format!("{}\n[templates]\ndir = \"templates\"\n", crate::harness::MINIMAL_CONFIG),
    )
    .unwrap();
    let run_check = || baocao_raw(&["check-config", "--config", config.to_str().unwrap()], dir.path());

    // A good edit passes; a file that belongs to no template is only a warning.
    std::fs::write(
        templates.join("reminder.subject.txt"),
        "Nhắc [{{ request.token }}] {{ unit.name }}",
    )
    .unwrap();
    std::fs::write(templates.join("nhac.txt"), "?").unwrap();
    let run = run_check();
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_contains("nhac.txt");

    // A subject without the token, or an unknown variable, is refused with the file.
    std::fs::write(templates.join("reminder.subject.txt"), "Nhắc {{ request.code }}").unwrap();
    std::fs::write(templates.join("overdue.body.txt"), "[{{ request.token }}] {{ don_vi }}").unwrap();
    let run = run_check();
    assert_eq!(run.code, 78, "{}", run.stderr);
    assert!(
        run.stderr.contains("reminder.subject.txt") && run.stderr.contains("request.token"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("overdue.body.txt") && run.stderr.contains("`don_vi`"),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_keys_wrong_types_and_wrong_values_all_come_out_in_one_run() {
    let (run, path, _dir) = check(
        "[office]\n\
         name = \"X\"\n\
         report-mailbox = \"vanphong at x.vn\"\n\
         colour = \"blue\"\n\
         \n\
         [smtp]\n\
         host = \"mail.x.vn\"\n\
         port = \"465\"\n\
         tls = \"ssl\"\n\
         \n\
         [reminders]\n\
         remind-before = \"7d,3x\"\n\
         \n\
         [web]\n\
         public-read = \"yes\"\n\
         [[web.users]]\n\
         name = \"vanthu\"\n\
         password-hash = 42\n",
    );
    assert_eq!(run.code, 78, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let file = path.display().to_string();
    let lines: Vec<&str> = run.stderr.lines().collect();
    let expected = [
        (3, "office.report-mailbox"),
        (4, "office.colour"),
        (8, "smtp.port"),
        (9, "smtp.tls"),
        (12, "reminders.remind-before"),
        (15, "web.public-read"),
        (18, "web.users.password-hash"),
    ];
    assert_eq!(lines.len(), expected.len(), "{}", run.stderr);
    for (line, (number, key)) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("{file}:{number}: {key}: ")),
            "expected {number}: {key} in {}",
            run.stderr
        );
    }
}

#[test]
fn a_wrong_type_in_a_required_key_is_one_problem_beside_the_others() {
    let (run, path, _dir) = check("[office]\nname = 5\ntime-zone = \"Mars/Olympus\"\n");
    assert_eq!(run.code, 78, "{}", run.stderr);
    let file = path.display().to_string();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    assert!(
        lines[0].starts_with(&format!("{file}:1: office.report-mailbox: ")),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].starts_with(&format!("{file}:2: office.name: ")),
        "{}",
        run.stderr
    );
    assert!(
        lines[2].starts_with(&format!("{file}:3: office.time-zone: ")),
        "{}",
        run.stderr
    );
}

#[test]
fn only_migrate_creates_the_database() {
    // Run as root before `migrate`, a command that created the SQLite file would leave it owned
    // by root, and the service could not write it.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("baocao.toml");
    std::fs::write(&config, crate::harness::MINIMAL_CONFIG).unwrap();
    let database = dir.path().join("baocao.db");
    let url = format!("sqlite://{}", database.display());
    let run = |args: &[&str]| {
        let mut all = vec!["--config", config.to_str().unwrap(), "--database", &url];
        all.extend_from_slice(args);
        baocao_raw(&all, dir.path())
    };
    for command in [&["unit", "list"][..], &["status"][..], &["doctor"][..]] {
        let result = run(command);
        assert_ne!(result.code, 0, "{command:?}");
        assert!(
            format!("{}{}", result.stdout, result.stderr).contains("chưa có cơ sở dữ liệu"),
            "{command:?}: {}{}",
            result.stdout,
            result.stderr
        );
        assert!(!database.exists(), "{command:?} created the database");
    }
    run(&["migrate"]).ok();
    assert!(database.exists());
    run(&["unit", "list"]).ok();
}

/// A database file the user may not write is a permission problem, said as one (and how to
/// run the command instead), not "không kết nối được".
#[test]
fn a_database_the_user_may_not_write_is_named_a_permission_problem() {
    use std::os::unix::fs::PermissionsExt;
    let env = crate::harness::Env::new(crate::harness::Backend::Sqlite);
    let db = env.db.url.trim_start_matches("sqlite://").to_string();
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let args = [
        "--config",
        env.config.to_str().unwrap(),
        "--database",
        env.db.url.as_str(),
        "status",
    ];
    let output = if root {
        // Root may write anything: ask as another user, who may read the directory only.
        std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&env.config, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::process::Command::new("runuser")
            .args(["-u", "nobody", "--", crate::harness::binary()])
            .args(args)
            .output()
            .unwrap()
    } else {
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o000)).unwrap();
        std::process::Command::new(crate::harness::binary())
            .args(args)
            .output()
            .unwrap()
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(69), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "lỗi: người dùng đang chạy lệnh không có quyền đọc và ghi tệp cơ sở dữ liệu {db}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("runuser -u baocao -- baocao"), "{stderr}");
    assert!(!stderr.contains("không kết nối được"), "{stderr}");
}
