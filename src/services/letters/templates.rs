//! Messages from editable templates: the notice, reminder and overdue notice a unit gets,
//! the receipt that acknowledges a counted submission, and the office's daily digest.
//!
//! Each kind has a subject (`<kind>.subject.txt`), a text body (`<kind>.body.txt`) and an
//! optional HTML body (`<kind>.body.html`). The built-in ones are `config/templates/`,
//! compiled in; an IT officer may point `[templates] dir` at a copy and edit it. Every
//! template is rendered with sample values when loaded, in strict mode, so a typo or an
//! unknown variable is an error at start-up or reload, never at send time. A unit message
//! whose subject or body lacks the request's token is refused too: intake depends on it.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::vars::{DigestVars, ReceiptVars, UnitMessage};
use crate::domain::plan::SlotKind;

/// The kinds of message built from templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    Notice,
    /// The notice of a request "để biết": no deadline, no report asked.
    Information,
    /// A second notice after the deadline was extended: "gia hạn".
    Extension,
    Reminder,
    Overdue,
    /// A letter to a late unit's parent or head asking them to see to the report.
    Escalation,
    Receipt,
    Digest,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 8] = [
        TemplateKind::Notice,
        TemplateKind::Information,
        TemplateKind::Extension,
        TemplateKind::Reminder,
        TemplateKind::Overdue,
        TemplateKind::Escalation,
        TemplateKind::Receipt,
        TemplateKind::Digest,
    ];

    /// What the clerk calls it.
    pub fn label_vi(self) -> &'static str {
        match self {
            TemplateKind::Notice => "Thông báo yêu cầu báo cáo",
            TemplateKind::Information => "Văn bản để biết",
            TemplateKind::Extension => "Thông báo gia hạn",
            TemplateKind::Reminder => "Nhắc trước hạn",
            TemplateKind::Overdue => "Nhắc quá hạn",
            TemplateKind::Escalation => "Đề nghị cấp trên đôn đốc",
            TemplateKind::Receipt => "Xác nhận đã nhận báo cáo",
            TemplateKind::Digest => "Tổng hợp hằng ngày gửi văn phòng",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Notice => "notice",
            TemplateKind::Information => "information",
            TemplateKind::Extension => "extension",
            TemplateKind::Reminder => "reminder",
            TemplateKind::Overdue => "overdue",
            TemplateKind::Escalation => "escalation",
            TemplateKind::Receipt => "receipt",
            TemplateKind::Digest => "digest",
        }
    }
}

impl From<SlotKind> for TemplateKind {
    fn from(kind: SlotKind) -> Self {
        match kind {
            SlotKind::Notice => TemplateKind::Notice,
            SlotKind::Reminder => TemplateKind::Reminder,
            SlotKind::Overdue => TemplateKind::Overdue,
        }
    }
}

const PARTS: [&str; 3] = ["subject.txt", "body.txt", "body.html"];

/// A template file's name split into its kind and part (`reminder.body.txt`), when it is one.
pub fn template_file(name: &str) -> Option<(TemplateKind, &'static str)> {
    TemplateKind::ALL.into_iter().find_map(|kind| {
        PARTS
            .into_iter()
            .find(|part| name == format!("{}.{part}", kind.as_str()))
            .map(|part| (kind, part))
    })
}

/// What a part is, for the clerk.
pub fn part_vi(part: &str) -> &'static str {
    match part {
        "subject.txt" => "tiêu đề",
        "body.txt" => "nội dung",
        _ => "nội dung HTML (tùy chọn)",
    }
}

/// A template's text as it is used: the file in `dir` when there is one (`true`), else the
/// built-in one (`false`); `None` for an HTML body nobody wrote.
pub fn template_source(dir: Option<&Path>, name: &str) -> Option<(String, bool)> {
    if let Some(text) = dir.map(|d| d.join(name)).and_then(|p| std::fs::read_to_string(p).ok()) {
        return Some((text, true));
    }
    BUILT_IN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| ((*text).to_string(), false))
}

/// The variables a kind's templates may use (`request.token`, `unit.name`, …).
pub fn template_variables(kind: TemplateKind) -> Vec<String> {
    variable_paths(&sample_of(kind)).into_iter().collect()
}

