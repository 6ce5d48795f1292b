//! What the integration tests stand on: a fresh database per test (a SQLite file or a new
//! PostgreSQL database), a way to run the built `baocao` binary, the service as systemd runs
//! it (`service`) or inside the test process (`in_process`), and the mail lab (Dovecot and
//! Postfix on loopback, started once per test process).

pub mod db;
pub mod hostile;
pub mod in_process;
pub mod mail_env;
pub mod mail_lab;
pub mod proxy;
pub mod service;

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

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
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

    /// Seed 000's 23 units and its request 4189/KH-BCĐ (BC-1) for all three groups, due at
    /// `deadline`, activated.
    pub fn seed_000_request(&self, deadline: &str) {
        let units = repo_root().join("config/seed-000-units.csv");
        self.baocao(&["unit", "import", units.to_str().unwrap()]).ok();
        self.baocao(&[
            "request",
            "add",
            "4189/KH-BCĐ",
            "--title",
            "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện năm 2023",
            "--issued",
            "27/12/2022",
            "--deadline",
            deadline,
            "--group",
            "phong-gddt",
            "--group",
            "truc-thuoc",
            "--group",
            "gdnn-gdtx",
        ])
        .ok();
        self.baocao(&["request", "activate", "BC-1"]).ok();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write test file");
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
        let output = Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .arg("--database")
            .arg(&self.db.url)
            .args(args)
            .env_remove("BAOCAO_DATABASE_URL")
            .env_remove("CREDENTIALS_DIRECTORY")
            .envs(vars.iter().copied())
            .current_dir(self.dir.path())
            .output()
            .expect("run baocao");
        Run::from(output)
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
