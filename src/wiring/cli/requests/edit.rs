//! `request extend` and `request edit`: a later deadline for all or some units, and changes to a
//! request's fields, each recorded.

use super::super::{CliResult, Context};
use super::*;
use crate::domain::model::{GroupCode, RequestState, UnitCode};

/// `request extend`: a later deadline for the whole request or some units, re-planned at once.
pub(super) async fn extend(
    context: &Context,
    reference: &str,
    until: &str,
    units: &[String],
    at: Option<&str>,
) -> CliResult {
    let zone = context.settings.office.zone;
    let request = context.store.resolve_request(reference).await?;
    if request.state == RequestState::Closed {
        return Err(refused(format!(
            "yêu cầu {} đã đóng: không gia hạn được",
            request.token
        )));
    }
    let now = context.at(at)?;
    let done = crate::services::decisions::extend_request(&context.store, &request, until, units, zone, now).await?;
    tracing::info!(request = %request.token, units = done.replanned, "deadline extended");
    if request.state == RequestState::Active {
        let calendar = &context.calendar;
        crate::services::reminders::plan_new_units(&context.store, &context.settings, calendar, now).await?;
    }
    let whom = if units.is_empty() {
        "cả yêu cầu".to_string()
    } else {
        units.join(", ")
    };
    println!(
        "đã gia hạn {} ({whom}) đến {}; lập lại lịch nhắc cho {} đơn vị, đơn vị chưa báo cáo nhận thư gia hạn",
        request.token, done.shown, done.replanned
    );
    Ok(())
}

/// An optional text a clerk may clear with "": `Some(None)` clears.
pub(super) fn cleared(text: Option<&str>) -> Option<Option<String>> {
    text.map(|t| tidy(Some(t)))
}

/// `request edit`: corrections and changes, each recorded; a new deadline re-plans.
pub(super) async fn edit(context: &Context, args: EditArgs) -> CliResult {
    let zone = context.settings.office.zone;
    let request = context.store.resolve_request(&args.request).await?;
    let now = context.at(args.at.as_deref())?;
    let deadline = match &args.deadline {
        None => None,
        Some(text) => Some(crate::services::decisions::new_deadline(&request, text, zone).map_err(refused)?),
    };
    let groups = |codes: &[String]| -> CliResult<Vec<GroupCode>> {
        codes.iter().map(|g| GroupCode::parse(g).map_err(refused)).collect()
    };
    let units = |codes: &[String]| -> CliResult<Vec<UnitCode>> {
        codes.iter().map(|u| UnitCode::parse(u).map_err(refused)).collect()
    };
    let edit = crate::adapters::store::RequestEdit {
        title: tidy(args.title.as_deref()),
        content: cleared(args.content.as_deref()),
        issuer: cleared(args.issuer.as_deref()),
        kind: cleared(args.kind.as_deref()),
        deadline,
        add_groups: groups(&args.add_groups)?,
        remove_groups: groups(&args.remove_groups)?,
        add_units: units(&args.add_units)?,
        remove_units: units(&args.remove_units)?,
        add_files: read_files(&args.attach)?,
        remove_files: args.remove_attachments.clone(),
        escalation: match args.escalate.escalation()? {
            Some(own) => Some(Some(own)),
            None => args.escalate_default.then_some(None),
        },
        note: "hạn báo cáo đã sửa; lập lại lịch nhắc".to_string(),
    };
    let done = context.store.edit_request(&request, &edit, now).await?;
    tracing::info!(request = %request.token, changes = done.changes.len(), "request edited");
    if request.state == RequestState::Active {
        let calendar = &context.calendar;
        crate::services::reminders::plan_new_units(&context.store, &context.settings, calendar, now).await?;
    }
    println!("đã sửa {} ({}):", request.token, request.code);
    for (field, before, after) in &done.changes {
        println!("  {field}: {}", change_vi(before.as_deref(), after.as_deref()));
    }
    if !done.units_added.is_empty() {
        println!(
            "  thêm {} đơn vị: {}",
            done.units_added.len(),
            done.units_added.join(", ")
        );
    }
    if !done.units_removed.is_empty() {
        println!(
            "  bỏ {} đơn vị (đơn vị đã báo cáo vẫn giữ báo cáo): {}",
            done.units_removed.len(),
            done.units_removed.join(", ")
        );
    }
    if done.replanned > 0 {
        println!(
            "  lập lại lịch nhắc cho {} đơn vị; đơn vị đã nhận thông báo sẽ nhận thư gia hạn",
            done.replanned
        );
    }
    if request.state == RequestState::Active && !edit.add_files.is_empty() {
        println!("  tệp mới gửi kèm thông báo của đơn vị chưa nhận thông báo; đơn vị đã nhận không được gửi lại");
    }
    Ok(())
}

/// "cũ → mới", "(trống) → mới", "cũ → (bỏ)".
pub(super) fn change_vi(before: Option<&str>, after: Option<&str>) -> String {
    match (before, after) {
        (None, Some(after)) => format!("thêm {after}"),
        (Some(before), None) => format!("bỏ {before}"),
        (Some(before), Some(after)) => format!("{before} → {after}"),
        (None, None) => String::new(),
    }
}
