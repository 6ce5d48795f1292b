//! Escalation (chuyển cấp trên): after N working days overdue, and again after M, the next
//! overdue notice to a unit is also sent, in copy, to whoever is above it — its parent unit
//! (`cap_tren` in the registry). Which overdue notice that is follows from the overdue offsets
//! alone, so the plan can say it before anything is sent. Pure code.

use serde::Serialize;

use super::model::Offsets;

/// Who gets the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EscalateTo {
    /// The unit's parent unit (`cap_tren`): its first working address.
    Parent,
    /// The unit's head: its addresses with the role "thủ trưởng" (`unit role`).
    Head,
}

impl EscalateTo {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalateTo::Parent => "cap-tren",
            EscalateTo::Head => "thu-truong",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            EscalateTo::Parent => "đơn vị cấp trên",
            EscalateTo::Head => "thủ trưởng đơn vị",
        }
    }
}

/// How those above the unit are told: in copy of the unit's overdue notice, or by a letter
/// of their own asking them to see to it ("đề nghị chỉ đạo, đôn đốc").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EscalateVia {
    /// Cc of the overdue notice (the unit sees who was told).
    #[default]
    Cc,
    /// A separate letter to each of them, sent with the overdue notice.
    Letter,
}

impl EscalateVia {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalateVia::Cc => "cc",
            EscalateVia::Letter => "thu-rieng",
        }
    }

    /// Reads `cc` (also `dong-gui`) or `thu-rieng` (also `rieng`, `letter`); empty: `cc`.
    pub fn parse(text: &str) -> Result<EscalateVia, String> {
        match crate::domain::matching::search_key(text.trim())
            .replace(' ', "-")
            .as_str()
        {
            "" | "cc" | "dong-gui" => Ok(EscalateVia::Cc),
            "thu-rieng" | "rieng" | "letter" | "separate" => Ok(EscalateVia::Letter),
            other => Err(format!(
                "không hiểu cách chuyển cấp trên `{other}`: ghi cc (đồng gửi thư quá hạn) hoặc thu-rieng (gửi thư riêng)"
            )),
        }
    }
}

/// When and to whom a unit's overdue notices are escalated; `after_days` empty: never.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// Working days overdue, ascending: `[3, 7]`.
    pub after_days: Vec<u32>,
    pub to: Vec<EscalateTo>,
    pub via: EscalateVia,
}

