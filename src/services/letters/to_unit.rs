//! The letters a unit gets for a request: the notice (or its "để biết" and extension
//! forms), reminders and overdue notices, each rendered from one slot into an outbox row.

use chrono::{DateTime, Utc};

use super::Setup;
use super::ids::slot_message_id;
use super::templates::{TemplateError, TemplateKind};
use super::vars::{OfficeVars, UnitMessage, UnitVars};
use crate::adapters::config::Settings;
use crate::adapters::store::NewMessage;
use crate::domain::escalation::EscalateVia;
use crate::domain::model::{Request, Unit};
use crate::domain::plan::SlotKind;

/// What one slot's letter is made of.
pub struct UnitLetter<'a> {
    pub slot_id: i64,
    pub kind: SlotKind,
    pub request: &'a Request,
    pub unit: &'a Unit,
    pub template: TemplateKind,
    /// The unit's deadline; `None` for a request "để biết".
    pub deadline: Option<DateTime<Utc>>,
    /// An earlier message of the unit waits in review for its missing file.
    pub missing_attachment: bool,
    /// The names of the files it carries.
    pub files: Vec<String>,
    /// The notice this letter answers (reminders, overdue notices and an extension thread
    /// under it, so the unit's mail client shows one conversation).
    pub answers: Option<String>,
    /// Those above the unit an overdue notice escalates to.
    pub copies: Vec<Copy>,
    /// Whether they get copies of the notice or letters of their own.
    pub via: EscalateVia,
}

/// A copy of a letter to someone above the unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copy {
    pub name: String,
    pub address: String,
}

/// The message of one slot, rendered now.
pub fn compose(setup: &Setup<'_>, letter: UnitLetter<'_>, now: DateTime<Utc>) -> Result<NewMessage, TemplateError> {
    let mut vars = unit_vars(setup, &letter, now);
    let UnitLetter {
        slot_id,
        kind,
        request,
        unit,
        template,
        deadline: _,
        missing_attachment,
        files,
        answers,
        copies,
        via,
    } = letter;
    let office = &setup.settings.office;
    // The first address that is not failing and not the head's (who is only copied on
    // escalation), else the first that is not the head's, else the first.
    let receives = |a: &&crate::domain::model::UnitAddress| a.role != crate::domain::model::AddressRole::Head;
    let address = unit
        .addresses
        .iter()
        .filter(receives)
        .find(|a| a.failing_since.is_none())
        .or_else(|| unit.addresses.iter().find(receives))
        .or(unit.addresses.first())
        .map(|a| a.address.to_string())
        .unwrap_or_default();
    vars.missing_attachment = missing_attachment;
    vars.files = files;
    let rendered = setup.templates.render_unit_message(template, &vars)?;
    Ok(NewMessage {
        slot_id: Some(slot_id),
        dedupe_key: format!("slot:{slot_id}"),
        kind: kind.as_str().to_string(),
        request_id: Some(request.id),
        unit_id: Some(unit.id),
        to_address: address,
        to_name: Some(unit.name.clone()),
        message_id: slot_message_id(&request.token, slot_id, office.report_mailbox.domain()),
        subject: rendered.subject,
        body: rendered.text,
        body_html: rendered.html,
        in_reply_to: answers.clone(),
        references_ids: answers,
        cc_addresses: (via == EscalateVia::Cc && !copies.is_empty())
            .then(|| serde_json::to_string(&copies).unwrap_or_default()),
    })
}

