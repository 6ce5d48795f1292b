//! The audit trail on both databases: every change made with the CLI is one row — who (the OS
//! user), how, when, what, before → after —; `baocao audit` filters it and writes CSV; a
//! request and a unit show their history; the table refuses UPDATE and DELETE; a database
//! from before it keeps its request changes as audit rows.

use std::path::Path;

use crate::harness::{Backend, Env};
use crate::on_both_backends;
use baocao::adapters::store::{Pools, Store};

on_both_backends!(
    every_change_from_the_command_line_is_one_row_of_the_audit_trail,
    the_audit_trail_is_append_only,
    request_changes_become_audit_rows_on_upgrade,
    a_message_imported_by_hand_is_the_importers,
);

/// `intake import`: the message a person brought in is theirs in the audit trail, with what
/// became of it; the same file again is recorded as the duplicate it is.
fn a_message_imported_by_hand_is_the_importers(backend: Backend) {
    let env = Env::new(backend);
    env.seed_000_request("17h00 ngày 30/12/2030");
    let message = "From: pgddt.muongcha@dienbien.edu.vn\nTo: vanphong.sodienbien@moet.edu.vn\n\
        Subject: Báo cáo [BC-1]\nMessage-ID: <muongcha-tay@x>\nMIME-Version: 1.0\n\
        Content-Type: text/plain; charset=utf-8\n\nPhòng xin gửi lại báo cáo đã nộp bản giấy.\n";
    let file = env.write("muongcha.eml", message);
    let as_hoa = |args: &[&str]| env.baocao_env(args, &[("USER", Path::new("hoa"))]).ok();
    as_hoa(&[
        "intake",
        "import",
        file.to_str().unwrap(),
        "--received-at",
        "09:00 ngày 20/12/2030",
    ]);
    as_hoa(&[
        "intake",
        "import",
        file.to_str().unwrap(),
        "--received-at",
        "09:00 ngày 20/12/2030",
    ]);
    let rows = env.baocao(&["audit", "--subject", "incoming", "--json"]).ok().json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(
        rows.iter().all(|r| r["actor"] == "hoa" && r["action"] == "intake"),
        "{rows:#?}"
    );
    let said: Vec<&str> = rows.iter().map(|r| r["after"].as_str().unwrap()).collect();
    assert!(
        said.iter()
            .any(|a| a.ends_with("muongcha.eml: chờ xem xét — thiếu tệp đính kèm")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|a| a.ends_with("muongcha.eml: bỏ qua — thư trùng")),
        "{said:?}"
    );
    let shown = env.baocao(&["request", "show", "BC-1"]).ok().stdout;
    assert!(
        shown.contains("nhập thư từ tệp"),
        "in the request's history too: {shown}"
    );
}

