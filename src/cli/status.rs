//! `baocao status [REQUEST]`: who has reported, for one request or for every open one.

use clap::Args;
use serde::Serialize;

use super::{CliResult, Context, print_json};
use crate::model::RequestState;
use crate::report::status::{RequestStatus, render_text, request_status};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// BC-17, số hiệu hoặc SỐ@NĂM; mặc định: mọi yêu cầu chưa đóng
    pub request: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct StatusJson {
    requests: Vec<RequestStatus>,
}

pub async fn run(context: &Context, args: StatusArgs) -> CliResult {
    let requests = match &args.request {
        Some(reference) => vec![context.store.resolve_request(reference).await?],
        None => {
            let all = context.store.all_requests().await?;
            all.into_iter().filter(|r| r.state != RequestState::Closed).collect()
        }
    };
    let now = context.now();
    let mut statuses = Vec::new();
    for request in &requests {
        let facts = context.store.status_facts(request.id).await?;
        statuses.push(request_status(request, &facts, now));
    }
    if args.json {
        return print_json(&StatusJson { requests: statuses });
    }
    if statuses.is_empty() {
        println!("chưa có yêu cầu báo cáo nào đang theo dõi (tạo bằng: baocao request add)");
    }
    for (i, status) in statuses.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", render_text(status, context.settings.office.zone));
    }
    Ok(())
}
