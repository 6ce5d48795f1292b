//! `baocao request from FILE` on the real binary and a SQLite file: the proposal printed
//! with its source lines and nothing created; `--yes` only for a complete proposal;
//! `--write-proposal`, an edit, then `request add --from-proposal`; a `.docx` built here; a
//! PDF built here and read by `pdftotext`; files that cannot be read.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::harness::{Backend, Env};

fn directive(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/directives")
        .join(name)
}

const SEED_000: &str = "seeds/000_f994f167548f7438.txt";
const SEED_003: &str = "seeds/003_beb9a2b09faed6c3.txt";

fn with_seed_units() -> Env {
    let env = Env::new(Backend::Sqlite);
    env.seed_000_units();
    env
}

fn requests(env: &Env) -> Vec<serde_json::Value> {
    env.baocao(&["request", "list", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_seed_proposal_shows_each_field_with_its_line_and_creates_nothing() {
    let env = with_seed_units();
    let file = directive(SEED_000);
    let run = env.baocao(&["request", "from", file.to_str().unwrap()]).ok();
    run.assert_stdout_contains("Số văn bản:           — THIẾU: không thấy dòng \"Số: …\"");
    run.assert_stdout_contains("văn bản có nhắc số 4189/KH-BCĐ (dòng 11)");
    run.assert_stdout_contains("Phòng Giáo dục và Đào tạo các huyện, thị xã, thành phố → nhóm phong-gddt");
    run.assert_stdout_contains("Các đơn vị trực thuộc Sở Giáo dục và Đào tạo → nhóm truc-thuoc");
    run.assert_stdout_contains("Trung tâm GDNN-GDTX cấp huyện → nhóm gdnn-gdtx");
    run.assert_stdout_contains("30/12/2023 lúc 23:59 (văn bản ghi: trước ngày 31/12/2023)");
    run.assert_stdout_contains("↳ dòng 60–62:");
    run.assert_stdout_contains("Hộp thư nhận báo cáo: vanphong.sodienbien@moet.edu.vn");
    run.assert_stdout_contains("chưa tạo gì. Đề xuất còn thiếu số văn bản (code), trích yếu (title)");
    assert!(requests(&env).is_empty());

    // --yes refuses what is missing, and still creates nothing.
    let run = env.baocao(&["request", "from", file.to_str().unwrap(), "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    run.assert_stderr_contains("chưa tạo yêu cầu: đề xuất còn thiếu số văn bản (code), trích yếu (title)");
    assert!(requests(&env).is_empty());

    let json = env
        .baocao(&["request", "from", file.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(
        json["proposal"]["deadline"]["value"]["wording"],
        "trước ngày 31/12/2023"
    );
    assert_eq!(
        json["proposal"]["deadline"]["source"]["lines"],
        serde_json::json!([60, 62])
    );
    assert_eq!(
        json["request"]["groups"],
        serde_json::json!(["phong-gddt", "truc-thuoc", "gdnn-gdtx"])
    );
}

#[test]
fn yes_creates_a_complete_proposal_through_request_add() {
    let env = with_seed_units();
    let file = directive("01-sgddt-hai-cot.txt");
    let run = env
        .baocao(&[
            "request",
            "from",
            file.to_str().unwrap(),
            "--yes",
            "--at",
            "08:00 ngày 08/01/2024",
        ])
        .ok();
    run.assert_stdout_contains("đã tạo yêu cầu BC-1 (bản nháp): số 1234/SGDĐT-VP năm 2024");
    run.assert_stdout_contains("Hộp thư nhận báo cáo: vanphong.sodienbien@moet.edu.vn");
    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(
        shown["title"],
        "Báo cáo số liệu học sinh bỏ học học kỳ I năm học 2023-2024"
    );
    assert_eq!(shown["issued_on"], "2024-01-05");
    assert_eq!(shown["deadline"], "2024-01-15T10:00:00Z");
    assert_eq!(shown["deadline_wording"], "trước 17h00 ngày 15/01/2024");
    assert_eq!(shown["letter"]["issuer"], "SỞ GIÁO DỤC VÀ ĐÀO TẠO");
    assert_eq!(shown["letter"]["kind"], "Công văn");
    assert_eq!(
        shown["recipients"]["groups"],
        serde_json::json!(["phong-gddt", "truc-thuoc"])
    );
    assert_eq!(shown["units"].as_array().unwrap().len(), 16);
    assert_eq!(shown["attachment_required"], true);
    assert_eq!(shown["state"], "draft");

    // `--json --yes`: the created request alone, as `request add --json` prints it.
    let other = env.write("17.txt", std::fs::read(directive("17-trong-ngay-don-vi.txt")).unwrap());
    let created = env
        .baocao(&["request", "from", other.to_str().unwrap(), "--yes", "--json"])
        .ok()
        .json();
    assert_eq!(created["code"], "301/SYT-NVY");
    assert_eq!(
        created["units"],
        serde_json::json!(["pgd-muongcha", "pgd-tuangiao", "thpt-muongcha"])
    );
    // A letter "để biết" is created without a deadline; its unmatched recipient is named.
    let seed = directive(SEED_003);
    let run = env.baocao(&["request", "from", seed.to_str().unwrap(), "--yes"]);
    assert_eq!(run.code, 1, "no trade unions in this registry: {run:?}");
    run.assert_stderr_contains("nhóm hoặc đơn vị phải báo cáo");
    run.assert_stdout_contains("Các công đoàn cơ sở trực thuộc LĐLĐ huyện → CHƯA KHỚP");
    env.import_units([
        [
            "cdcs-thcs-tt",
            "Công đoàn cơ sở Trường THCS thị trấn",
            "cdcs",
            "cdcs.thcstt@example.vn",
        ],
        [
            "cdcs-bv",
            "Công đoàn cơ sở Bệnh viện huyện",
            "cdcs",
            "cdcs.bv@example.vn",
        ],
    ]);
    let run = env.baocao(&["request", "from", seed.to_str().unwrap(), "--yes"]).ok();
    run.assert_stdout_contains("đã tạo yêu cầu BC-3 (bản nháp): số 165/LĐLĐ năm 2024");
    run.assert_stdout_contains("2 đơn vị nhận văn bản (chỉ gửi thông báo, không nhắc)");
    let shown = env.baocao(&["request", "show", "BC-3", "--json"]).ok().json();
    assert_eq!(shown["deadline"], serde_json::Value::Null);
    assert_eq!(shown["issued_on"], serde_json::Value::Null);
    assert_eq!(shown["letter"]["issuer"], "LIÊN ĐOÀN LAO ĐỘNG HUYỆN DƯƠNG MINH CHÂU");
}

#[test]
fn an_edited_proposal_file_creates_the_request() {
    let env = with_seed_units();
    let file = directive(SEED_000);
    let proposal = env.path("de-xuat.toml");
    let run = env
        .baocao(&[
            "request",
            "from",
            file.to_str().unwrap(),
            "--write-proposal",
            proposal.to_str().unwrap(),
        ])
        .ok();
    run.assert_stdout_contains("đã ghi đề xuất vào");
    assert!(requests(&env).is_empty());
    let text = std::fs::read_to_string(&proposal).unwrap();
    assert!(text.contains("# code = \"\"  # THIẾU:"), "{text}");

    // Unedited, it is refused with what is missing.
    let run = env.baocao(&["request", "add", "--from-proposal", proposal.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    run.assert_stderr_contains("còn thiếu số văn bản (code), trích yếu (title)");

    // The clerk fills in the number and title and drops a group.
    let edited = text
        .lines()
        .map(|line| {
            if line.starts_with("# code = ") {
                "code = \"1520/SGDĐT-VP\"".to_string()
            } else if line.starts_with("# title = ") {
                "title = \"Triển khai Kế hoạch vận động hiến máu tình nguyện năm 2023\"".to_string()
            } else if line.starts_with("groups = ") {
                "groups = [\"phong-gddt\", \"gdnn-gdtx\"]".to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&proposal, edited).unwrap();
    let run = env
        .baocao(&[
            "request",
            "add",
            "--from-proposal",
            proposal.to_str().unwrap(),
            "--remind",
            "3d,1d",
        ])
        .ok();
    run.assert_stdout_contains("đã tạo yêu cầu BC-1 (bản nháp): số 1520/SGDĐT-VP năm 2023");
    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(
        shown["recipients"]["groups"],
        serde_json::json!(["gdnn-gdtx", "phong-gddt"])
    );
    assert_eq!(shown["deadline_wording"], "trước ngày 31/12/2023");
    assert_eq!(shown["remind_before"], "3d,1d");
    assert_eq!(shown["letter"]["issuer"], "Sở Giáo dục và Đào tạo");

    // The same checks as `request add`: the number is now taken for 2023.
    let run = env.baocao(&["request", "add", "--from-proposal", proposal.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    // And --from-proposal does not mix with the fields it carries.
    let run = env.baocao(&[
        "request",
        "add",
        "--from-proposal",
        proposal.to_str().unwrap(),
        "--title",
        "x",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
}

/// A .docx as Word writes it, reduced to what matters: a paragraph per line, runs of text
/// with a tab between the heading's two columns.
fn docx_of(text: &str) -> Vec<u8> {
    let body: String = text
        .lines()
        .map(|line| {
            let escaped = line.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            let runs: Vec<String> = escaped
                .split('\t')
                .map(|part| format!("<w:r><w:t xml:space=\"preserve\">{part}</w:t></w:r>"))
                .collect();
            format!("<w:p>{}</w:p>", runs.join("<w:r><w:tab/></w:r>"))
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

#[test]
fn a_docx_directive_is_read() {
    let env = with_seed_units();
    // Word keeps the heading's two columns apart with a tab.
    let text = std::fs::read_to_string(directive("03-ke-hoach-so-lien.txt"))
        .unwrap()
        .replace("Số:4189/KH-BCĐ", "Số:4189/KH-BCĐ\tĐộc lập - Tự do - Hạnh phúc");
    let file = env.write("ke-hoach.docx", docx_of(&text));
    let run = env
        .baocao(&["request", "from", file.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(run["request"]["code"], "4189/KH-BCĐ");
    assert_eq!(run["request"]["kind"], "Kế hoạch");
    assert_eq!(run["request"]["issued"], "27/12/2022");
    assert_eq!(run["request"]["deadline"], "đến hết ngày 10/01/2023");
    assert_eq!(run["request"]["units"], serde_json::json!(["thpt-chuyen-lqd"]));
    assert_eq!(run["proposal"]["number"]["source"]["lines"], serde_json::json!([4]));
}

/// A one-page PDF whose text layer holds `lines` (Helvetica, with a ToUnicode map so that
/// Vietnamese letters come back as themselves), as a PDF writer lays text out.
fn pdf_of(lines: &[&str]) -> Vec<u8> {
    let mut extra: Vec<char> = Vec::new();
    let mut content = String::from("BT /F1 6 Tf 7 TL 20 820 Td\n");
    for line in lines {
        content.push('(');
        for c in line.chars() {
            match c {
                '(' | ')' | '\\' => {
                    content.push('\\');
                    content.push(c);
                }
                ' '..='~' => content.push(c),
                _ => {
                    let index = extra.iter().position(|&e| e == c).unwrap_or_else(|| {
                        extra.push(c);
                        extra.len() - 1
                    });
                    assert!(index < 128, "too many distinct letters for one font");
                    content.push_str(&format!("\\{:03o}", 128 + index));
                }
            }
        }
        content.push_str(") Tj T*\n");
    }
    content.push_str("ET\n");
    let mut pairs: Vec<String> = (0x20u32..0x7f).map(|c| format!("<{c:02X}> <{c:04X}>")).collect();
    pairs.extend(
        extra
            .iter()
            .enumerate()
            .map(|(i, &c)| format!("<{:02X}> <{:04X}>", 128 + i, c as u32)),
    );
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
         1 begincodespacerange <00> <FF> endcodespacerange\n",
    );
    for chunk in pairs.chunks(100) {
        cmap.push_str(&format!(
            "{} beginbfchar\n{}\nendbfchar\n",
            chunk.len(),
            chunk.join("\n")
        ));
    }
    cmap.push_str("endcmap CMapName currentdict /CMap defineresource pop end end\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 6 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 5 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{cmap}endstream", cmap.len()),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    pdf_file(&objects.map(String::into_bytes))
}

/// A PDF file of these objects (numbered from 1, the first the catalog), with its cross-reference table.
fn pdf_file(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn installed(program: &str) -> bool {
    std::process::Command::new(program).arg("-v").output().is_ok()
}

fn tesseract_with_vietnamese() -> bool {
    std::process::Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == "vie"))
}

#[test]
fn a_pdf_directive_is_read_through_pdftotext() {
    if !installed("pdftotext") {
        eprintln!("SKIPPED: pdftotext (poppler-utils) is not installed; scripts/setup-test-env.sh installs it");
        return;
    }
    let env = with_seed_units();
    env.import_units([[
        "cdcs-bv",
        "Công đoàn cơ sở Bệnh viện huyện",
        "cdcs",
        "cdcs.bv@example.vn",
    ]]);
    let text = std::fs::read_to_string(directive(SEED_003)).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let file = env.write("cong-van.pdf", pdf_of(&lines));
    let json = env
        .baocao(&["request", "from", file.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(json["request"]["code"], "165/LĐLĐ");
    assert_eq!(json["request"]["issuer"], "LIÊN ĐOÀN LAO ĐỘNG HUYỆN DƯƠNG MINH CHÂU");
    assert_eq!(
        json["request"]["title"],
        "Triển khai kế hoạch Phong trào thi đua thực hiện công tác quốc phòng địa phương và công tác giáo dục \
         quốc phòng - an ninh năm 2024"
    );
    assert_eq!(json["request"]["groups"], serde_json::json!(["cdcs"]));
    assert_eq!(json["request"]["no-report"], true);
    assert_eq!(json["proposal"]["issued"]["value"]["month"], 5);
    assert_eq!(json["proposal"]["issued"]["value"]["day"], serde_json::Value::Null);

    // A scan: a page without a text layer.
    let scan = env.write("ban-scan.pdf", pdf_of(&[]));
    let run = env.baocao(&["request", "from", scan.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    if tesseract_with_vietnamese() {
        run.assert_stderr_contains("không có chữ");
    } else {
        run.assert_stderr_contains("tệp PDF là bản scan");
        run.assert_stderr_contains("tesseract-ocr-vie");
    }
}

/// A scan: the directive printed by LibreOffice, rendered to a grey image by `pdftoppm`, and
/// that image alone in a PDF (no text layer), as a scanner's PDF holds it.
fn scanned_pdf_of(env: &Env, text: &str) -> Vec<u8> {
    let csv: String = text
        .lines()
        .map(|line| format!("\"{}\"\n", line.replace('"', "\"\"")))
        .collect();
    let source = env.write("scan.csv", csv);
    let out = env.path("printed");
    let output = std::process::Command::new("libreoffice")
        .args([
            "--headless",
            "--norestore",
            "--infilter=CSV:44,34,76",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(&out)
        .arg(&source)
        .env("HOME", env.dir.path())
        .output()
        .expect("libreoffice");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let prefix = env.path("page");
    let output = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-gray", "-singlefile"])
        .arg(out.join("scan.pdf"))
        .arg(&prefix)
        .output()
        .expect("pdftoppm");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pgm = std::fs::read(prefix.with_extension("pgm")).unwrap();
    // P5 header: magic, width height, maximum, then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        let end = at + pgm[at..].iter().position(|b| b.is_ascii_whitespace()).unwrap();
        fields.push(String::from_utf8_lossy(&pgm[at..end]).into_owned());
        at = end + 1;
    }
    let (width, height): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &pgm[at..at + width * height];
    let (w, h) = (width * 72 / 200, height * 72 / 200);
    let content = format!("q {w} 0 0 {h} 0 0 cm /Im1 Do Q");
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>")
            .into_bytes(),
    ];
    let mut image = format!(
        "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray \
         /BitsPerComponent 8 /Length {} >>\nstream\n",
        pixels.len()
    )
    .into_bytes();
    image.extend_from_slice(pixels);
    image.extend_from_slice(b"\nendstream");
    objects.push(image);
    objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes());
    pdf_file(&objects)
}

#[test]
fn a_scanned_directive_is_read_through_ocr_when_tesseract_reads_vietnamese() {
    if !(tesseract_with_vietnamese() && installed("pdftoppm") && installed("libreoffice")) {
        eprintln!(
            "SKIPPED: needs tesseract-ocr-vie, poppler-utils and LibreOffice (scripts/setup-test-env.sh installs them)"
        );
        return;
    }
    let env = with_seed_units();
    let text = std::fs::read_to_string(directive("01-sgddt-hai-cot.txt")).unwrap();
    let file = env.write("ban-scan.pdf", scanned_pdf_of(&env, &text));
    let run = env.baocao(&["request", "from", file.to_str().unwrap(), "--json"]).ok();
    run.assert_stderr_contains("đã nhận dạng chữ (OCR): đối chiếu kỹ");
    let json = run.json();
    assert_eq!(json["request"]["code"], "1234/SGDĐT-VP");
    assert_eq!(json["request"]["issued"], "05/01/2024");
    assert_eq!(json["request"]["deadline"], "trước 17h00 ngày 15/01/2024");
    assert_eq!(
        json["request"]["groups"],
        serde_json::json!(["phong-gddt", "truc-thuoc"])
    );
}

#[test]
fn files_that_cannot_be_read_are_refused_in_words() {
    let env = Env::new(Backend::Sqlite);
    for (name, content, expected) in [
        ("rong.txt", b"".to_vec(), "lỗi: tệp rỗng"),
        (
            "cu.doc",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            "Word 97-2003",
        ),
        (
            "hong.docx",
            b"PK\x03\x04 not really a zip".to_vec(),
            "tệp .docx bị hỏng",
        ),
        ("hong.pdf", b"%PDF-1.4 garbage".to_vec(), "PDF"),
    ] {
        let file = env.write(name, content);
        let run = env.baocao(&["request", "from", file.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{name}: {run:?}");
        run.assert_stderr_contains(expected);
        assert!(!run.stderr.contains("panicked"), "{name}: {run:?}");
    }
    let run = env.baocao(&["request", "from", "/nonexistent/cv.pdf"]);
    assert_eq!(run.code, 1);
    run.assert_stderr_contains("không có tệp này");
}
