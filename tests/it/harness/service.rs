//! `baocao run` as systemd runs it: the real binary as a child process, with a
//! `NOTIFY_SOCKET` this harness listens on (every datagram kept with the moment it came)
//! and `WATCHDOG_USEC` set, its log in a file, and signals sent with `kill`.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Env, binary};

/// A configuration block for services under test: mail at any hour, a tick every second,
/// no digest.
pub const ALWAYS_OPEN: &str = r#"
[send-window]
hours = ["00:00-23:59"]
working-days-only = false

[digest]
enabled = false

[daemon]
tick-seconds = 1

[web]
listen = "127.0.0.1:0"
"#;

/// Polls `test` until it holds.
#[track_caller]
pub fn wait_until(within: Duration, what: &str, test: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !test() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asserts that `test` holds throughout `period` (checked every 100 ms): for "nothing more
/// happens" checks, such as no second copy of a message arriving.
#[track_caller]
pub fn holds_for(period: Duration, what: &str, test: impl Fn() -> bool) {
    let until = Instant::now() + period;
    loop {
        assert!(test(), "{what}: stopped holding");
        if Instant::now() >= until {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub struct Service {
    child: Child,
    pub log: PathBuf,
    notes: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Service {
    /// Starts `baocao run` on the environment's configuration and database (or `database`).
    pub fn start(env: &Env, database: Option<&str>) -> Service {
        Service::spawn(env, database, None, "info,sqlx=warn", &[])
    }

    /// [`Service::start`] with these environment variables set for the service only (as
    /// systemd's `LoadCredential=` sets `CREDENTIALS_DIRECTORY`).
    pub fn start_with_env(env: &Env, vars: &[(&str, &std::path::Path)]) -> Service {
        Service::spawn(env, None, None, "info,sqlx=warn", vars)
    }

    /// [`start`](Self::start) with `RUST_LOG` set to `log_level`.
    pub fn start_logging(env: &Env, database: Option<&str>, log_level: &str) -> Service {
        Service::spawn(env, database, None, log_level, &[])
    }

    /// Like [`Service::start`], with the soft and hard open-file limits set to `limit`
    /// (through `prlimit`, which then runs the binary in its own process).
    pub fn start_with_open_files(env: &Env, limit: u32) -> Service {
        Service::spawn(env, None, Some(limit), "info,sqlx=warn", &[])
    }

    fn spawn(
        env: &Env,
        database: Option<&str>,
        open_files: Option<u32>,
        log_level: &str,
        vars: &[(&str, &std::path::Path)],
    ) -> Service {
        let n = {
            use std::sync::atomic::{AtomicU32, Ordering};
            static NEXT: AtomicU32 = AtomicU32::new(1);
            NEXT.fetch_add(1, Ordering::SeqCst)
        };
        let socket_path = env.path(&format!("notify-{n}.sock"));
        let _ = std::fs::remove_file(&socket_path);
        let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
        let notes: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
        let sink = notes.clone();
        std::thread::spawn(move || {
            let mut buffer = vec![0u8; 4096];
            while let Ok(n) = socket.recv(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                for line in text.lines() {
                    sink.lock().unwrap().push((Instant::now(), line.to_string()));
                }
            }
        });
        let log = env.path(&format!("service-{n}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let mut command = match open_files {
            None => Command::new(binary()),
            Some(limit) => {
                let mut prlimit = Command::new("prlimit");
                prlimit.arg(format!("--nofile={limit}:{limit}")).arg("--").arg(binary());
                prlimit
            }
        };
        let child = command
            .arg("--config")
            .arg(&env.config)
            .arg("--database")
            .arg(database.unwrap_or(&env.db.url))
            .arg("run")
            .env("NOTIFY_SOCKET", &socket_path)
            .env("WATCHDOG_USEC", "1000000")
            .env("RUST_LOG", log_level)
            .env_remove("BAOCAO_DATABASE_URL")
            .env_remove("JOURNAL_STREAM")
            .envs(vars.iter().copied())
            .current_dir(env.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start baocao run");
        Service { child, log, notes }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the service says `READY=1`; when it said it.
    #[track_caller]
    pub fn wait_ready(&self) -> Instant {
        self.wait_for_note(Duration::from_secs(30), |n| n == "READY=1").0
    }

    /// Every notification so far, in order.
    pub fn notes(&self) -> Vec<(Instant, String)> {
        self.notes.lock().unwrap().clone()
    }

    /// Waits until a notification satisfies `test`; returns it.
    #[track_caller]
    pub fn wait_for_note(&self, within: Duration, test: impl Fn(&str) -> bool) -> (Instant, String) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = self.notes().into_iter().find(|(_, n)| test(n)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no such notification within {within:?}; got {:#?}\nlog:\n{}",
                self.notes(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The latest `STATUS=` line.
    pub fn status(&self) -> String {
        self.notes()
            .into_iter()
            .rev()
            .find_map(|(_, n)| n.strip_prefix("STATUS=").map(str::to_string))
            .unwrap_or_default()
    }

    /// Waits until the latest status line satisfies `test`.
    #[track_caller]
    pub fn wait_for_status(&self, within: Duration, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let status = self.status();
            if test(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "status never matched within {within:?}; last: {status:?}\nlog:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The port the web page listens on: the service says its bound address with `READY=1`.
    pub fn web_port(&self) -> u16 {
        let field = format!("{}=", baocao::wiring::daemon::WEB_ADDRESS_FIELD);
        let (_, note) = self.wait_for_note(Duration::from_secs(20), |n| n.starts_with(&field));
        let address: std::net::SocketAddr = note[field.len()..].parse().expect("a socket address");
        address.port()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `text`.
    #[track_caller]
    pub fn wait_for_log(&self, within: Duration, text: &str) {
        let deadline = Instant::now() + within;
        while !self.log_text().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the log never said {text:?}:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Asserts that the service stays up throughout `period` (an outage it must ride out).
    #[track_caller]
    pub fn keeps_running(&mut self, period: Duration) {
        let until = Instant::now() + period;
        loop {
            assert!(self.is_running(), "the service exited:\n{}", self.log_text());
            if Instant::now() >= until {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for a notification after `since` that satisfies `test`.
    #[track_caller]
    pub fn wait_for_note_after(&self, since: Instant, within: Duration, test: impl Fn(&str) -> bool) {
        wait_until(within, "a notification", || {
            self.notes().iter().any(|(at, n)| *at > since && test(n))
        });
    }

    /// Sends SIGTERM and waits for the exit; returns the status and how long it took.
    pub fn stop(&mut self) -> (ExitStatus, Duration) {
        let asked = Instant::now();
        self.signal("TERM");
        let status = self.wait_exit(Duration::from_secs(30));
        (status, asked.elapsed())
    }

    #[track_caller]
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("baocao run did not exit within {within:?}\nlog:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on loopback, answered in full: (status, headers, body).
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the web page");
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let request = request_text(port, method, path, headers, body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    answer(&raw)
}

/// A request with a body of bytes and its own Content-Type among `headers` (a form with
/// files), answered in full: (status, headers, body).
pub fn http_bytes(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the web page");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    answer(&raw)
}

/// The same request as [`http`], from the local address `from` (any 127.0.0.x works on
/// Linux), so tests can play several client machines.
pub async fn http_from(
    from: std::net::Ipv4Addr,
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((from, 0).into()).unwrap();
    let mut stream = socket
        .connect((std::net::Ipv4Addr::LOCALHOST, port).into())
        .await
        .expect("connect to the web page");
    let request = request_text(port, method, path, headers, body);
    let mut raw = Vec::new();
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        stream.read_to_end(&mut raw).await
    };
    match tokio::time::timeout(Duration::from_secs(60), exchange).await {
        Ok(Ok(_)) => {}
        // A connection closed without an answer reads as status 0.
        Ok(Err(_)) => return (0, String::new(), String::new()),
        Err(_) => panic!("{method} {path}: no answer within 60 s"),
    }
    answer(&raw)
}

/// A field of `/proc/PID/status` in kibibytes (`VmRSS`, `VmHWM`).
pub fn memory_kib(pid: u32, field: &str) -> u64 {
    try_memory_kib(pid, field).unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// [`memory_kib`], or `None` once the process is gone.
pub fn try_memory_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Waits for `child` to exit, handing its pid to `sample` every `every` while it runs (for
/// measurements of a run: peak memory, CPU time); its exit status.
#[allow(dead_code, reason = "the benchmarks measure runs; the tests wait on signals")]
pub fn wait_sampling(child: &mut Child, every: Duration, mut sample: impl FnMut(u32)) -> ExitStatus {
    let pid = child.id();
    loop {
        sample(pid);
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(every);
    }
}

/// How many files and sockets process `pid` has open.
pub fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

/// An HTTP/1.1 request that closes the connection after its answer; a form body when given.
fn request_text(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    request
}

/// (status, head, body) of a raw answer; status 0 when there is none.
fn answer(raw: &[u8]) -> (u16, String, String) {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}
