//! Whether a counted submission may be answered with a receipt, and how the receipt
//! threads under it. Pure code: the pipeline renders and queues the receipt.
//!
//! RFC 3834 §2: never answer mail that is itself automatic (any `Auto-Submitted` other
//! than `no`, vendor auto-reply headers, `Precedence: bulk|junk|list`, list traffic), a
//! message with a null Return-Path, or mail from mailer-daemon, postmaster, `owner-*` or
//! `*-request` addresses. An e-office system's `auto-generated` report is counted, but it
//! gets no receipt either: a robot does not read it, and two robots must not talk.

use super::message::Letter;

/// Why no receipt goes to this sender, or `None` when one may.
pub fn refusal(letter: &Letter) -> Option<&'static str> {
    if letter.auto.auto_submitted.is_some() || letter.auto.vendor_header.is_some() {
        return Some("thư tự động");
    }
    if letter.auto.precedence.is_some() || letter.auto.list {
        return Some("thư gửi hàng loạt hoặc từ danh sách thư");
    }
    if letter.return_path_null || letter.bounce.is_some() || letter.read_receipt {
        return Some("thư báo của máy chủ");
    }
    let Some(from) = letter.from.as_deref() else {
        return Some("không có địa chỉ người gửi");
    };
    let local = from.split('@').next().unwrap_or_default();
    let robot = [
        "mailer-daemon",
        "postmaster",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
    ]
    .contains(&local)
        || local.starts_with("owner-")
        || local.ends_with("-request");
    if robot {
        return Some("địa chỉ của máy, không phải người");
    }
    None
}

/// `(In-Reply-To, References)` of a receipt to `letter`, without angle brackets: the
/// parent's Message-ID, and the parent's References followed by it (RFC 5322 §3.6.4).
pub fn threading(letter: &Letter) -> (Option<String>, Option<String>) {
    let Some(parent) = letter.message_id.clone() else {
        return (None, None);
    };
    let mut references: Vec<&str> = letter
        .references
        .iter()
        .map(String::as_str)
        .filter(|id| *id != parent)
        .collect();
    // Long threads: the first and the last few are what clients use.
    if references.len() > 10 {
        let tail = references.split_off(references.len() - 9);
        references.truncate(1);
        references.extend(tail);
    }
    references.push(&parent);
    let references = references.join(" ");
    (Some(parent), Some(references))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Letter {
        Letter {
            from: Some("pgddt.muongcha@dienbien.edu.vn".into()),
            message_id: Some("reply-1@mail.gmail.com".into()),
            references: vec!["baocao.bc-1.3.abc@moet.edu.vn".into()],
            ..Letter::default()
        }
    }

    #[test]
    fn a_person_gets_a_receipt_and_robots_do_not() {
        assert_eq!(refusal(&person()), None);
        let mut e_office = person();
        e_office.auto.auto_submitted = Some("auto-generated".into());
        assert!(refusal(&e_office).is_some());
        let mut bulk = person();
        bulk.auto.precedence = Some("bulk".into());
        assert!(refusal(&bulk).is_some());
        let mut null_path = person();
        null_path.return_path_null = true;
        assert!(refusal(&null_path).is_some());
        for robot in [
            "MAILER-DAEMON@x.vn",
            "postmaster@x.vn",
            "owner-list@x.vn",
            "list-request@x.vn",
            "noreply@x.vn",
        ] {
            let mut letter = person();
            letter.from = Some(robot.to_lowercase());
            assert!(refusal(&letter).is_some(), "{robot}");
        }
        let mut anonymous = person();
        anonymous.from = None;
        assert!(refusal(&anonymous).is_some());
    }

    #[test]
    fn a_receipt_threads_under_the_message_it_answers() {
        assert_eq!(
            threading(&person()),
            (
                Some("reply-1@mail.gmail.com".into()),
                Some("baocao.bc-1.3.abc@moet.edu.vn reply-1@mail.gmail.com".into())
            )
        );
        let mut long = person();
        long.references = (0..30).map(|i| format!("m{i}@x")).collect();
        let (_, references) = threading(&long);
        let ids: Vec<&str> = references.as_deref().unwrap().split(' ').collect();
        assert_eq!(ids.len(), 11);
        assert_eq!(ids[0], "m0@x");
        assert_eq!(ids[9], "m29@x");
        assert_eq!(ids[10], "reply-1@mail.gmail.com");
        let mut no_id = person();
        no_id.message_id = None;
        assert_eq!(threading(&no_id), (None, None));
    }
}
