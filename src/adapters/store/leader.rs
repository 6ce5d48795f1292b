//! Who watches the report mailbox when several instances share one database: the holder of
//! a lock named after the mailbox. On PostgreSQL it is a session advisory lock on a
//! connection of its own (not the pool's), pinged regularly; the server lets go of it the
//! moment that connection ends, so when the leader dies, a standby takes over at its next
//! try. On SQLite (one machine) it is an exclusive lock on a file beside the database, which
//! the kernel releases when the process ends.
//!
//! The lock is the first line; the second is `record_incoming`, which locks the mailbox
//! checkpoint row and skips a message another watcher already recorded: even two watchers
//! running at once (a network split that outlives the ping) never count a message twice.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

use super::{Pools, Store, StoreResult};

/// The mailbox's lock, held while this value lives.
pub enum Leadership {
    Postgres(PgConnection),
    File(std::fs::File),
}

impl Store {
    /// Takes the lock on `mailbox` (any text naming it: server, user and folder) if no one
    /// holds it; `None` when another instance does.
    pub async fn try_lead(&self, mailbox: &str) -> StoreResult<Option<Leadership>> {
        match &self.pools {
            Pools::Postgres(pool) => {
                let mut connection = PgConnection::connect_with(&pool.connect_options()).await?;
                let (held,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                    .bind(lock_key(mailbox))
                    .fetch_one(&mut connection)
                    .await?;
                if held {
                    Ok(Some(Leadership::Postgres(connection)))
                } else {
                    let _ = connection.close().await;
                    Ok(None)
                }
            }
            Pools::Sqlite(pools) => {
                let path = lock_file(pools.reader().connect_options().get_filename().to_path_buf(), mailbox);
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|e| sqlx::Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))))?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(Leadership::File(file))),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => Err(sqlx::Error::Io(e).into()),
                }
            }
        }
    }
}

impl Leadership {
    /// Whether the lock is still ours: the PostgreSQL connection that holds it answers.
    pub async fn still_held(&mut self) -> bool {
        match self {
            Leadership::Postgres(connection) => {
                tokio::time::timeout(std::time::Duration::from_secs(10), connection.ping())
                    .await
                    .is_ok_and(|r| r.is_ok())
            }
            Leadership::File(_) => true,
        }
    }
}

fn lock_key(mailbox: &str) -> i64 {
    let digest = Sha256::digest(format!("baocao-watcher:{mailbox}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn lock_file(database: PathBuf, mailbox: &str) -> PathBuf {
    let digest = Sha256::digest(mailbox.as_bytes());
    let tag: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let mut name = database.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".watcher-{tag}.lock"));
    database.with_file_name(name)
}
