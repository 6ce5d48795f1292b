//! Postfix's `smtp-sink` on a free loopback port: an SMTP server that accepts every message,
//! for tests and benchmarks that need a fast or a slow peer rather than real delivery.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::free_port;
use super::service::wait_until;

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dump: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    /// A sink that throws every message away.
    pub fn discarding() -> SmtpSink {
        SmtpSink::start(None)
    }

    /// A sink that answers DATA after `delay_seconds` and keeps every message's envelope
    /// (see [`SmtpSink::recipients`]).
    pub fn keeping(delay_seconds: u32) -> SmtpSink {
        SmtpSink::start(Some(delay_seconds))
    }

    fn start(keep_with_delay: Option<u32>) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        // smtp-sink runs as nobody and appends to the dump file.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let port = free_port();
        let dump = keep_with_delay.map(|_| dir.path().join("dump"));
        let mut command = Command::new("smtp-sink");
        command.args(["-u", "nobody"]);
        if let (Some(delay), Some(dump)) = (keep_with_delay, &dump) {
            command.args(["-w", &delay.to_string(), "-D"]).arg(dump);
        }
        let child = command
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start smtp-sink");
        wait_until(Duration::from_secs(10), "smtp-sink listening", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        SmtpSink {
            child,
            port,
            dump,
            _dir: dir,
        }
    }

    /// Every recipient of every message received so far, in order.
    pub fn recipients(&self) -> Vec<String> {
        let dump = self.dump.as_ref().expect("a sink that keeps its messages");
        std::fs::read_to_string(dump)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("X-Rcpt-Args: <"))
            .map(|l| l.trim_end_matches('>').to_string())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
