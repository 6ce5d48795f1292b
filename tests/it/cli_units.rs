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
    row_and_registry_problems_are_listed_together_in_row_order,
    an_xlsx_file_imports_like_a_csv,
);

/// The units of `tests/fixtures/units/don-vi-libreoffice.*`, whatever the format.
fn assert_the_office_list_was_imported(env: &Env, format: &str, run: &crate::harness::Run) {
    let report = run.json();
    assert_eq!(report["created"], 4, "{format}: {report}");
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.contains("Người liên hệ")).collect();
    assert_eq!(
        warnings.len(),
        1,
        "{format}: one warning for the unknown column: {}",
        run.stderr
    );
    assert!(warnings[0].contains("cảnh báo"), "{format}: {}", run.stderr);
    assert!(
        !run.stderr.contains("STT") && !run.stderr.contains("Ghi chú"),
        "{format}: {}",
        run.stderr
    );

    let show = |code: &str| env.baocao(&["unit", "show", code, "--json"]).ok().json();
    // A code typed as a number is the number as written, not "12.0".
    let twelve = show("12");
    assert_eq!(twelve["name"], "Trường THPT số 12", "{format}");
    assert_eq!(twelve["groups"], serde_json::json!(["truc-thuoc"]), "{format}");
    assert_eq!(
        twelve["emails"],
        serde_json::json!(["thpt12@dienbien.edu.vn", "hieutruong.thpt12@gmail.com"]),
        "{format}"
    );
    // Two addresses on two lines of one cell.
    assert_eq!(
        show("pgd-muongcha")["emails"],
        serde_json::json!(["pgddt.muongcha@dienbien.edu.vn", "vanthu.muongcha@gmail.com"]),
        "{format}"
    );
    let school = show("th-muongcha");
    assert_eq!(school["name"], "Trường TH thị trấn Mường Chà", "{format}");
    assert_eq!(school["groups"], serde_json::json!(["cap-1", "truc-thuoc"]), "{format}");
    assert_eq!(
        school["emails"],
        serde_json::json!(["th.muongcha@dienbien.edu.vn", "th.muongcha@gmail.com"]),
        "{format}"
    );
    assert_eq!(school["parent"], "pgd-muongcha", "{format}");
    let thirteen = show("13");
    assert_eq!(thirteen["name"], "Trường THCS số 13", "{format}");
    assert_eq!(thirteen["parent"], "12", "{format}");
}

#[test]
fn sheets_saved_by_libreoffice_import_with_title_rows_extra_columns_and_number_codes() {
    for format in ["xlsx", "xls", "ods"] {
        let env = Env::new(Backend::Sqlite);
        let file = repo_root().join(format!("tests/fixtures/units/don-vi-libreoffice.{format}"));
        let run = env.baocao(&["unit", "import", file.to_str().unwrap(), "--json"]).ok();
        assert_the_office_list_was_imported(&env, format, &run);
    }
}

#[test]
fn csv_files_in_utf8_with_or_without_bom_in_utf16_in_windows_1258_and_in_tcvn3_import_alike() {
    let fixtures = repo_root().join("tests/fixtures/units");
    let utf8 = std::fs::read(fixtures.join("don-vi-utf8.csv")).unwrap();
    let text = String::from_utf8(utf8.clone()).unwrap();
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend(&utf8);
    // Excel's "Unicode Text": UTF-16 little-endian with a BOM, cells separated by tabs.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.replace(',', "\t").encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let cases: [(&str, Vec<u8>, Option<&str>); 5] = [
        ("utf-8", utf8, None),
        ("utf-8 with BOM", with_bom, None),
        ("utf-16", utf16, None),
        (
            "windows-1258",
            std::fs::read(fixtures.join("don-vi-windows-1258.csv")).unwrap(),
            Some("Windows-1258"),
        ),
        (
            "tcvn3",
            std::fs::read(fixtures.join("don-vi-tcvn3.csv")).unwrap(),
            Some("TCVN3"),
        ),
    ];
    for (format, bytes, legacy) in cases {
        let env = Env::new(Backend::Sqlite);
        let name = if format == "utf-16" { "don-vi.txt" } else { "don-vi.csv" };
        let file = env.write(name, bytes);
        let run = env.baocao(&["unit", "import", file.to_str().unwrap(), "--json"]).ok();
        assert_the_office_list_was_imported(&env, format, &run);
        match legacy {
            Some(encoding) => assert!(
                run.stderr.contains(encoding) && run.stderr.contains("CSV UTF-8"),
                "{format}: the clerk is told how the file was read: {}",
                run.stderr
            ),
            None => assert!(!run.stderr.contains("bảng mã"), "{format}: {}", run.stderr),
        }
    }
}

