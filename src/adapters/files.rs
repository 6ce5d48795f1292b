//! The kept copies of incoming messages: content-addressed files `<dir>/<2 hex>/<sha256>.eml`.
//! A copy is written under a temporary name (`.<hash>.<pid>.tmp`), then renamed, so it is whole
//! or absent; what a crash leaves half-written is removed at the next start. A group of copies
//! is made durable together by one `syncfs` of the directory's filesystem (file contents,
//! the renames and new shard directories alike) instead of one `fsync` per file, which left
//! the renames themselves unsynced. The shard directory is created only when a write finds it
//! missing, not for every message.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The end of a copy's name while it is being written.
const TEMPORARY_SUFFIX: &str = ".tmp";

/// The directory of kept copies.
#[derive(Debug, Clone)]
pub struct MessageFiles {
    dir: PathBuf,
}

impl MessageFiles {
    pub fn new(dir: impl Into<PathBuf>) -> MessageFiles {
        MessageFiles { dir: dir.into() }
    }

    /// Where the copy of the message with this SHA-256 (hex) is kept.
    pub fn path_of(&self, hash: &str) -> PathBuf {
        self.shard(hash).join(format!("{hash}.eml"))
    }

    fn shard(&self, hash: &str) -> PathBuf {
        self.dir.join(hash.get(..2).unwrap_or("00"))
    }

    /// The directory of the copies.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps a copy of each `(hash, bytes)` under its hash (nothing is written for a copy that
    /// is there already) and returns their paths, once every new copy is on disk. Blocking:
    /// run it on a blocking thread.
    pub fn keep_all<B: AsRef<[u8]>>(&self, copies: &[(String, B)]) -> std::io::Result<Vec<PathBuf>> {
        let mut wrote = false;
        let mut paths = Vec::with_capacity(copies.len());
        for (hash, bytes) in copies {
            let path = self.path_of(hash);
            if !path.exists() {
                self.write(hash, bytes.as_ref(), &path)?;
                wrote = true;
            }
            paths.push(path);
        }
        if wrote {
            let dir = std::fs::File::open(&self.dir)?;
            rustix::fs::syncfs(&dir)?;
        }
        Ok(paths)
    }

    fn write(&self, hash: &str, bytes: &[u8], path: &Path) -> std::io::Result<()> {
        let temporary = self
            .shard(hash)
            .join(format!(".{hash}.{}{TEMPORARY_SUFFIX}", std::process::id()));
        match std::fs::write(&temporary, bytes) {
            Err(error) if error.kind() == ErrorKind::NotFound => {
                std::fs::create_dir_all(self.shard(hash))?;
                std::fs::write(&temporary, bytes)?;
            }
            other => other?,
        }
        std::fs::rename(&temporary, path)
    }

    /// Removes copies a crash left half-written; returns how many. A temporary file of another
    /// live process sharing the directory is left alone. Run at start, before this process
    /// writes.
    pub fn remove_partial(&self) -> std::io::Result<usize> {
        let mut removed = 0;
        let top = match std::fs::read_dir(&self.dir) {
            Ok(top) => top,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(error),
        };
        for shard in top.flatten() {
            if !shard.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            for entry in std::fs::read_dir(shard.path())?.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let Some(pid) = name
                    .strip_prefix('.')
                    .and_then(|n| n.strip_suffix(TEMPORARY_SUFFIX))
                    .and_then(|n| n.rsplit('.').next())
                else {
                    continue;
                };
                let writer_alive = pid
                    .parse::<u32>()
                    .is_ok_and(|pid| pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists());
                if !writer_alive {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_kept_once_under_its_hash_and_leftovers_of_a_crash_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let files = MessageFiles::new(dir.path().join("messages"));
        let hash = "ab".repeat(32);
        let other = "cd".repeat(32);
        let paths = files
            .keep_all(&[
                (hash.clone(), b"first".as_slice()),
                (other.clone(), b"second".as_slice()),
            ])
            .unwrap();
        let path = paths[0].clone();
        assert_eq!(path, dir.path().join("messages/ab").join(format!("{hash}.eml")));
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(std::fs::read(&paths[1]).unwrap(), b"second");
        // The same hash again: the copy that is there stays.
        assert_eq!(files.keep_all(&[(hash.clone(), b"other")]).unwrap(), vec![path.clone()]);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        // A half-written copy of a process that is gone, and one of a live process (ours is
        // skipped only when it is another process: pid 1 is always alive).
        let shard = dir.path().join("messages/ab");
        std::fs::write(shard.join(".cd.4194304999.tmp"), "half").unwrap();
        std::fs::write(shard.join(".ef.1.tmp"), "being written").unwrap();
        assert_eq!(files.remove_partial().unwrap(), 1);
        assert!(shard.join(".ef.1.tmp").exists());
        assert!(path.exists());
        assert_eq!(MessageFiles::new(dir.path().join("none")).remove_partial().unwrap(), 0);
    }
}