fn every_change_from_the_command_line_is_one_row_of_the_audit_trail(backend: Backend) {
    let env = Env::new(backend);
    env.seed_000_units();
    let as_hoa = |args: &[&str]| env.baocao_env(args, &[("USER", Path::new("hoa"))]).ok();
    as_hoa(&[
        "request",
        "add",
        "12/KH-SGDĐT",
        "--title",
        "Báo cáo công tác tháng",
        "--deadline",
        "17h00 ngày 15/3/2030",
        "--unit",
        "pgd-dienbien",
    ]);
    as_hoa(&["request", "edit", "BC-1", "--title", "Báo cáo công tác tháng 3"]);
    as_hoa(&["request", "activate", "BC-1", "--at", "08:00 ngày 11/03/2030"]);
    as_hoa(&["mark", "BC-1", "pgd-dienbien", "--note", "nhận bản giấy"]);
    as_hoa(&[
        "unit",
        "rename",
        "pgd-dienbien",
        "pgd-dienbien",
        "--name",
        "Phòng GD&ĐT huyện Điện Biên",
    ]);
    as_hoa(&["unit", "remove", "pgd-tx-muonglay"]);

    let rows = env.baocao(&["audit", "--json"]).ok().json();
    let rows = rows.as_array().unwrap();
    let seen: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r["actor"].as_str().unwrap(),
                r["via"].as_str().unwrap(),
                r["subject"].as_str().unwrap(),
                r["subject_key"].as_str().unwrap(),
                r["action"].as_str().unwrap()
            )
        })
        .collect();
    // The import that made the units ran as whoever runs the tests: only hoa's rows here.
    let hoa: Vec<&String> = seen.iter().filter(|s| s.starts_with("hoa ")).collect();
    assert_eq!(
        hoa,
        [
            "hoa cli request BC-1 create",
            "hoa cli request BC-1 edit",
            "hoa cli request BC-1 activate",
            "hoa cli request BC-1 mark",
            "hoa cli unit pgd-dienbien rename",
            "hoa cli unit pgd-tx-muonglay deactivate",
        ],
        "{seen:?}"
    );
    let edit = rows
        .iter()
        .find(|r| r["action"] == "edit" && r["subject"] == "request")
        .unwrap();
    assert_eq!(edit["field"], "trích yếu");
    assert_eq!(edit["before"], "Báo cáo công tác tháng");
    assert_eq!(edit["after"], "Báo cáo công tác tháng 3");
    assert!(
        rows.iter().any(|r| r["subject"] == "unit" && r["action"] == "create"),
        "{seen:?}"
    );

    // A series' day-off rule changes every later deadline: recorded.
    as_hoa(&[
        "series",
        "add",
        "bc-thang",
        "--doc",
        "45/KH-UBND",
        "--title",
        "Báo cáo tháng",
        "--period",
        "thang",
        "--deadline",
        "ngày 5 hằng tháng",
        "--group",
        "phong-gddt",
    ]);
    as_hoa(&["series", "edit", "bc-thang", "--on-day-off", "truoc"]);
    let series = env
        .baocao(&["audit", "--subject", "series", "--key", "BC-THANG", "--json"])
        .ok()
        .json();
    let fields: Vec<&str> = series
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["field"].as_str())
        .collect();
    assert_eq!(fields, ["báo cáo định kỳ", "hạn rơi vào ngày nghỉ"], "{series:#}");

    // Filters: one subject, one person, a day.
    let unit_rows = env
        .baocao(&[
            "audit",
            "--subject",
            "unit",
            "--key",
            "pgd-dienbien",
            "--by",
            "hoa",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(unit_rows.as_array().unwrap().len(), 1, "{unit_rows}");
    assert_eq!(unit_rows[0]["before"], "Phòng Giáo dục và Đào tạo huyện Điện Biên");
    let text = env.baocao(&["audit", "--subject", "request"]).ok().stdout;
    assert!(
        text.contains("hoa (dòng lệnh) · yêu cầu BC-1 · trạng thái: nháp → đang theo dõi"),
        "{text}"
    );
    let none = env.baocao(&["audit", "--until", "01/01/2000"]).ok().stdout;
    assert!(none.contains("không có thay đổi nào khớp"), "{none}");
    let refused = env.baocao(&["audit", "--subject", "người"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("request, unit, group, series, review hoặc message");
    let refused = env.baocao(&["audit", "--since", "hôm qua"]);
    refused.assert_stderr_contains("dd/mm/yyyy");

    // CSV for Excel: a BOM, a header, one line per row.
    let csv = env.baocao(&["audit", "--by", "hoa", "--csv", "-"]).ok().stdout;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("Số,Thời điểm,Người thực hiện,Qua,Đối tượng,Mã,Thao tác"),
        "{csv}"
    );
    // hoa's six request and unit rows, and the series' two; `--by` ignores case.
    assert_eq!(lines.len(), 1 + hoa.len() + 2, "{csv}");
    let upper = env
        .baocao(&["audit", "--by", "HOA", "--key", "bc-1", "--json"])
        .ok()
        .json();
    assert_eq!(upper.as_array().unwrap().len(), 4, "{upper:#}");

    // The request and the unit show their history.
    let shown = env.baocao(&["request", "show", "BC-1"]).ok().stdout;
    assert!(
        shown.contains("(hoa) trích yếu: Báo cáo công tác tháng → Báo cáo công tác tháng 3"),
        "{shown}"
    );
    assert!(
        shown.contains("(hoa) báo cáo của pgd-dienbien: thêm đã báo cáo (đánh dấu thủ công): nhận bản giấy"),
        "{shown}"
    );
    let unit = env.baocao(&["unit", "show", "pgd-dienbien"]).ok().stdout;
    assert!(
        unit.contains("(hoa) tên đơn vị: Phòng Giáo dục và Đào tạo huyện Điện Biên → Phòng GD&ĐT huyện Điện Biên"),
        "{unit}"
    );
}

fn the_audit_trail_is_append_only(backend: Backend) {
    let env = Env::new(backend);
    env.seed_000_units();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime
        .block_on(baocao::adapters::store::Store::connect(&env.db.url))
        .unwrap();
    let outcome = |statement: &'static str| {
        runtime.block_on(async {
            match store.pools() {
                baocao::adapters::store::Pools::Sqlite(pools) => {
                    sqlx::query(statement).execute(pools.writer()).await.map(|_| ())
                }
                baocao::adapters::store::Pools::Postgres(pool) => {
                    sqlx::query(statement).execute(pool).await.map(|_| ())
                }
            }
        })
    };
    let count = || -> i64 {
        runtime.block_on(async {
            match store.pools() {
                baocao::adapters::store::Pools::Sqlite(pools) => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                        .fetch_one(pools.reader())
                        .await
                }
                baocao::adapters::store::Pools::Postgres(pool) => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                        .fetch_one(pool)
                        .await
                }
            }
            .unwrap()
        })
    };
    let before = count();
    assert!(before > 0, "the import was recorded");
    for statement in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"] {
        let error = outcome(statement).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    if backend == Backend::Postgres {
        let error = outcome("TRUNCATE audit_log").unwrap_err().to_string();
        assert!(error.contains("append-only"), "{error}");
    }
    assert_eq!(count(), before);
}

