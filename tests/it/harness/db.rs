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
