//! The file-system step of loading a configuration, after the text is checked: the files
//! the settings name (passwords, CA certificates, the calendar file) and the configuration
//! file's own permissions. The checks in `super::checks` never touch the disk.

use std::path::{Path, PathBuf};

use super::Problem;
use crate::domain::calendar::{CalendarFile, parse_calendar_file};

/// What a named file is for, which decides what its absence means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    /// May be created later: a warning.
    Password,
    /// Needed for TLS: a problem.
    Certificate,
    /// Optional; when present it must parse.
    Calendar,
}

/// A file named at `line` under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileCheck {
    pub(super) line: usize,
    pub(super) key: String,
    pub(super) path: PathBuf,
    pub(super) kind: FileKind,
}

/// What the file-system step found: problems, warnings, and the calendar file, read and
/// parsed once (none when it is not configured or not there yet).
#[derive(Debug, Default)]
pub(super) struct FileStep {
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
    pub(super) calendar: Option<CalendarFile>,
}

/// Looks at each named file.
pub(super) fn check(files: &[FileCheck]) -> FileStep {
    let mut step = FileStep::default();
    let (problems, warnings) = (&mut step.problems, &mut step.warnings);
    for file in files {
        let at = |message: String| Problem {
            line: Some(file.line),
            key: file.key.clone(),
            message,
        };
        let path = file.path.display();
        match file.kind {
            FileKind::Password if !file.path.exists() => {
                warnings.push(at(format!("tệp mật khẩu {path} chưa có; cần tạo trước khi kết nối")))
            }
            FileKind::Certificate if !file.path.exists() => {
                problems.push(at(format!("không tìm thấy tệp chứng chỉ {path}")))
            }
            FileKind::Calendar => match std::fs::read_to_string(&file.path) {
                Ok(text) => match parse_calendar_file(&text) {
                    Ok(calendar) => step.calendar = Some(calendar),
                    Err(e) => problems.extend(e.0.lines().map(|line| at(format!("{path}: {line}")))),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    warnings.push(at(format!("chưa có tệp lịch {path}: chỉ dùng các ngày lễ theo luật")))
                }
                Err(e) => problems.push(at(format!("không đọc được tệp lịch {path}: {e}"))),
            },
            _ => {}
        }
    }
    step
}

/// The configuration file itself: nobody else may write it.
pub(super) fn file_permission_warnings(path: &Path) -> Vec<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let mut warnings = Vec::new();
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o002 != 0
    {
        warnings.push(Problem {
            line: None,
            key: String::new(),
            message: "ai cũng ghi được vào tệp cấu hình: chạy chmod o-w".into(),
        });
    }
    warnings
}
