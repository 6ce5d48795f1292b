//! Everything that speaks SQL, for SQLite (the embedded default) and PostgreSQL.
//!
//! [`Store`] is an enum of the two concrete pools. Queries are written once with `$1`
//! placeholders (which the SQLite driver accepts too) and run on either database through
//! the seam in `db`: a transaction ([`Store::begin`]) or a pooled connection gives a `Db`,
//! and helpers are ordinary `async fn`s taking `&mut Db<'_>`. One-query reads still use
//! `on_pool!`, which expands the same code for each pool. Migrations live in
//! `migrations/sqlite` and `migrations/postgres` and are embedded in the binary.
//!
//! Times are `DateTime<Utc>` bound from Rust; no SQL here reads the database's clock.
//! Business decisions (what a state means, what is due) are not made here.

mod audit;
mod db;
mod edits;
mod files;
mod intake;
mod jobs;
mod leader;
mod merge;
mod outbox;
mod recording;
mod requests;
mod review;
mod series;
mod service;
mod slots;
mod status;
mod submissions;
mod units;

pub use audit::{Actor, AuditFilter, AuditRow, Entry as AuditEntry, Subject as AuditSubject, Via, action_vi};
pub(crate) use db::{Db, sql};
pub use edits::{EditDone, NewDeadline, RequestEdit};
pub use files::{ChangeOf, OutgoingFile, RequestChange, StoredFile, check_files, os_user};
pub use intake::{Checkpoint, NewIncoming, Origin, QueuedReceipt, Recorded};
pub use jobs::{JobAnswer, JobState};
pub use leader::Leadership;
pub use merge::{CANCEL_MERGED, MergeReport, MergeRow, MergeTarget, MergedOld, RequestTakeover, check_merge};
pub use outbox::{CLOSED, MessageFilter, NewMessage, Outcome, OutgoingMessage, REPORTED};
pub use recording::Recording;
pub use requests::{Extension, RequestRef};
pub use review::{Assignment, ReviewItem, SUPERSEDED};
pub use series::SeriesInstance;
pub use service::{MetricCounts, ServiceHealth};
pub use slots::{Settlement, SlotRow, UnitToPlan};
pub use status::FoundMessage;
pub use submissions::ManualSubmission;
pub use units::{ApplyMode, ApplySummary, BatchProblem, UnitChange, planned_change};

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::adapters::config::DatabaseUrl;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// A connection pool to one of the two supported databases.
#[derive(Debug, Clone)]
pub enum Pools {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// The database, and who the changes written through it are recorded as (see [`audit`]).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pools: Pools,
    pub(crate) actor: Actor,
}

/// SQLite's connections: readers share a pool, and every write goes through one connection.
/// SQLite lets one writer at a time through anyway; with one writer connection, writers wait
/// their turn in this process instead of sleeping in SQLite's busy handler, and that
/// connection's page cache stays valid from one transaction to the next (with several, each
/// commit on one made the others read their pages again).
#[derive(Debug, Clone)]
pub struct SqlitePools {
    read: SqlitePool,
    write: SqlitePool,
}

/// What went wrong in the store. `Rejected` and `NotFound` carry sentences for the clerk;
/// the others are faults of the database or its connection.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}", .0.join("\n"))]
    Rejected(Vec<String>),
    #[error("{0}")]
    NotFound(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unreadable value in column {column}: {value}")]
    Corrupt { column: &'static str, value: String },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Reads a state or kind column with its enum's `parse`: an unknown word is
/// [`StoreError::Corrupt`], never a guess.
pub(crate) fn parse_column<T>(column: &'static str, value: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(value).ok_or_else(|| StoreError::Corrupt {
        column,
        value: value.to_string(),
    })
}

/// Runs the same expression on whichever pool the store holds (SQLite: its readers).
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pools {
            $crate::adapters::store::Pools::Sqlite(pools) => {
                let $pool = pools.reader();
                $body
            }
            $crate::adapters::store::Pools::Postgres($pool) => $body,
        }
    };
}