/// The sample values every template is checked and previewed with.
fn sample_of(kind: TemplateKind) -> serde_json::Value {
    match kind {
        TemplateKind::Digest => serde_json::to_value(DigestVars::sample()).unwrap_or_default(),
        TemplateKind::Receipt => serde_json::to_value(ReceiptVars::sample()).unwrap_or_default(),
        _ => serde_json::to_value(UnitMessage::sample()).unwrap_or_default(),
    }
}

/// The first line of `source` that names `variable` (its full path, else its last part).
fn line_naming(source: &str, variable: &str) -> Option<usize> {
    let last = variable.rsplit('.').next().unwrap_or(variable);
    let find = |needle: &str| source.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    find(variable).or_else(|| find(last))
}

/// The built-in templates: `(file name, text)`.
const BUILT_IN: [(&str, &str); 16] = [
    (
        "notice.subject.txt",
        include_str!("../../../config/templates/notice.subject.txt"),
    ),
    (
        "notice.body.txt",
        include_str!("../../../config/templates/notice.body.txt"),
    ),
    (
        "information.subject.txt",
        include_str!("../../../config/templates/information.subject.txt"),
    ),
    (
        "information.body.txt",
        include_str!("../../../config/templates/information.body.txt"),
    ),
    (
        "extension.subject.txt",
        include_str!("../../../config/templates/extension.subject.txt"),
    ),
    (
        "extension.body.txt",
        include_str!("../../../config/templates/extension.body.txt"),
    ),
    (
        "reminder.subject.txt",
        include_str!("../../../config/templates/reminder.subject.txt"),
    ),
    (
        "reminder.body.txt",
        include_str!("../../../config/templates/reminder.body.txt"),
    ),
    (
        "overdue.subject.txt",
        include_str!("../../../config/templates/overdue.subject.txt"),
    ),
    (
        "overdue.body.txt",
        include_str!("../../../config/templates/overdue.body.txt"),
    ),
    (
        "escalation.subject.txt",
        include_str!("../../../config/templates/escalation.subject.txt"),
    ),
    (
        "escalation.body.txt",
        include_str!("../../../config/templates/escalation.body.txt"),
    ),
    (
        "receipt.subject.txt",
        include_str!("../../../config/templates/receipt.subject.txt"),
    ),
    (
        "receipt.body.txt",
        include_str!("../../../config/templates/receipt.body.txt"),
    ),
    (
        "digest.subject.txt",
        include_str!("../../../config/templates/digest.subject.txt"),
    ),
    (
        "digest.body.txt",
        include_str!("../../../config/templates/digest.body.txt"),
    ),
];

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One trimmed line.
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Why templates cannot be used: one sentence per problem, naming the file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct TemplateError(pub Vec<String>);

/// The loaded, checked templates.
pub struct Templates {
    env: Environment<'static>,
    /// Where each file came from, for messages: a path or "mẫu có sẵn".
    origin: HashMap<String, String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").field("files", &self.origin.len()).finish()
    }
}

/// Templates plus what the loader noticed without refusing them.
pub struct LoadedTemplates {
    pub templates: Templates,
    pub warnings: Vec<String>,
}

impl Templates {
    /// The compiled-in templates.
    pub fn built_in() -> Result<Templates, TemplateError> {
        Ok(Templates::load(None)?.templates)
    }

    /// Loads the templates of `dir` (a missing file falls back to the built-in one) and checks
    /// every one of them.
    pub fn load(dir: Option<&Path>) -> Result<LoadedTemplates, TemplateError> {
        Templates::load_with(dir, None)
    }