impl Escalation {
    /// Reads `3,7` (or `3d,7d`; empty or `khong`: never) and `cap-tren`.
    pub fn parse(after: &str, to: &str) -> Result<Escalation, String> {
        let after = after.trim();
        let mut after_days = Vec::new();
        if !after.is_empty() && !matches!(after, "khong" | "không" | "off") {
            for part in after.split(',') {
                let part = part.trim().trim_end_matches('d');
                let days: u32 = part
                    .parse()
                    .map_err(|_| format!("không hiểu `{}`: ghi số ngày làm việc quá hạn, ví dụ \"3,7\"", after))?;
                if days == 0 || days > 60 {
                    return Err(format!(
                        "số ngày quá hạn để chuyển cấp trên phải từ 1 đến 60, không phải {days}"
                    ));
                }
                after_days.push(days);
            }
        }
        after_days.sort_unstable();
        after_days.dedup();
        if after_days.len() > 2 {
            return Err("chuyển cấp trên tối đa hai lần, ví dụ \"3,7\"".to_string());
        }
        let mut targets = Vec::new();
        for part in to.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match crate::domain::matching::search_key(part).replace(' ', "-").as_str() {
                "cap-tren" | "parent" => targets.push(EscalateTo::Parent),
                "thu-truong" | "head" => targets.push(EscalateTo::Head),
                other => {
                    return Err(format!(
                        "không hiểu người nhận chuyển cấp trên `{other}`: ghi cap-tren, thu-truong hoặc cả hai (cap-tren,thu-truong)"
                    ));
                }
            }
        }
        if targets.is_empty() {
            targets.push(EscalateTo::Parent);
        }
        let mut unique = Vec::new();
        for target in targets {
            if !unique.contains(&target) {
                unique.push(target);
            }
        }
        let targets = unique;
        Ok(Escalation {
            after_days,
            to: targets,
            via: EscalateVia::Cc,
        })
    }

    /// [`Escalation::parse`] plus how they are told (`cc` or `thu-rieng`).
    pub fn parse_via(after: &str, to: &str, via: &str) -> Result<Escalation, String> {
        let mut escalation = Escalation::parse(after, to)?;
        escalation.via = EscalateVia::parse(via)?;
        Ok(escalation)
    }

    /// Read back from the stored columns (after, to, via); no `after`: the configuration's.
    pub fn from_columns(
        after: Option<&str>,
        to: Option<&str>,
        via: Option<&str>,
    ) -> Result<Option<Escalation>, String> {
        match after {
            Some(after) => Escalation::parse_via(after, to.unwrap_or(""), via.unwrap_or("")).map(Some),
            None => Ok(None),
        }
    }

    pub fn is_off(&self) -> bool {
        self.after_days.is_empty()
    }

    /// `3,7` (empty when off): what [`Escalation::parse`] reads back.
    pub fn after_text(&self) -> String {
        self.after_days.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
    }

    pub fn to_text(&self) -> String {
        self.to.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")
    }

    /// The step (1 or 2) at which the overdue notice of `offset_minutes` is escalated, among
    /// the request's overdue offsets: the first overdue notice at or after each threshold.
    pub fn step(&self, overdue_after: &Offsets, offset_minutes: i64) -> Option<u8> {
        let mut offsets: Vec<i64> = overdue_after.minutes().to_vec();
        offsets.sort_unstable();
        let mut step = None;
        for (i, days) in self.after_days.iter().enumerate() {
            let first = offsets.iter().find(|m| **m >= i64::from(*days) * 24 * 60);
            if first == Some(&offset_minutes) {
                step = Some(i as u8 + 1);
            }
        }
        step
    }

    /// Thresholds no overdue notice reaches (the copy would never go): said in the plan.
    pub fn unreached(&self, overdue_after: &Offsets) -> Vec<u32> {
        let last = overdue_after.minutes().iter().copied().max().unwrap_or(0);
        self.after_days
            .iter()
            .copied()
            .filter(|d| i64::from(*d) * 24 * 60 > last)
            .collect()
    }

    /// "sau 3 và 7 ngày làm việc quá hạn, đồng gửi đơn vị cấp trên", or "không chuyển cấp trên".
    pub fn describe_vi(&self) -> String {
        if self.is_off() {
            return "không chuyển cấp trên".to_string();
        }
        let days: Vec<String> = self.after_days.iter().map(u32::to_string).collect();
        let to: Vec<&str> = self.to.iter().map(|t| t.label_vi()).collect();
        match self.via {
            EscalateVia::Cc => format!(
                "sau {} ngày làm việc quá hạn, thư quá hạn kế tiếp đồng gửi {}",
                days.join(" và "),
                to.join(", ")
            ),
            EscalateVia::Letter => format!(
                "sau {} ngày làm việc quá hạn, cùng thư quá hạn kế tiếp gửi thư riêng đề nghị {} đôn đốc",
                days.join(" và "),
                to.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_overdue_notice_past_each_threshold_is_escalated() {
        let e = Escalation::parse("3,7", "cap-tren").unwrap();
        let overdue = Offsets::parse("1d,3d,7d").unwrap();
        let day = 24 * 60;
        assert_eq!(e.step(&overdue, day), None);
        assert_eq!(e.step(&overdue, 3 * day), Some(1));
        assert_eq!(e.step(&overdue, 7 * day), Some(2));
        // Thresholds between notices: the next notice after each.
        let e = Escalation::parse("2,5", "").unwrap();
        assert_eq!(e.step(&overdue, 3 * day), Some(1));
        assert_eq!(e.step(&overdue, 7 * day), Some(2));
        // Both thresholds past the same notice: it is the second step.
        let e = Escalation::parse("4,6", "").unwrap();
        assert_eq!(e.step(&overdue, 7 * day), Some(2));
        assert_eq!(e.unreached(&Offsets::parse("1d,3d").unwrap()), [4, 6]);
        assert!(Escalation::parse("", "").unwrap().is_off());
        assert_eq!(Escalation::parse("", "").unwrap().step(&overdue, 3 * day), None);
    }

    #[test]
    fn bad_settings_are_refused_in_vietnamese() {
        assert!(Escalation::parse("ba ngày", "").unwrap_err().contains("ví dụ \"3,7\""));
        assert!(Escalation::parse("0", "").unwrap_err().contains("từ 1 đến 60"));
        assert!(Escalation::parse("1,2,3", "").unwrap_err().contains("tối đa hai lần"));
        assert!(Escalation::parse("3", "giam-doc").unwrap_err().contains("cap-tren"));
        let both = Escalation::parse("3", "cap-tren, thủ trưởng").unwrap();
        assert_eq!(both.to, [EscalateTo::Parent, EscalateTo::Head]);
        assert!(both.describe_vi().ends_with("đơn vị cấp trên, thủ trưởng đơn vị"));
        let e = Escalation::parse("7d, 3d", "cap tren").unwrap();
        assert_eq!(
            (e.after_text(), e.to_text()),
            ("3,7".to_string(), "cap-tren".to_string())
        );
        assert_eq!(
            e.describe_vi(),
            "sau 3 và 7 ngày làm việc quá hạn, thư quá hạn kế tiếp đồng gửi đơn vị cấp trên"
        );
        let letter = Escalation::parse_via("3", "thu-truong", "thư riêng").unwrap();
        assert_eq!(letter.via, EscalateVia::Letter);
        assert_eq!(
            letter.describe_vi(),
            "sau 3 ngày làm việc quá hạn, cùng thư quá hạn kế tiếp gửi thư riêng đề nghị thủ trưởng đơn vị đôn đốc"
        );
        assert_eq!(Escalation::parse_via("3", "", "").unwrap().via, EscalateVia::Cc);
        assert!(Escalation::parse_via("3", "", "fax").unwrap_err().contains("thu-rieng"));
    }
}
