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

/// How the periods a text names are read for one series.
struct Reader<'a> {
    series: i64,
    kind: crate::domain::period::PeriodKind,
    school: SchoolDates,
    received: NaiveDate,
    /// The series' instances open for the unit: a period named without its year is the one
    /// of these (the latest begun) before the latest period begun on the calendar.
    open_periods: Vec<Period>,
    snapshot: &'a Snapshot,
}

impl Reader<'_> {
    /// The periods `text` names; `strong_only`: running text, where "T2" is thứ Hai.
    fn named(&self, text: &str, strong_only: bool) -> BTreeSet<Period> {
        mentions(text)
            .into_iter()
            .filter(|m| m.kind == self.kind && !(strong_only && m.weak))
            .filter_map(|m| {
                if m.year.is_none() && m.calendar_year.is_none() {
                    let open = self
                        .open_periods
                        .iter()
                        .filter(|p| p.index == m.index && p.starts_on(&self.school) <= self.received)
                        .max();
                    if let Some(open) = open {
                        return Some(*open);
                    }
                }
                m.period(self.received, &self.school)
            })
            .collect()
    }

    fn instance_of(&self, period: &Period) -> Option<RequestId> {
        self.snapshot
            .requests
            .values()
            .find(|r| r.period == Some((self.series, *period)))
            .map(|r| r.id)
    }
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
        let strong_in_text = mentions(&letter.own_text).into_iter().filter(|m| !m.weak);
        let kinds: BTreeSet<_> = mentions(&format!("{}\n{}", letter.subject, attachment_names(letter)))
            .into_iter()
            .chain(strong_in_text)
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
    let open_periods: Vec<Period> = open
        .iter()
        .filter_map(|id| snapshot.requests.get(id).and_then(|r| r.period))
        .filter(|(s, _)| *s == series)
        .map(|(_, p)| p)
        .collect();
    let reader = Reader {
        series,
        kind: kind_period.1.kind,
        school,
        received,
        open_periods,
        snapshot,
    };
    // The letters answered: the thread, and a token of ours in the subject (a relay may have
    // dropped In-Reply-To). "Re: … tháng 10/2026" repeats their periods; the unit did not
    // write those.
    let subject_key = crate::domain::matching::search_key(&letter.subject);
    let answered: BTreeSet<Period> = snapshot
        .requests
        .values()
        .filter(|r| thread.contains(&r.id) || crate::domain::matching::contains_key(&subject_key, &r.token_needle))
        .filter_map(|r| r.period)
        .filter(|(s, _)| *s == series)
        .map(|(_, p)| p)
        .collect();
    let mut from_subject = reader.named(&letter.subject, false);
    from_subject.retain(|p| !answered.contains(p));
    // Each file's own periods: one file per period may report several.
    let per_file: Vec<BTreeSet<Period>> = letter
        .attachments
        .iter()
        .map(|a| reader.named(&a.name, false))
        .filter(|named| !named.is_empty())
        .collect();
    let from_files: BTreeSet<Period> = per_file.iter().flatten().copied().collect();
    let files_one_each = per_file.iter().all(|named| named.len() == 1);
    let from_text = reader.named(&letter.own_text, true);
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
    let several = |where_: &str, periods: &BTreeSet<Period>| {
        review(
            Rule::PeriodConflict,
            format!(
                "{where_} ghi nhiều kỳ ({}) mà không có mỗi kỳ một tệp: cần chọn kỳ được ghi nhận",
                labels(periods)
            ),
            &[],
        )
    };
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
        // Several periods count only with one file for each.
        (_, false) if from_files.len() > 1 && !files_one_each => return several("tên tệp", &from_files),
        (false, true) if from_subject.len() > 1 => return several("tiêu đề", &from_subject),
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
        match reader.instance_of(period) {
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
