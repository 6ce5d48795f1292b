//! A fresh database per test: a SQLite file in the test's directory, or a new PostgreSQL
//! database with a random name on 127.0.0.1:5432 (user postgres, trust auth), dropped when
//! the test ends.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub url: String,
    postgres_name: Option<String>,
}

/// Where the tests find PostgreSQL; `BAOCAO_TEST_PG` overrides it.
pub fn postgres_admin_url() -> String {
    std::env::var("BAOCAO_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub fn create(backend: Backend, dir: &Path) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.join("baocao.db").display()),
                postgres_name: None,
            },
            Backend::Postgres => {
                let name = format!(
                    "baocao_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    rand::random::<u32>()
                );
                psql(&format!("CREATE DATABASE {name}"));
                TestDb {
                    url: format!("{}/{name}", postgres_admin_url()),
                    postgres_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres_name {
            let _ = Command::new("psql")
                .args(["-X", "-q", "-d", &format!("{}/postgres", postgres_admin_url())])
                .args(["-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
                .output();
        }
    }
}

fn psql(sql: &str) {
    let output = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &format!("{}/postgres", postgres_admin_url()),
        ])
        .args(["-c", sql])
        .output()
        .expect("run psql (is postgresql-client installed?)");
    assert!(
        output.status.success(),
        "psql failed for {sql}: {} (run scripts/setup-test-env.sh)",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl TestDb {
    /// A database this harness did not create (and will not drop).
    pub fn external(url: String) -> TestDb {
        TestDb {
            url,
            postgres_name: None,
        }
    }
}

/// A PostgreSQL server of the test's own, in a temporary directory on a free port, for
/// tests that stop and restart it (the shared server serves tests running in parallel).
/// Runs as the `postgres` user; stopped when dropped.
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    pub port: u16,
    bin: std::path::PathBuf,
}

impl PrivatePostgres {
    pub fn start() -> PrivatePostgres {
        let version = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries (scripts/setup-test-env.sh)")
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
            .max()
            .expect("a PostgreSQL version");
        let bin = std::path::PathBuf::from(format!("/usr/lib/postgresql/{version}/bin"));
        let dir = tempfile::Builder::new().prefix("baocao-pg-").tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        as_postgres(
            "chown",
            &["-R", "postgres:postgres", &dir.path().display().to_string()],
            true,
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = PrivatePostgres { dir, port, bin };
        pg.ctl(&[
            "initdb",
            "-D",
            &data.display().to_string(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ]);
        pg.start_again();
        pg
    }

    fn ctl(&self, args: &[&str]) {
        let program = self.bin.join(args[0]);
        as_postgres(&program.display().to_string(), &args[1..], false);
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// A URL for `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn create_database(&self, name: &str) {
        let output = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url("postgres")])
            .args(["-c", &format!("CREATE DATABASE {name}")])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    pub fn stop(&self) {
        self.ctl(&["pg_ctl", "-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.ctl(&["pg_ctl", "-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl").display().to_string();
        let _ = Command::new("runuser")
            .args([
                "-u",
                "postgres",
                "--",
                &program,
                "-D",
                &self.data(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
    }
}

/// Runs a command as the `postgres` user (or as root when `as_root`).
fn as_postgres(program: &str, args: &[&str], as_root: bool) {
    let output = if as_root {
        Command::new(program).args(args).output()
    } else {
        Command::new("runuser")
            .args(["-u", "postgres", "--", program])
            .args(args)
            .output()
    }
    .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
