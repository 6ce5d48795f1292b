//! The status of one request: for each unit it names, whether it has reported, late or on
//! time, or is pending, overdue or waiting in the review queue. The decision
//! ([`unit_state`]) is pure; the text table is for a clerk's terminal and the JSON form has
//! stable field names for machines.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::calendar::WorkingCalendar;
use crate::domain::dates::format_instant;
use crate::domain::model::{EmailAddress, IncomingId, Request, SubmissionVia, UnitCode};

/// The facts the status is computed from (the store gathers them).
/// One submission as the status needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionFact {
    pub received_at: DateTime<Utc>,
    pub via: SubmissionVia,
    pub late: bool,
    pub attachments: Vec<String>,
    /// The message it came in, for an email submission (its kept copy holds the files).
    pub incoming_id: Option<IncomingId>,
}

/// Everything known about one unit for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusFacts {
    pub unit: UnitCode,
    pub unit_name: String,
    /// Group codes (what recipients match on).
    pub groups: Vec<String>,
    /// The same groups as the office reads them: each one's display name, or its code when
    /// it has none.
    pub group_names: Vec<String>,
    /// A later deadline granted to this unit, if any.
    pub extended_deadline: Option<DateTime<Utc>>,
    /// Oldest first.
    pub submissions: Vec<SubmissionFact>,
    pub open_review_items: i64,
    pub last_reminder_at: Option<DateTime<Utc>>,
    /// Notices, reminders and overdue notices that went out to the unit.
    pub reminders_sent: i64,
    pub failing_addresses: Vec<EmailAddress>,
}

/// Where one unit stands on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitState {
    Pending,
    Reported,
    ReportedLate,
    Overdue,
    Review,
    /// A request "để biết": the notice reached the unit's mail server.
    Informed,
    /// A request "để biết": the notice has not gone yet (or could not).
    NotInformed,
}

impl UnitState {
    pub fn label_vi(self) -> &'static str {
        match self {
            UnitState::Pending => "chưa báo cáo",
            UnitState::Reported => "đã báo cáo",
            UnitState::ReportedLate => "báo cáo muộn",
            UnitState::Overdue => "quá hạn",
            UnitState::Review => "chờ xem xét",
            UnitState::Informed => "đã gửi văn bản",
            UnitState::NotInformed => "chưa gửi văn bản",
        }
    }

    pub fn has_reported(self) -> bool {
        matches!(self, UnitState::Reported | UnitState::ReportedLate)
    }
}

/// What decides a unit's state, and nothing else: the overview counts these for every unit
/// of every request from one query, and [`state_of`] is the one place the rules live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateFacts {
    pub extended_deadline: Option<DateTime<Utc>>,
    /// A submission that was not late.
    pub on_time: bool,
    /// Any submission.
    pub reported: bool,
    /// A message waiting in review for this unit.
    pub in_review: bool,
    /// A notice, reminder or overdue notice went out to it.
    pub informed: bool,
}

impl StatusFacts {
    pub fn state_facts(&self) -> StateFacts {
        StateFacts {
            extended_deadline: self.extended_deadline,
            on_time: self.submissions.iter().any(|s| !s.late),
            reported: !self.submissions.is_empty(),
            in_review: self.open_review_items > 0,
            informed: self.reminders_sent > 0,
        }
    }
}

