//! `baocao request …` and `baocao status` on both databases, with the units of seed 000.

use crate::harness::{Backend, Env, SEED_000_REQUEST, SEED_000_TITLE};
use crate::on_both_backends;

on_both_backends!(
    the_seed_request_is_created_with_the_deadline_it_understood,
    requests_are_named_by_token_code_or_code_at_year,
    activation_and_closing_follow_the_life_of_a_request,
    status_of_the_seed_request_lists_every_unit_as_pending,
    bad_request_input_is_refused_with_a_reason,
    a_long_past_request_activated_late_gets_its_notice_and_no_overdue_mail,
    a_request_is_extended_for_all_or_some_units_and_a_draft_deleted,
    activation_plans_every_unit_once_even_when_planning_runs_again,
);

fn with_seed_units(backend: Backend) -> Env {
    let env = Env::new(backend);
    env.seed_000_units();
    env
}

fn add_seed_request(env: &Env, deadline: &str) -> crate::harness::Run {
    let mut more = SEED_000_REQUEST.to_vec();
    more.extend(["--year", "2023"]);
    env.add_request("4189/KH-BCĐ", SEED_000_TITLE, deadline, &more)
}

fn the_seed_request_is_created_with_the_deadline_it_understood(backend: Backend) {
    let env = with_seed_units(backend);
    let run = add_seed_request(&env, "trước ngày 31/12/2023").ok();
    run.assert_stdout_contains("đã tạo yêu cầu BC-1 (bản nháp): số 4189/KH-BCĐ năm 2023");
    run.assert_stdout_contains("30/12/2023 lúc 23:59");
    assert!(
        run.stdout.contains("\"trước ngày\""),
        "the reading chosen is shown: {}",
        run.stdout
    );
    run.assert_stdout_contains("23 đơn vị");
    // 30/12/2023 is a Saturday.
    run.assert_stderr_contains("cảnh báo: hạn báo cáo rơi vào thứ Bảy (30/12/2023), ngày nghỉ");
    // 1/1/2024 is New Year's Day, so the next working day is Tuesday 2/1.
    run.assert_stderr_contains("ngày làm việc kế tiếp là thứ Ba 02/01/2024");

    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(shown["code"], "4189/KH-BCĐ");
    assert_eq!(shown["year"], 2023);
    assert_eq!(shown["deadline"], "2023-12-30T16:59:59Z");
    assert_eq!(shown["deadline_text"], "30/12/2023 lúc 23:59");
    assert_eq!(shown["deadline_wording"], "trước ngày 31/12/2023");
    assert_eq!(shown["issued_on"], "2022-12-27");
    // The clerk sees the instant and the directive's words.
    let text = env.baocao(&["request", "show", "BC-1"]).ok().stdout;
    assert!(
        text.contains("Hạn:        30/12/2023 lúc 23:59 (văn bản ghi: trước ngày 31/12/2023)"),
        "{text}"
    );
    let status = env.baocao(&["status", "BC-1"]).ok().stdout;
    assert!(status.contains("(văn bản ghi: trước ngày 31/12/2023)"), "{status}");
    assert_eq!(shown["state"], "draft");
    assert_eq!(shown["remind_before"], "7d,3d,1d");
    assert_eq!(shown["attachment_required"], true);
    assert_eq!(shown["units"].as_array().unwrap().len(), 23);

    let other = env
        .add_request(
            "165/LĐLĐ",
            "Phong trào thi đua quốc phòng",
            "17h00 ngày 31/5/2030",
            &[
                "--unit",
                "pgd-muongcha",
                "--remind",
                "3d,1d",
                "--overdue",
                "1d",
                "--no-attachment-required",
                "--json",
            ],
        )
        .ok();
    assert_eq!(other.stderr, "", "a future Friday deadline needs no warning");
    let other = other.json();
    assert_eq!(other["deadline_text"], "31/05/2030 lúc 17:00");
    assert_eq!(other["year"], 2030);
    assert_eq!(other["remind_before"], "3d,1d");
    assert_eq!(other["attachment_required"], false);
    assert_eq!(other["units"], serde_json::json!(["pgd-muongcha"]));
}