/// A database from before the audit trail: its `request_changes` rows (an edit, an extension,
/// a series' note) become audit rows with honest `via` and `action` when it is migrated, the
/// old table is gone, and the request's history shows them.
fn request_changes_become_audit_rows_on_upgrade(backend: Backend) {
    let env = Env::new(backend);
    env.seed_000_request("17h00 ngày 30/12/2030");
    // Back to the schema before 20261205110000_audit_log, with its rows.
    let (drop, changes_table) = match backend {
        Backend::Sqlite => (
            "DROP TABLE audit_log;",
            "CREATE TABLE request_changes (id INTEGER PRIMARY KEY, \
             request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE, changed_at TEXT NOT NULL, \
             changed_by TEXT NOT NULL, field TEXT NOT NULL, before TEXT, after TEXT);",
        ),
        Backend::Postgres => (
            "DROP TABLE audit_log; DROP FUNCTION audit_log_append_only() CASCADE;",
            "CREATE TABLE request_changes (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE, changed_at TIMESTAMPTZ NOT NULL, \
             changed_by TEXT NOT NULL, field TEXT NOT NULL, before TEXT, after TEXT);",
        ),
    };
    let rewind = format!(
        "{drop} DELETE FROM _sqlx_migrations WHERE version = 20261205110000; {changes_table} \
         INSERT INTO request_changes (request_id, changed_at, changed_by, field, before, after) VALUES \
         (1, '2026-12-01T01:00:00Z', 'hoa', 'trích yếu', 'Cũ', 'Mới'), \
         (1, '2026-12-02T01:00:00Z', 'hoa', 'hạn báo cáo (gia hạn)', '30/12/2030', '15/01/2031'), \
         (1, '2026-12-03T01:00:00Z', 'baocao (chuỗi bc-thang)', 'ghi chú', NULL, 'kỳ tạo muộn');"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::connect(&env.db.url).await.unwrap();
        match store.pools() {
            Pools::Sqlite(pools) => sqlx::raw_sql(sqlx::AssertSqlSafe(rewind.clone()))
                .execute(pools.writer())
                .await
                .map(|_| ()),
            Pools::Postgres(pool) => sqlx::raw_sql(sqlx::AssertSqlSafe(rewind.clone()))
                .execute(pool)
                .await
                .map(|_| ()),
        }
        .unwrap();
    });

    env.baocao(&["migrate"]).ok();
    let rows = env.baocao(&["audit", "--key", "BC-1", "--json"]).ok().json();
    let rows = rows.as_array().unwrap();
    let seen: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                r["via"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for expected in [
        ("hoa", "imported", "edit", "trích yếu"),
        ("hoa", "imported", "extend", "hạn báo cáo (gia hạn)"),
        ("baocao (chuỗi bc-thang)", "service", "note", "ghi chú"),
    ] {
        assert!(seen.contains(&expected), "{expected:?} in {seen:#?}");
    }
    let shown = env.baocao(&["request", "show", "BC-1"]).ok().stdout;
    assert!(shown.contains("15/01/2031"), "the history in request show: {shown}");
    // The old table is gone; the new one is append-only again.
    runtime.block_on(async {
        let store = Store::connect(&env.db.url).await.unwrap();
        let old = "SELECT COUNT(*) FROM request_changes";
        let update = "UPDATE audit_log SET actor = 'x'";
        let (old, update) = match store.pools() {
            Pools::Sqlite(pools) => (
                sqlx::query(old).execute(pools.writer()).await.is_err(),
                sqlx::query(update).execute(pools.writer()).await.is_err(),
            ),
            Pools::Postgres(pool) => (
                sqlx::query(old).execute(pool).await.is_err(),
                sqlx::query(update).execute(pool).await.is_err(),
            ),
        };
        assert!(old, "request_changes is dropped");
        assert!(update, "audit_log refuses UPDATE after the upgrade");
    });
}