/// [`on_pool!`] for one statement that writes (SQLite: on the writer connection).
macro_rules! on_writer {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pools {
            $crate::adapters::store::Pools::Sqlite(pools) => {
                let $pool = pools.writer();
                $body
            }
            $crate::adapters::store::Pools::Postgres($pool) => $body,
        }
    };
}

pub(crate) use {on_pool, on_writer};

impl SqlitePools {
    pub fn reader(&self) -> &SqlitePool {
        &self.read
    }

    pub fn writer(&self) -> &SqlitePool {
        &self.write
    }

    /// One pool for both (an in-memory database lives in its one connection).
    #[cfg(test)]
    pub(crate) fn single(pool: SqlitePool) -> SqlitePools {
        SqlitePools {
            read: pool.clone(),
            write: pool,
        }
    }
}

impl Store {
    /// A store on `pools` whose changes are the service's until [`Store::acting_as`] says otherwise.
    pub fn new(pools: Pools) -> Store {
        Store {
            pools,
            actor: Actor::service(),
        }
    }

    pub fn pools(&self) -> &Pools {
        &self.pools
    }

    /// Connects to `sqlite:PATH` (the file is created if missing, WAL, foreign keys on) or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        Store::open(&DatabaseUrl::parse(url)).await
    }

    /// Connects to the database a checked configuration names (see [`connect`](Self::connect)).
    pub async fn open(url: &DatabaseUrl) -> StoreResult<Store> {
        let path = match url {
            DatabaseUrl::Postgres(url) => {
                let options = PgConnectOptions::from_str(url)?;
                // A server that is down is reported after 10 s, not after sqlx's 30 s of
                // retries: at our volume no one waits that long for a free connection.
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                return Ok(Store::new(Pools::Postgres(pool)));
            }
            DatabaseUrl::Sqlite(path) => path,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Store::new(Pools::Sqlite(SqlitePools { read, write })))
    }

    /// Like [`connect`](Self::connect), but a SQLite file that does not exist yet is an error
    /// instead of being created: only `migrate` and the service create the database, so it
    /// never ends up owned by whoever ran a command first (root, say).
    pub async fn open_existing(url: &DatabaseUrl) -> StoreResult<Store> {
        if let Some(path) = url.sqlite_path()
            && !path.exists()
        {
            return Err(StoreError::NotFound(format!(
                "chưa có cơ sở dữ liệu {}: cán bộ CNTT chạy `runuser -u baocao -- baocao migrate` để tạo",
                path.display()
            )));
        }
        Store::open(url).await
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pools {
            Pools::Sqlite(pools) => sqlx::migrate!("./migrations/sqlite").run(pools.writer()).await?,
            Pools::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Whether every embedded migration has been applied (the daemon and CLI refuse to work
    /// on an older schema instead of failing on a missing column).
    pub async fn is_migrated(&self) -> StoreResult<bool> {
        let (migrator, applied): (sqlx::migrate::Migrator, Vec<i64>) = match &self.pools {
            Pools::Sqlite(pools) => {
                let rows: Result<Vec<(i64,)>, _> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                    .fetch_all(pools.reader())
                    .await;
                (
                    sqlx::migrate!("./migrations/sqlite"),
                    rows.unwrap_or_default().into_iter().map(|r| r.0).collect(),
                )
            }
            Pools::Postgres(pool) => {
                let rows: Result<Vec<(i64,)>, _> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                    .fetch_all(pool)
                    .await;
                (
                    sqlx::migrate!("./migrations/postgres"),
                    rows.unwrap_or_default().into_iter().map(|r| r.0).collect(),
                )
            }
        };
        Ok(migrator.iter().all(|m| applied.contains(&m.version)))
    }

    /// `sqlite` or `postgres`, for messages.
    pub fn backend(&self) -> &'static str {
        match &self.pools {
            Pools::Sqlite(_) => "sqlite",
            Pools::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite(pools) => {
                pools.write.close().await;
                pools.read.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}
