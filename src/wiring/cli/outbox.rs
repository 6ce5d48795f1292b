//! `baocao outbox list|show|retry`: what was sent, what failed and why, and sending a
//! failed message again.

use clap::Subcommand;

use super::{CliResult, Context, print_json};
use crate::adapters::store::{MessageFilter, OutgoingMessage};
use crate::domain::dates::format_instant;
use crate::domain::model::MessageState;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Liệt kê thư gửi đi, mới nhất trước
    List {
        /// Chỉ thư lỗi và thư đang chờ gửi lại
        #[arg(long)]
        failed: bool,
        /// Số thư tối đa
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Xem một thư: người nhận, tiêu đề, nội dung, các lần gửi
    Show {
        /// Số thư gửi đi (cột đầu của outbox list)
        id: i64,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Gửi lại một thư lỗi ở lượt gửi kế tiếp
    Retry {
        /// Số thư gửi đi (cột đầu của outbox list)
        id: i64,
    },
}

pub async fn run(context: &Context, command: OutboxCommand) -> CliResult {
    match command {
        OutboxCommand::List { failed, limit, json } => list(context, failed, limit, json).await,
        OutboxCommand::Show { id, json } => show(context, id, json).await,
        OutboxCommand::Retry { id } => retry(context, id).await,
    }
}

pub fn state_vi(state: &str) -> &'static str {
    MessageState::parse(state).map_or("không rõ", MessageState::label_vi)
}

async fn list(context: &Context, failed: bool, limit: i64, json: bool) -> CliResult {
    let filter = if failed {
        MessageFilter::Problems
    } else {
        MessageFilter::All
    };
    let messages = context.store.outgoing_messages(filter, limit.max(1)).await?;
    if json {
        return print_json(&messages);
    }
    let zone = context.settings.office.zone;
    let rows: Vec<Vec<String>> = messages
        .iter()
        .map(|m| {
            let when = m.sent_at.unwrap_or(m.next_attempt_at);
            let detail = match m.message_state() {
                Ok(MessageState::Sent) => m.smtp_response.clone().unwrap_or_default(),
                _ => m.last_error.clone().unwrap_or_default(),
            };
            vec![
                m.id.to_string(),
                state_vi(&m.state).to_string(),
                m.to_address.clone(),
                m.subject.clone(),
                format_instant(when, zone),
                m.attempts.to_string(),
                detail,
            ]
        })
        .collect();
    print!(
        "{}",
        crate::domain::report::table(
            &["Số", "Trạng thái", "Gửi tới", "Tiêu đề", "Lúc", "Lần", "Chi tiết"],
            &rows
        )
    );
    println!("{} thư", messages.len());
    Ok(())
}

async fn show(context: &Context, id: i64, json: bool) -> CliResult {
    let m: OutgoingMessage = context.store.outgoing_message(id).await?;
    if json {
        return print_json(&m);
    }
    let zone = context.settings.office.zone;
    println!("Thư số {} — {}", m.id, state_vi(&m.state));
    println!("  Gửi tới:    {}", m.to_address);
    println!("  Tiêu đề:    {}", m.subject);
    println!("  Message-ID: <{}>", m.message_id);
    println!("  Tạo lúc:    {}", format_instant(m.created_at, zone));
    if let Some(sent) = m.sent_at {
        println!("  Đã gửi lúc: {}", format_instant(sent, zone));
    } else if matches!(m.message_state()?, MessageState::Queued | MessageState::Retry) {
        println!("  Gửi lúc:    {}", format_instant(m.next_attempt_at, zone));
    }
    println!("  Số lần gửi: {}", m.attempts);
    if let Some(response) = &m.smtp_response {
        println!("  Máy chủ trả lời: {response}");
    }
    if let Some(error) = &m.last_error {
        println!("  Lỗi:        {error}");
    }
    println!();
    print!("{}", m.body);
    Ok(())
}

async fn retry(context: &Context, id: i64) -> CliResult {
    let m = context.store.retry_message(id, context.now()).await?;
    println!(
        "thư số {} tới {} sẽ được gửi lại ở lượt gửi kế tiếp",
        m.id, m.to_address
    );
    Ok(())
}
