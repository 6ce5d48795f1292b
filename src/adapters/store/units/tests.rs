use super::*;

fn input(code: &str, addresses: &[&str], parent: Option<&str>) -> UnitInput {
    UnitInput {
        code: UnitCode::parse(code).unwrap(),
        name: code.to_uppercase(),
        groups: Vec::new(),
        parent: parent.map(|p| UnitCode::parse(p).unwrap()),
        addresses: addresses.iter().map(|a| EmailAddress::parse(a).unwrap()).collect(),
    }
}

fn labelled(rows: &[(usize, UnitInput)]) -> Vec<(String, UnitInput)> {
    rows.iter().map(|(row, u)| (format!("dòng {row}"), u.clone())).collect()
}

#[test]
fn a_shared_address_and_a_repeated_code_name_both_rows() {
    let inputs = labelled(&[
        (2, input("u1", &["a@x.vn"], None)),
        (3, input("u2", &["a@x.vn"], None)),
        (4, input("u1", &["b@x.vn"], None)),
    ]);
    let found: Vec<(usize, String)> = check_together(&[], &inputs, ApplyMode::Upsert)
        .into_iter()
        .map(|p| (p.input, p.text))
        .collect();
    assert_eq!(
        found,
        [
            (
                1,
                "địa chỉ a@x.vn đã ghi cho đơn vị `u1` ở dòng 2 (mỗi địa chỉ chỉ thuộc một đơn vị)".to_string()
            ),
            (2, "mã đơn vị `u1` trùng với dòng 2".to_string()),
        ]
    );
}

#[test]
fn parents_in_the_batch_are_known_and_loops_are_found() {
    let inputs = labelled(&[
        (2, input("a", &["a@x.vn"], Some("b"))),
        (3, input("b", &["b@x.vn"], Some("a"))),
        (4, input("c", &["c@x.vn"], Some("khong-co"))),
    ]);
    let found: Vec<(usize, String)> = check_together(&[], &inputs, ApplyMode::Upsert)
        .into_iter()
        .map(|p| (p.input, p.text))
        .collect();
    assert_eq!(
        found,
        [
            (2, "không có đơn vị cấp trên `khong-co`".to_string()),
            (0, "quan hệ cấp trên của `a` tạo thành vòng".to_string()),
            (1, "quan hệ cấp trên của `b` tạo thành vòng".to_string()),
        ]
    );
}
