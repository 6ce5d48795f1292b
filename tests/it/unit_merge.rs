//! Units as the office changes them (issue 14 §5), on both databases: group display names in
//! exports and imports; `unit rename` keeps a unit's history; `unit merge` moves addresses
//! (a reply from an old address counts for the new unit), puts the new unit in the old
//! units' place in open requests, keeps closed requests' records under the old units, and a
//! merge table is all-or-nothing, with a dry run that changes nothing.

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::harness::{Backend, Env};
use crate::on_both_backends;

on_both_backends!(
    group_names_replace_codes_in_csv_and_xlsx_exports,
    a_renamed_unit_keeps_its_history_and_its_requests,
    a_merge_moves_addresses_and_takes_the_old_units_place_in_open_requests_only,
    a_merge_table_is_all_or_nothing_and_a_dry_run_changes_nothing,
);

const PHONG: &str = "Phòng Giáo dục và Đào tạo các huyện, thị xã, thành phố";

fn group_names_replace_codes_in_csv_and_xlsx_exports(backend: Backend) {
    let env = Env::new(backend);
    env.seed_000_request("trước ngày 31/12/2023");
    env.baocao(&["unit", "group-name", "phong-gddt", PHONG]).ok();
    // An import names a group through its "Tên nhóm" column.
    let list = env.write(
        "truong.csv",
        "Mã,Tên,Nhóm,Tên nhóm,Email\n\
         thpt-chuyen-lqd,Trường THPT Chuyên Lê Quý Đôn,truc-thuoc,Các trường trực thuộc Sở,c3lequydon@dienbien.edu.vn\n",
    );
    env.baocao(&["unit", "import", list.to_str().unwrap()]).ok();
    let groups = env.baocao(&["unit", "groups", "--json"]).ok().json();
    let named: Vec<(String, String)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["code"].as_str().unwrap().to_string(), g["name"].to_string()))
        .collect();
    assert_eq!(
        named,
        [
            ("gdnn-gdtx".to_string(), "null".to_string()),
            ("phong-gddt".to_string(), format!("\"{PHONG}\"")),
            ("truc-thuoc".to_string(), "\"Các trường trực thuộc Sở\"".to_string()),
        ]
    );

    let csv = env
        .baocao(&["export", "BC-1", "--format", "csv", "--only", "all", "-o", "-"])
        .ok();
    csv.assert_stdout_contains(&format!(
        ",pgd-muongcha,Phòng Giáo dục và Đào tạo huyện Mường Chà,\"{PHONG}\",quá hạn"
    ));
    csv.assert_stdout_contains(",Các trường trực thuộc Sở,");
    // A group without a name shows its code.
    csv.assert_stdout_contains(",gdnn-gdtx,");

    let (_, xlsx) = env.export_all_xlsx("tinh-hinh.xlsx");
    let mut workbook: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let range = workbook.worksheet_range("Tình hình báo cáo").unwrap();
    let first_cells: Vec<String> = range
        .rows()
        .map(|row| match &row[0] {
            Data::String(s) => s.clone(),
            _ => String::new(),
        })
        .filter(|cell| cell.starts_with("Nhóm: "))
        .collect();
    assert_eq!(
        first_cells,
        [
            "Nhóm: Các trường trực thuộc Sở (6 đơn vị)".to_string(),
            "Nhóm: gdnn-gdtx (7 đơn vị)".to_string(),
            format!("Nhóm: {PHONG} (10 đơn vị)"),
        ]
    );
    let group_column: Vec<String> = range
        .rows()
        .filter(|row| matches!(row[0], Data::Float(_)))
        .map(|row| row[2].to_string())
        .collect();
    assert_eq!(group_column.iter().filter(|g| *g == PHONG).count(), 10);

    // Removing the name shows the code again.
    env.baocao(&["unit", "group-name", "phong-gddt", "--clear"]).ok();
    let csv = env
        .baocao(&["export", "BC-1", "--format", "csv", "--only", "all", "-o", "-"])
        .ok();
    assert!(!csv.stdout.contains(PHONG), "{}", csv.stdout);
}

/// Three units and two requests: BC-1 closed (pgd-a reported it), BC-2 active for all three
/// (pgd-a reported it).
fn registry_with_history(backend: Backend) -> Env {
    let env = Env::new(backend);
    for (code, name, email, group) in [
        ("pgd-a", "Phòng GD&ĐT huyện A", "pgd.a@dienbien.edu.vn", "phong-gddt"),
        ("pgd-b", "Phòng GD&ĐT huyện B", "pgd.b@dienbien.edu.vn", "phong-gddt"),
        ("thpt-c", "Trường THPT C", "c3.c@dienbien.edu.vn", "truc-thuoc"),
    ] {
        env.baocao(&["unit", "add", code, "--name", name, "--email", email, "--group", group])
            .ok();
    }
    for (number, deadline) in [
        ("12/SGDĐT-VP", "17:00 ngày 29/12/2023"),
        ("34/SGDĐT-VP", "17:00 ngày 29/01/2027"),
    ] {
        env.baocao(&[
            "request",
            "add",
            number,
            "--title",
            "Báo cáo công tác",
            "--deadline",
            deadline,
            "--group",
            "phong-gddt",
            "--unit",
            "thpt-c",
        ])
        .ok();
    }
    env.baocao(&["request", "activate", "BC-1", "--at", "08:00 ngày 18/12/2023"])
        .ok();
    env.baocao(&["request", "activate", "BC-2", "--at", "08:00 ngày 01/12/2026"])
        .ok();
    for (request, at) in [("BC-1", "10:00 ngày 28/12/2023"), ("BC-2", "10:00 ngày 02/12/2026")] {
        env.baocao(&["mark", request, "pgd-a", "--note", "nhận bản giấy", "--received-at", at])
            .ok();
    }
    env.baocao(&["request", "close", "BC-1"]).ok();
    env
}

