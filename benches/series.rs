//! Periodic reports benchmark (issue 17): 500 units and five series (monthly, quarterly,
//! 6-month, 9-month, yearly), on SQLite and on PostgreSQL. Times a year of the service's
//! work on them — at each instance's creation time, `series::make_due` then
//! `reminders::plan_new_units`, as every pass of the sender does — and the unit × period
//! matrix of the monthly series (500 units × 12 months). No outside program does this, so
//! each figure is printed beside the goal of issue 17 instead of a peer's.
//!
//!   cargo bench --bench series [-- UNITS [sqlite|postgres]]

// A benchmark is wiring: it may read the clock and unwrap (a panic is a failed run).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use baocao::adapters::store::{Pools, Store};
use chrono::TimeZone;
use harness::{Backend, Env};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let units: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(500);
    let backends = match args.get(1).map(String::as_str) {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    };
    for backend in backends {
        run(backend, units).await;
    }
}

/// Code, kind, deadline rule and first period of each series.
const SERIES: [(&str, &str, &str, &str); 5] = [
    ("bc-thang", "thang", "ngày 5 tháng sau kỳ", "T1/2027"),
    ("bc-quy", "quy", "ngày 15 tháng cuối kỳ", "Quý I/2027"),
    ("bc-6-thang", "6-thang", "ngày 15 tháng cuối kỳ", "6 tháng đầu năm 2027"),
    ("bc-9-thang", "9-thang", "ngày 15 tháng cuối kỳ", "9 tháng đầu năm 2027"),
    ("bc-nam", "nam", "3 ngày làm việc sau ngày chốt số liệu", "2027"),
];

async fn run(backend: Backend, units: usize) {
    let env = Env::new(backend);
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!(
        "series: {units} units × {} series, a year of periods, {name}",
        SERIES.len()
    );
    env.import_units((0..units).map(|i| {
        [
            format!("dv-{i:04}"),
            format!("Trường THCS số {i}"),
            "thcs".to_string(),
            format!("dv{i}@lab.test"),
        ]
    }));
    for (code, period, deadline, first) in SERIES {
        env.baocao(&[
            "series",
            "add",
            code,
            "--doc",
            "12/KH-SGDĐT",
            "--title",
            "Báo cáo",
            "--period",
            period,
            "--deadline",
            deadline,
            "--group",
            "thcs",
            "--from",
            first,
            "--at",
            "08:00 ngày 01/12/2026",
        ])
        .ok();
    }
    let loaded = baocao::adapters::config::load(&env.config).unwrap();
    let (settings, calendar) = (loaded.settings, loaded.calendar);
    let zone = settings.office.zone;
    let store = Store::connect(&env.db.url).await.unwrap();

    // The creation times of a year: every day at 08:00 from 01/12/2026 to 31/12/2027 the
    // service would pass many times; only passes that make something cost anything, so the
    // benchmark passes once a day and times every pass.
    let mut spent = Duration::ZERO;
    let mut made = 0;
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let last = chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
    while day <= last {
        let now = zone
            .from_local_datetime(&day.and_hms_opt(8, 0, 0).unwrap())
            .unwrap()
            .to_utc();
        let started = Instant::now();
        let new = baocao::services::series::make_due(&store, &calendar, zone, now)
            .await
            .unwrap();
        baocao::services::reminders::plan_new_units(&store, &settings, &calendar, now)
            .await
            .unwrap();
        spent += started.elapsed();
        made += new.len();
        day = day.succ_opt().unwrap();
    }
    let count = "SELECT COUNT(*) FROM reminder_slots";
    let slots: i64 = match store.pools() {
        Pools::Sqlite(pools) => sqlx::query_scalar(count).fetch_one(pools.reader()).await.unwrap(),
        Pools::Postgres(pool) => sqlx::query_scalar(count).fetch_one(pool).await.unwrap(),
    };
    println!(
        "  {:<62} {:>9}   goal < 1 s  {}",
        format!("make + plan a year: {made} instances, {slots} slots"),
        seconds(spent),
        verdict(spent < Duration::from_secs(1))
    );

    // The matrix of the monthly series: its 12 instances of 2027 × the units.
    let series = store.series_by_code("bc-thang").await.unwrap();
    let now = zone.with_ymd_and_hms(2027, 12, 31, 9, 0, 0).unwrap().to_utc();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let matrix = baocao::services::series::matrix(&store, &series, Some(2027), now, &calendar, zone)
            .await
            .unwrap();
        best = best.min(started.elapsed());
        assert_eq!(matrix.rows.len(), units);
    }
    let matrix = baocao::services::series::matrix(&store, &series, Some(2027), now, &calendar, zone)
        .await
        .unwrap();
    println!(
        "  {:<62} {:>9}   goal < 200 ms  {}",
        format!(
            "matrix {} units × {} months (best of 3)",
            matrix.rows.len(),
            matrix.columns.len()
        ),
        seconds(best),
        verdict(best < Duration::from_millis(200))
    );
    store.close().await;
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}
