//! What the integration tests stand on: a fresh database per test (a SQLite file or a new
//! PostgreSQL database), a way to run the built `baocao` binary, the service as systemd runs
//! it (`service`) or inside the test process (`in_process`), and the mail lab (Dovecot and
//! Postfix on loopback, started once per test process).

pub mod browser;
pub mod db;
pub mod hostile;
pub mod in_process;
pub mod mail_env;
pub mod mail_lab;
pub mod proxy;
pub mod service;
pub mod smtp_sink;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use db::{Backend, PrivatePostgres, TestDb};

/// A test's own working directory, database and configuration file.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: TestDb,
    pub config: PathBuf,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with everything the command printed unless it exited 0.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "command failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that standard output contains `text`, showing it otherwise.
    #[track_caller]
    pub fn assert_stdout_contains(&self, text: &str) {
        assert!(self.stdout.contains(text), "{}", self.stdout);
    }

    /// Asserts that standard error contains `text`, showing it otherwise.
    #[track_caller]
    pub fn assert_stderr_contains(&self, text: &str) {
        assert!(self.stderr.contains(text), "{}", self.stderr);
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// The title of seed 000's request 4189/KH-BCĐ.
pub const SEED_000_TITLE: &str = "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện năm 2023";

/// What `request add` takes for seed 000's request after its code, title and deadline: the
/// date it was issued and all three groups of units.
pub const SEED_000_REQUEST: [&str; 8] = [
    "--issued",
    "27/12/2022",
    "--group",
    "phong-gddt",
    "--group",
    "truc-thuoc",
    "--group",
    "gdnn-gdtx",
];

/// A configuration whose mail goes to a local server at `127.0.0.1:port` with `tls` and no
/// login: `[office]`, `[smtp]` with the lines `smtp` added, then `extra`.
pub fn local_smtp_config(port: u16, tls: &str, smtp: &str, extra: &str) -> String {
    format!(
        r#"[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
report-mailbox = "vanphong@lab.test"

[smtp]
host = "127.0.0.1"
port = {port}
tls = "{tls}"
{smtp}
{extra}"#
    )
}

pub const MINIMAL_CONFIG: &str = r#"
[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
time-zone = "Asia/Ho_Chi_Minh"
report-mailbox = "vanphong.sodienbien@moet.edu.vn"
"#;

impl Env {
    /// A fresh database on `backend`, migrated, with a minimal configuration.
    pub fn new(backend: Backend) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDb::create(backend, dir.path());
        let config = dir.path().join("baocao.toml");
        std::fs::write(&config, MINIMAL_CONFIG).expect("write config");
        let env = Env { dir, db, config };
        env.baocao(&["migrate"]).ok();
        env
    }

    /// A fresh directory and configuration on a database the test made itself, migrated.
    pub fn on_database(url: String) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("baocao.toml");
        std::fs::write(&config, MINIMAL_CONFIG).expect("write config");
        let env = Env {
            dir,
            db: TestDb::external(url),
            config,
        };
        env.baocao(&["migrate"]).ok();
        env
    }

    /// Imports seed 000's 23 units (`config/seed-000-units.csv`).
    pub fn seed_000_units(&self) -> Run {
        let units = repo_root().join("config/seed-000-units.csv");
        self.baocao(&["unit", "import", units.to_str().unwrap()]).ok()
    }

    /// From now on the binary and the services of this environment use the database at `url`,
    /// which this harness neither migrates nor drops.
    pub fn use_database(&mut self, url: String) {
        self.db = TestDb::external(url);
    }

    /// Seed 000's 23 units and its request 4189/KH-BCĐ (BC-1) for all three groups, due at
    /// `deadline`, activated.
    pub fn seed_000_request(&self, deadline: &str) {
        self.seed_000_units();
        self.add_request("4189/KH-BCĐ", SEED_000_TITLE, deadline, &SEED_000_REQUEST)
            .ok();
        self.baocao(&["request", "activate", "BC-1"]).ok();
    }

    /// Appends `extra` (TOML tables) to the configuration file.
    pub fn append_config(&self, extra: &str) {
        let config = std::fs::read_to_string(&self.config).expect("read config");
        std::fs::write(&self.config, format!("{config}\n{extra}")).expect("write config");
    }

    /// `unit import` of a CSV file with these rows: code, name, group, address.
    pub fn import_units<S: AsRef<str>>(&self, rows: impl IntoIterator<Item = [S; 4]>) {
        let mut csv = String::from("ma,ten,nhom,email\n");
        for row in rows {
            csv.push_str(&row.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(","));
            csv.push('\n');
        }
        let file = self.write("units.csv", csv);
        self.baocao(&["unit", "import", file.to_str().unwrap()]).ok();
    }

    /// `unit add CODE --name NAME --email EMAIL`.
    pub fn add_unit(&self, code: &str, name: &str, email: &str) -> Run {
        self.baocao(&["unit", "add", code, "--name", name, "--email", email])
    }

    /// `request add CODE --title TITLE --deadline DEADLINE`, then `more` (its units or groups
    /// and options).
    pub fn add_request(&self, code: &str, title: &str, deadline: &str, more: &[&str]) -> Run {
        let mut args = vec!["request", "add", code, "--title", title, "--deadline", deadline];
        args.extend_from_slice(more);
        self.baocao(&args)
    }

    /// Request CODE (due 17h00 15/3/2030, no attachment required) for these units, as a draft.
    pub fn request_for(&self, code: &str, units: &[&str]) {
        let mut more: Vec<&str> = units.iter().flat_map(|unit| ["--unit", unit]).collect();
        more.push("--no-attachment-required");
        let title = "Triển khai Kế hoạch vận động hiến máu tình nguyện";
        self.add_request(code, title, "17h00 ngày 15/3/2030", &more).ok();
    }

    /// One unit, Mường Chà (`pgd-muongcha`) at `email`, and request BC-1 ([`Env::request_for`])
    /// for it alone, activated.
    pub fn muongcha_request(&self, email: &str) {
        self.add_unit("pgd-muongcha", "Phòng GD&ĐT huyện Mường Chà", email).ok();
        self.request_for("4189/KH-BCĐ", &["pgd-muongcha"]);
        self.baocao(&["request", "activate", "BC-1"]).ok();
    }

    /// `intake import` of one message written to `name`, received at `at`: its outcome.
    pub fn import_at(&self, name: &str, content: impl AsRef<[u8]>, at: &str) -> serde_json::Value {
        let file = self.write(name, content);
        let args = [
            "intake",
            "import",
            file.to_str().unwrap(),
            "--received-at",
            at,
            "--json",
        ];
        self.baocao(&args).ok().json()[0].clone()
    }

    /// One unit's line of `status TOKEN --json`.
    pub fn unit_status(&self, token: &str, unit: &str) -> serde_json::Value {
        let status = self.baocao(&["status", token, "--json"]).ok().json();
        status["requests"][0]["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == unit)
            .cloned()
            .unwrap_or_else(|| panic!("{unit} not in status: {status}"))
    }

    /// `reminders plan --request TOKEN --at AT --json`: every planned message.
    pub fn reminder_plan(&self, token: &str, at: &str) -> serde_json::Value {
        let args = ["reminders", "plan", "--request", token, "--at", at, "--json"];
        self.baocao(&args).ok().json()
    }

    /// `export BC-1 --format xlsx --only all -o FILE`: every unit's line, written to `name`.
    pub fn export_all_xlsx(&self, name: &str) -> (Run, PathBuf) {
        let file = self.path(name);
        let args = [
            "export",
            "BC-1",
            "--format",
            "xlsx",
            "--only",
            "all",
            "-o",
            file.to_str().unwrap(),
        ];
        (self.baocao(&args).ok(), file)
    }

    /// `outbox list --json`: every outgoing message.
    pub fn outbox(&self) -> Vec<serde_json::Value> {
        let list = self.baocao(&["outbox", "list", "--json"]).ok().json();
        list.as_array().unwrap().clone()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write test file");
        path
    }

    /// Writes a workbook `name` whose first sheet holds `rows` as text, from cell A1.
    pub fn write_xlsx<const N: usize>(&self, name: &str, rows: &[[&str; N]]) -> PathBuf {
        let path = self.path(name);
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).expect("write a cell");
            }
        }
        workbook.save(&path).expect("save the workbook");
        path
    }

    /// Adds a web page user with `baocao user add NAME --password-stdin`.
    pub fn add_web_user(&self, name: &str, password: &str) {
        use std::io::Write;
        let mut child = Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .args(["user", "add", name, "--password-stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run baocao user add");
        writeln!(child.stdin.take().expect("stdin"), "{password}").expect("write the password");
        let output = child.wait_with_output().expect("wait for baocao user add");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    /// Runs `baocao --config … --database … ARGS`.
    pub fn baocao(&self, args: &[&str]) -> Run {
        self.baocao_env(args, &[])
    }

    /// [`Env::baocao`] with these environment variables set.
    pub fn baocao_env(&self, args: &[&str], vars: &[(&str, &Path)]) -> Run {
        let output = self
            .command(args)
            .envs(vars.iter().copied())
            .output()
            .expect("run baocao");
        Run::from(output)
    }

    /// `baocao --config … --database … ARGS` to spawn, in the environment's directory, with
    /// no database or credentials from the test's own environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--database")
            .arg(&self.db.url)
            .args(args)
            .env_remove("BAOCAO_DATABASE_URL")
            .env_remove("CREDENTIALS_DIRECTORY")
            .current_dir(self.dir.path());
        command
    }
}

/// Runs the binary with exactly these arguments (no config or database added).
pub fn baocao_raw(args: &[&str], dir: &Path) -> Run {
    let output = Command::new(binary())
        .args(args)
        .env_remove("BAOCAO_DATABASE_URL")
        .current_dir(dir)
        .output()
        .expect("run baocao");
    Run::from(output)
}

/// The binary under test: the one Cargo built for this test or bench, or, for the demo (an
/// example, where Cargo names no binary), `$BAOCAO_BIN`.
pub fn binary() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| match option_env!("CARGO_BIN_EXE_baocao") {
        Some(path) => path.to_string(),
        None => std::env::var("BAOCAO_BIN").expect("BAOCAO_BIN names the baocao binary"),
    })
}

/// `bytes` in standard base64 with padding, on one line.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A loopback port nothing listens on (free when asked).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// The repository's root, where `config/` lives.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Defines `sqlite` and `postgres` tests that run the same scenario on each backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::harness::Backend::Sqlite)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::harness::Backend::Postgres)
                }
            }
        )*
    };
}
