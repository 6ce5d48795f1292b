use super::*;
use crate::domain::model::UnitAddress;

fn unit(id: i64, code: &str, addresses: &[&str], groups: &[&str]) -> Unit {
    Unit {
        id: UnitId::new(id),
        code: UnitCode::parse(code).unwrap(),
        name: format!("Đơn vị {code}"),
        groups: groups.iter().map(|g| GroupCode::parse(g).unwrap()).collect(),
        parent: None,
        addresses: addresses
            .iter()
            .map(|a| UnitAddress {
                address: EmailAddress::parse(a).unwrap(),
                failing_since: None,
                failing_reason: None,
                role: Default::default(),
            })
            .collect(),
        active: true,
        merged: None,
    }
}

fn row(line: usize, old: &str, new: &str, name: Option<&str>) -> MergeRow {
    MergeRow {
        label: format!("dòng {line}"),
        old: UnitCode::parse(old).unwrap(),
        new: UnitCode::parse(new).unwrap(),
        new_name: name.map(str::to_string),
    }
}

fn registry() -> Vec<Unit> {
    vec![
        unit(1, "pgd-a", &["a@x.vn"], &["phong-gddt"]),
        unit(2, "pgd-b", &["b@x.vn", "b2@x.vn"], &["phong-gddt", "cdcs"]),
        unit(3, "xa-c", &["c@x.vn"], &["xa"]),
    ]
}

#[test]
fn olds_give_their_addresses_and_groups_to_a_new_unit_in_row_order() {
    let rows = [
        row(2, "pgd-a", "xa-moi", Some("UBND xã Mới")),
        row(3, "pgd-b", "xa-moi", None),
        row(4, "xa-c", "pgd-a2", Some("Khác")),
    ];
    let targets = check_merge(&registry(), &rows).unwrap();
    assert_eq!(targets.len(), 2);
    let first = &targets[0];
    assert_eq!(
        (first.code.as_str(), first.name.as_str(), first.created),
        ("xa-moi", "UBND xã Mới", true)
    );
    let addresses: Vec<&str> = first.addresses_added.iter().map(|a| a.as_str()).collect();
    assert_eq!(addresses, ["a@x.vn", "b@x.vn", "b2@x.vn"]);
    let groups: Vec<&str> = first.groups_added.iter().map(|g| g.as_str()).collect();
    assert_eq!(groups, ["phong-gddt", "cdcs"]);
}

#[test]
fn an_existing_new_unit_keeps_its_name_and_addresses_first() {
    let targets = check_merge(&registry(), &[row(2, "pgd-a", "pgd-b", None)]).unwrap();
    assert_eq!(targets[0].name, "Đơn vị pgd-b");
    assert!(!targets[0].created);
    assert_eq!(targets[0].renamed_from, None);
    assert_eq!(targets[0].addresses_added, [EmailAddress::parse("a@x.vn").unwrap()]);
    assert_eq!(targets[0].groups_added, Vec::<GroupCode>::new());
}

#[test]
fn every_bad_row_is_named_and_nothing_is_planned() {
    let mut existing = registry();
    existing[2].merged = Some(crate::domain::model::MergedInto {
        unit: UnitCode::parse("pgd-b").unwrap(),
        at: "2025-07-01T00:00:00Z".parse().unwrap(),
    });
    let problems = check_merge(
        &existing,
        &[
            row(2, "khong-co", "moi", Some("Mới")),
            row(3, "pgd-a", "pgd-a", None),
            row(4, "pgd-b", "xa-c", None),
            row(5, "pgd-a", "moi", Some("Tên khác")),
            row(6, "pgd-b", "moi2", None),
        ],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "dòng 2: không có đơn vị `khong-co` (xem: baocao unit list --all)",
            "dòng 3: không thể sáp nhập đơn vị `pgd-a` vào chính nó",
            "dòng 4: đơn vị `xa-c` đã sáp nhập vào `pgd-b`: sáp nhập thẳng vào `pgd-b`",
            "dòng 5: mã cũ `pgd-a` đã có ở dòng 3",
            "dòng 5: tên mới của `moi` (\"Tên khác\") khác với dòng 2 (\"Mới\")",
            "dòng 6: mã cũ `pgd-b` đã có ở dòng 4",
            "dòng 6: cần tên cho đơn vị mới `moi2` (cột \"Tên mới\" hoặc --name)",
        ]
    );
}

#[test]
fn chains_and_loops_are_refused() {
    let loops = check_merge(
        &registry(),
        &[row(2, "pgd-a", "pgd-b", None), row(3, "pgd-b", "pgd-a", None)],
    )
    .unwrap_err();
    assert_eq!(loops.len(), 2, "{loops:?}");
    assert!(loops[0].contains("(vòng)"), "{loops:?}");
    let chain = check_merge(
        &registry(),
        &[row(2, "pgd-a", "pgd-b", None), row(3, "pgd-b", "xa-c", None)],
    )
    .unwrap_err();
    assert_eq!(
        chain,
        ["dòng 2: mã mới `pgd-b` lại là mã cũ ở dòng 3: ghi thẳng đơn vị cuối cùng (`xa-c`)"]
    );
}

#[test]
fn an_address_taken_by_another_active_unit_is_a_conflict() {
    // An inactive (removed) old unit whose address another unit has since taken.
    let mut existing = registry();
    existing[0].active = false;
    existing.push(unit(4, "truong-d", &["a@x.vn"], &[]));
    let problems = check_merge(&existing, &[row(7, "pgd-a", "pgd-b", None)]).unwrap_err();
    assert_eq!(
        problems,
        ["dòng 7: địa chỉ a@x.vn của `pgd-a` đã thuộc đơn vị `truong-d` (mỗi địa chỉ chỉ thuộc một đơn vị)"]
    );
}
