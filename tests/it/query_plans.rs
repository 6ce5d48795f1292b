//! The hot queries use indexes, on both databases: due-slot selection, cancelling the
//! waiting slots of a (request, unit), the outbox claim, finding an earlier incoming message
//! by Message-ID or content, sent references by Message-ID, and the status and plan of one
//! request. The plans come from the database (`Store::hot_query_plans`, the texts the store
//! runs) on a registry of 24 requests × 1,500 units whose notices went out: SQLite as
//! production runs it (no ANALYZE) must not `SCAN` a table of slots or messages, and
//! PostgreSQL, after ANALYZE, must not choose a `Seq Scan` on one. The queries of one request
//! or one (request, unit) must also find the slots by the request, not walk every waiting
//! slot of every request through the index on their state.

use chrono::{DateTime, Duration, Utc};

use crate::harness::{Backend, Env};
use crate::on_both_backends;
use baocao::adapters::store::{Pools, Store};

on_both_backends!(no_hot_query_reads_a_whole_table_of_slots_or_messages);

const REQUESTS: usize = 24;
const UNITS: usize = 1_500;

/// The tables a hot query must never read whole.
const WATCHED: [&str; 3] = ["reminder_slots", "outgoing_messages", "incoming_messages"];

fn no_hot_query_reads_a_whole_table_of_slots_or_messages(backend: Backend) {
    let env = Env::new(backend);
    env.import_units((0..UNITS).map(|i| {
        [
            format!("dv-{i:03}"),
            format!("Trường THCS số {i}"),
            "thcs".to_string(),
            format!("dv{i}@lab.test"),
        ]
    }));
    for r in 1..=REQUESTS {
        env.add_request(
            &format!("{r}/KH-BCĐ"),
            "Báo cáo kết quả thực hiện kế hoạch",
            "17h00 ngày 15/3/2030",
            &["--group", "thcs", "--no-attachment-required"],
        )
        .ok();
        env.baocao(&["request", "activate", &format!("BC-{r}"), "--at", "08:00 ngày 2/3/2026"])
            .ok();
    }
    let activated: DateTime<Utc> = "2026-03-02T01:00:00Z".parse().unwrap();
    let now = activated + Duration::hours(1);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let failures = runtime.block_on(async {
        let store = Store::connect(&env.db.url).await.unwrap();
        mail_went_out(&store, now).await;
        let (request_id, unit_id): (i64, i64) = match store.pools() {
            Pools::Sqlite(pools) => sqlx::query_as(PLANNED_PAIR).fetch_one(pools.writer()).await.unwrap(),
            Pools::Postgres(pool) => sqlx::query_as(PLANNED_PAIR).fetch_one(pool).await.unwrap(),
        };
        let plans = store
            .hot_query_plans(
                baocao::domain::model::RequestId::new(request_id),
                baocao::domain::model::UnitId::new(unit_id),
                now,
            )
            .await
            .unwrap();
        assert!(plans.len() >= 15, "every hot query is explained: {plans:#?}");
        plans
            .into_iter()
            .filter(|p| {
                p.plan.iter().any(|line| reads_whole_table(backend, &p.statement, line))
                    || (of_one_request(p.name) && !slots_found_by_request(backend, &p.plan))
            })
            .map(|p| format!("{}:\n  {}\n  {}", p.name, p.statement, p.plan.join("\n  ")))
            .collect::<Vec<_>>()
    });
    assert!(
        failures.is_empty(),
        "queries that read a whole table of slots or messages:\n\n{}",
        failures.join("\n\n")
    );
}

/// A (request, unit) with slots still waiting.
const PLANNED_PAIR: &str =
    "SELECT request_id, unit_id FROM reminder_slots WHERE state = 'planned' ORDER BY id DESC LIMIT 1";