/// (unit code, name, state) of a request's status, in code order.
fn status_rows(env: &Env, request: &str) -> Vec<(String, String, String)> {
    let status = env.baocao(&["status", request, "--json"]).ok().json();
    status["requests"][0]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["unit"].as_str().unwrap().to_string(),
                u["name"].as_str().unwrap().to_string(),
                u["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn a_renamed_unit_keeps_its_history_and_its_requests(backend: Backend) {
    let env = registry_with_history(backend);
    let run = env
        .baocao(&["unit", "rename", "pgd-a", "xa-a", "--name", "UBND xã A"])
        .ok();
    run.assert_stdout_contains("đã đổi mã đơn vị pgd-a thành xa-a");
    // The closed request's record is the same unit's, under its new code and name.
    let closed = status_rows(&env, "BC-1");
    assert!(
        closed.contains(&("xa-a".into(), "UBND xã A".into(), "reported".into())),
        "{closed:?}"
    );
    let shown = env.baocao(&["unit", "show", "xa-a", "--json"]).ok().json();
    assert_eq!(shown["emails"], serde_json::json!(["pgd.a@dienbien.edu.vn"]));
    assert_eq!(shown["groups"], serde_json::json!(["phong-gddt"]));
    let gone = env.baocao(&["unit", "show", "pgd-a"]);
    assert_eq!(gone.code, 1, "{gone:?}");
    // Refusals in Vietnamese, nothing changed.
    let taken = env.baocao(&["unit", "rename", "xa-a", "pgd-b"]);
    assert_eq!(taken.code, 1);
    taken.assert_stderr_contains("mã `pgd-b` đã là của đơn vị");
    let unknown = env.baocao(&["unit", "rename", "khong-co", "moi"]);
    unknown.assert_stderr_contains("không có đơn vị `khong-co`");
    // A name alone.
    env.baocao(&["unit", "rename", "xa-a", "xa-a", "--name", "UBND xã A mới"])
        .ok();
    assert_eq!(
        env.baocao(&["unit", "show", "xa-a", "--json"]).ok().json()["name"],
        "UBND xã A mới"
    );
}

fn a_merge_moves_addresses_and_takes_the_old_units_place_in_open_requests_only(backend: Backend) {
    let env = registry_with_history(backend);
    let run = env
        .baocao(&[
            "unit",
            "merge",
            "pgd-a",
            "pgd-b",
            "--into",
            "xa-moi",
            "--name",
            "UBND xã Mới",
            "--at",
            "01/07/2025",
        ])
        .ok();
    run.assert_stdout_contains(
        "yêu cầu BC-2 (đang theo dõi): xa-moi thay pgd-a, pgd-b; tính là đã báo cáo (theo báo cáo của pgd-a)",
    );
    let new = env.baocao(&["unit", "show", "xa-moi", "--json"]).ok().json();
    assert_eq!(
        new["emails"],
        serde_json::json!(["pgd.a@dienbien.edu.vn", "pgd.b@dienbien.edu.vn"])
    );
    assert_eq!(new["groups"], serde_json::json!(["phong-gddt"]));
    let old = env.baocao(&["unit", "show", "pgd-b"]).ok();
    old.assert_stdout_contains("Trạng thái: đã sáp nhập vào `xa-moi` ngày 01/07/2025");
    let list = env.baocao(&["unit", "list", "--all"]).ok();
    list.assert_stdout_contains("đã sáp nhập vào `xa-moi` ngày 01/07/2025");
    assert!(!env.baocao(&["unit", "list"]).ok().stdout.contains("pgd-b"));

    // The closed request keeps its record under the old units and their names.
    assert_eq!(
        status_rows(&env, "BC-1"),
        [
            ("pgd-a".into(), "Phòng GD&ĐT huyện A".into(), "reported".into()),
            ("pgd-b".into(), "Phòng GD&ĐT huyện B".into(), "overdue".into()),
            ("thpt-c".into(), "Trường THPT C".into(), "overdue".into()),
        ]
    );
    // The open request names the new unit in their place, reported through pgd-a.
    let open = status_rows(&env, "BC-2");
    assert_eq!(
        open.iter()
            .map(|(code, _, state)| (code.as_str(), state.as_str()))
            .collect::<Vec<_>>(),
        [("thpt-c", "pending"), ("xa-moi", "reported")]
    );

    // A reply from an old unit's address counts for the new unit.
    let reply = "From: pgd.b@dienbien.edu.vn\nTo: vanphong.sodienbien@moet.edu.vn\n\
                 Subject: Bao cao theo CV 34/SGDĐT-VP\nMessage-ID: <b1@dienbien.edu.vn>\n\
                 Date: Wed, 02 Dec 2026 15:00:00 +0700\nMIME-Version: 1.0\n\
                 Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n\
                 Gửi báo cáo bổ sung.\n--b1\nContent-Type: application/pdf; name=\"bc.pdf\"\n\
                 Content-Disposition: attachment; filename=\"bc.pdf\"\nContent-Transfer-Encoding: base64\n\n\
                 JVBERi0xLjQKJcOkw7zDtsOf\n--b1--\n";
    let path = env.write("b1.eml", reply);
    let outcome = env
        .baocao(&[
            "intake",
            "import",
            path.to_str().unwrap(),
            "--received-at",
            "02/12/2026 15:00",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(outcome[0]["state"], "counted", "{outcome}");
    assert_eq!(outcome[0]["unit"], "xa-moi", "{outcome}");

    // Refusals: merged already, into itself, into a merged unit.
    for (args, expected) in [
        (
            vec!["pgd-a", "--into", "thpt-c"],
            "đơn vị `pgd-a` đã sáp nhập vào `xa-moi` từ trước",
        ),
        (
            vec!["thpt-c", "--into", "thpt-c"],
            "không thể sáp nhập đơn vị `thpt-c` vào chính nó",
        ),
        (
            vec!["thpt-c", "--into", "pgd-b"],
            "đơn vị `pgd-b` đã sáp nhập vào `xa-moi`: sáp nhập thẳng vào `xa-moi`",
        ),
        (vec!["khong-co", "--into", "thpt-c"], "không có đơn vị `khong-co`"),
    ] {
        let mut command = vec!["unit", "merge"];
        command.extend(args);
        let run = env.baocao(&command);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
}

fn a_merge_table_is_all_or_nothing_and_a_dry_run_changes_nothing(backend: Backend) {
    let env = registry_with_history(backend);
    let before = env.baocao(&["unit", "list", "--all", "--json"]).ok().stdout;
    let bad = env.write(
        "sap-nhap.csv",
        "DANH SÁCH SẮP XẾP ĐƠN VỊ\nSTT;Mã cũ;Mã mới;Tên mới\n\
         1;pgd-a;xa-moi;UBND xã Mới\n2;pgd-b;khong co;\n3;thpt-c;xa-moi;Tên khác\n",
    );
    let run = env.baocao(&["unit", "merge", "--file", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    run.assert_stderr_contains("không sáp nhập gì vì có 2 lỗi");
    run.assert_stderr_contains("dòng 4: mã mới: ");
    run.assert_stderr_contains("dòng 5: tên mới của `xa-moi` (\"Tên khác\") khác với dòng 3 (\"UBND xã Mới\")");
    assert_eq!(env.baocao(&["unit", "list", "--all", "--json"]).ok().stdout, before);

    // The same table as a workbook, put right: a dry run says what would change, changes nothing.
    let good = env.write_xlsx(
        "sap-nhap.xlsx",
        &[
            ["Mã cũ", "Mã mới", "Tên mới"],
            ["pgd-a", "xa-moi", "UBND xã Mới"],
            ["pgd-b", "xa-moi", ""],
            ["thpt-c", "thpt-c2", "Trường THPT C (mới)"],
        ],
    );
    let dry = env
        .baocao(&["unit", "merge", "--file", good.to_str().unwrap(), "--dry-run"])
        .ok();
    assert!(
        dry.stdout.starts_with("XEM TRƯỚC (chưa thay đổi gì):"),
        "{}",
        dry.stdout
    );
    dry.assert_stdout_contains(
        "sẽ sáp nhập pgd-a (Phòng GD&ĐT huyện A), pgd-b (Phòng GD&ĐT huyện B) vào đơn vị mới xa-moi (UBND xã Mới)",
    );
    dry.assert_stdout_contains("Chạy lại lệnh không có --dry-run");
    assert_eq!(env.baocao(&["unit", "list", "--all", "--json"]).ok().stdout, before);

    let applied = env
        .baocao(&["unit", "merge", "--file", good.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(applied["applied"], true);
    let active: Vec<String> = env
        .baocao(&["unit", "list", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(active, ["thpt-c2", "xa-moi"]);
    let open = status_rows(&env, "BC-2");
    assert_eq!(
        open.iter()
            .map(|(code, _, state)| (code.as_str(), state.as_str()))
            .collect::<Vec<_>>(),
        [("thpt-c2", "pending"), ("xa-moi", "reported")]
    );
}
