use super::*;

fn read(text: &str) -> Result<UnitSheet, ImportError> {
    sheet_from_csv(text.as_bytes())
}

fn units(text: &str) -> Vec<LabelledUnit> {
    let sheet = read(text).unwrap();
    assert_eq!(sheet.problems([]), Vec::<String>::new());
    sheet.units()
}

fn unreadable(text: &str) -> String {
    match read(text) {
        Err(ImportError::Unreadable(message)) => message,
        Ok(sheet) => panic!("should be refused: {sheet:?}"),
    }
}

#[test]
fn vietnamese_headers_semicolons_and_a_bom_are_understood() {
    let text = "\u{feff}Mã;Tên;Nhóm;Email;Cấp trên\n\
                    pgd-muongcha;Phòng GD&ĐT huyện Mường Chà, Điện Biên;phong-gddt;pgd@muongcha.edu.vn;\n\
                    th-muongcha;Trường TH Mường Chà;truc-thuoc;a@x.vn;pgd-muongcha\n";
    let units = units(text);
    assert_eq!(units.len(), 2);
    assert_eq!(units[0].0, "dòng 2");
    assert_eq!(units[0].1.name, "Phòng GD&ĐT huyện Mường Chà, Điện Biên");
    assert_eq!(units[1].1.parent.as_ref().unwrap().as_str(), "pgd-muongcha");
}

#[test]
fn several_values_in_a_cell_are_split_on_semicolons_commas_spaces_and_new_lines() {
    let text = "code,name,groups,emails\nu1,Unit 1,\"a, b\",\"x@y.vn; Z@Y.VN,w@y.vn\nv@y.vn  u@y.vn\"\n";
    let units = units(text);
    assert_eq!(units[0].1.groups.len(), 2);
    assert_eq!(
        units[0].1.addresses.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        ["x@y.vn", "z@y.vn", "w@y.vn", "v@y.vn", "u@y.vn"]
    );
}

#[test]
fn every_bad_row_is_reported_with_its_number_and_registry_problems_join_in_row_order() {
    let text = "ma,ten,email\nu1,Một,a@x.vn\nu2,Hai,not-an-address\nu3,,b@x.vn\n,Không mã,c@x.vn\nu5,Năm,a@x.vn\n";
    let sheet = read(text).unwrap();
    let problems = sheet.problems([]);
    let rows: Vec<&str> = problems.iter().map(|p| p.split(':').next().unwrap()).collect();
    assert_eq!(rows, ["dòng 3", "dòng 4", "dòng 5"], "{problems:?}");
    // Rows with a code take part in the registry checks, whatever else is wrong.
    let codes: Vec<String> = sheet.units().iter().map(|(_, u)| u.code.to_string()).collect();
    assert_eq!(codes, ["u1", "u2", "u3", "u5"]);
    let problems = sheet.problems([
        (3, "địa chỉ a@x.vn đã ghi cho đơn vị `u1` ở dòng 2".to_string()),
        (1, "x".into()),
    ]);
    let rows: Vec<&str> = problems.iter().map(|p| p.split(':').next().unwrap()).collect();
    assert_eq!(rows, ["dòng 3", "dòng 3", "dòng 4", "dòng 5", "dòng 6"], "{problems:?}");
    assert_eq!(problems[1], "dòng 3: x");
}

#[test]
fn title_rows_empty_rows_and_office_columns_are_passed_over() {
    let text = "DANH SÁCH ĐƠN VỊ,,,,,\n(Kèm theo Công văn số 12/SGDĐT),,,,,\n,,,,,\n\
                    STT,Mã đơn vị,Tên đơn vị,Email,Số điện thoại,Ghi chú\n\
                    1,u1,  Một  ,u1@x.vn ,0215 123,\n,,,,,\n2,u2,\"Trường\nHai\",u2@x.vn,,đã gọi\n3,,,,0215,\n";
    let sheet = read(text).unwrap();
    assert_eq!(sheet.warnings, Vec::<String>::new());
    let units = sheet.units();
    let rows: Vec<(&str, &str, &str)> = units
        .iter()
        .map(|(label, u)| (label.as_str(), u.code.as_str(), u.name.as_str()))
        .collect();
    assert_eq!(rows, [("dòng 5", "u1", "Một"), ("dòng 7", "u2", "Trường Hai")]);
}

#[test]
fn rows_are_numbered_as_excel_shows_the_file() {
    // Empty lines are rows; a cell over two lines is one row; CRLF as Excel writes.
    let text = "Mã,Tên,Email\r\n\r\n\r\nu1,\"Một\r\nMột\",bad\r\n\r\nu2,Hai,\"a@x.vn\nbad\"\r\n";
    assert_eq!(
        read(text).unwrap().problems([]),
        [
            "dòng 4: địa chỉ email `bad` không hợp lệ",
            "dòng 6: địa chỉ email `bad` không hợp lệ"
        ]
    );
}