/// What a month of work leaves: every slot due by `now` (the notices) was sent, each as an
/// outgoing message, every unit answered with one incoming message, some sends were
/// cancelled; then (PostgreSQL) the statistics are brought up to date.
async fn mail_went_out(store: &Store, now: DateTime<Utc>) {
    let statements = [
        "INSERT INTO outgoing_messages (slot_id, dedupe_key, kind, request_id, unit_id, to_address, message_id, \
         subject, body, state, attempts, next_attempt_at, created_at, updated_at, sent_at) \
         SELECT s.id, 'slot:' || s.id, s.kind, s.request_id, s.unit_id, 'dv@lab.test', 'm' || s.id || '@baocao.test', \
         'Nhắc báo cáo', 'Kính gửi', 'sent', 1, s.due_at, s.due_at, s.due_at, s.due_at \
         FROM reminder_slots s WHERE s.due_at <= $1",
        "UPDATE reminder_slots SET state = 'sent' WHERE due_at <= $1",
        "UPDATE outgoing_messages SET state = 'cancelled' WHERE id % 40 = 0 AND sent_at <= $1",
        "INSERT INTO incoming_messages (mailbox, uidvalidity, uid, message_id, content_hash, from_address, subject, \
         received_at, size, attachments, state, reason, created_at) \
         SELECT 'INBOX', 1, s.id, 'r' || s.id || '@donvi.test', 'hash-' || s.id, 'dv@lab.test', 'Báo cáo', \
         s.due_at, 2048, '[]', 'counted', 'counted', s.due_at FROM reminder_slots s WHERE s.due_at <= $1",
    ];
    for statement in statements {
        match store.pools() {
            Pools::Sqlite(pools) => sqlx::query(statement)
                .bind(now)
                .execute(pools.writer())
                .await
                .unwrap()
                .rows_affected(),
            Pools::Postgres(pool) => sqlx::query(statement)
                .bind(now)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        };
    }
    if let Pools::Postgres(pool) = store.pools() {
        sqlx::query("ANALYZE").execute(pool).await.unwrap();
    }
}

/// Whether a line of a plan reads a whole watched table: SQLite's `SCAN t` (with or
/// without an index: a scan visits every row; SQLite names a table by its alias when it has
/// one), PostgreSQL's `Seq Scan on t`.
fn reads_whole_table(backend: Backend, statement: &str, line: &str) -> bool {
    match backend {
        Backend::Sqlite => {
            let line = line.trim();
            let Some(scanned) = line.strip_prefix("SCAN ") else {
                return false;
            };
            let scanned = scanned.split_whitespace().next().unwrap_or_default();
            WATCHED.contains(&scanned) || aliases_of_watched(statement).iter().any(|a| a == scanned)
        }
        Backend::Postgres => WATCHED
            .iter()
            .any(|table| line.contains(&format!("Seq Scan on {table}"))),
    }
}

/// Whether a query is about one request or one (request, unit): its slots must be found by
/// the request, not among every slot in a state.
fn of_one_request(name: &str) -> bool {
    name.contains("one request") || name.contains("(request, unit)")
}

/// Whether the slots of a plan are looked up by `request_id` (SQLite: every `SEARCH` of
/// `reminder_slots` is constrained by it; PostgreSQL: an index condition on it).
fn slots_found_by_request(backend: Backend, plan: &[String]) -> bool {
    match backend {
        Backend::Sqlite => plan
            .iter()
            .map(|line| line.trim())
            .filter(|line| line.starts_with("SEARCH reminder_slots") || line.starts_with("SCAN reminder_slots"))
            .all(|line| line.contains("(request_id=")),
        Backend::Postgres => {
            !plan.iter().any(|line| line.contains("on reminder_slots"))
                || plan.iter().any(|line| {
                    line.contains("Index Cond: ((request_id = ") || line.contains("Index Cond: (request_id = ")
                })
        }
    }
}

/// The names a statement gives the watched tables (`outgoing_messages m`,
/// `reminder_slots AS s`).
fn aliases_of_watched(statement: &str) -> Vec<String> {
    const NOT_AN_ALIAS: [&str; 12] = [
        "WHERE",
        "SET",
        "ON",
        "JOIN",
        "ORDER",
        "GROUP",
        "LIMIT",
        "LEFT",
        "INNER",
        "UNION",
        "WITH",
        "RETURNING",
    ];
    let words: Vec<&str> = statement
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let mut aliases = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if !WATCHED.contains(word) {
            continue;
        }
        let next = match words.get(i + 1) {
            Some(w) if w.eq_ignore_ascii_case("AS") => words.get(i + 2),
            other => other,
        };
        if let Some(next) = next
            && next.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !NOT_AN_ALIAS.iter().any(|k| k.eq_ignore_ascii_case(next))
        {
            aliases.push(next.to_string());
        }
    }
    aliases
}
