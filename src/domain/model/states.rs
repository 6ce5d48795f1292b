//! The states and kinds of the things baocao keeps (reminder slots, outgoing messages,
//! review items), each with the one word it is stored and shown as. `parse` is the only
//! way back from that word; the store turns an unknown word into a corrupt-column error.

use serde::Serialize;

/// Where a reminder slot stands: waiting, or settled one of four ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotState {
    /// Waiting for its due time.
    Planned,
    /// Its message is in the outbox.
    Queued,
    Sent,
    /// A later slot of the same (request, unit) went instead.
    Skipped,
    Cancelled,
}

impl SlotState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotState::Planned => "planned",
            SlotState::Queued => "queued",
            SlotState::Sent => "sent",
            SlotState::Skipped => "skipped",
            SlotState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<SlotState> {
        SlotState::ALL.into_iter().find(|value| value.as_str() == text)
    }

    /// Every value, in the order of its life.
    pub const ALL: [SlotState; 5] = [
        SlotState::Planned,
        SlotState::Queued,
        SlotState::Sent,
        SlotState::Skipped,
        SlotState::Cancelled,
    ];
}

/// Where an outgoing message stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Queued,
    /// Claimed by a sender, under a lease.
    Sending,
    Sent,
    /// A temporary failure: tried again at `next_attempt_at`.
    Retry,
    Failed,
    Cancelled,
}

impl MessageState {
    /// The words a clerk reads.
    pub const fn label_vi(self) -> &'static str {
        match self {
            MessageState::Queued => "chờ gửi",
            MessageState::Sending => "đang gửi",
            MessageState::Sent => "đã gửi",
            MessageState::Retry => "chờ gửi lại",
            MessageState::Failed => "lỗi",
            MessageState::Cancelled => "đã hủy",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Queued => "queued",
            MessageState::Sending => "sending",
            MessageState::Sent => "sent",
            MessageState::Retry => "retry",
            MessageState::Failed => "failed",
            MessageState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<MessageState> {
        MessageState::ALL.into_iter().find(|value| value.as_str() == text)
    }

    /// Every value, in the order of its life.
    pub const ALL: [MessageState; 6] = [
        MessageState::Queued,
        MessageState::Sending,
        MessageState::Sent,
        MessageState::Retry,
        MessageState::Failed,
        MessageState::Cancelled,
    ];
}

/// What an outgoing message is: one of a slot's three kinds, a letter asking those above a
/// late unit to see to it (escalation), a receipt for a counted report, or the office's
/// daily digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Notice,
    Reminder,
    Overdue,
    Escalation,
    Receipt,
    Digest,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Notice => "notice",
            MessageKind::Reminder => "reminder",
            MessageKind::Overdue => "overdue",
            MessageKind::Escalation => "escalation",
            MessageKind::Receipt => "receipt",
            MessageKind::Digest => "digest",
        }
    }

    pub fn parse(text: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|value| value.as_str() == text)
    }

    /// Every value, in the order of its life.
    pub const ALL: [MessageKind; 6] = [
        MessageKind::Notice,
        MessageKind::Reminder,
        MessageKind::Overdue,
        MessageKind::Escalation,
        MessageKind::Receipt,
        MessageKind::Digest,
    ];
}

/// Where a review item stands: open until a person decides, or how it was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Open,
    /// Counted for a unit and request.
    Assigned,
    /// Not a report.
    Rejected,
    /// The unit was granted a later deadline instead.
    Extended,
    /// The unit reported for that request afterwards.
    Superseded,
}

impl ReviewState {
    /// The words a clerk reads.
    pub const fn label_vi(self) -> &'static str {
        match self {
            ReviewState::Open => "chờ xem xét",
            ReviewState::Assigned => "đã ghi nhận",
            ReviewState::Rejected => "không tính",
            ReviewState::Extended => "đã gia hạn",
            ReviewState::Superseded => "đã có báo cáo sau",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Open => "open",
            ReviewState::Assigned => "assigned",
            ReviewState::Rejected => "rejected",
            ReviewState::Extended => "extended",
            ReviewState::Superseded => "superseded",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewState> {
        ReviewState::ALL.into_iter().find(|value| value.as_str() == text)
    }

    /// Every value, in the order of its life.
    pub const ALL: [ReviewState; 5] = [
        ReviewState::Open,
        ReviewState::Assigned,
        ReviewState::Rejected,
        ReviewState::Extended,
        ReviewState::Superseded,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_its_value_and_unknown_words_do_not() {
        for state in SlotState::ALL {
            assert_eq!(SlotState::parse(state.as_str()), Some(state));
        }
        for state in MessageState::ALL {
            assert_eq!(MessageState::parse(state.as_str()), Some(state));
        }
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
        }
        for state in ReviewState::ALL {
            assert_eq!(ReviewState::parse(state.as_str()), Some(state));
        }
        assert_eq!(SlotState::parse("Planned"), None);
        assert_eq!(MessageState::parse(""), None);
        assert_eq!(MessageKind::parse("information"), None);
        assert_eq!(ReviewState::parse("closed"), None);
    }
}