#[test]
fn a_spreadsheet_typed_in_vntime_fonts_is_converted_to_unicode() {
    // Excel keeps what a .VnTime font shows as TCVN3 bytes read as Western letters.
    let env = Env::new(Backend::Sqlite);
    let rows = [
        ["DANH S\u{B8}CH \u{A7}\u{A5}N V\u{DE}", "", ""],
        [
            "M\u{B7} \u{AE}\u{AC}n v\u{DE}",
            "T\u{AA}n \u{AE}\u{AC}n v\u{DE}",
            "Email",
        ],
        [
            "pgd-muongcha",
            "Phßng Gi¸o dôc vµ §µo t¹o huyÖn M\u{AD}êng Chµ",
            "pgd@muongcha.edu.vn",
        ],
        [
            "th-muongcha",
            "Tr\u{AD}êng TiÓu häc thÞ trÊn M\u{AD}êng Chµ",
            "th@muongcha.edu.vn",
        ],
    ];
    let path = env.write_xlsx("don-vi-vntime.xlsx", &rows);
    let run = env.baocao(&["unit", "import", path.to_str().unwrap()]).ok();
    run.assert_stderr_contains("TCVN3");
    assert_eq!(
        env.baocao(&["unit", "show", "pgd-muongcha", "--json"]).ok().json()["name"],
        "Phòng Giáo dục và Đào tạo huyện Mường Chà"
    );
    assert_eq!(
        env.baocao(&["unit", "show", "th-muongcha", "--json"]).ok().json()["name"],
        "Trường Tiểu học thị trấn Mường Chà"
    );
}

