//! clap's own words in Vietnamese: the headings of `--help` ("Cách dùng", "Lệnh", "Tham số",
//! "Tùy chọn") and the usage errors a clerk meets (an unknown flag or command, a missing
//! argument, a value clap refuses), with clap's suggestion and the usage line kept. The
//! exit codes stay clap's (0 for help, 2 for wrong usage).

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Headings clap writes, and what a clerk reads instead.
const HEADINGS: &[(&str, &str)] = &[
    ("Usage:", "Cách dùng:"),
    ("Commands:", "Lệnh:"),
    ("Arguments:", "Tham số:"),
    ("Options:", "Tùy chọn:"),
];

/// Replaces clap's headings at the start of a line (the help text itself is ours).
fn headings(text: &str) -> String {
    text.lines()
        .map(|line| {
            HEADINGS
                .iter()
                .find_map(|(english, vietnamese)| line.strip_prefix(english).map(|rest| format!("{vietnamese}{rest}")))
                .unwrap_or_else(|| line.to_string())
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn context(error: &clap::Error, kind: ContextKind) -> Option<String> {
    match error.get(kind)? {
        ContextValue::String(text) => Some(text.clone()),
        ContextValue::Strings(texts) => Some(texts.join(", ")),
        ContextValue::StyledStr(text) => Some(text.to_string()),
        ContextValue::StyledStrs(texts) => Some(texts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        other => Some(other.to_string()),
    }
}

/// What `baocao` prints for a clap outcome: help and version as they are with Vietnamese
/// headings, a usage error as "lỗi: …" with the suggestion and the usage line.
pub fn vietnamese(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return headings(&rendered);
        }
        _ => {}
    }
    let invalid = context(error, ContextKind::InvalidArg).unwrap_or_default();
    let first = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let what = match error.kind() {
        ErrorKind::UnknownArgument => format!("không có tham số '{invalid}'"),
        ErrorKind::InvalidSubcommand => {
            let name = context(error, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("không có lệnh '{name}'")
        }
        ErrorKind::MissingRequiredArgument => format!("thiếu tham số bắt buộc: {invalid}"),
        ErrorKind::MissingSubcommand => "thiếu lệnh: chọn một lệnh trong danh sách (--help)".to_string(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = context(error, ContextKind::InvalidValue).unwrap_or_default();
            let reason = first.split_once("': ").map(|(_, why)| why.to_string());
            let choices = context(error, ContextKind::ValidValue)
                .map(|values| format!(" (chọn: {values})"))
                .unwrap_or_default();
            match reason {
                Some(why) => format!("giá trị '{value}' không hợp lệ cho '{invalid}': {why}{choices}"),
                None => format!("giá trị '{value}' không hợp lệ cho '{invalid}'{choices}"),
            }
        }
        ErrorKind::ArgumentConflict => {
            let prior = context(error, ContextKind::PriorArg).unwrap_or_default();
            format!("không dùng '{invalid}' cùng với '{prior}'")
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("số giá trị của '{invalid}' không đúng")
        }
        ErrorKind::NoEquals => format!("'{invalid}' cần dấu '=' trước giá trị"),
        ErrorKind::InvalidUtf8 => "tham số không phải văn bản UTF-8".to_string(),
        _ => first,
    };
    let mut out = format!("lỗi: {what}\n");
    if let Some(suggested) =
        context(error, ContextKind::SuggestedArg).or_else(|| context(error, ContextKind::SuggestedSubcommand))
    {
        // Several suggestions come joined by ", ": each quoted, "'audit' hoặc 'status'".
        let quoted: Vec<String> = suggested.split(", ").map(|s| format!("'{s}'")).collect();
        out.push_str(&format!("  gợi ý: có phải ý bạn là {}?\n", quoted.join(" hoặc ")));
    }
    if let Some(usage) = rendered.lines().find(|line| line.starts_with("Usage: ")) {
        out.push('\n');
        out.push_str(&headings(usage));
    }
    out.push_str("\nXem hướng dẫn: thêm --help vào lệnh.\n");
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::vietnamese;
    use crate::wiring::cli::Cli;

    fn outcome(args: &[&str]) -> (String, i32) {
        let error = Cli::try_parse_from(args).expect_err("clap refuses or shows help");
        (vietnamese(&error), error.exit_code())
    }

    #[test]
    fn help_headings_are_vietnamese() {
        let (text, code) = outcome(&["baocao", "--help"]);
        assert_eq!(code, 0);
        for heading in ["Cách dùng: baocao", "Lệnh:", "Tùy chọn:"] {
            assert!(text.contains(heading), "{text}");
        }
        for english in ["Usage:", "Commands:", "Options:"] {
            assert!(!text.contains(english), "{text}");
        }
        let (text, _) = outcome(&["baocao", "mark", "--help"]);
        assert!(text.contains("Tham số:"), "{text}");
        assert!(!text.contains("Arguments:"), "{text}");
    }

    #[test]
    fn usage_errors_say_what_is_wrong_in_vietnamese() {
        let (text, code) = outcome(&["baocao", "status", "--jsn"]);
        assert_eq!(code, 2);
        assert!(text.starts_with("lỗi: không có tham số '--jsn'"), "{text}");
        assert!(text.contains("gợi ý: có phải ý bạn là '--json'?"), "{text}");
        assert!(text.contains("Cách dùng: baocao status"), "{text}");

        let (text, _) = outcome(&["baocao", "stauts"]);
        assert!(text.starts_with("lỗi: không có lệnh 'stauts'"), "{text}");
        assert!(text.contains("'status'"), "{text}");
        assert!(!text.contains(", status'"), "each suggestion quoted on its own: {text}");

        let (text, _) = outcome(&["baocao", "mark", "BC-1"]);
        assert!(
            text.starts_with("lỗi: thiếu tham số bắt buộc: --note <NOTE>, <UNIT>"),
            "{text}"
        );

        let (text, _) = outcome(&["baocao", "export", "BC-1", "--format", "pdf"]);
        assert!(
            text.starts_with("lỗi: giá trị 'pdf' không hợp lệ cho '--format"),
            "{text}"
        );
        assert!(text.contains("(chọn: csv, xlsx)"), "{text}");
        for english in ["error:", "Usage:", "For more information"] {
            assert!(!text.contains(english), "{text}");
        }
    }
}