fn requests_are_named_by_token_code_or_code_at_year(backend: Backend) {
    let env = with_seed_units(backend);
    add_seed_request(&env, "31/12/2023").ok();
    // Different spellings of the same code all find it.
    for name in [
        "BC-1",
        "bc-1",
        "4189/KH-BCĐ",
        "4189/kh-bcd",
        "4189 / KH-BCD",
        "4189/KH-BCĐ@2023",
    ] {
        assert_eq!(
            env.baocao(&["request", "show", name, "--json"]).ok().json()["token"],
            "BC-1",
            "{name}"
        );
    }
    // The same number in another year is another request; the bare number is then ambiguous.
    env.add_request("4189/KH-BCĐ", "Năm sau", "31/12/2024", &["--unit", "pgd-nampo"])
        .ok();
    let ambiguous = env.baocao(&["request", "show", "4189/KH-BCĐ"]);
    assert_eq!(ambiguous.code, 1);
    ambiguous.assert_stderr_contains("4189/KH-BCĐ năm 2023 (BC-1, gõ 4189/KH-BCĐ@2023)");
    assert_eq!(
        env.baocao(&["request", "show", "4189/kh-bcd@2024", "--json"])
            .ok()
            .json()["token"],
        "BC-2"
    );
    // The same number in the same year is refused.
    let duplicate = add_seed_request(&env, "31/12/2023");
    assert_eq!(duplicate.code, 1);
    duplicate.assert_stderr_contains("đã có yêu cầu số 4189/KH-BCĐ năm 2023 (BC-1)");

    let missing = env.baocao(&["request", "show", "BC-99"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("không có yêu cầu báo cáo `BC-99`"));

    let listed = env.baocao(&["request", "list", "--json"]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let text = env.baocao(&["request", "list"]).ok().stdout;
    assert!(
        text.contains("4189/KH-BCĐ (năm 2024)") && text.contains("2 yêu cầu"),
        "{text}"
    );
}

fn activation_and_closing_follow_the_life_of_a_request(backend: Backend) {
    let env = with_seed_units(backend);
    add_seed_request(&env, "31/12/2023").ok();
    // A unit added to a group after the draft is included on activation.
    env.baocao(&[
        "unit",
        "add",
        "gdnn-nampo",
        "--name",
        "Trung tâm GDNN-GDTX huyện Nậm Pồ",
        "--group",
        "gdnn-gdtx",
        "--email",
        "ttgdnn.nampo@dienbien.edu.vn",
    ])
    .ok();
    let activated = env.baocao(&["request", "activate", "BC-1"]).ok();
    activated.assert_stdout_contains("24 đơn vị");
    assert_eq!(
        env.baocao(&["request", "show", "BC-1", "--json"]).ok().json()["state"],
        "active"
    );

    let again = env.baocao(&["request", "activate", "BC-1"]);
    assert_eq!(again.code, 1);
    again.assert_stderr_contains("đang theo dõi");

    env.baocao(&["request", "close", "BC-1"]).ok();
    assert_eq!(
        env.baocao(&["request", "show", "BC-1", "--json"]).ok().json()["state"],
        "closed"
    );
    assert_eq!(env.baocao(&["request", "activate", "BC-1"]).code, 1);
    // Closed requests leave the default status view.
    let status = env.baocao(&["status", "--json"]).ok().json();
    assert_eq!(status["requests"], serde_json::json!([]));
}

fn status_of_the_seed_request_lists_every_unit_as_pending(backend: Backend) {
    let env = with_seed_units(backend);
    add_seed_request(&env, "31/12/2099").ok();
    env.baocao(&["request", "activate", "4189/KH-BCĐ"]).ok();
    let status = env.baocao(&["status", "--json"]).ok().json();
    let requests = status["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request["request"], "BC-1");
    assert_eq!(
        (request["reported"].as_u64(), request["total"].as_u64()),
        (Some(0), Some(23))
    );
    let units = request["units"].as_array().unwrap();
    assert_eq!(units.len(), 23);
    assert!(units.iter().all(|u| u["state"] == "pending"), "{units:?}");
    assert!(units.iter().all(|u| u["reported_at"].is_null() && u["via"].is_null()));

    let text = env.baocao(&["status", "BC-1"]).ok().stdout;
    assert!(text.contains("0/23 đã báo cáo"), "{text}");
    assert!(
        text.contains("Trường THPT Chuyên Lê Quý Đôn") && text.contains("chưa báo cáo"),
        "{text}"
    );
}

fn bad_request_input_is_refused_with_a_reason(backend: Backend) {
    let env = with_seed_units(backend);
    let cases: [(&[&str], &str); 6] = [
        (&["--deadline", "31/13/2023", "--group", "phong-gddt"], "31/13/2023"),
        (&["--deadline", "31/12/2023", "--group", "khong-co"], "nhóm `khong-co`"),
        (
            &["--deadline", "31/12/2023", "--unit", "khong-co"],
            "không có đơn vị `khong-co`",
        ),
        (&["--deadline", "31/12/2023"], "--group hoặc --unit"),
        (
            &["--deadline", "31/12/2023", "--group", "phong-gddt", "--remind", "3w"],
            "3w",
        ),
        (
            &[
                "--deadline",
                "31/12/2023",
                "--group",
                "phong-gddt",
                "--issued",
                "hôm qua",
            ],
            "hôm qua",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["request", "add", "12/BC", "--title", "Thử"];
        args.extend_from_slice(extra);
        let run = env.baocao(&args);
        assert_eq!(run.code, 1, "{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{extra:?}: {}", run.stderr);
    }
    assert_eq!(
        env.baocao(&["request", "list", "--json"]).ok().json(),
        serde_json::json!([])
    );
}

/// Seed 000's request (deadline "trước ngày 31/12/2023") activated in December 2026: the
/// units get the notice only; no overdue notice is planned, and the plan never claims the
/// service "was down".
fn a_long_past_request_activated_late_gets_its_notice_and_no_overdue_mail(backend: Backend) {
    let env = with_seed_units(backend);
    add_seed_request(&env, "trước ngày 31/12/2023").ok();
    let activated = env
        .baocao(&["request", "activate", "BC-1", "--at", "09:00 ngày 2/12/2026"])
        .ok();
    activated.assert_stdout_contains("chỉ gửi thông báo, không gửi thư quá hạn");
    let plan = env.reminder_plan("BC-1", "08:00 ngày 2/12/2026");
    let lines = plan.as_array().unwrap();
    assert_eq!(lines.len(), 23, "one notice per unit: {plan:#}");
    assert!(lines.iter().all(|l| l["kind"] == "notice"), "{plan:#}");
    let text = env
        .baocao(&["reminders", "plan", "--request", "BC-1", "--at", "08:00 ngày 2/12/2026"])
        .ok()
        .stdout;
    assert!(!text.contains("ngừng"), "{text}");
}

fn a_request_is_extended_for_all_or_some_units_and_a_draft_deleted(backend: Backend) {
    let env = with_seed_units(backend);
    add_seed_request(&env, "trước ngày 31/12/2023").ok();
    env.baocao(&["request", "activate", "BC-1", "--at", "08:00 ngày 18/12/2023"])
        .ok();
    let at = ["--at", "09:00 ngày 20/12/2023"];
    let earlier = env.baocao(&["request", "extend", "BC-1", "--until", "29/12/2023", at[0], at[1]]);
    assert_eq!(earlier.code, 1);
    earlier.assert_stderr_contains("hạn mới phải sau hạn hiện tại (30/12/2023 lúc 23:59)");

    let extended = env
        .baocao(&[
            "request",
            "extend",
            "BC-1",
            "--until",
            "trước ngày 10/01/2024",
            at[0],
            at[1],
        ])
        .ok();
    extended.assert_stdout_contains(
        "đã gia hạn BC-1 (cả yêu cầu) đến 09/01/2024 lúc 23:59 (văn bản ghi: trước ngày 10/01/2024); \
             lập lại lịch nhắc cho 23 đơn vị",
    );
    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(shown["deadline"], "2024-01-09T16:59:59Z");
    assert_eq!(shown["deadline_wording"], "trước ngày 10/01/2024");
    let plan = env.reminder_plan("BC-1", at[1]);
    let overdue: Vec<&str> = plan
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["unit"] == "pgd-muongcha" && l["kind"] == "overdue")
        .map(|l| l["due_local"].as_str().unwrap())
        .collect();
    // The first working morning after Tuesday 09/01/2024.
    assert_eq!(overdue.first(), Some(&"10/01/2024 lúc 07:30"), "{plan:#}");

    // One unit gets more time than the rest.
    env.baocao(&[
        "request",
        "extend",
        "BC-1",
        "--until",
        "17h00 ngày 15/01/2024",
        "--unit",
        "pgd-muongcha",
        at[0],
        at[1],
    ])
    .ok();
    let deadline_of = |unit: &str| env.unit_status("BC-1", unit)["deadline"].as_str().map(str::to_string);
    assert_eq!(deadline_of("pgd-muongcha").as_deref(), Some("2024-01-15T10:00:00Z"));
    assert_eq!(deadline_of("pgd-tuangiao").as_deref(), Some("2024-01-09T16:59:59Z"));

    // Only a draft is deleted.
    let refused = env.baocao(&["request", "delete", "BC-1"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("chỉ xóa được yêu cầu ở trạng thái nháp");
    env.add_request(
        "165/LĐLĐ",
        "Phong trào thi đua",
        "31/05/2030",
        &["--unit", "pgd-muongcha"],
    )
    .ok();
    env.baocao(&["request", "delete", "BC-2"]).ok();
    assert_eq!(env.baocao(&["request", "show", "BC-2"]).code, 1);
}

/// Issue 16: activation writes the slots of all units at once (one plan per deadline); a unit
/// with a later deadline of its own gets its own plan; planning the same pairs again (another
/// instance, or `slots_planned_at` lost) writes nothing twice.
fn activation_plans_every_unit_once_even_when_planning_runs_again(backend: Backend) {
    let env = with_seed_units(backend);
    let mut more = SEED_000_REQUEST.to_vec();
    more.extend(["--remind", "7d,3d,1d", "--overdue", "1d,3d"]);
    env.add_request("4189/KH-BCĐ", SEED_000_TITLE, "17h00 ngày 15/3/2030", &more)
        .ok();
    env.baocao(&["request", "activate", "BC-1", "--at", "08:00 ngày 2/3/2026"])
        .ok();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime
        .block_on(baocao::adapters::store::Store::connect(&env.db.url))
        .unwrap();
    let kinds = |store: &baocao::adapters::store::Store| -> Vec<(String, i64)> {
        let statement = "SELECT kind, COUNT(*) FROM reminder_slots WHERE state = 'planned' GROUP BY kind ORDER BY kind";
        runtime.block_on(async {
            match store.pools() {
                baocao::adapters::store::Pools::Sqlite(pools) => {
                    sqlx::query_as(statement).fetch_all(pools.writer()).await
                }
                baocao::adapters::store::Pools::Postgres(pool) => sqlx::query_as(statement).fetch_all(pool).await,
            }
            .unwrap()
        })
    };
    let six_each = vec![
        ("notice".to_string(), 23),
        ("overdue".to_string(), 46),
        ("reminder".to_string(), 69),
    ];
    assert_eq!(
        kinds(&store),
        six_each,
        "notice, 3 reminders and 2 overdue notices for each of 23 units"
    );
    let plan = env.reminder_plan("BC-1", "08:00 ngày 2/3/2026");
    assert_eq!(plan.as_array().unwrap().len(), 138, "{plan:#}");

    // One unit's own deadline: its waiting slots are laid out again from it, the others stay.
    env.baocao(&[
        "request",
        "extend",
        "BC-1",
        "--until",
        "17h00 ngày 29/3/2030",
        "--unit",
        "pgd-muongcha",
        "--at",
        "09:00 ngày 3/3/2026",
    ])
    .ok();
    let plan = env.reminder_plan("BC-1", "09:00 ngày 3/3/2026");
    let lines = plan.as_array().unwrap();
    let muongcha: Vec<&serde_json::Value> = lines.iter().filter(|l| l["unit"] == "pgd-muongcha").collect();
    assert_eq!(muongcha.len(), 6, "{plan:#}");
    let latest = muongcha.iter().filter_map(|l| l["due_at"].as_str()).max().unwrap();
    assert!(latest > "2030-03-29", "planned from the unit's own deadline: {latest}");
    let others_latest = lines
        .iter()
        .filter(|l| l["unit"] != "pgd-muongcha")
        .filter_map(|l| l["due_at"].as_str())
        .max()
        .unwrap();
    assert!(
        others_latest < "2030-03-29",
        "the other units keep theirs: {others_latest}"
    );
    let before = kinds(&store);

    // Planning again as if no pair had been planned: every slot exists, none is added.
    let loaded = baocao::adapters::config::load(&env.config).unwrap();
    let replanned = runtime.block_on(async {
        let statement = "UPDATE request_units SET slots_planned_at = NULL";
        match store.pools() {
            baocao::adapters::store::Pools::Sqlite(pools) => {
                sqlx::query(statement).execute(pools.writer()).await.map(|_| ())
            }
            baocao::adapters::store::Pools::Postgres(pool) => sqlx::query(statement).execute(pool).await.map(|_| ()),
        }
        .unwrap();
        let at: chrono::DateTime<chrono::Utc> = "2026-03-03T03:00:00Z".parse().unwrap();
        let first = baocao::services::reminders::plan_new_units(&store, &loaded.settings, &loaded.calendar, at);
        let second = baocao::services::reminders::plan_new_units(&store, &loaded.settings, &loaded.calendar, at);
        (first.await.unwrap(), second.await.unwrap())
    });
    assert_eq!(replanned, (23, 0), "the second pass finds nothing left to plan");
    assert_eq!(kinds(&store), before, "no slot written twice");
}
