//! A directive's file as text, for `request from` (and later the web page's upload):
//! plain text (UTF-8, UTF-16, or the legacy windows-1258 and TCVN3 that [`super::import::encoding`]
//! reads), `.docx` (the paragraphs of `word/document.xml`), PDF with a text layer
//! (`pdftotext -layout`, poppler-utils), and a scanned PDF through OCR (`pdftoppm` then
//! `tesseract -l vie`) when Tesseract has its Vietnamese data. What cannot be read gets a
//! Vietnamese sentence saying what to do, never a panic.
//!
//! The kind is told by the bytes, not the name: `%PDF`, a zip (`PK`), the old Word format
//! (OLE), else text.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use super::import::encoding;

/// The largest file read (a directive is a few pages; a scan of 20 pages fits).
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

/// How the text was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extraction {
    Text(encoding::TextEncoding),
    Docx,
    PdfText,
    Ocr,
}

impl Extraction {
    /// What the clerk is told about the reading, when it may need a second look.
    pub fn note_vi(self) -> Option<&'static str> {
        match self {
            Extraction::Text(e) => e.warning(),
            Extraction::Ocr => Some(
                "văn bản là bản scan, đã nhận dạng chữ (OCR): đối chiếu kỹ số, ngày tháng và tên đơn vị với bản gốc",
            ),
            Extraction::Docx | Extraction::PdfText => None,
        }
    }
}

#[derive(Debug)]
pub struct Extracted {
    pub text: String,
    pub how: Extraction,
}

/// Why a file gave no text; the message is for the clerk.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("không đọc được tệp {path}: {why}")]
    Unreadable { path: String, why: String },
    #[error("tệp rỗng")]
    Empty,
    #[error("tệp quá lớn ({mb} MB; tối đa {max} MB): văn bản hành chính chỉ vài trang, hãy kiểm tra lại tệp")]
    TooLarge { mb: usize, max: usize },
    #[error(
        "tệp .doc (Word 97-2003) chưa đọc được: mở bằng Word hoặc LibreOffice, chọn Lưu thành → .docx (hoặc PDF), \
         rồi chạy lại"
    )]
    OldWord,
    #[error("tệp nén (zip) này không phải văn bản Word .docx (không có word/document.xml)")]
    NotDocx,
    #[error("tệp .docx bị hỏng hoặc không đúng định dạng: {0}")]
    BrokenDocx(String),
    #[error("{0}")]
    NotText(String),
    #[error(
        "cần chương trình {tool} (gói {package}) để đọc tệp PDF: nhờ cán bộ CNTT cài (apt install {package}), hoặc \
         chép nội dung văn bản vào một tệp .txt rồi chạy lại với tệp đó"
    )]
    ToolMissing { tool: &'static str, package: &'static str },
    #[error("không đọc được tệp PDF (pdftotext báo: {0}): tệp có thể bị hỏng hoặc có mật khẩu")]
    BrokenPdf(String),
    #[error(
        "tệp PDF là bản scan (chỉ có hình, không có lớp chữ) và máy chưa cài nhận dạng chữ tiếng Việt (gói \
         tesseract-ocr-vie): xin bản Word hoặc PDF có chữ của văn bản, hoặc chép nội dung văn bản vào một tệp .txt \
         rồi chạy lại với tệp đó"
    )]
    ScanWithoutOcr,
    #[error("nhận dạng chữ (OCR) bản scan không thành công: {0}; hãy chép nội dung văn bản vào một tệp .txt")]
    OcrFailed(String),
    #[error("tệp không có chữ nào đọc được")]
    NoText,
}

/// Reads the file at `path` as text.
pub fn read_document(path: &Path) -> Result<Extracted, DocumentError> {
    let unreadable = |why: String| DocumentError::Unreadable {
        path: path.display().to_string(),
        why,
    };
    let size = std::fs::metadata(path).map_err(|e| unreadable(io_vi(&e)))?.len() as usize;
    if size > MAX_BYTES {
        return Err(too_large(size));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(io_vi(&e)))?;
    extract(&bytes)
}

