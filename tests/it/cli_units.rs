//! `baocao unit …` on both databases: adding, editing, deactivating, listing, and importing
//! CSV and XLSX files all-or-nothing.

use crate::harness::{Backend, Env, repo_root};
use crate::on_both_backends;

on_both_backends!(
    units_are_added_shown_edited_and_deactivated,
    a_seed_csv_with_bom_imports_once_and_reimporting_changes_nothing,
    a_changed_row_updates_only_that_unit,
    a_file_with_three_bad_rows_reports_all_three_and_writes_nothing,
    registry_conflicts_reject_the_whole_file_by_row,
    an_xlsx_file_imports_like_a_csv,
);

fn units_are_added_shown_edited_and_deactivated(backend: Backend) {
    let env = Env::new(backend);
    env.baocao(&[
        "unit",
        "add",
        "pgd-muongcha",
        "--name",
        "Phòng GD&ĐT huyện Mường Chà",
        "--group",
        "phong-gddt",
        "--email",
        "PGDDT.MuongCha@dienbien.edu.vn",
        "--email",
        "truongphong.muongcha@gmail.com",
    ])
    .ok();
    env.baocao(&[
        "unit",
        "add",
        "th-muongcha",
        "--name",
        "Trường TH thị trấn Mường Chà",
        "--group",
        "truc-thuoc",
        "--email",
        "th.muongcha@dienbien.edu.vn",
        "--parent",
        "pgd-muongcha",
    ])
    .ok();

    let shown = env.baocao(&["unit", "show", "pgd-muongcha", "--json"]).ok().json();
    assert_eq!(shown["name"], "Phòng GD&ĐT huyện Mường Chà");
    assert_eq!(
        shown["emails"],
        serde_json::json!(["pgddt.muongcha@dienbien.edu.vn", "truongphong.muongcha@gmail.com"])
    );
    assert_eq!(shown["groups"], serde_json::json!(["phong-gddt"]));
    assert_eq!(shown["active"], true);

    let text = env.baocao(&["unit", "show", "th-muongcha"]).ok().stdout;
    assert!(text.contains("Cấp trên:   pgd-muongcha"), "{text}");

    // Adding the same code again is refused and says what to do instead.
    let again = env.baocao(&[
        "unit",
        "add",
        "pgd-muongcha",
        "--name",
        "X",
        "--email",
        "x@dienbien.edu.vn",
    ]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("unit edit"), "{}", again.stderr);

    // An address belongs to one unit only.
    let clash = env.baocao(&[
        "unit",
        "add",
        "x",
        "--name",
        "X",
        "--email",
        "pgddt.muongcha@dienbien.edu.vn",
    ]);
    assert_eq!(clash.code, 1);
    assert!(
        clash.stderr.contains("đã thuộc đơn vị `pgd-muongcha`"),
        "{}",
        clash.stderr
    );

    let bad = env.baocao(&["unit", "add", "y", "--name", "Y", "--email", "not-an-address"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("not-an-address"), "{}", bad.stderr);

    env.baocao(&[
        "unit",
        "edit",
        "th-muongcha",
        "--name",
        "Trường Tiểu học thị trấn Mường Chà",
        "--no-parent",
    ])
    .ok();
    let edited = env.baocao(&["unit", "show", "th-muongcha", "--json"]).ok().json();
    assert_eq!(edited["name"], "Trường Tiểu học thị trấn Mường Chà");
    assert_eq!(edited["parent"], serde_json::Value::Null);
    assert_eq!(edited["emails"], serde_json::json!(["th.muongcha@dienbien.edu.vn"]));

    let loop_attempt = env.baocao(&["unit", "edit", "pgd-muongcha", "--parent", "pgd-muongcha"]);
    assert_eq!(loop_attempt.code, 1);

    let by_group = env
        .baocao(&["unit", "list", "--group", "phong-gddt", "--json"])
        .ok()
        .json();
    assert_eq!(by_group.as_array().unwrap().len(), 1);

    let removed = env.baocao(&["unit", "remove", "th-muongcha"]).ok();
    assert!(removed.stdout.contains("đã ngừng theo dõi"), "{}", removed.stdout);
    let listed = env.baocao(&["unit", "list", "--json"]).ok().json();
    let codes: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["pgd-muongcha"]);
    // History stays: the unit can still be shown.
    assert_eq!(
        env.baocao(&["unit", "show", "th-muongcha", "--json"]).ok().json()["active"],
        false
    );

    let missing = env.baocao(&["unit", "show", "khong-co"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("không có đơn vị `khong-co`"));
}

fn a_seed_csv_with_bom_imports_once_and_reimporting_changes_nothing(backend: Backend) {
    let env = Env::new(backend);
    let seed = repo_root().join("config/seed-000-units.csv");
    assert!(
        std::fs::read(&seed).unwrap().starts_with(b"\xEF\xBB\xBF"),
        "the seed file keeps Excel's BOM"
    );
    let first = env
        .baocao(&["unit", "import", seed.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(first["created"], 23);
    assert_eq!(first["unchanged"], 0);
    let before = env.baocao(&["unit", "list", "--json"]).ok().stdout;

    let second = env
        .baocao(&["unit", "import", seed.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(
        (
            second["created"].as_u64(),
            second["updated"].as_u64(),
            second["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(23))
    );
    assert_eq!(env.baocao(&["unit", "list", "--json"]).ok().stdout, before);

    let text = env.baocao(&["unit", "list"]).ok().stdout;
    assert!(text.contains("Phòng Giáo dục và Đào tạo huyện Mường Ảng"), "{text}");
    assert!(text.trim_end().ends_with("23 đơn vị"), "{text}");
}

fn a_changed_row_updates_only_that_unit(backend: Backend) {
    let env = Env::new(backend);
    let first = env.write(
        "units.csv",
        "ma;ten;nhom;email;cap_tren\nu1;Đơn vị Một;a;u1@x.vn;\nu2;Đơn vị Hai;a;u2@x.vn;u1\n",
    );
    env.baocao(&["unit", "import", first.to_str().unwrap()]).ok();
    let changed = env.write(
        "units.csv",
        "ma;ten;nhom;email;cap_tren\nu1;Đơn vị Một;a;u1@x.vn;\nu2;Đơn vị Hai (mới);a;u2@x.vn;u1\n",
    );
    let report = env
        .baocao(&["unit", "import", changed.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(
        report["units"],
        serde_json::json!([
            {"code": "u1", "change": "unchanged"},
            {"code": "u2", "change": "updated"}
        ])
    );
    assert_eq!(
        env.baocao(&["unit", "show", "u2", "--json"]).ok().json()["name"],
        "Đơn vị Hai (mới)"
    );
}

fn a_file_with_three_bad_rows_reports_all_three_and_writes_nothing(backend: Backend) {
    let env = Env::new(backend);
    let file = env.write(
        "units.csv",
        "ma,ten,nhom,email\nu1,Một,a,u1@x.vn\nu2,Hai,a,hai-at-x.vn\nu3,Ba,a,u3@x.vn\nu1,Trùng mã,a,u4@x.vn\nu5,Năm,a,\n",
    );
    let run = env.baocao(&["unit", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("có 3 lỗi"), "{}", run.stderr);
    for row in ["dòng 3:", "dòng 5:", "dòng 6:"] {
        assert!(run.stderr.contains(row), "{row} missing in {}", run.stderr);
    }
    assert!(run.stderr.contains("hai-at-x.vn"));
    assert_eq!(
        env.baocao(&["unit", "list", "--json"]).ok().json(),
        serde_json::json!([])
    );
}

fn registry_conflicts_reject_the_whole_file_by_row(backend: Backend) {
    let env = Env::new(backend);
    env.baocao(&["unit", "add", "old", "--name", "Cũ", "--email", "taken@x.vn"])
        .ok();
    let file = env.write(
        "units.csv",
        "code,name,emails,parent\nn1,Mới,n1@x.vn,\nn2,Hai,taken@x.vn,\nn3,Ba,n3@x.vn,khong-co\n",
    );
    let run = env.baocao(&["unit", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("dòng 3: địa chỉ taken@x.vn đã thuộc đơn vị `old`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("dòng 4: không có đơn vị cấp trên `khong-co`"),
        "{}",
        run.stderr
    );
    let codes = env.baocao(&["unit", "list", "--json"]).ok().json();
    assert_eq!(codes.as_array().unwrap().len(), 1, "n1 must not have been written");
}

fn an_xlsx_file_imports_like_a_csv(backend: Backend) {
    let env = Env::new(backend);
    let path = env.path("don-vi.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows = [
        ["Mã đơn vị", "Tên đơn vị", "Nhóm", "Email", "Cấp trên"],
        [
            "cdcs-cty-a",
            "Công đoàn cơ sở Công ty A",
            "cdcs",
            "cdcs.a@gmail.com; ChuTich.A@yahoo.com",
            "",
        ],
        [
            "cdcs-truong-b",
            "Công đoàn cơ sở Trường B",
            "cdcs",
            "cdcs.b@dmc.tayninh.gov.vn",
            "cdcs-cty-a",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    workbook.save(&path).unwrap();
    let report = env
        .baocao(&["unit", "import", path.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(report["created"], 2);
    let unit = env.baocao(&["unit", "show", "cdcs-cty-a", "--json"]).ok().json();
    assert_eq!(unit["name"], "Công đoàn cơ sở Công ty A");
    assert_eq!(
        unit["emails"],
        serde_json::json!(["cdcs.a@gmail.com", "chutich.a@yahoo.com"])
    );
    assert_eq!(
        env.baocao(&["unit", "show", "cdcs-truong-b", "--json"]).ok().json()["parent"],
        "cdcs-cty-a"
    );
}

#[test]
fn a_reader_that_stops_reading_ends_the_listing_quietly() {
    // `baocao unit list | head -1`: the pipe closes before baocao prints.
    let env = Env::new(Backend::Sqlite);
    let units = repo_root().join("config/seed-000-units.csv");
    env.baocao(&["unit", "import", units.to_str().unwrap()]).ok();
    for _ in 0..3 {
        let mut child = std::process::Command::new(crate::harness::binary())
            .arg("--config")
            .arg(&env.config)
            .arg("--database")
            .arg(&env.db.url)
            .args(["unit", "list"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
