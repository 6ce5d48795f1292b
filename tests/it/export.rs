//! Exports of the seed-000 request: the XLSX reads back (calamine) with the title block, the
//! right rows grouped by unit group and the Vietnamese text intact; LibreOffice renders it to
//! PDF without error; the CSV carries a BOM and the same rows.

use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::harness::{Backend, Env};

fn seed_request(env: &Env) {
    env.seed_000_request("trước ngày 31/12/2023");
    for (unit, at) in [
        ("pgd-muongcha", "10:00 ngày 29/12/2023"),
        ("pgd-tuangiao", "09:00 ngày 02/01/2024"),
    ] {
        env.baocao(&[
            "mark",
            "BC-1",
            unit,
            "--note",
            "nhận qua hệ thống quản lý văn bản",
            "--received-at",
            at,
        ])
        .ok();
    }
}

fn cells(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = open_workbook(path).expect("the export opens");
    let range = workbook.worksheet_range("Tình hình báo cáo").expect("the sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_xlsx_export_reads_back_with_vietnamese_text_and_renders_to_pdf() {
    let env = Env::new(Backend::Sqlite);
    seed_request(&env);
    let (run, all) = env.export_all_xlsx("tinh-hinh.xlsx");
    run.assert_stdout_contains("(23 đơn vị)");
    let rows = cells(&all);
    assert_eq!(rows[0][0], "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH ĐIỆN BIÊN");
    assert_eq!(rows[2][0], "TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ");
    assert_eq!(
        rows[3][0],
        "Văn bản số 4189/KH-BCĐ: Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện năm 2023"
    );
    assert!(
        rows[4][0].starts_with("Hạn báo cáo: 30/12/2023 lúc 23:59"),
        "{}",
        rows[4][0]
    );
    assert!(rows[5][0].starts_with("Đã báo cáo 2/23 đơn vị"), "{}", rows[5][0]);
    assert_eq!(
        rows[7],
        [
            "STT",
            "Đơn vị",
            "Nhóm",
            "Trạng thái",
            "Thời gian nhận",
            "Trễ hạn",
            "Tệp đính kèm"
        ]
    );
    let groups: Vec<&str> = rows
        .iter()
        .filter(|r| r[0].starts_with("Nhóm: "))
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(
        groups,
        [
            "Nhóm: gdnn-gdtx (7 đơn vị)",
            "Nhóm: phong-gddt (10 đơn vị)",
            "Nhóm: truc-thuoc (6 đơn vị)"
        ]
    );
    let units: Vec<&Vec<String>> = rows.iter().filter(|r| r[0].parse::<u32>().is_ok()).collect();
    assert_eq!(units.len(), 23);
    assert_eq!(
        units.iter().map(|r| r[0].parse::<u32>().unwrap()).collect::<Vec<_>>(),
        (1..=23).collect::<Vec<_>>()
    );
    let row = |name: &str| units.iter().find(|r| r[1] == name).unwrap_or_else(|| panic!("{name}"));
    assert_eq!(
        row("Phòng Giáo dục và Đào tạo huyện Mường Chà")[2..6],
        ["phong-gddt", "đã báo cáo", "29/12/2023 lúc 10:00", ""]
    );
    assert_eq!(
        row("Phòng Giáo dục và Đào tạo huyện Tuần Giáo")[2..6],
        ["phong-gddt", "báo cáo muộn", "02/01/2024 lúc 09:00", "1 ngày làm việc"]
    );
    assert_eq!(row("Trường THPT Chuyên Lê Quý Đôn")[3], "quá hạn");

    // The default list is the units that have not reported, under its own title.
    let pending = env.path("chua.xlsx");
    env.baocao(&["export", "BC-1", "--format", "xlsx", "-o", pending.to_str().unwrap()])
        .ok();
    let rows = cells(&pending);
    assert_eq!(rows[2][0], "DANH SÁCH ĐƠN VỊ CHƯA BÁO CÁO");
    assert_eq!(rows.iter().filter(|r| r[0].parse::<u32>().is_ok()).count(), 21);

    // LibreOffice prints it.
    let out = env.path("pdf");
    let output = Command::new("libreoffice")
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(&out)
        .arg(&all)
        .env("HOME", env.dir.path())
        .output()
        .expect("libreoffice (scripts/setup-test-env.sh installs libreoffice-calc-nogui)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let pdf = std::fs::read(out.join("tinh-hinh.pdf")).expect("the PDF");
    assert!(pdf.starts_with(b"%PDF") && pdf.len() > 5000, "{} bytes", pdf.len());
}

#[test]
fn the_csv_export_has_a_bom_and_one_row_per_unit() {
    let env = Env::new(Backend::Sqlite);
    seed_request(&env);
    let run = env
        .baocao(&["export", "BC-1", "--format", "csv", "--only", "late", "-o", "-"])
        .ok();
    let text = run.stdout.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "STT,Mã đơn vị,Đơn vị,Nhóm,Trạng thái,Thời gian nhận,Trễ hạn,Tệp đính kèm"
    );
    // Everyone is past the deadline except the unit that reported on time.
    assert_eq!(lines.len(), 1 + 22);
    assert!(
        lines.iter().any(|l| l.ends_with(
            ",pgd-tuangiao,Phòng Giáo dục và Đào tạo huyện Tuần Giáo,phong-gddt,báo cáo muộn,02/01/2024 lúc 09:00,1 ngày làm việc,"
        )),
        "{text}"
    );
    assert!(!text.contains("pgd-muongcha"), "on time, so not late: {text}");
    let bad = env.baocao(&["export", "BC-1", "--format", "csv", "--only", "some"]);
    assert_eq!(bad.code, 1);
    bad.assert_stderr_contains("chọn pending, late hoặc all");
}
