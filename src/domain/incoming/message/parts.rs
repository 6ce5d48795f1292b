//! The body and attachments: the text, the sender's own words (quoted history and signature cut
//! off), and the files that count as a report and those that do not.

use mail_parser::{HeaderName, Message, MessagePart, MimeHeaders, PartType};

use super::*;

pub(super) fn body_text(message: &Message<'_>) -> String {
    let mut text = String::new();
    for index in 0..message.text_body_count().max(1) {
        if text.len() >= MAX_TEXT_BYTES {
            break;
        }
        if let Some(part) = message.body_text(index) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&part);
        }
    }
    if text.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    clean_text(&text)
}

/// Lines that start the quoted history of a reply or a forward, in the clients our units
/// use (Outlook and Gmail in Vietnamese and English, Thunderbird, iPhone, Yahoo, Zimbra).
pub(super) const HISTORY_MARKERS: [&str; 14] = [
    "-----original message-----",
    "-----thư gốc-----",
    "----- original message -----",
    "----- forwarded message -----",
    "---------- forwarded message ---------",
    "---------- thư đã chuyển tiếp ---------",
    "-------- forwarded message --------",
    "-------- thư chuyển tiếp --------",
    "________________________________",
    "begin forwarded message:",
    "----- tin nhắn chuyển tiếp -----",
    "-----tin nhắn gốc-----",
    "----- thư gốc -----",
    "-------- original message --------",
];
pub(super) const SIGNATURE_MARKERS: [&str; 6] = [
    "sent from my iphone",
    "sent from my ipad",
    "được gửi từ iphone của tôi",
    "gửi từ iphone của tôi",
    "sent from yahoo mail",
    "sent from my samsung",
];

/// The sender's own words: everything before the first quoted line, history marker,
/// "On … wrote:" line, Outlook header block or signature delimiter.
pub fn own_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let lower = trimmed.to_lowercase();
        if trimmed.starts_with('>') || line.trim_end() == "--" || line == &"-- " {
            break;
        }
        if HISTORY_MARKERS.iter().any(|m| lower.starts_with(m))
            || SIGNATURE_MARKERS.iter().any(|m| lower.starts_with(m))
        {
            break;
        }
        if is_attribution(&lower) {
            break;
        }
        // Outlook's plain-text header block: "From: …" followed by "Sent: …" / "Gửi: …".
        if (lower.starts_with("from:") || lower.starts_with("từ:"))
            && lines.get(i + 1).is_some_and(|next| {
                let next = next.trim().to_lowercase();
                ["sent:", "gửi:", "date:", "ngày:", "đã gửi:"]
                    .iter()
                    .any(|p| next.starts_with(p))
            })
        {
            break;
        }
        kept.push(trimmed);
    }
    let joined = kept.join("\n");
    joined.trim().to_string()
}

