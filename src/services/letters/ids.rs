//! Our Message-IDs, without angle brackets: on the office's domain, unique (a random part),
//! and telling which request, slot or day a reply or bounce is about. One per message,
//! reused on every retry (the outbox keeps it).

use chrono::NaiveDate;

/// A unit's notice, reminder or overdue notice: `baocao.bc-17.42.5f0c…@office-domain`.
pub fn slot_message_id(token: &str, slot_id: i64, domain: &str) -> String {
    format!(
        "baocao.{}.{slot_id}.{:016x}@{domain}",
        token.to_ascii_lowercase(),
        rand::random::<u64>()
    )
}

/// The receipt of a counted submission: `baocao.receipt.bc-17.5f0c…@office-domain`.
pub fn receipt_message_id(token: &str, domain: &str) -> String {
    format!(
        "baocao.receipt.{}.{:016x}@{domain}",
        token.to_ascii_lowercase(),
        rand::random::<u64>()
    )
}

/// The office's digest of one day: `baocao.digest.2026-12-03.5f0c…@office-domain`.
pub fn digest_message_id(day: NaiveDate, domain: &str) -> String {
    format!("baocao.digest.{day}.{:016x}@{domain}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_on_the_office_domain_and_unique() {
        let a = slot_message_id("BC-17", 42, "moet.edu.vn");
        let b = slot_message_id("BC-17", 42, "moet.edu.vn");
        assert!(a.starts_with("baocao.bc-17.42.") && a.ends_with("@moet.edu.vn"), "{a}");
        assert_ne!(a, b);
        assert!(!a.contains('<') && !a.contains(' '));
        let receipt = receipt_message_id("BC-17", "moet.edu.vn");
        assert!(receipt.starts_with("baocao.receipt.bc-17.") && receipt.ends_with("@moet.edu.vn"));
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let digest = digest_message_id(day, "moet.edu.vn");
        assert!(digest.starts_with("baocao.digest.2026-12-03.") && digest.ends_with("@moet.edu.vn"));
        assert_ne!(digest, digest_message_id(day, "moet.edu.vn"));
    }
}