/// [`state_of`] for a unit's whole facts.
pub fn unit_state(facts: &StatusFacts, deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> UnitState {
    state_of(&facts.state_facts(), deadline, now)
}

/// The rules, in order: a request "để biết" (no deadline) only says whether its notice went;
/// the first on-time submission decides; a late one counts as late; a message waiting in
/// review shows as review; past the (possibly extended) deadline with nothing is overdue;
/// otherwise pending.
pub fn state_of(facts: &StateFacts, deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> UnitState {
    let Some(deadline) = deadline else {
        return if facts.informed {
            UnitState::Informed
        } else {
            UnitState::NotInformed
        };
    };
    if facts.on_time {
        UnitState::Reported
    } else if facts.reported {
        UnitState::ReportedLate
    } else if facts.in_review {
        UnitState::Review
    } else if now > facts.extended_deadline.unwrap_or(deadline) {
        UnitState::Overdue
    } else {
        UnitState::Pending
    }
}

/// How many of a request's units stand where: what the overview's card shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    pub total: usize,
    /// Reported on time or late, or (a request "để biết") informed.
    pub reported: usize,
    pub late: usize,
    pub pending: usize,
    pub overdue: usize,
    pub review: usize,
}

impl StateCounts {
    /// Counts `n` more units in `state`.
    pub fn add(&mut self, state: UnitState, n: usize) {
        self.total += n;
        if state.has_reported() || state == UnitState::Informed {
            self.reported += n;
        }
        match state {
            UnitState::ReportedLate => self.late += n,
            UnitState::Pending => self.pending += n,
            UnitState::Overdue => self.overdue += n,
            UnitState::Review => self.review += n,
            _ => {}
        }
    }

    /// The counts of units whose facts come in groups of the same facts (`(facts, units)`).
    pub fn of_groups(
        groups: &[(StateFacts, usize)],
        deadline: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StateCounts {
        let mut counts = StateCounts::default();
        for (facts, n) in groups {
            counts.add(state_of(facts, deadline, now), *n);
        }
        counts
    }
}

/// One row of the status table.
#[derive(Debug, Clone, Serialize)]
pub struct UnitStatus {
    pub unit: String,
    pub name: String,
    /// Group codes, as recipients name them.
    pub groups: Vec<String>,
    /// The groups' display names (the code where a group has none), in the same order.
    pub group_names: Vec<String>,
    pub state: UnitState,
    /// When the deciding submission was received (IMAP INTERNALDATE or the manual mark).
    pub reported_at: Option<DateTime<Utc>>,
    pub via: Option<SubmissionVia>,
    pub attachments: Vec<String>,
    /// `None` for a request "để biết".
    pub deadline: Option<DateTime<Utc>>,
    pub last_reminder_at: Option<DateTime<Utc>>,
    pub reminders_sent: i64,
    /// The incoming message of the deciding submission, when it came by email.
    pub incoming_id: Option<IncomingId>,
    pub failing_addresses: Vec<String>,
    /// How late, in words ("2 giờ", "1 ngày làm việc"), for a unit that reported late or is
    /// overdue; shown after the state ("báo cáo muộn 2 giờ", "quá hạn 1 ngày làm việc").
    pub late_by: Option<String>,
}

/// The status of one request.
#[derive(Debug, Clone, Serialize)]
pub struct RequestStatus {
    pub request: String,
    pub code: String,
    pub year: i32,
    pub title: String,
    pub state: crate::domain::model::RequestState,
    /// `None` for a request "để biết": `reported` then counts the units the notice reached.
    pub deadline: Option<DateTime<Utc>>,
    /// The deadline as the directive wrote it.
    pub deadline_wording: Option<String>,
    pub reported: usize,
    pub total: usize,
    pub units: Vec<UnitStatus>,
}

pub fn request_status(
    request: &Request,
    facts: &[StatusFacts],
    now: DateTime<Utc>,
    days: (&WorkingCalendar, Tz),
) -> RequestStatus {
    let units: Vec<UnitStatus> = facts
        .iter()
        .map(|f| {
            let state = unit_state(f, request.deadline, now);
            let deciding = f.submissions.iter().find(|s| !s.late).or_else(|| f.submissions.first());
            let deadline = f.extended_deadline.or(request.deadline);
            let late_by = match (state, deciding, deadline) {
                (UnitState::ReportedLate, Some(s), Some(d)) => Some(lateness_vi(d, s.received_at, days)),
                (UnitState::Overdue, _, Some(d)) => Some(lateness_vi(d, now, days)),
                _ => None,
            };
            UnitStatus {
                unit: f.unit.to_string(),
                name: f.unit_name.clone(),
                groups: f.groups.clone(),
                group_names: f.group_names.clone(),
                state,
                reported_at: deciding.map(|s| s.received_at),
                via: deciding.map(|s| s.via),
                attachments: deciding.map(|s| s.attachments.clone()).unwrap_or_default(),
                deadline,
                last_reminder_at: f.last_reminder_at,
                reminders_sent: f.reminders_sent,
                incoming_id: deciding.and_then(|s| s.incoming_id),
                failing_addresses: f.failing_addresses.iter().map(|a| a.to_string()).collect(),
                late_by,
            }
        })
        .collect();
    RequestStatus {
        request: request.token.clone(),
        code: request.code.to_string(),
        year: request.year,
        title: request.title.clone(),
        state: request.state,
        deadline: request.deadline,
        deadline_wording: request.deadline_wording.clone(),
        reported: units
            .iter()
            .filter(|u| u.state.has_reported() || u.state == UnitState::Informed)
            .count(),
        total: units.len(),
        units,
    }
}

impl RequestStatus {
    pub fn counts(&self) -> StateCounts {
        let mut counts = StateCounts::default();
        for unit in &self.units {
            counts.add(unit.state, 1);
        }
        counts
    }
}

/// How long after `deadline` the instant `at` is, in the words an office uses: seconds,
/// minutes or whole hours within the first day (never rounded up); past a day, on which
/// working day after the deadline's date it came ("1 ngày làm việc": the first working day
/// after), or whole hours when only days off lie between.
pub fn lateness_vi(deadline: DateTime<Utc>, at: DateTime<Utc>, (calendar, zone): (&WorkingCalendar, Tz)) -> String {
    let seconds = (at - deadline).num_seconds().max(0);
    if seconds < 60 {
        return format!("{seconds} giây");
    }
    if seconds < 3600 {
        return format!("{} phút", seconds / 60);
    }
    let hours = format!("{} giờ", seconds / 3600);
    if seconds < 24 * 3600 {
        return hours;
    }
    let working = working_days_late(deadline, at, (calendar, zone));
    if working == 0 {
        hours
    } else {
        format!("{working} ngày làm việc")
    }
}

/// The working days after the deadline's day up to `at`'s day: how late, as an office counts.
pub fn working_days_late(deadline: DateTime<Utc>, at: DateTime<Utc>, (calendar, zone): (&WorkingCalendar, Tz)) -> u32 {
    let (from, to) = (
        deadline.with_timezone(&zone).date_naive(),
        at.with_timezone(&zone).date_naive(),
    );
    let mut working = 0;
    let mut day = from.succ_opt();
    while let Some(d) = day.filter(|d| *d <= to) {
        working += u32::from(calendar.is_working_day(d));
        day = d.succ_opt();
    }
    working
}

/// The table a clerk reads in a terminal.
pub fn render_text(status: &RequestStatus, zone: Tz) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} — {} (số {}, năm {})\nHạn: {} · trạng thái: {} · {}/{} {}\n",
        status.request,
        status.title,
        status.code,
        status.year,
        crate::domain::dates::deadline_shown(status.deadline, status.deadline_wording.as_deref(), zone),
        status.state.label_vi(),
        status.reported,
        status.total,
        if status.deadline.is_some() {
            "đã báo cáo"
        } else {
            "đã gửi văn bản"
        }
    ));
    let header = [
        "Đơn vị",
        "Tên",
        "Trạng thái",
        "Thời điểm",
        "Cách",
        "Tệp đính kèm",
        "Nhắc gần nhất",
    ];
    let rows: Vec<Vec<String>> = status
        .units
        .iter()
        .map(|u| {
            let mut state = u.state.label_vi().to_string();
            if let Some(late_by) = &u.late_by {
                state.push_str(&format!(" {late_by}"));
            }
            if !u.failing_addresses.is_empty() {
                state.push_str(" (!địa chỉ lỗi)");
            }
            vec![
                u.unit.clone(),
                u.name.clone(),
                state,
                u.reported_at.map(|t| format_instant(t, zone)).unwrap_or_default(),
                match u.via {
                    Some(SubmissionVia::Email) => "email".to_string(),
                    Some(SubmissionVia::Manual) => "thủ công".to_string(),
                    None => String::new(),
                },
                u.attachments.join(", "),
                u.last_reminder_at.map(|t| format_instant(t, zone)).unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&crate::domain::report::table(&header, &rows));
    let failing: Vec<String> = status
        .units
        .iter()
        .flat_map(|u| u.failing_addresses.iter().map(move |a| format!("  {}: {a}", u.unit)))
        .collect();
    if !failing.is_empty() {
        out.push_str("Địa chỉ không nhận được thư (xem: baocao outbox list --failed):\n");
        for line in failing {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::UnitCode;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2023, 12, day, hour, 0, 0).unwrap()
    }

    fn facts(submissions: Vec<(u32, bool)>, reviews: i64, extended: Option<DateTime<Utc>>) -> StatusFacts {
        StatusFacts {
            unit: UnitCode::parse("pgd-muongcha").unwrap(),
            unit_name: "Phòng GD&ĐT Mường Chà".into(),
            groups: vec![],
            group_names: vec![],
            extended_deadline: extended,
            submissions: submissions
                .into_iter()
                .map(|(day, late)| SubmissionFact {
                    received_at: at(day, 3),
                    via: SubmissionVia::Email,
                    late,
                    attachments: vec![],
                    incoming_id: None,
                })
                .collect(),
            open_review_items: reviews,
            last_reminder_at: None,
            reminders_sent: 0,
            failing_addresses: vec![],
        }
    }

    #[test]
    fn lateness_is_said_in_the_largest_whole_unit_never_rounded_up() {
        let calendar = WorkingCalendar::new(crate::domain::calendar::CalendarFile::default());
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let days = (&calendar, zone);
        // Friday 15/12/2023 17:00 local.
        let deadline = Utc.with_ymd_and_hms(2023, 12, 15, 10, 0, 0).unwrap();
        let after = |s: i64| deadline + chrono::Duration::seconds(s);
        assert_eq!(lateness_vi(deadline, after(20), days), "20 giây");
        assert_eq!(lateness_vi(deadline, after(59 * 60 + 59), days), "59 phút");
        assert_eq!(lateness_vi(deadline, after(2 * 3600 + 3599), days), "2 giờ");
        // Monday 09:00: the first working day after the deadline.
        assert_eq!(lateness_vi(deadline, after(64 * 3600), days), "1 ngày làm việc");
        // Wednesday 16:59: the third.
        assert_eq!(
            lateness_vi(deadline, after(5 * 24 * 3600 - 60), days),
            "3 ngày làm việc"
        );
        // Sunday 17:00, only days off since: hours.
        assert_eq!(lateness_vi(deadline, after(48 * 3600), days), "48 giờ");
        // Over New Year: due Saturday 30/12/2023, in on Tuesday 02/01/2024 (1/1 is a holiday).
        let saturday = Utc.with_ymd_and_hms(2023, 12, 30, 16, 59, 59).unwrap();
        let tuesday = Utc.with_ymd_and_hms(2024, 1, 2, 2, 0, 0).unwrap();
        assert_eq!(lateness_vi(saturday, tuesday, days), "1 ngày làm việc");
    }

    #[test]
    fn the_state_of_a_unit_follows_the_rules_in_order() {
        let deadline = at(30, 16);
        let before = at(29, 0);
        let after = at(31, 0);
        let cases = [
            (facts(vec![], 0, None), before, UnitState::Pending),
            (facts(vec![], 0, None), after, UnitState::Overdue),
            (facts(vec![], 1, None), after, UnitState::Review),
            (facts(vec![(31, true)], 1, None), after, UnitState::ReportedLate),
            (
                facts(vec![(31, true), (29, false)], 0, None),
                after,
                UnitState::Reported,
            ),
            (facts(vec![], 0, Some(at(31, 10))), after, UnitState::Pending),
        ];
        for (i, (f, now, expected)) in cases.into_iter().enumerate() {
            assert_eq!(unit_state(&f, Some(deadline), now), expected, "case {i}");
        }
    }
}
