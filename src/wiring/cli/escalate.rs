//! The escalation flags shared by `request add|edit` and `series add|edit`.

use super::CliError;
use crate::domain::escalation::Escalation;

/// Chuyển cấp trên (escalation) of one request or series.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EscalateArgs {
    /// Chuyển cấp trên: sau bao nhiêu ngày làm việc quá hạn thì báo cấp trên (cùng thư quá hạn
    /// kế tiếp), ví dụ 3,7 ("" để không chuyển; mặc định theo cấu hình)
    #[arg(long, value_name = "NGÀY")]
    pub escalate_after: Option<String>,
    /// Báo cho ai: cap-tren (mặc định), thu-truong, hoặc cả hai (cap-tren,thu-truong)
    #[arg(long, value_name = "AI", requires = "escalate_after")]
    pub escalate_to: Option<String>,
    /// Cách báo: cc (đồng gửi thư quá hạn, mặc định) hoặc thu-rieng (thư riêng đề nghị chỉ đạo, đôn đốc)
    #[arg(long, value_name = "CÁCH", requires = "escalate_after")]
    pub escalate_via: Option<String>,
}

impl EscalateArgs {
    /// The escalation the flags set; `None` when `--escalate-after` is not given.
    pub fn escalation(&self) -> Result<Option<Escalation>, CliError> {
        let Some(after) = &self.escalate_after else {
            return Ok(None);
        };
        Escalation::parse_via(
            after,
            self.escalate_to.as_deref().unwrap_or(""),
            self.escalate_via.as_deref().unwrap_or(""),
        )
        .map(Some)
        .map_err(CliError::Refused)
    }
}