#[test]
fn an_unknown_column_is_ignored_with_one_warning() {
    let sheet = read("ma,ten,email,Fax,Website\nu1,Một,u1@x.vn,1,a\nu2,Hai,u2@x.vn,2,b\n").unwrap();
    assert_eq!(sheet.units().len(), 2);
    assert_eq!(sheet.warnings.len(), 1, "{:?}", sheet.warnings);
    assert!(
        sheet.warnings[0].contains("\"Fax\", \"Website\""),
        "{:?}",
        sheet.warnings
    );
}

#[test]
fn a_missing_column_lists_the_headers_it_may_have() {
    let message = unreadable("STT,Mã,Tên,dien_thoai\n1,u1,x,0215\n");
    assert!(message.starts_with("dòng 1: thiếu cột email"), "{message}");
    assert!(message.contains("\"Địa chỉ email\", \"Thư điện tử\""), "{message}");
    let message = unreadable("Danh sách\nu1,x,u1@x.vn\n");
    for header in ["\"Mã đơn vị\"", "\"Tên đơn vị\"", "\"Email\"", "\"Cấp trên\""] {
        assert!(message.contains(header), "{header}: {message}");
    }
    assert!(unreadable("ma,ten,email,Mã đơn vị\n").contains("bị lặp"));
    assert!(unreadable("ma,ten,email\n,,\n").contains("không có đơn vị nào"));
}

#[test]
fn the_separator_is_the_one_that_shows_a_header() {
    // The title row has commas, the table semicolons.
    let semicolons = units("Danh sách, năm 2024\nMã;Tên;Email\nu1;Một, Hai;u1@x.vn\n");
    assert_eq!(semicolons[0].1.name, "Một, Hai");
    let tabs = units("Mã\tTên\tEmail\nu1\tMột\tu1@x.vn\n");
    assert_eq!(tabs[0].1.code.as_str(), "u1");
}

#[test]
fn headers_match_without_case_diacritics_or_punctuation() {
    for header in ["Mã đơn vị", "MÃ ĐƠN VỊ", "ma_don_vi", "Ma don vi (*)", "unit code"] {
        let text = format!("{header},Tên,E-mail\nu1,Một,u1@x.vn\n");
        assert_eq!(read(&text).map(|s| s.units().len()), Ok(1), "{header}");
    }
}

#[test]
fn a_code_formatted_with_decimals_in_a_csv_is_the_whole_number() {
    let units = units("Mã;Tên;Email;Cấp trên\n12,0;Mười hai;a@x.vn;\n13.00;Mười ba;b@x.vn;12.0\n12.5;Khác;c@x.vn;\n");
    let codes: Vec<(&str, Option<&str>)> = units
        .iter()
        .map(|(_, u)| (u.code.as_str(), u.parent.as_ref().map(|p| p.as_str())))
        .collect();
    assert_eq!(codes, [("12", None), ("13", Some("12")), ("12.5", None)]);
}

#[test]
fn group_names_come_from_their_column_once_per_group_and_a_second_name_is_a_row_problem() {
    let text = "Mã,Tên,Nhóm,Tên nhóm,Email\n\
                    u1,Một,phong-gd,Phòng Giáo dục và Đào tạo các huyện,a@x.vn\n\
                    u2,Hai,phong-gd,,b@x.vn\n\
                    u3,Ba,\"phong-gd, cdcs\",\"Phòng Giáo dục và Đào tạo các huyện; Công đoàn cơ sở\",c@x.vn\n\
                    u4,Bốn,phong-gd,Phòng GD khác,d@x.vn\n\
                    u5,Năm,\"x y\",Chỉ một tên,e@x.vn\n\
                    u6,Sáu,,Không mã,f@x.vn\n";
    let sheet = read(text).unwrap();
    let names: Vec<(String, String)> = sheet
        .group_names()
        .into_iter()
        .map(|(code, name)| (code.to_string(), name))
        .collect();
    assert_eq!(
        names,
        [
            (
                "phong-gd".to_string(),
                "Phòng Giáo dục và Đào tạo các huyện".to_string()
            ),
            ("cdcs".to_string(), "Công đoàn cơ sở".to_string()),
        ]
    );
    assert_eq!(
        sheet.problems([]),
        [
            "dòng 5: tên nhóm `phong-gd` là \"Phòng GD khác\" nhưng ở dòng 2 là \"Phòng Giáo dục và Đào tạo các huyện\" (mỗi nhóm một tên)",
            "dòng 6: có 2 nhóm nhưng 1 tên nhóm: ghi mỗi nhóm một tên, cách nhau bằng dấu ;",
            "dòng 7: có tên nhóm nhưng không có mã nhóm (cột \"Nhóm\")",
        ]
    );
}

#[test]
fn numbers_are_written_as_typed() {
    use calamine::Data;
    assert_eq!(cell_text(&Data::Float(12.0)), "12");
    assert_eq!(cell_text(&Data::Float(12.5)), "12.5");
    assert_eq!(cell_text(&Data::Int(7)), "7");
}