    /// [`Templates::load`] with one file's text `replaced`: `(name, Some(text))` as typed on
    /// the page, `(name, None)` back to the built-in one. The same checks decide.
    pub fn load_with(
        dir: Option<&Path>,
        replaced: Option<(&str, Option<&str>)>,
    ) -> Result<LoadedTemplates, TemplateError> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let mut sources: Vec<(String, String, String)> = Vec::new();
        for kind in TemplateKind::ALL {
            for part in PARTS {
                let name = format!("{}.{part}", kind.as_str());
                match replaced {
                    Some((replaced, Some(text))) if replaced == name => {
                        sources.push((name, clean_source(text), "bản đang sửa".to_string()));
                        continue;
                    }
                    Some((replaced, None)) if replaced == name => {
                        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
                            sources.push((name, clean_source(text), "mẫu có sẵn".to_string()));
                        }
                        continue;
                    }
                    _ => {}
                }
                let from_dir = dir.map(|d| d.join(&name)).filter(|p| p.exists());
                match from_dir {
                    Some(path) => match std::fs::read(&path) {
                        Ok(bytes) => match String::from_utf8(bytes) {
                            Ok(text) => sources.push((name, clean_source(&text), path.display().to_string())),
                            Err(_) => problems.push(format!("{}: tệp mẫu phải lưu bằng mã UTF-8", path.display())),
                        },
                        Err(e) => problems.push(format!("{}: không đọc được: {e}", path.display())),
                    },
                    None => {
                        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
                            sources.push((name, clean_source(text), "mẫu có sẵn".to_string()));
                        }
                    }
                }
            }
        }
        if let Some(dir) = dir {
            match std::fs::read_dir(dir) {
                Ok(entries) => {
                    for entry in entries.flatten() {
                        let file = entry.file_name().to_string_lossy().into_owned();
                        let known = TemplateKind::ALL
                            .iter()
                            .any(|k| PARTS.iter().any(|p| file == format!("{}.{p}", k.as_str())));
                        if !known {
                            warnings.push(format!(
                                "{}: tệp không thuộc bộ mẫu nào, không được dùng (tên đúng có dạng reminder.subject.txt, reminder.body.txt, reminder.body.html)",
                                entry.path().display()
                            ));
                        }
                    }
                }
                Err(e) => problems.push(format!("thư mục mẫu thư {}: {e}", dir.display())),
            }
        }

        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(200_000));
        let mut origin = HashMap::new();
        for (name, text, from) in sources {
            if let Err(e) = env.add_template_owned(name.clone(), text) {
                problems.push(format!("{from} ({name}): {}", describe(&e)));
            }
            origin.insert(name, from);
        }
        let templates = Templates { env, origin };
        if problems.is_empty() {
            problems.extend(templates.check());
        }
        if problems.is_empty() {
            Ok(LoadedTemplates { templates, warnings })
        } else {
            Err(TemplateError(problems))
        }
    }

    /// Renders every template with sample values; lists every problem.
    fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for kind in TemplateKind::ALL {
            let sample = &sample_of(kind);
            let known = variable_paths(sample);
            for part in PARTS {
                let name = format!("{}.{part}", kind.as_str());
                let Ok(template) = self.env.get_template(&name) else {
                    continue;
                };
                let from = self.origin.get(&name).cloned().unwrap_or_default();
                let mut unknown: Vec<String> = template
                    .undeclared_variables(true)
                    .into_iter()
                    .filter(|v| !known.contains(v))
                    .collect();
                unknown.sort();
                if !unknown.is_empty() {
                    let named: Vec<String> = unknown
                        .iter()
                        .map(|v| match line_naming(template.source(), v) {
                            Some(line) => format!("`{v}` (dòng {line})"),
                            None => format!("`{v}`"),
                        })
                        .collect();
                    problems.push(format!("{from} ({name}): không có biến {}", named.join(", ")));
                    continue;
                }
                match template.render(minijinja::Value::from(minijinja::value::Serde(sample))) {
                    Ok(text) => {
                        if kind != TemplateKind::Digest
                            && part != "body.html"
                            && !text.contains(UnitMessage::SAMPLE_TOKEN)
                        {
                            problems.push(format!(
                                "{from} ({name}): phải có mã theo dõi {{{{ request.token }}}} để nhận ra thư trả lời"
                            ));
                        }
                        if part == "subject.txt" && one_line(&text).is_empty() {
                            problems.push(format!("{from} ({name}): tiêu đề trống"));
                        }
                    }
                    Err(e) => problems.push(format!("{from} ({name}): {}", describe(&e))),
                }
            }
        }
        problems
    }

    /// A kind's letter rendered with the sample values it is checked with (the page's
    /// preview of a template being edited).
    pub fn render_sample(&self, kind: TemplateKind) -> Result<Rendered, TemplateError> {
        self.render(kind, &sample_of(kind))
    }

    /// The notice (or its "để biết" or "gia hạn" form), reminder or overdue notice for one
    /// unit.
    pub fn render_unit_message(&self, kind: TemplateKind, vars: &UnitMessage) -> Result<Rendered, TemplateError> {
        self.render(kind, vars)
    }

    /// The receipt for a counted submission.
    pub fn render_receipt(&self, vars: &ReceiptVars) -> Result<Rendered, TemplateError> {
        self.render(TemplateKind::Receipt, vars)
    }

    pub fn render_digest(&self, vars: &DigestVars) -> Result<Rendered, TemplateError> {
        self.render(TemplateKind::Digest, vars)
    }

    fn render<S: Serialize>(&self, kind: TemplateKind, vars: &S) -> Result<Rendered, TemplateError> {
        let render = |part: &str| -> Result<Option<String>, TemplateError> {
            let name = format!("{}.{part}", kind.as_str());
            let Ok(template) = self.env.get_template(&name) else {
                return Ok(None);
            };
            template
                .render(minijinja::Value::from(minijinja::value::Serde(vars)))
                .map(|text| Some(text.nfc().collect::<String>()))
                .map_err(|e| TemplateError(vec![format!("{name}: {}", describe(&e))]))
        };
        let subject = render("subject.txt")?.map(|s| one_line(&s)).unwrap_or_default();
        let mut text = render("body.txt")?.unwrap_or_default();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let html = render("body.html")?;
        Ok(Rendered { subject, text, html })
    }
}