/// "On Mon, 4 Dec 2023 at 10:00, X wrote:", "Vào 10:00 Th 2, 4 thg 12, 2023 X đã viết:".
pub(super) fn is_attribution(lower: &str) -> bool {
    (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (lower.starts_with("vào ") && lower.ends_with("đã viết:"))
        || lower.ends_with("đã viết:")
        || (lower.ends_with("wrote:") && lower.len() < 200 && lower.contains('@'))
}

/// The contents of the attachment named `name` (as [`Letter::attachments`] names it), searched
/// in the same order, forwarded messages included: what the web page lets a clerk download.
pub fn attachment_named(raw: &[u8], name: &str) -> Option<Vec<u8>> {
    let message = std::panic::catch_unwind(|| MessageParser::default().parse(raw)).ok()??;
    let mut found = None;
    each_file(&message, 0, &mut |raw, part| {
        if attachment_of(raw, part).name == name {
            found = Some(part.contents().to_vec());
            return true;
        }
        false
    });
    found
}

pub(super) fn collect_attachments(message: &Message<'_>, depth: usize, out: &mut Vec<Attachment>) {
    each_file(message, depth, &mut |raw, part| {
        out.push(attachment_of(raw, part));
        out.len() >= MAX_ATTACHMENTS
    });
}

/// Calls `visit` with every part that is a file (forwarded messages searched, up to
/// [`MAX_NESTING`] deep) and the raw bytes its header offsets point into, in order, until
/// `visit` returns true. Parts of delivery reports and parts that are the message's own
/// text are not files.
pub(super) fn each_file(
    message: &Message<'_>,
    depth: usize,
    visit: &mut dyn FnMut(&[u8], &MessagePart<'_>) -> bool,
) -> bool {
    let raw = message.raw_message.as_ref();
    for part in message.attachments() {
        if let PartType::Message(inner) = &part.body {
            if depth < MAX_NESTING && each_file(inner, depth + 1, visit) {
                return true;
            }
            continue;
        }
        if is_bounce_part(part) || is_body_part(raw, part) {
            continue;
        }
        if visit(raw, part) {
            return true;
        }
    }
    false
}

pub(super) fn is_bounce_part(part: &MessagePart<'_>) -> bool {
    part.is_content_type("message", "delivery-status")
        || part.is_content_type("message", "global-delivery-status")
        || part.is_content_type("message", "disposition-notification")
        || part.is_content_type("text", "rfc822-headers")
}

/// A part that is the message's own text whatever mail-parser made of it (a body whose
/// base64 a relay broke comes back as binary and would be listed as a file): no file name,
/// no `attachment` disposition, and a text/* or multipart/* type, or none (RFC 2045 reads
/// that as text/plain). A garbled body is not a report file.
pub(super) fn is_body_part(raw: &[u8], part: &MessagePart<'_>) -> bool {
    if declared_name(raw, part).is_some() {
        return false;
    }
    if part
        .content_disposition()
        .is_some_and(|d| d.c_type.eq_ignore_ascii_case("attachment"))
    {
        return false;
    }
    part.content_type()
        .is_none_or(|ct| ct.c_type.eq_ignore_ascii_case("text") || ct.c_type.eq_ignore_ascii_case("multipart"))
}

/// The file name a part declares: Content-Disposition `filename`, else Content-Type `name`.
/// A name written in RFC 2231 form is read from the raw header (continuations joined, then
/// decoded: see [`rfc2231`](super::rfc2231)); a plain one (RFC 2047 words in quotes
/// included) as mail-parser decoded it.
pub(super) fn declared_name(raw: &[u8], part: &MessagePart<'_>) -> Option<String> {
    let raw_value = |name: HeaderName<'_>| {
        part.headers
            .iter()
            .rev()
            .find(|h| h.name == name)
            .and_then(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
    };
    if let Some(name) = raw_value(HeaderName::ContentDisposition).and_then(|v| rfc2231::parameter(v, "filename")) {
        return Some(name);
    }
    let windows_path = |header: HeaderName<'_>, attribute: &str| {
        raw_value(header)
            .and_then(|v| rfc2231::plain_parameter(v, attribute))
            .filter(|v| v.contains('\\'))
    };
    if let Some(name) = part.content_disposition().and_then(|d| d.attribute("filename")) {
        return Some(windows_path(HeaderName::ContentDisposition, "filename").unwrap_or_else(|| name.to_string()));
    }
    if let Some(name) = raw_value(HeaderName::ContentType).and_then(|v| rfc2231::parameter(v, "name")) {
        return Some(name);
    }
    let name = part.content_type().and_then(|ct| ct.attribute("name"))?;
    Some(windows_path(HeaderName::ContentType, "name").unwrap_or_else(|| name.to_string()))
}

pub(super) fn attachment_of(raw: &[u8], part: &MessagePart<'_>) -> Attachment {
    let size = part.contents().len();
    let content_type = part
        .content_type()
        .map(|ct| format!("{}/{}", ct.c_type, ct.c_subtype.as_deref().unwrap_or("")).to_ascii_lowercase())
        .unwrap_or_default();
    let name = declared_name(raw, part)
        .map(|n| clean_file_name(&n))
        .unwrap_or_else(|| {
            if content_type.is_empty() {
                "(không tên)".to_string()
            } else {
                format!("(không tên, {})", clean_line(&content_type.replace('/', " ")))
            }
        });
    let lower = name.to_lowercase();
    let not_counted = if lower.ends_with(".p7s") || content_type.contains("pkcs7-signature") {
        Some("chữ ký số của thư (.p7s)")
    } else if lower == "winmail.dat" || content_type == "application/ms-tnef" {
        Some("winmail.dat của Outlook (tệp đính kèm bị đóng gói, không đọc được)")
    } else if content_type.starts_with("image/") && part.content_id().is_some() && size < SIGNATURE_IMAGE_BYTES {
        Some("ảnh trong chữ ký hoặc nội dung thư")
    } else if size == 0 {
        Some("tệp rỗng")
    } else {
        None
    };
    Attachment {
        name,
        size,
        sha256: content_hash(part.contents()),
        not_counted,
    }
}
