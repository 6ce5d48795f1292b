//! The database's own plan for each hot query: the ones that run for every due slot, every
//! counted message or every send, and the views of one request. Used by the query-plan test
//! (tests/it/query_plans.rs), which fails when one of them would read a whole table of
//! slots or messages. The texts are the very constants and builders the store runs.
//!
//! It reads plans only (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL); nothing is
//! executed and nothing changes.

use chrono::{DateTime, Utc};

use super::super::db::Arg;
use super::super::intake::sent_refs_statement;
use super::super::outbox::{CANCEL_SLOTS_OF_CANCELLED_MESSAGES, NOTICE_MESSAGE_ID, claim_statement};
use super::super::recording::{
    EARLIER_BY_CONTENT, EARLIER_BY_MESSAGE_ID, earlier_of_group_statements, pair_statements,
};
use super::super::status::{
    STATUS_FAILING, STATUS_GROUPS, STATUS_REMINDERS, STATUS_REVIEWS, STATUS_SUBMISSIONS, STATUS_UNITS,
};
use super::super::{Store, StoreResult, sql};
use super::{
    DUE_SLOTS, DUE_WAITING_SLOTS, DUE_WAITING_SLOTS_OF_REQUEST, WAITING_SLOTS_OF_REQUEST, cancel_waiting_statements,
    id_filter,
};
use crate::domain::model::{RequestId, UnitId};

/// One hot query as the database would run it.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    /// What the query is for, in a few words.
    pub name: &'static str,
    pub statement: String,
    /// The plan's lines as the database prints them.
    pub plan: Vec<String>,
}

impl Store {
    /// The plan of every hot query, with `request_id` and `unit_id` (a planned pair) and `now`
    /// as its arguments. Nothing is executed.
    pub async fn hot_query_plans(
        &self,
        request_id: RequestId,
        unit_id: UnitId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<QueryPlan>> {
        let postgres = matches!(self.pools, crate::adapters::store::Pools::Postgres(_));
        let request = Arg::from(request_id);
        let unit = Arg::from(unit_id);
        let time = Arg::from(now);
        let text = |value: &str| Arg::from(value);
        let (filter, _) = id_filter(Some(request_id), Some(unit_id));
        let [cancel_slots, cancel_messages] = cancel_waiting_statements(filter);
        let cancel_args = vec![text("lý do"), time.clone(), request.clone(), unit.clone()];
        let [earlier_by_id, earlier_by_content] = earlier_of_group_statements(postgres);
        let [reported, planned, queued, reviewed] = pair_statements(postgres);
        let pair_args = vec![
            text(&format!("[{}]", request_id.get())),
            text(&format!("[{}]", unit_id.get())),
        ];
        let queries: Vec<(&'static str, String, Vec<Arg>)> = vec![
            ("due slots", DUE_SLOTS.into(), vec![time.clone()]),
            ("plan: due slots", DUE_WAITING_SLOTS.into(), vec![time.clone()]),
            (
                "plan of one request: due slots",
                DUE_WAITING_SLOTS_OF_REQUEST.into(),
                vec![time.clone(), request.clone()],
            ),
            (
                "plan of one request",
                WAITING_SLOTS_OF_REQUEST.into(),
                vec![request.clone()],
            ),
            (
                "cancel the waiting slots of a (request, unit)",
                cancel_slots,
                cancel_args.clone(),
            ),
            (
                "cancel the queued messages of a (request, unit)",
                cancel_messages,
                cancel_args,
            ),
            (
                "slots of cancelled messages",
                CANCEL_SLOTS_OF_CANCELLED_MESSAGES.into(),
                vec![time.clone()],
            ),
            (
                "outbox claim",
                claim_statement(postgres),
                vec![
                    text("worker"),
                    time.clone(),
                    time.clone(),
                    Arg::from(true),
                    Arg::from(50_i64),
                ],
            ),
            (
                "the notice sent to a (request, unit)",
                NOTICE_MESSAGE_ID.into(),
                vec![request.clone(), unit.clone()],
            ),
            (
                "earlier incoming message by Message-ID",
                EARLIER_BY_MESSAGE_ID.into(),
                vec![text("abc@lab.test")],
            ),
            (
                "earlier incoming message by content",
                EARLIER_BY_CONTENT.into(),
                vec![text("0123456789abcdef")],
            ),
            (
                "sent references by Message-ID",
                sent_refs_statement(postgres),
                vec![text(r#"["abc@lab.test","def@lab.test"]"#)],
            ),
            (
                "earlier incoming messages of a group, by Message-ID",
                earlier_by_id,
                vec![text(r#"["abc@lab.test","def@lab.test"]"#)],
            ),
            (
                "earlier incoming messages of a group, by content",
                earlier_by_content,
                vec![text(r#"["0123456789abcdef"]"#)],
            ),
            ("a group's counted pairs: reported", reported, pair_args.clone()),
            ("a group's counted pairs: planned slots", planned, pair_args.clone()),
            ("a group's counted pairs: queued messages", queued, pair_args.clone()),
            ("a group's counted pairs: open review items", reviewed, pair_args),
            ("status: units", STATUS_UNITS.into(), vec![request.clone()]),
            ("status: submissions", STATUS_SUBMISSIONS.into(), vec![request.clone()]),
            ("status: review items", STATUS_REVIEWS.into(), vec![request.clone()]),
            ("status: reminders sent", STATUS_REMINDERS.into(), vec![request.clone()]),
            ("status: groups", STATUS_GROUPS.into(), vec![request.clone()]),
            ("status: failing addresses", STATUS_FAILING.into(), vec![request]),
        ];
        let mut connection = self.connection().await?;
        let db = &mut connection.db();
        let mut plans = Vec::with_capacity(queries.len());
        for (name, statement, args) in queries {
            let explain = if postgres { "EXPLAIN" } else { "EXPLAIN QUERY PLAN" };
            let mut query = sql(sqlx::AssertSqlSafe(format!("{explain} {statement}")));
            for arg in args {
                query = query.bind(arg);
            }
            let plan: Vec<String> = if postgres {
                let rows: Vec<(String,)> = query.fetch_all(db).await?;
                rows.into_iter().map(|(line,)| line).collect()
            } else {
                let rows: Vec<(i64, i64, i64, String)> = query.fetch_all(db).await?;
                rows.into_iter().map(|(_, _, _, detail)| detail).collect()
            };
            plans.push(QueryPlan { name, statement, plan });
        }
        Ok(plans)
    }
}