fn clean_source(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.replace("\r\n", "\n").nfc().collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn describe(error: &minijinja::Error) -> String {
    let mut text = match error.line() {
        Some(line) => format!("dòng {line}: {}", error.kind()),
        None => error.kind().to_string(),
    };
    if let Some(detail) = error.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    text
}

/// Every dotted path a sample context offers: `request`, `request.token`, …
fn variable_paths(value: &serde_json::Value) -> BTreeSet<String> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
        if let serde_json::Value::Object(map) = value {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                walk(&path, inner, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk("", value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn the_built_in_templates_render_vietnamese_with_the_token() {
        let templates = Templates::built_in().unwrap();
        let vars = UnitMessage::sample();
        for kind in [SlotKind::Notice, SlotKind::Reminder, SlotKind::Overdue] {
            let message = templates.render_unit_message(kind.into(), &vars).unwrap();
            assert!(message.subject.starts_with("[BC-9999]"), "{}", message.subject);
            assert!(!message.subject.contains('\n'));
            assert!(message.text.contains("[BC-9999]"));
            assert!(message.text.contains("Kính gửi: Phòng Giáo dục và Đào tạo huyện Mẫu"));
            assert!(message.text.contains("31/12/2023 lúc 17:00"));
            assert!(message.html.is_none());
            // A superior office writes to its unit as "đơn vị", not "quý đơn vị" (partners),
            // and closes as Nghị định 30/2020/NĐ-CP letters do.
            assert!(!message.text.contains("quý"), "{}", message.text);
            assert!(message.text.contains("\nTrân trọng./.\n"), "{}", message.text);
        }
        let receipt = templates.render_receipt(&ReceiptVars::sample()).unwrap();
        assert!(!receipt.text.contains("quý"), "{}", receipt.text);
        assert!(receipt.text.contains("\nTrân trọng./.\n"), "{}", receipt.text);
        let reminder = templates.render_unit_message(TemplateKind::Reminder, &vars).unwrap();
        assert!(reminder.subject.contains("còn 3 ngày"), "{}", reminder.subject);
        let digest = templates.render_digest(&DigestVars::sample()).unwrap();
        assert!(digest.text.contains("Đã báo cáo: 1/3"), "{}", digest.text);
        assert!(digest.text.contains("Quá hạn, chưa báo cáo (1): Đơn vị B"));
        assert!(digest.text.contains("b@example.vn"));
        assert!(
            digest
                .text
                .contains("Văn bản để biết (không yêu cầu báo cáo): đã gửi tới 2/3 đơn vị; chưa gửi: Đơn vị D."),
            "{}",
            digest.text
        );
    }

    #[test]
    fn the_letters_of_a_periodic_report_name_its_period_in_the_subject() {
        let templates = Templates::built_in().unwrap();
        let mut vars = UnitMessage::sample();
        vars.request.period = Some("quý IV/2026".into());
        for (kind, start) in [
            (
                TemplateKind::Notice,
                "[BC-9999] Đề nghị báo cáo quý IV/2026 theo văn bản số",
            ),
            (
                TemplateKind::Reminder,
                "[BC-9999] Nhắc báo cáo quý IV/2026 theo văn bản số",
            ),
            (
                TemplateKind::Overdue,
                "[BC-9999] Quá hạn báo cáo quý IV/2026 theo văn bản số",
            ),
            (
                TemplateKind::Extension,
                "[BC-9999] Gia hạn báo cáo quý IV/2026 theo Kế hoạch số",
            ),
        ] {
            let letter = templates.render_unit_message(kind, &vars).unwrap();
            assert!(letter.subject.starts_with(start), "{}", letter.subject);
        }
        vars.request.period = None;
        let plain = templates.render_unit_message(TemplateKind::Notice, &vars).unwrap();
        assert!(
            plain.subject.starts_with("[BC-9999] Đề nghị báo cáo theo văn bản số"),
            "{}",
            plain.subject
        );
    }

    #[test]
    fn a_directive_for_information_and_an_extension_have_their_own_letters() {
        let templates = Templates::built_in().unwrap();
        let mut vars = UnitMessage::sample();
        let notice = templates.render_unit_message(TemplateKind::Notice, &vars).unwrap();
        // The request's files are listed where the unit looks for them.
        assert!(
            notice
                .text
                .contains("Văn bản, biểu mẫu kèm theo thư này:\n  - 1062-KH-UBND.pdf\n  - Phu luc bieu mau.xlsx\n"),
            "{}",
            notice.text
        );
        let extension = templates.render_unit_message(TemplateKind::Extension, &vars).unwrap();
        assert!(
            extension
                .subject
                .starts_with("[BC-9999] Gia hạn báo cáo theo Kế hoạch số 4189/KH-BCĐ")
        );
        assert!(
            extension.text.contains("thông báo gia hạn thời gian báo cáo"),
            "{}",
            extension.text
        );
        assert!(extension.text.contains("Hạn báo cáo mới: 31/12/2023 lúc 17:00"));
        // "Để biết": no deadline, no report asked, no reply expected.
        vars.request.deadline = String::new();
        vars.request.content = None;
        let info = templates.render_unit_message(TemplateKind::Information, &vars).unwrap();
        assert!(info.subject.ends_with("(để biết, thực hiện)"), "{}", info.subject);
        assert!(
            info.text.contains("Đề nghị đơn vị nghiên cứu, triển khai thực hiện."),
            "{}",
            info.text
        );
        assert!(info.text.contains("không yêu cầu báo cáo"));
        assert!(!info.text.contains("Hạn báo cáo"));
        assert!(info.text.contains("\nTrân trọng./.\n"));
        assert!(!info.text.contains("quý"));
    }

    #[test]
    fn letters_open_with_the_directive_as_an_office_writes_to_its_units() {
        let templates = Templates::built_in().unwrap();
        let vars = UnitMessage::sample();
        let notice = templates.render_unit_message(TemplateKind::Notice, &vars).unwrap().text;
        assert!(
            notice.contains(
                "Thực hiện Kế hoạch số 4189/KH-BCĐ ngày 01/12/2023 của Ban Chỉ đạo vận động hiến máu tình nguyện \
                 tỉnh về việc báo cáo kết quả thực hiện kế hoạch, Sở Giáo dục và Đào tạo đề nghị đơn vị báo cáo \
                 kết quả thực hiện theo Phụ lục kèm theo."
            ),
            "{notice}"
        );
        assert!(
            notice.contains("Thông tin liên hệ: bà Lò Thị Hoa, văn thư, ĐT 0215 3826 123.\n\nMã theo dõi"),
            "{notice}"
        );
        // Without the optional facts the sentence still reads.
        let mut bare = UnitMessage::sample();
        bare.request.issuer = None;
        bare.request.content = None;
        bare.request.issued_on = None;
        bare.office.contact = None;
        let notice = templates.render_unit_message(TemplateKind::Notice, &bare).unwrap().text;
        assert!(
            notice.contains("Thực hiện Kế hoạch số 4189/KH-BCĐ về việc báo cáo kết quả thực hiện kế hoạch, Sở Giáo dục và Đào tạo đề nghị đơn vị báo cáo kết quả thực hiện."),
            "{notice}"
        );
        assert!(!notice.contains("liên hệ"), "{notice}");
        for kind in [SlotKind::Reminder, SlotKind::Overdue] {
            let text = templates.render_unit_message(kind.into(), &vars).unwrap().text;
            assert!(
                text.contains("Thực hiện Kế hoạch số 4189/KH-BCĐ ngày 01/12/2023 của Ban Chỉ đạo"),
                "{text}"
            );
        }
        let digest = templates.render_digest(&DigestVars::sample()).unwrap().text;
        assert!(
            !digest.contains("baocao "),
            "no command in a letter to the leadership: {digest}"
        );
    }

    #[test]
    fn an_edited_directory_overrides_some_templates_and_adds_html() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "reminder.subject.txt",
            "\u{feff}Nhắc lần nữa [{{ request.token }}]\n",
        );
        write(
            dir.path(),
            "reminder.body.html",
            "<p>{{ unit.name }} & {{ request.token }}</p>",
        );
        let loaded = Templates::load(Some(dir.path())).unwrap();
        assert!(loaded.warnings.is_empty());
        let mut vars = UnitMessage::sample();
        vars.unit.name = "A <B>".into();
        let message = loaded
            .templates
            .render_unit_message(TemplateKind::Reminder, &vars)
            .unwrap();
        assert_eq!(message.subject, "Nhắc lần nữa [BC-9999]");
        assert!(message.text.contains("Kính gửi: A <B>"), "text bodies are not escaped");
        assert_eq!(
            message.html.as_deref(),
            Some("<p>A &lt;B&gt; & BC-9999</p>"),
            "values are escaped, the template text is not"
        );
    }

    #[test]
    fn broken_templates_are_refused_at_load_with_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "notice.body.txt",
            "Kính gửi {{ unit.ten }}\n[{{ request.token }}]",
        );
        write(dir.path(), "overdue.subject.txt", "Quá hạn {{ request.code }}");
        write(dir.path(), "reminder.body.txt", "dòng 1\n{% if %}");
        write(dir.path(), "remindr.body.txt", "typo");
        let Err(error) = Templates::load(Some(dir.path())) else {
            panic!("broken templates were accepted")
        };
        let text = error.to_string();
        assert!(text.contains("reminder.body.txt") && text.contains("dòng 2"), "{text}");
        // Syntax errors stop loading before the checks that need rendering.
        let dir2 = tempfile::tempdir().unwrap();
        write(
            dir2.path(),
            "notice.body.txt",
            "Kính gửi {{ unit.ten }}\n[{{ request.token }}]",
        );
        write(dir2.path(), "overdue.subject.txt", "Quá hạn {{ request.code }}");
        let Err(error) = Templates::load(Some(dir2.path())) else {
            panic!("broken templates were accepted")
        };
        let text = error.to_string();
        assert!(
            text.contains("notice.body.txt") && text.contains("`unit.ten`"),
            "{text}"
        );
        assert!(
            text.contains("overdue.subject.txt") && text.contains("request.token"),
            "{text}"
        );
        let dir3 = tempfile::tempdir().unwrap();
        write(dir3.path(), "remindr.body.txt", "typo");
        let loaded = Templates::load(Some(dir3.path())).unwrap();
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].contains("remindr.body.txt"));
    }
}
