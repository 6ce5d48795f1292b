//! Rule 4 for periodic reports. Units reuse last period's thread to send this period's
//! report, so a period named in the subject, the file names or the text wins over the thread
//! and the token; without one, the thread, then the token, then the unit's oldest open
//! period it has not reported yet. A subject that only repeats the period of the letter it
//! answers ("Re: … tháng 10/2026") names nothing of the unit's own.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{Found, Outcome, Reason, Rule, Snapshot, ToReview};
use crate::domain::incoming::message::Letter;
use crate::domain::model::{RequestId, UnitId};
use crate::domain::period::mention::mentions;
use crate::domain::period::{Period, SchoolDates};

/// The series a found request belongs to, when every request found is of one series.
fn series_of(snapshot: &Snapshot, ids: &[RequestId]) -> Option<i64> {
    let mut series = ids
        .iter()
        .map(|id| snapshot.requests.get(id).and_then(|r| r.period).map(|(s, _)| s));
    let first = series.next()??;
    series.all(|s| s == Some(first)).then_some(first)
}

/// The periods of `kind` a text names, each with its year (the latest begun by `received`).
fn named_in(text: &str, series: (i64, Period), school: &SchoolDates, received: NaiveDate) -> BTreeSet<Period> {
    mentions(text)
        .into_iter()
        .filter(|m| m.kind == series.1.kind)
        .filter_map(|m| m.period(received, school))
        .collect()
}

/// Where the period logic sends a letter of a unit whose request was `found` by rule 4.
pub(super) fn refine(
    letter: &Letter,
    snapshot: &Snapshot,
    unit_id: UnitId,
    thread: &[RequestId],
    received: NaiveDate,
    found: Found,
) -> Found {
    let open = snapshot.open(unit_id);
    let series = match &found {
        Found::One(id, _) => series_of(snapshot, &[*id]),
        Found::Several(ids, _) | Found::Elsewhere(ids) => series_of(snapshot, ids),
        _ => None,
    };
    // Several open requests and no code: a period named may say which series.
    let series = series.or_else(|| {
        let Found::Several(ids, Rule::NoCode) = &found else {
            return None;
        };
        let kinds: BTreeSet<_> = mentions(&format!("{}\n{}", letter.subject, attachment_names(letter)))
            .into_iter()
            .map(|m| m.kind)
            .collect();
        let fitting: BTreeSet<i64> = ids
            .iter()
            .filter_map(|id| snapshot.requests.get(id).and_then(|r| r.period))
            .filter(|(_, p)| kinds.contains(&p.kind))
            .map(|(s, _)| s)
            .collect();
        (fitting.len() == 1).then(|| fitting.into_iter().next()).flatten()
    });
    let Some(series) = series else {
        return found;
    };
    let Some(kind_period) = snapshot
        .requests
        .values()
        .find_map(|r| r.period.filter(|(s, _)| *s == series))
    else {
        return found;
    };
    let school = snapshot.series_school.get(&series).copied().unwrap_or_default();
    let instance_of = |period: &Period| {
        snapshot
            .requests
            .values()
            .find(|r| r.period == Some((series, *period)))
            .map(|r| r.id)
    };
    let thread_periods: BTreeSet<Period> = thread
        .iter()
        .filter_map(|id| snapshot.requests.get(id).and_then(|r| r.period))
        .filter(|(s, _)| *s == series)
        .map(|(_, p)| p)
        .collect();
    let mut from_subject = named_in(&letter.subject, kind_period, &school, received);
    // "Re: … tháng 10/2026" repeats the letter it answers; the unit did not write it.
    if !thread_periods.is_empty() && from_subject.is_subset(&thread_periods) {
        from_subject.clear();
    }
    let from_files: BTreeSet<Period> = letter
        .attachments
        .iter()
        .flat_map(|a| named_in(&a.name, kind_period, &school, received))
        .collect();
    let from_text = named_in(&letter.own_text, kind_period, &school, received);
    let series_open: Vec<RequestId> = open
        .iter()
        .copied()
        .filter(|id| {
            snapshot
                .requests
                .get(id)
                .and_then(|r| r.period)
                .is_some_and(|(s, _)| s == series)
        })
        .collect();
    let review = |rule: Rule, detail: String, extra: &[RequestId]| -> Found {
        let mut candidates: Vec<RequestId> = series_open.iter().chain(extra).copied().collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut outcome = ToReview::new(Reason::AmbiguousRequest, rule, detail).unit(Some(unit_id));
        outcome.candidates = candidates;
        Found::Decided(Outcome::Review(outcome))
    };
    let labels = |periods: &BTreeSet<Period>| periods.iter().map(Period::label_vi).collect::<Vec<_>>().join(", ");
    let named = match (from_subject.is_empty(), from_files.is_empty()) {
        (false, false) if from_subject != from_files => {
            return review(
                Rule::PeriodConflict,
                format!(
                    "tiêu đề ghi kỳ {}, tên tệp ghi kỳ {}: cần chọn kỳ được ghi nhận",
                    labels(&from_subject),
                    labels(&from_files)
                ),
                &[],
            );
        }
        (false, _) => from_subject,
        (true, false) => from_files,
        (true, true) if from_text.len() > 1 => {
            return review(
                Rule::PeriodConflict,
                format!(
                    "thư nhắc tới nhiều kỳ ({}) mà không ghi rõ kỳ nào được báo cáo",
                    labels(&from_text)
                ),
                &[],
            );
        }
        (true, true) => from_text,
    };
    if named.is_empty() {
        return without_named_period(snapshot, unit_id, &series_open, found);
    }
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    let mut elsewhere = Vec::new();
    for period in &named {
        match instance_of(period) {
            Some(id) if open.contains(&id) => targets.push(id),
            Some(id) => {
                elsewhere.push(id);
                let why = match snapshot.requests.get(&id) {
                    Some(r) if !r.active => "đã đóng",
                    _ => "không giao cho đơn vị này",
                };
                problems.push(format!("kỳ {} {why}", period.label_vi()));
            }
            None if period.starts_on(&school) > received => {
                problems.push(format!("kỳ {} chưa bắt đầu", period.label_vi()));
            }
            None => problems.push(format!("chưa có yêu cầu báo cáo kỳ {}", period.label_vi())),
        }
    }
    if !problems.is_empty() {
        return review(
            Rule::NoSuchPeriod,
            format!("thư ghi {}: {}", labels(&named), problems.join("; ")),
            &elsewhere,
        );
    }
    match targets.as_slice() {
        [one] => Found::One(*one, Rule::NamedPeriod),
        _ => Found::Many(targets, Rule::NamedPeriod),
    }
}

/// No period named: the thread or the token (a found request of the series stands), else
/// the unit's oldest open period it has not reported yet, else the review queue.
fn without_named_period(snapshot: &Snapshot, unit_id: UnitId, series_open: &[RequestId], found: Found) -> Found {
    match found {
        Found::One(..) => found,
        Found::Several(..) | Found::Elsewhere(..) => {
            let oldest = series_open
                .iter()
                .filter(|id| !snapshot.reported.contains(&(**id, unit_id)))
                .filter_map(|id| snapshot.requests.get(id).map(|r| (r.deadline, *id)))
                .min();
            match oldest {
                Some((_, id)) => Found::One(id, Rule::OldestOpenPeriod),
                None => found,
            }
        }
        other => other,
    }
}

fn attachment_names(letter: &Letter) -> String {
    letter
        .attachments
        .iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[path = "periods_tests.rs"]
mod tests;