fn too_large(size: usize) -> DocumentError {
    DocumentError::TooLarge {
        mb: size.div_ceil(1024 * 1024),
        max: MAX_BYTES / (1024 * 1024),
    }
}

fn io_vi(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "không có tệp này".into(),
        std::io::ErrorKind::PermissionDenied => "không có quyền đọc tệp".into(),
        std::io::ErrorKind::IsADirectory => "đây là thư mục, không phải tệp".into(),
        _ => error.to_string(),
    }
}

/// The text of a file's bytes (an upload, or a file read from disk).
pub fn extract(bytes: &[u8]) -> Result<Extracted, DocumentError> {
    if bytes.len() > MAX_BYTES {
        return Err(too_large(bytes.len()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DocumentError::Empty);
    }
    let extracted = if bytes.starts_with(b"%PDF") {
        pdf(bytes)?
    } else if bytes.starts_with(b"PK\x03\x04") {
        Extracted {
            text: docx(bytes)?,
            how: Extraction::Docx,
        }
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(DocumentError::OldWord);
    } else {
        let (text, encoding) = encoding::decode(bytes).map_err(DocumentError::NotText)?;
        Extracted {
            text,
            how: Extraction::Text(encoding),
        }
    };
    if extracted.text.trim().is_empty() {
        return Err(DocumentError::NoText);
    }
    Ok(extracted)
}

/// The paragraphs of `word/document.xml`, one per line; tabs and breaks kept.
fn docx(bytes: &[u8]) -> Result<String, DocumentError> {
    use quick_xml::events::Event;
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| DocumentError::BrokenDocx(e.to_string()))?;
    let mut xml = String::new();
    {
        let entry = archive
            .by_name("word/document.xml")
            .map_err(|_| DocumentError::NotDocx)?;
        if entry.size() > (MAX_BYTES * 4) as u64 {
            return Err(too_large(entry.size() as usize));
        }
        entry
            .take((MAX_BYTES * 4) as u64)
            .read_to_string(&mut xml)
            .map_err(|e| DocumentError::BrokenDocx(e.to_string()))?;
    }
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut text = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().0 == "w:t" => in_text = true,
            Ok(Event::End(e)) if e.name().0 == "w:t" => in_text = false,
            Ok(Event::End(e)) if e.name().0 == "w:p" => text.push('\n'),
            Ok(Event::Empty(e)) => match e.name().0 {
                "w:tab" => text.push('\t'),
                "w:br" | "w:cr" => text.push('\n'),
                "w:p" => text.push('\n'),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => {
                text.push_str(&t.xml10_content());
            }
            Ok(Event::GeneralRef(r)) if in_text => {
                let entity = format!("&{};", r.into_inner());
                text.push_str(
                    &quick_xml::escape::unescape(&entity).map_err(|e| DocumentError::BrokenDocx(e.to_string()))?,
                );
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(DocumentError::BrokenDocx(e.to_string())),
            _ => {}
        }
    }
    use unicode_normalization::UnicodeNormalization;
    Ok(text.nfc().collect())
}

/// How long one run of a tool may take (a page of OCR takes a few seconds; a hostile PDF
/// must not hold the command).
const TOOL_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `program args` with `input` on stdin; its stdout, or why not. Killed past
/// [`TOOL_TIME_LIMIT`].
fn run(program: &'static str, package: &'static str, args: &[&str], input: &[u8]) -> Result<Vec<u8>, DocumentError> {
    let failed = |why: String| match program {
        "tesseract" => DocumentError::OcrFailed(why),
        _ => DocumentError::BrokenPdf(why),
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DocumentError::ToolMissing { tool: program, package },
            _ => failed(e.to_string()),
        })?;
    // Written and read on their own threads, so a full pipe blocks neither side.
    let mut stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&input);
        }
    });
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TOOL_TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!("{program} chạy quá {} giây", TOOL_TIME_LIMIT.as_secs())));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(failed(e.to_string())),
        }
    };
    let _ = writer.join();
    let out = stdout.join().unwrap_or_default();
    let errors = stderr.join().unwrap_or_default();
    if !status.success() {
        let why = String::from_utf8_lossy(&errors)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        return Err(failed(why));
    }
    Ok(out)
}

