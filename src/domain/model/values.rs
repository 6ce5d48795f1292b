//! Small value types with checking constructors. A value of one of these types has passed
//! its check, so code past the edge never re-validates strings.

use std::fmt;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// Why a value was refused; the text is the Vietnamese sentence a clerk reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

fn is_slug_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
}

fn parse_slug(text: &str, what: &str) -> Result<String, ValueError> {
    let slug = text.trim().to_ascii_lowercase();
    if slug.is_empty() {
        return Err(ValueError(format!("{what} không được để trống")));
    }
    if slug.chars().count() > 64 {
        return Err(ValueError(format!("{what} `{slug}` dài quá 64 ký tự")));
    }
    let starts_well = slug.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !starts_well || !slug.chars().all(is_slug_char) {
        return Err(ValueError(format!(
            "{what} `{}` chỉ được gồm chữ không dấu, chữ số và các dấu - _ . (bắt đầu bằng chữ hoặc số)",
            text.trim()
        )));
    }
    Ok(slug)
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident, $what:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, ValueError> {
                parse_slug(text, $what).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_type!(
    /// A unit's short code, e.g. `pgd-dienbienphu`: lower-case ASCII, digits, `-`, `_`, `.`.
    UnitCode,
    "Mã đơn vị"
);
slug_type!(
    /// A group of units, e.g. `phong-gddt`, `truc-thuoc`, `gdnn-gdtx`, `cdcs`.
    GroupCode,
    "Mã nhóm"
);

/// An email address, lower-cased because the product matches senders case-insensitively.
/// Only plain ASCII addresses (dot-atom local part, dotted host name) are accepted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let trimmed = text.trim();
        let bad = || ValueError(format!("địa chỉ email `{trimmed}` không hợp lệ"));
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !(local_ok && domain_ok) {
            return Err(bad());
        }
        Ok(EmailAddress(trimmed.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A directive's number as written (`4189/KH-BCĐ`), NFC-normalised with its spacing tidied.
/// Matching uses [`crate::domain::matching::code_key`], which ignores case, diacritics and spacing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RequestCode(String);

impl RequestCode {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let tidy: String = text.nfc().collect::<String>();
        let tidy = tidy.split_whitespace().collect::<Vec<_>>().join(" ");
        if tidy.is_empty() {
            return Err(ValueError("số hiệu văn bản không được để trống".into()));
        }
        if tidy.chars().count() > 100 {
            return Err(ValueError(format!("số hiệu văn bản `{tidy}` dài quá 100 ký tự")));
        }
        if tidy.contains('@') {
            return Err(ValueError(format!(
                "số hiệu văn bản `{tidy}` không được chứa `@` (dấu này dùng để ghi năm: SỐ@NĂM)"
            )));
        }
        if !tidy.chars().any(char::is_alphanumeric) {
            return Err(ValueError(format!("số hiệu văn bản `{tidy}` không có chữ hay số nào")));
        }
        Ok(RequestCode(tidy))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key two spellings of the same code share.
    pub fn key(&self) -> String {
        crate::domain::matching::code_key(&self.0)
    }
}

impl fmt::Display for RequestCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Distinct durations in minutes, largest first: when reminders go before a deadline
/// (`7d,3d,1d`) or overdue notices after it (`1d,3d,7d`, stored largest first as well).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Offsets(Vec<i64>);

/// The longest offset we accept: a reminder more than a year away is a typing mistake.
const MAX_OFFSET_MINUTES: i64 = 366 * 24 * 60;

impl Offsets {
    /// Parses `7d,3d,1d`, `36h`, `90m` (also `ngày`, `giờ`, `phút`); empty or `none` means no
    /// reminders of that kind.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("none") || trimmed == "không" {
            return Ok(Offsets(Vec::new()));
        }
        let mut minutes = Vec::new();
        for part in trimmed.split([',', ';']) {
            minutes.push(parse_duration_minutes(part)?);
        }
        Ok(Offsets::from_minutes(minutes))
    }

    pub fn from_minutes(mut minutes: Vec<i64>) -> Self {
        minutes.sort_unstable_by(|a, b| b.cmp(a));
        minutes.dedup();
        Offsets(minutes)
    }

    pub fn minutes(&self) -> &[i64] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Largest first, as clerks write reminders before a deadline: `7d,3d,1d`.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|m| format_duration_minutes(*m))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Smallest first, as clerks write overdue notices after a deadline: `1d,3d,7d`.
    pub fn to_text_ascending(&self) -> String {
        self.0
            .iter()
            .rev()
            .map(|m| format_duration_minutes(*m))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn parse_duration_minutes(part: &str) -> Result<i64, ValueError> {
    let part = part.trim();
    let bad = || {
        ValueError(format!(
            "khoảng thời gian `{part}` không hợp lệ (ví dụ đúng: 7d, 36h, 90m)"
        ))
    };
    let digits_end = part.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = part.split_at(digits_end);
    let number: i64 = number.parse().map_err(|_| bad())?;
    let per_unit = match unit.trim().to_lowercase().as_str() {
        "d" | "ngày" | "ngay" => 24 * 60,
        "h" | "giờ" | "gio" => 60,
        "m" | "phút" | "phut" => 1,
        _ => return Err(bad()),
    };
    let minutes = number.checked_mul(per_unit).ok_or_else(bad)?;
    if minutes == 0 || minutes > MAX_OFFSET_MINUTES {
        return Err(ValueError(format!(
            "khoảng thời gian `{part}` phải lớn hơn 0 và không quá 366 ngày"
        )));
    }
    Ok(minutes)
}

/// `1440` → `1d`, `2160` → `36h`, `90` → `90m`.
pub fn format_duration_minutes(minutes: i64) -> String {
    let (count, unit) = in_largest_unit(minutes);
    let suffix = match unit {
        DurationUnit::Days => "d",
        DurationUnit::Hours => "h",
        DurationUnit::Minutes => "m",
    };
    format!("{count}{suffix}")
}

/// The unit a duration is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Days,
    Hours,
    Minutes,
}

/// A duration in the largest unit that divides it: `2160` → `(36, Hours)`.
pub fn in_largest_unit(minutes: i64) -> (i64, DurationUnit) {
    if minutes % (24 * 60) == 0 {
        (minutes / (24 * 60), DurationUnit::Days)
    } else if minutes % 60 == 0 {
        (minutes / 60, DurationUnit::Hours)
    } else {
        (minutes, DurationUnit::Minutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes_are_lower_cased_slugs() {
        assert_eq!(UnitCode::parse(" PGD-MuongCha ").unwrap().as_str(), "pgd-muongcha");
        for bad in ["", "pgd dienbien", "phòng-gd", "-pgd", "a/b"] {
            assert!(UnitCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn email_addresses_are_checked_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" VanPhong.SoDienBien@MOET.edu.vn ")
                .unwrap()
                .as_str(),
            "vanphong.sodienbien@moet.edu.vn"
        );
        for bad in [
            "",
            "no-at-sign",
            "a@b",
            "a b@x.vn",
            "a@@x.vn",
            ".a@x.vn",
            "a..b@x.vn",
            "a@-x.vn",
            "a@x..vn",
            "nguyễn@x.vn",
            "a@x.vn\r\nBcc: b@y.vn",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn request_codes_keep_their_spelling_and_tidy_spacing() {
        let code = RequestCode::parse("  4189/KH-BCĐ ").unwrap();
        assert_eq!(code.as_str(), "4189/KH-BCĐ");
        assert_eq!(RequestCode::parse("165/LĐLĐ   x").unwrap().as_str(), "165/LĐLĐ x");
        assert!(RequestCode::parse("   ").is_err());
        assert!(RequestCode::parse("12@2023").is_err());
        assert!(RequestCode::parse("/ - /").is_err());
    }

    #[test]
    fn offsets_parse_in_any_order_and_print_largest_first() {
        let offsets = Offsets::parse("1d, 7d,3d,1d").unwrap();
        assert_eq!(offsets.minutes(), &[7 * 1440, 3 * 1440, 1440]);
        assert_eq!(offsets.to_text(), "7d,3d,1d");
        assert_eq!(offsets.to_text_ascending(), "1d,3d,7d");
        assert_eq!(Offsets::parse("36h,90m").unwrap().to_text(), "36h,90m");
        assert_eq!(Offsets::parse("2 ngày").unwrap().to_text(), "2d");
        assert!(Offsets::parse("none").unwrap().is_empty());
        for bad in ["7", "d", "0d", "400d", "3w", "-1d"] {
            assert!(Offsets::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