/// The letters of their own to those above the unit, when its escalation says `thu-rieng`
/// (none otherwise): one per addressee, queued with the overdue notice and cancelled with it
/// if the unit reports first.
pub fn escalation_letters(
    setup: &Setup<'_>,
    letter: &UnitLetter<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<NewMessage>, TemplateError> {
    if letter.via != EscalateVia::Letter || letter.copies.is_empty() {
        return Ok(Vec::new());
    }
    let office = &setup.settings.office;
    let mut messages = Vec::new();
    for (n, copy) in letter.copies.iter().enumerate() {
        let mut vars = unit_vars(setup, letter, now);
        vars.addressee = copy.name.clone();
        let rendered = setup.templates.render_unit_message(TemplateKind::Escalation, &vars)?;
        messages.push(NewMessage {
            slot_id: None,
            dedupe_key: format!("slot:{}:escalation:{n}", letter.slot_id),
            kind: crate::domain::model::MessageKind::Escalation.as_str().to_string(),
            request_id: Some(letter.request.id),
            unit_id: Some(letter.unit.id),
            to_address: copy.address.clone(),
            to_name: Some(copy.name.clone()),
            message_id: slot_message_id(&letter.request.token, letter.slot_id, office.report_mailbox.domain()),
            subject: rendered.subject,
            body: rendered.text,
            body_html: rendered.html,
            in_reply_to: None,
            references_ids: None,
            cc_addresses: None,
        });
    }
    Ok(messages)
}

/// The variables of a unit's letter (or of a letter about it to those above it).
fn unit_vars(setup: &Setup<'_>, letter: &UnitLetter<'_>, now: DateTime<Utc>) -> UnitMessage {
    let office = &setup.settings.office;
    let UnitLetter {
        kind,
        request,
        unit,
        deadline,
        copies,
        via,
        ..
    } = letter;
    let (kind, deadline, via) = (*kind, *deadline, *via);
    let mut vars = UnitMessage::new(
        office_vars(setup.settings),
        UnitVars {
            code: unit.code.to_string(),
            name: unit.name.clone(),
        },
        request,
        deadline,
        kind,
        now,
        office.zone,
    );
    vars.escalated_to = copies.iter().map(|c| c.name.clone()).collect();
    if !copies.is_empty() {
        vars.escalation_via = via.as_str().to_string();
    }
    if let (SlotKind::Overdue, Some(deadline)) = (kind, deadline) {
        // "đã quá hạn 1 ngày làm việc": late is counted in working days, as the office does.
        vars.time_late = crate::domain::report::status::lateness_vi(deadline, now, (setup.calendar, office.zone));
    }
    vars
}

/// One letter as a unit would read it, before anything is sent.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    /// "Thông báo", "Nhắc trước hạn", "Quá hạn".
    pub label: &'static str,
    /// When it would go, as the plan computes it from the request's reminder settings.
    pub at: DateTime<Utc>,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The letters `unit` would get for `request`, rendered with the templates in use: the notice
/// (or its "để biết" form), the first reminder and the first overdue notice, each as of the
/// time it would go (`now` for the notice).
pub fn preview(
    setup: &Setup<'_>,
    request: &Request,
    unit: &Unit,
    files: Vec<String>,
    now: DateTime<Utc>,
) -> Result<Vec<Preview>, TemplateError> {
    let mut letters = vec![(
        SlotKind::Notice,
        if request.expects_report() {
            TemplateKind::Notice
        } else {
            TemplateKind::Information
        },
        now,
    )];
    if let Some(deadline) = request.deadline {
        if let Some(before) = request.remind_before.minutes().iter().min() {
            letters.push((
                SlotKind::Reminder,
                TemplateKind::Reminder,
                deadline - chrono::Duration::minutes(*before),
            ));
        }
        if let Some(after) = request.overdue_after.minutes().iter().min() {
            letters.push((
                SlotKind::Overdue,
                TemplateKind::Overdue,
                deadline + chrono::Duration::minutes(*after),
            ));
        }
    }
    let mut previews = Vec::new();
    for (kind, template, at) in letters {
        let letter = UnitLetter {
            slot_id: 0,
            kind,
            request,
            unit,
            template,
            deadline: request.deadline,
            missing_attachment: false,
            files: if kind == SlotKind::Notice {
                files.clone()
            } else {
                Vec::new()
            },
            answers: None,
            copies: Vec::new(),
            via: EscalateVia::Cc,
        };
        let message = compose(setup, letter, at)?;
        previews.push(Preview {
            label: match template {
                TemplateKind::Information => "Văn bản để biết",
                TemplateKind::Reminder => "Nhắc trước hạn",
                TemplateKind::Overdue => "Quá hạn",
                _ => "Thông báo",
            },
            at,
            to: format!("{} <{}>", unit.name, message.to_address),
            subject: message.subject,
            body: message.body,
        });
    }
    Ok(previews)
}

/// The office as every letter names it.
pub fn office_vars(settings: &Settings) -> OfficeVars {
    OfficeVars {
        name: settings.office.name.clone(),
        mailbox: settings.office.report_mailbox.to_string(),
        contact: settings.office.contact.clone(),
    }
}
