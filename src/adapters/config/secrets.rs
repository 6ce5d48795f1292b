//! Passwords: where they come from (a file or a systemd credential, never the configuration
//! file), kept out of `Debug`, and the file-system checks of their files.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Problem, Settings};

/// A password's source: a file (mode 0600) or a systemd credential name, read when a
/// connection is made, never when the configuration is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Credential(String),
}

/// A secret value whose `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where `--direct` reads systemd credentials when it does not run under systemd: the
/// directory the unit's `LoadCredential=` lines take them from (the configuration's).
static CREDENTIALS_FALLBACK: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// `--direct`: credentials are read from `dir` when `$CREDENTIALS_DIRECTORY` is not set.
pub fn read_credentials_from(dir: PathBuf) {
    let _ = CREDENTIALS_FALLBACK.set(dir);
}

impl SecretSource {
    /// Why this process cannot read the password of `what` (a server, in Vietnamese), or
    /// `None` when it can.
    pub fn problem_vi(&self, what: &str) -> Option<String> {
        let path = match self.path() {
            Ok(path) => path,
            Err(_) => {
                let SecretSource::Credential(name) = self else {
                    return Some(format!("không đọc được mật khẩu {what}"));
                };
                return Some(format!(
                    "mật khẩu {what} là systemd credential \"{name}\": chỉ dịch vụ baocao (do systemd chạy) đọc được"
                ));
            }
        };
        match std::fs::File::open(&path) {
            Ok(_) => None,
            Err(error) => Some(match error.kind() {
                std::io::ErrorKind::PermissionDenied => {
                    format!("không có quyền đọc tệp mật khẩu {what} ({})", path.display())
                }
                std::io::ErrorKind::NotFound => format!("không có tệp mật khẩu {what} ({})", path.display()),
                _ => format!("không đọc được tệp mật khẩu {what} ({}): {error}", path.display()),
            }),
        }
    }

    /// Reads the secret, trimming the trailing newline editors add.
    pub fn read(&self) -> Result<Secret, std::io::Error> {
        let path = self.path()?;
        let text = std::fs::read_to_string(&path)?;
        Ok(Secret(text.trim_end_matches(['\r', '\n']).to_string()))
    }

    /// The file the secret lives in; a credential is looked up in `$CREDENTIALS_DIRECTORY`.
    pub fn path(&self) -> Result<PathBuf, std::io::Error> {
        match self {
            SecretSource::File(path) => Ok(path.clone()),
            SecretSource::Credential(name) => match std::env::var_os("CREDENTIALS_DIRECTORY") {
                Some(dir) => Ok(Path::new(&dir).join(name)),
                None if CREDENTIALS_FALLBACK.get().is_some() => {
                    Ok(CREDENTIALS_FALLBACK.get().map(|dir| dir.join(name)).unwrap_or_default())
                }
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "credential {name} requested but CREDENTIALS_DIRECTORY is not set (not started by systemd?)"
                    ),
                )),
            },
        }
    }
}

/// Warnings about secret files that anyone on the machine can read.
pub fn secret_permission_warnings(settings: &Settings) -> Vec<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let servers = [
        settings.smtp.as_ref().map(|s| ("smtp", &s.server)),
        settings.imap.as_ref().map(|i| ("imap", &i.server)),
    ];
    let mut warnings = Vec::new();
    for (section, server) in servers.into_iter().flatten() {
        if let Some(SecretSource::File(path)) = &server.password
            && let Ok(meta) = std::fs::metadata(path)
        {
            let message = if !meta.is_file() {
                format!(
                    "{} không phải là một tệp: password-file phải là tệp chứa mật khẩu",
                    path.display()
                )
            } else if meta.permissions().mode() & 0o044 != 0 {
                format!("người khác đọc được tệp mật khẩu {}: chạy chmod 600", path.display())
            } else {
                continue;
            };
            warnings.push(Problem {
                line: None,
                key: format!("{section}.password-file"),
                message,
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secret = Secret("hunter2".into());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
