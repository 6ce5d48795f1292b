//! The shipped systemd unit passes `systemd-analyze verify` (with the binary path pointed
//! at the one just built), and the check would catch a broken unit.

use std::process::Command;

use crate::harness::{binary, repo_root};

fn verify(unit_text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baocao.service");
    std::fs::write(&path, unit_text.replace("/usr/bin/baocao", binary())).unwrap();
    let output = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze (scripts/setup-test-env.sh installs systemd)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success() && text.trim().is_empty(), text)
}

#[test]
fn the_shipped_unit_passes_systemd_analyze_verify() {
    let unit = std::fs::read_to_string(repo_root().join("config/baocao.service")).unwrap();
    for needed in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "StateDirectory=baocao",
        "ConfigurationDirectory=baocao",
        "LoadCredential=smtp-password:",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "User=baocao",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "LimitNOFILE=",
    ] {
        assert!(unit.contains(needed), "the unit lacks {needed}");
    }
    let (ok, text) = verify(&unit);
    assert!(ok, "systemd-analyze verify: {text}");
    let (ok, text) = verify(&unit.replace("Type=notify", "Type=notifyy"));
    assert!(!ok, "a broken unit must not pass: {text}");
}
