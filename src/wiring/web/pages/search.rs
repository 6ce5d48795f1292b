//! `/search`: one box for a unit (code, name, address), a request (token, number, title) and
//! the messages received (sender address, subject). Names match without regard to case or
//! Vietnamese marks ("muong cha" finds "Mường Chà").

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use minijinja::Value;

use super::super::WebState;
use super::super::auth::may_read_private;
use super::{current, page, store_failed};
use crate::domain::dates::format_instant;
use crate::domain::matching::search_key;

/// At most this many messages are listed.
const MESSAGES: i64 = 50;

pub async fn search(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let viewer = match may_read_private(&state, &headers, "/search") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let zone = current(&state).settings.office.zone;
    let q = query.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let key = search_key(&q);
    let (mut units, mut requests, mut messages): (Vec<Value>, Vec<Value>, Vec<Value>) = Default::default();
    if !key.is_empty() {
        let holds = |text: &str| search_key(text).contains(&key);
        match state.store.all_units().await {
            Ok(all) => {
                units = all
                    .iter()
                    .filter(|u| holds(u.code.as_str()) || holds(&u.name) || u.addresses.iter().any(|a| holds(a.address.as_str())))
                    .take(100)
                    .map(|u| {
                        minijinja::context! {
                            code => u.code.to_string(),
                            name => if u.active { u.name.clone() } else { format!("{} (ngừng theo dõi)", u.name) },
                            addresses => u.addresses.iter().map(|a| a.address.to_string()).collect::<Vec<_>>().join(", "),
                        }
                    })
                    .collect();
            }
            Err(e) => return store_failed(e),
        }
        match state.store.all_requests().await {
            Ok(all) => {
                requests = all
                    .iter()
                    .rev()
                    .filter(|r| holds(&r.token) || holds(r.code.as_str()) || holds(&r.title))
                    .take(100)
                    .map(|r| {
                        minijinja::context! {
                            token => r.token.clone(), code => r.code.to_string(),
                            title => r.title.clone(), state => r.state.label_vi(),
                        }
                    })
                    .collect();
            }
            Err(e) => return store_failed(e),
        }
        match state.store.search_messages(&q, MESSAGES).await {
            Ok(found) => {
                messages = found
                    .iter()
                    .map(|m| {
                        minijinja::context! {
                            id => m.id,
                            received_at => format_instant(m.received_at, zone),
                            from => m.from_address.clone().unwrap_or_default(),
                            subject => m.subject.clone().unwrap_or_else(|| "(không có tiêu đề)".into()),
                            state => match m.state.as_str() {
                                "counted" => "đã ghi nhận",
                                "review" => "chờ xem xét",
                                _ => "không tính",
                            },
                            unit => m.unit_code.clone().unwrap_or_default(),
                            request => m.request_token.clone(),
                        }
                    })
                    .collect();
            }
            Err(e) => return store_failed(e),
        }
    }
    let context = minijinja::context! {
        page => "search", q => q, units => units, requests => requests, messages => messages,
    };
    page(&state, &viewer, "search.html", context).await
}
