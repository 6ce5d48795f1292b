//! The database URL, read in one place: `sqlite:PATH`, `sqlite://PATH` (a file) or
//! `postgres://…`/`postgresql://…` (a server). What is not one of them is refused.

use std::path::{Path, PathBuf};

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// The SQLite file.
    Sqlite(PathBuf),
    /// The PostgreSQL URL, as written.
    Postgres(String),
}

impl std::fmt::Display for DatabaseUrl {
    /// As the configuration writes it: `sqlite:///var/lib/…` for an absolute path,
    /// `sqlite:baocao.db` for a relative one, or the PostgreSQL URL.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) if path.is_absolute() => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(url),
        }
    }
}

impl DatabaseUrl {
    /// Reads a URL; a bare path is a SQLite file (what `--database /tmp/x.db` means).
    pub fn parse(url: &str) -> DatabaseUrl {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return DatabaseUrl::Postgres(url.to_string());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        DatabaseUrl::Sqlite(PathBuf::from(path))
    }

    /// Whether the text is written as a URL of one of the two databases (the configuration
    /// file must say which one it means).
    pub fn is_written_as_url(url: &str) -> bool {
        let url = url.trim();
        url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// The SQLite file; `None` for PostgreSQL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite(path) => Some(path),
            DatabaseUrl::Postgres(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_as_the_configuration_writes_it() {
        for url in [
            "sqlite:///var/lib/baocao/baocao.db",
            "sqlite:baocao.db",
            "postgres://u@127.0.0.1/b",
        ] {
            assert_eq!(DatabaseUrl::parse(url).to_string(), url);
        }
        assert_eq!(DatabaseUrl::parse("/tmp/x.db").to_string(), "sqlite:///tmp/x.db");
    }

    #[test]
    fn each_form_of_url_names_its_database() {
        let sqlite = |p: &str| DatabaseUrl::Sqlite(PathBuf::from(p));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/baocao/baocao.db"),
            sqlite("/var/lib/baocao/baocao.db")
        );
        assert_eq!(DatabaseUrl::parse("sqlite:baocao.db"), sqlite("baocao.db"));
        assert_eq!(DatabaseUrl::parse("/tmp/x.db"), sqlite("/tmp/x.db"));
        assert_eq!(
            DatabaseUrl::parse(" postgresql://postgres@127.0.0.1/baocao "),
            DatabaseUrl::Postgres("postgresql://postgres@127.0.0.1/baocao".into())
        );
        assert!(DatabaseUrl::is_written_as_url("postgres://x"));
        assert!(!DatabaseUrl::is_written_as_url("/tmp/x.db"));
        assert!(!DatabaseUrl::is_written_as_url("mysql://x"));
    }
}
