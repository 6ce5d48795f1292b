//! Bounces: delivery-status reports (RFC 3464) split into per-recipient fields, and the plain-text
//! notices of mailers that send none.

use mail_parser::{Message, MimeHeaders, PartType};

use super::*;

pub(super) const BOUNCE_SENDERS: [&str; 3] = ["mailer-daemon", "postmaster", "mail-daemon"];
pub(super) const BOUNCE_SUBJECTS: [&str; 12] = [
    "undelivered mail",
    "undeliverable",
    "delivery status notification",
    "mail delivery failed",
    "delivery failure",
    "returned mail",
    "failure notice",
    "delivery has failed",
    "mail delivery system",
    "không gửi được",
    "không thể gửi",
    "thư không được gửi",
];
pub(super) const DELAY_WORDS: [&str; 6] = [
    "delayed",
    "(delay)",
    "will retry",
    "still being retried",
    "will continue to try",
    "chưa gửi được",
];

pub(super) fn bounce_of(message: &Message<'_>, subject: &str, from: Option<&str>) -> Option<Bounce> {
    let status_part = message.parts.iter().find(|p| {
        p.is_content_type("message", "delivery-status") || p.is_content_type("message", "global-delivery-status")
    });
    if let Some(part) = status_part {
        let text = String::from_utf8_lossy(part.contents()).into_owned();
        let mut bounce = Bounce {
            structured: true,
            recipients: parse_delivery_status(&text),
            ..Bounce::default()
        };
        bounce.original_ids = returned_ids(message);
        return Some(bounce);
    }
    let sender_local = from
        .and_then(|f| f.split('@').next())
        .unwrap_or("")
        .to_ascii_lowercase();
    let lower_subject = subject.to_lowercase();
    let from_daemon = BOUNCE_SENDERS.iter().any(|s| sender_local == *s);
    let bounce_subject = BOUNCE_SUBJECTS.iter().any(|s| lower_subject.contains(s));
    if !(from_daemon && (bounce_subject || return_path_is_null(message))) {
        return None;
    }
    let text = body_text(message).to_lowercase();
    Some(Bounce {
        structured: false,
        recipients: Vec::new(),
        original_ids: returned_ids(message),
        text_says_delayed: DELAY_WORDS
            .iter()
            .any(|w| text.contains(w) || lower_subject.contains(w)),
    })
}

/// The blocks of a message/delivery-status body: the per-message block, then one per
/// recipient, each a set of header fields.
pub(super) fn parse_delivery_status(text: &str) -> Vec<BounceRecipient> {
    let normalized = text.replace("\r\n", "\n");
    let mut recipients = Vec::new();
    for block in normalized.split("\n\n") {
        let fields = header_fields(block);
        let get = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let Some(action) = get("Action") else { continue };
        let address = get("Final-Recipient")
            .or_else(|| get("Original-Recipient"))
            .map(|v| v.split_once(';').map(|(_, a)| a).unwrap_or(&v).trim().to_lowercase())
            .map(|a| clean_address(a.trim_matches(['<', '>'])));
        recipients.push(BounceRecipient {
            address,
            action: action.trim().to_ascii_lowercase(),
            status: get("Status").map(|s| s.split_whitespace().next().unwrap_or("").to_string()),
            diagnostic: get("Diagnostic-Code").map(|d| clean_line(&d)),
        });
    }
    recipients
}

/// `Name: value` fields with folded continuation lines.
pub(super) fn header_fields(block: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    fields
}

/// The Message-IDs of the message a bounce returns: from an attached message/rfc822 or
/// text/rfc822-headers part, else every `<…@…>` found in the text parts.
pub(super) fn returned_ids(message: &Message<'_>) -> Vec<String> {
    let mut ids = Vec::new();
    for part in &message.parts {
        if let PartType::Message(inner) = &part.body {
            ids.extend(inner.message_id().map(clean_id));
        } else if part.is_content_type("text", "rfc822-headers") {
            let headers = part.contents();
            if let Some(inner) = MessageParser::default().parse_headers(headers) {
                ids.extend(inner.message_id().map(clean_id));
            }
        }
    }
    if ids.is_empty() {
        for part in &message.parts {
            if let PartType::Text(text) = &part.body {
                ids.extend(angle_ids(text));
            }
        }
    }
    ids.retain(|id| !id.is_empty());
    ids.dedup();
    ids
}

pub(super) fn angle_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let candidate = &after[..close];
        if candidate.contains('@') && !candidate.contains(char::is_whitespace) && candidate.len() < 300 {
            ids.push(clean_id(candidate));
        }
        rest = &after[close + 1..];
    }
    ids
}