#[test]
fn a_csv_in_an_encoding_that_cannot_be_told_is_refused_with_how_to_save_it() {
    let env = Env::new(Backend::Sqlite);
    // Latin-1 bytes that read as neither Vietnamese code page.
    let file = env.write(
        "don-vi.csv",
        b"ma,ten,email\nu1,\xC6\xD8\xC5 \xA4\xA4\xB1,u1@x.vn\n".as_slice(),
    );
    let run = env.baocao(&["unit", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_stderr_contains("CSV UTF-8");
    run.assert_stderr_contains("UTF-8");
    assert_eq!(
        env.baocao(&["unit", "list", "--json"]).ok().json(),
        serde_json::json!([])
    );
}

#[test]
fn a_missing_column_is_named_with_the_headers_it_may_have() {
    let env = Env::new(Backend::Sqlite);
    let file = env.write(
        "don-vi.csv",
        "DANH SÁCH ĐƠN VỊ,,,\n,,,\nSTT,Mã đơn vị,Tên đơn vị,Số điện thoại\n1,u1,Một,0215\n",
    );
    let run = env.baocao(&["unit", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for header in ["Email", "Địa chỉ email", "Thư điện tử"] {
        assert!(
            run.stderr.contains(&format!("\"{header}\"")),
            "{header}: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("dòng 3"),
        "the header's row is named: {}",
        run.stderr
    );

    let file = env.write("khong-tieu-de.csv", "Danh sách,,\nu1,Một,u1@x.vn\n");
    let run = env.baocao(&["unit", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for header in ["Mã đơn vị", "Tên đơn vị", "Email"] {
        assert!(
            run.stderr.contains(&format!("\"{header}\"")),
            "{header}: {}",
            run.stderr
        );
    }
}

#[test]
fn rows_are_numbered_as_the_spreadsheet_shows_them() {
    let env = Env::new(Backend::Sqlite);
    // Title, empty row, header on row 3, a cell over two lines on row 4, a bad address on row 6.
    let file = env.write(
        "don-vi.csv",
        "DANH SÁCH ĐƠN VỊ;;\n\nMã;Tên;Email\nu1;Một;\"u1@x.vn\nmot@x.vn\"\n\nu2;Hai;hai-at-x.vn\n",
    );
    let run = env.baocao(&["unit", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_stderr_contains("có 1 lỗi");
    run.assert_stderr_contains("dòng 6: ");

    let path = env.path("don-vi.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let title = rust_xlsxwriter::Format::new();
    sheet.merge_range(0, 0, 0, 3, "DANH SÁCH ĐƠN VỊ", &title).unwrap();
    for (c, header) in ["STT", "Mã", "Tên", "Email"].iter().enumerate() {
        sheet.write_string(2, c as u16, *header).unwrap();
    }
    sheet.write_number(3, 0, 1).unwrap();
    sheet.write_string(3, 1, "u1").unwrap();
    sheet.write_string(3, 2, "Một").unwrap();
    sheet.write_string(3, 3, "u1@x.vn").unwrap();
    sheet.write_number(5, 0, 2).unwrap();
    sheet.write_string(5, 1, "u2").unwrap();
    sheet.write_string(5, 2, "Hai").unwrap();
    sheet.write_string(5, 3, "hai-at-x.vn").unwrap();
    workbook.save(&path).unwrap();
    let run = env.baocao(&["unit", "import", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_stderr_contains("dòng 6: ");
}

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
    again.assert_stderr_contains("unit edit");

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
    clash.assert_stderr_contains("đã thuộc đơn vị `pgd-muongcha`");

    let bad = env.baocao(&["unit", "add", "y", "--name", "Y", "--email", "not-an-address"]);
    assert_eq!(bad.code, 1);
    bad.assert_stderr_contains("not-an-address");

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
    removed.assert_stdout_contains("đã ngừng theo dõi");
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
    run.assert_stderr_contains("có 3 lỗi");
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
    run.assert_stderr_contains("dòng 3: địa chỉ taken@x.vn đã thuộc đơn vị `old`");
    run.assert_stderr_contains("dòng 4: không có đơn vị cấp trên `khong-co`");
    let codes = env.baocao(&["unit", "list", "--json"]).ok().json();
    assert_eq!(codes.as_array().unwrap().len(), 1, "n1 must not have been written");
}

fn row_and_registry_problems_are_listed_together_in_row_order(backend: Backend) {
    let env = Env::new(backend);
    env.baocao(&["unit", "add", "old", "--name", "Cũ", "--email", "taken@x.vn"])
        .ok();
    let file = env.write(
        "units.csv",
        "ma,ten,email,cap_tren\n\
         u1,Một,u1@x.vn,\n\
         u2,Hai,hai-at-x.vn,\n\
         u3,Ba,u3@x.vn,khong-co\n\
         u1,Trùng mã,u1b@x.vn,\n\
         u5,Năm,U1@x.vn,\n\
         u6,Sáu,taken@x.vn,\n\
         u7,Bảy,u7@x.vn,u2\n\
         ,Tám,u8@x.vn,\n",
    );
    let run = env.baocao(&["unit", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .map(|l| l.trim_start_matches("lỗi: "))
        .filter(|l| l.starts_with("dòng "))
        .collect();
    assert_eq!(lines.len(), 6, "{}", run.stderr);
    run.assert_stderr_contains("có 6 lỗi");
    assert!(
        lines[0].starts_with("dòng 3: ") && lines[0].contains("hai-at-x.vn"),
        "{lines:?}"
    );
    assert_eq!(lines[1], "dòng 4: không có đơn vị cấp trên `khong-co`");
    assert_eq!(lines[2], "dòng 5: mã đơn vị `u1` trùng với dòng 2");
    assert!(
        lines[3].starts_with("dòng 6: địa chỉ u1@x.vn") && lines[3].contains("`u1` ở dòng 2"),
        "both rows of a shared address: {lines:?}"
    );
    assert!(
        lines[4].starts_with("dòng 7: địa chỉ taken@x.vn đã thuộc đơn vị `old`"),
        "{lines:?}"
    );
    assert!(lines[5].starts_with("dòng 9: "), "{lines:?}");
    // u7's parent is u2, whose row has a problem of its own: not an unknown parent.
    assert!(!run.stderr.contains("dòng 8"), "{}", run.stderr);
    assert_eq!(
        env.baocao(&["unit", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing written"
    );
}

fn an_xlsx_file_imports_like_a_csv(backend: Backend) {
    let env = Env::new(backend);
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
    let path = env.write_xlsx("don-vi.xlsx", &rows);
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
    // The streamed plan and its JSON too (`reminders plan | head`): they write as they read.
    env.baocao(&[
        "request",
        "add",
        "4189/KH-BCĐ",
        "--title",
        "Báo cáo",
        "--deadline",
        "31/12/2030",
        "--group",
        "phong-gddt",
    ])
    .ok();
    env.baocao(&["request", "activate", "BC-1"]).ok();
    let listings: [&[&str]; 3] = [
        &["unit", "list"],
        &["reminders", "plan"],
        &["reminders", "plan", "--json"],
    ];
    for args in listings.iter().cycle().take(6) {
        let mut child = std::process::Command::new(crate::harness::binary())
            .arg("--config")
            .arg(&env.config)
            .arg("--database")
            .arg(&env.db.url)
            .args(*args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("lỗi"),
            "{args:?}: {stderr}"
        );
    }
}