/// The text layer by `pdftotext -layout` (columns kept apart by spaces, as the directive
/// reader expects); OCR when there is none.
fn pdf(bytes: &[u8]) -> Result<Extracted, DocumentError> {
    let out = run(
        "pdftotext",
        "poppler-utils",
        &["-layout", "-enc", "UTF-8", "-", "-"],
        bytes,
    )?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters >= 20 {
        use unicode_normalization::UnicodeNormalization;
        return Ok(Extracted {
            text: text.nfc().collect(),
            how: Extraction::PdfText,
        });
    }
    ocr(bytes).map(|text| Extracted {
        text,
        how: Extraction::Ocr,
    })
}

/// Whether `tesseract` is installed with its Vietnamese data.
pub fn ocr_available() -> bool {
    Command::new("tesseract")
        .arg("--list-langs")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&o.stderr).lines())
                .any(|l| l.trim() == "vie")
        })
}

/// Each page rendered at 300 dpi (`pdftoppm`) and read by `tesseract -l vie`.
fn ocr(bytes: &[u8]) -> Result<String, DocumentError> {
    if !ocr_available() {
        return Err(DocumentError::ScanWithoutOcr);
    }
    let dir = std::env::temp_dir().join(format!(
        "baocao-ocr-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir(&dir).map_err(|e| DocumentError::OcrFailed(e.to_string()))?;
    let result = (|| {
        let prefix = dir.join("page");
        let prefix = prefix.to_string_lossy().into_owned();
        run(
            "pdftoppm",
            "poppler-utils",
            &["-r", "300", "-gray", "-png", "-", &prefix],
            bytes,
        )?;
        let mut pages: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| DocumentError::OcrFailed(e.to_string()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        pages.sort();
        let mut text = String::new();
        for page in pages {
            let page = page.to_string_lossy().into_owned();
            let out = run(
                "tesseract",
                "tesseract-ocr-vie",
                &[&page, "-", "-l", "vie", "--psm", "4"],
                &[],
            )
            .map_err(|e| DocumentError::OcrFailed(e.to_string()))?;
            text.push_str(&String::from_utf8_lossy(&out));
            text.push('\n');
        }
        use unicode_normalization::UnicodeNormalization;
        Ok(text.nfc().collect::<String>())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_get_a_sentence_not_a_panic() {
        assert!(matches!(extract(b""), Err(DocumentError::Empty)));
        assert!(matches!(extract(b"  \n\t"), Err(DocumentError::Empty)));
        assert!(matches!(
            extract(b"PK\x03\x04garbage"),
            Err(DocumentError::BrokenDocx(_))
        ));
        assert!(matches!(
            extract(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
            Err(DocumentError::OldWord)
        ));
        let mut zip_without_word = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut zip_without_word);
            zip.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(b"<workbook/>").unwrap();
            zip.finish().unwrap();
        }
        let error = extract(&zip_without_word.into_inner()).unwrap_err();
        assert!(matches!(error, DocumentError::NotDocx), "{error}");
        assert!(error.to_string().contains(".docx"));
        assert!(matches!(
            extract(&vec![b'a'; MAX_BYTES + 1]),
            Err(DocumentError::TooLarge { .. })
        ));
        let error = read_document(Path::new("/nonexistent/cv.pdf")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "không đọc được tệp /nonexistent/cv.pdf: không có tệp này"
        );
    }

    #[test]
    fn legacy_text_is_read_as_the_unit_import_reads_it() {
        // Windows-1258 writes a toned letter as its base letter and a combining tone mark.
        let decomposed = "Ki\u{301}nh gư\u{309}i: Pho\u{300}ng Gia\u{301}o du\u{323}c va\u{300} Đa\u{300}o ta\u{323}o";
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(decomposed);
        assert!(!unmappable);
        let read = extract(&bytes).unwrap();
        assert_eq!(read.how, Extraction::Text(encoding::TextEncoding::Windows1258));
        assert_eq!(read.text, "Kính gửi: Phòng Giáo dục và Đào tạo");
        assert!(read.how.note_vi().is_some());
    }
}
