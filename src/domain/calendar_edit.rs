//! `baocao calendar add`: a year's government decision, as the IT officer reads it from the
//! notice, checked against the working calendar and written into the calendar file with its
//! `source`, keeping the file's comments and layout (toml_edit). Pure code: text in, text out.
//!
//! The checks: every date is a real date inside the year; a day given off (extra day, nghỉ bù,
//! or the weekday of a swap) is otherwise a working day (Monday–Friday, not a statutory
//! holiday, not already in the file); a make-up working day (làm bù) is a Saturday or Sunday
//! that is otherwise a day off (not a holiday, not already in the file); no date twice.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::domain::calendar::{DayKind, WorkingCalendar};
use crate::domain::dates::{format_date, parse_date, weekday_vi};

/// What the IT officer typed.
#[derive(Debug, Clone, Default)]
pub struct AddRequest {
    pub year: i32,
    /// `--day-off DATE`: extra days off and nghỉ bù, as typed.
    pub days_off: Vec<String>,
    /// `--swap OFF:MAKE_UP`: a weekday off in exchange for a Saturday worked, as typed.
    pub swaps: Vec<String>,
    /// `--name`: the name of the days off (for swaps, it starts their name).
    pub name: Option<String>,
    /// `--source`: the document, e.g. `Thông báo 9441/TB-BNV ngày 16/10/2025`.
    pub source: Option<String>,
    /// `--confirm`: the year's decisions are all entered.
    pub confirm: bool,
}

/// One entry to write: `[[day-off]]` or `[[working-day]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub date: NaiveDate,
    pub working: bool,
    pub name: String,
    pub source: String,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addition {
    pub year: i32,
    pub entries: Vec<Entry>,
    pub confirm: bool,
}

/// Checks `request` against `calendar` (the file as it is now); every problem at once, in
/// Vietnamese, or the entries to write.
pub fn check(calendar: &WorkingCalendar, request: &AddRequest) -> Result<Addition, Vec<String>> {
    let year = request.year;
    if !(1900..=2199).contains(&year) {
        return Err(vec![format!("năm {year} nằm ngoài khoảng 1900–2199")]);
    }
    if request.days_off.is_empty() && request.swaps.is_empty() && !request.confirm {
        return Err(vec![
            "không có gì để thêm: dùng --day-off NGÀY, --swap NGÀY_NGHỈ:NGÀY_LÀM_BÙ hoặc --confirm".into(),
        ]);
    }
    let mut problems = Vec::new();
    let trimmed = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
    };
    let source = trimmed(&request.source);
    let name = trimmed(&request.name);
    let adding = !request.days_off.is_empty() || !request.swaps.is_empty();
    if adding && source.is_none() {
        problems.push(
            "thiếu --source: ghi loại, số, ký hiệu và ngày của văn bản quyết định, ví dụ \
             --source \"Thông báo 9441/TB-BNV ngày 16/10/2025\""
                .into(),
        );
    }
    if !request.days_off.is_empty() && name.is_none() {
        problems.push(
            "thiếu --name: ghi tên ngày nghỉ như thông báo gọi, ví dụ --name \"Nghỉ bù Giỗ Tổ Hùng Vương\"".into(),
        );
    }
    let source = source.unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut entries = Vec::new();
    let mut date_in_year = |text: &str, what: &str, problems: &mut Vec<String>| -> Option<NaiveDate> {
        let Some(date) = parse_date(text) else {
            problems.push(format!("{what} `{}` không phải ngày hợp lệ (dd/mm/yyyy)", text.trim()));
            return None;
        };
        if date.year() != year {
            problems.push(format!("{what} {} không thuộc năm {year}", format_date(date)));
            return None;
        }
        if !seen.insert(date) {
            problems.push(format!("ngày {} được nhập hai lần", format_date(date)));
            return None;
        }
        Some(date)
    };
    for text in &request.days_off {
        if let Some(date) = date_in_year(text, "ngày nghỉ", &mut problems) {
            match off_problem(calendar, date) {
                Some(problem) => problems.push(problem),
                None => entries.push(Entry {
                    date,
                    working: false,
                    name: name.clone().unwrap_or_default(),
                    source: source.clone(),
                }),
            }
        }
    }
    for text in &request.swaps {
        let Some((off, make_up)) = text.split_once([':', ',']) else {
            problems.push(format!(
                "--swap `{text}`: cần hai ngày NGÀY_NGHỈ:NGÀY_LÀM_BÙ, ví dụ --swap 02/01/2026:10/01/2026"
            ));
            continue;
        };
        let off = date_in_year(off, "ngày nghỉ hoán đổi", &mut problems);
        let make_up = date_in_year(make_up, "ngày làm bù", &mut problems);
        let off_ok = off.filter(|date| match off_problem(calendar, *date) {
            Some(problem) => {
                problems.push(problem);
                false
            }
            None => true,
        });
        let make_up_ok = make_up.filter(|date| match make_up_problem(calendar, *date) {
            Some(problem) => {
                problems.push(problem);
                false
            }
            None => true,
        });
        if let (Some(off), Some(make_up)) = (off_ok, make_up_ok) {
            let occasion = name.as_deref().unwrap_or("Nghỉ hoán đổi");
            entries.push(Entry {
                date: off,
                working: false,
                name: format!(
                    "{occasion} (làm bù {} {})",
                    weekday_vi(make_up.weekday()),
                    format_date(make_up)
                ),
                source: source.clone(),
            });
            entries.push(Entry {
                date: make_up,
                working: true,
                name: format!("Làm bù cho {} {}", weekday_vi(off.weekday()), format_date(off)),
                source: source.clone(),
            });
        }
    }
    entries.sort_by_key(|e| e.date);
    if problems.is_empty() {
        Ok(Addition {
            year,
            entries,
            confirm: request.confirm,
        })
    } else {
        Err(problems)
    }
}

/// Why `date` cannot be given off: it is not otherwise a working day.
fn off_problem(calendar: &WorkingCalendar, date: NaiveDate) -> Option<String> {
    let day = format_date(date);
    if let Some(problem) = in_file(calendar, date) {
        return Some(problem);
    }
    if let Some(holiday) = calendar.statutory_holiday(date) {
        return Some(format!(
            "ngày {day} đã là ngày lễ theo luật ({holiday}), không cần thêm; ngày nghỉ thêm, nghỉ bù hay nghỉ \
             hoán đổi phải là một ngày làm việc"
        ));
    }
    if is_weekend(date) {
        return Some(format!(
            "ngày {day} là {}, vốn đã nghỉ; ngày nghỉ thêm, nghỉ bù hay nghỉ hoán đổi phải là một ngày làm việc \
             (thứ Hai – thứ Sáu)",
            weekday_vi(date.weekday())
        ));
    }
    None
}

/// Why `date` cannot be a make-up working day: it is not a weekend day that is otherwise off.
fn make_up_problem(calendar: &WorkingCalendar, date: NaiveDate) -> Option<String> {
    let day = format_date(date);
    if let Some(problem) = in_file(calendar, date) {
        return Some(problem);
    }
    if !is_weekend(date) {
        return Some(format!(
            "ngày làm bù {day} là {}, vốn là ngày làm việc; ngày làm bù phải là thứ Bảy hoặc Chủ nhật",
            weekday_vi(date.weekday())
        ));
    }
    if let Some(holiday) = calendar.statutory_holiday(date) {
        return Some(format!(
            "ngày làm bù {day} là ngày lễ theo luật ({holiday}); không đi làm bù vào ngày lễ"
        ));
    }
    None
}

/// Whether the file already decides `date`.
fn in_file(calendar: &WorkingCalendar, date: NaiveDate) -> Option<String> {
    let day = format_date(date);
    if let Some(name) = calendar.file.days_off.get(&date) {
        return Some(format!("ngày {day} đã có trong tệp lịch là ngày nghỉ ({name})"));
    }
    if let Some(name) = calendar.file.working_days.get(&date) {
        return Some(format!("ngày {day} đã có trong tệp lịch là ngày làm bù ({name})"));
    }
    None
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
}

/// The calendar file's text with `addition` in it: entries after the year's last entry (or
/// at the end under a `# --- YEAR ---` heading), the year in `confirmed-years`; comments and
/// layout kept.
pub fn write(text: &str, addition: &Addition) -> Result<String, String> {
    let bom = text.starts_with('\u{feff}');
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut document: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.to_string())?;
    for key in ["day-off", "working-day"] {
        if document.get(key).is_some_and(|item| !item.is_array_of_tables()) {
            return Err(format!("`{key}` trong tệp lịch không phải danh sách [[{key}]]"));
        }
    }
    if !addition.entries.is_empty() {
        add_entries(&mut document, addition);
    }
    if addition.confirm {
        let item = document
            .entry("confirmed-years")
            .or_insert_with(|| value(toml_edit::Array::new()));
        let Some(years) = item.as_array_mut() else {
            return Err("`confirmed-years` trong tệp lịch không phải danh sách năm".into());
        };
        let year = i64::from(addition.year);
        if !years.iter().any(|v| v.as_integer() == Some(year)) {
            // In order, spaced like its neighbours (one line or one year a line).
            let at = years
                .iter()
                .take_while(|v| v.as_integer().is_some_and(|y| y < year))
                .count();
            let middle = years
                .get(1)
                .map(|v| v.decor().clone())
                .unwrap_or_else(|| toml_edit::Decor::new(if years.is_empty() { "" } else { " " }, ""));
            let mut new = toml_edit::Value::from(year);
            if at == 0 {
                if let Some(first) = years.get_mut(0) {
                    *new.decor_mut() = first.decor().clone();
                    *first.decor_mut() = middle;
                }
            } else {
                *new.decor_mut() = middle;
            }
            years.insert_formatted(at, new);
        }
    }
    let mut out = document.to_string();
    if bom {
        out.insert(0, '\u{feff}');
    }
    Ok(out)
}

fn add_entries(document: &mut DocumentMut, addition: &Addition) {
    // Every [[day-off]] and [[working-day]] table in file order: (kind, index, year).
    let mut order: Vec<(isize, &'static str, usize, Option<i32>)> = Vec::new();
    for key in ["day-off", "working-day", "holiday"] {
        if let Some(tables) = document.get(key).and_then(Item::as_array_of_tables) {
            for (index, table) in tables.iter().enumerate() {
                let year = table
                    .get("date")
                    .and_then(|d| d.as_str())
                    .and_then(parse_date)
                    .map(|d| d.year());
                order.push((table.position().unwrap_or(isize::MAX), key, index, year));
            }
        }
    }
    order.sort_by_key(|(position, ..)| *position);
    let after = order
        .iter()
        .rposition(|(_, key, _, year)| *key != "holiday" && *year == Some(addition.year));
    let insert_at = after.map_or(order.len(), |i| i + 1);
    let mut new: Vec<(&'static str, Table)> = Vec::new();
    for (i, entry) in addition.entries.iter().enumerate() {
        let mut table = Table::new();
        table["date"] = value(format_date(entry.date));
        table["name"] = value(entry.name.as_str());
        table["source"] = value(entry.source.as_str());
        if i == 0 && after.is_none() {
            table.decor_mut().set_prefix(format!("\n# --- {} ---\n", addition.year));
        }
        new.push((if entry.working { "working-day" } else { "day-off" }, table));
    }
    // Number every table again in its new order: the existing ones keep theirs relative to
    // each other, the new ones come where they belong.
    let base = 1 + document.as_table().position().unwrap_or(0).max(0);
    let mut position = base;
    let mut renumber: Vec<(&'static str, usize, isize)> = Vec::new();
    for (slot, (_, key, index, _)) in order.iter().enumerate() {
        if slot == insert_at {
            position += new.len() as isize;
        }
        renumber.push((key, *index, position));
        position += 1;
    }
    let first_new = if insert_at == order.len() {
        position
    } else {
        renumber[insert_at].2 - new.len() as isize
    };
    for (key, index, position) in renumber {
        if let Some(table) = document
            .get_mut(key)
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|tables| tables.get_mut(index))
        {
            table.set_position(Some(position));
        }
    }
    for (offset, (key, mut table)) in new.into_iter().enumerate() {
        table.set_position(Some(first_new + offset as isize));
        let tables = document
            .entry(key)
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
        if let Some(tables) = tables.as_array_of_tables_mut() {
            tables.push(table);
        }
    }
}

/// The days of `year` that were off in `before` and are working days in `after`: confirming a
/// year stops the nghỉ bù baocao computed, so each needs the notice checked.
pub fn no_longer_off(before: &WorkingCalendar, after: &WorkingCalendar, year: i32) -> Vec<(NaiveDate, String)> {
    before
        .special_days(year)
        .into_iter()
        .filter_map(|(date, kind)| match kind {
            DayKind::Holiday(name) if after.is_working_day(date) => Some((date, name)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::parse_calendar_file;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn calendar(text: &str) -> WorkingCalendar {
        WorkingCalendar::new(parse_calendar_file(text).unwrap())
    }

    const FILE: &str = "# Lịch làm việc\nconfirmed-years = [2024] # các năm đã nhập\n\n\
                        # --- 2024 ---\n[[day-off]]\ndate = \"29/04/2024\"\nname = \"Nghỉ hoán đổi\"\n\n\
                        [[working-day]]\ndate = \"04/05/2024\"\nname = \"Làm bù\"\n\n\
                        # --- 2025 ---\n[[day-off]]\ndate = \"02/05/2025\"\nname = \"Nghỉ hoán đổi\"\n";

    fn request(year: i32) -> AddRequest {
        AddRequest {
            year,
            source: Some("Công văn 12729/VPCP-KGVX ngày 25/12/2025".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_swap_and_a_day_off_are_checked_and_written_under_their_year() {
        let mut add = request(2026);
        add.swaps = vec!["02/01/2026:10/01/2026".into()];
        add.name = Some("Nghỉ hoán đổi dịp Tết Dương lịch".into());
        add.confirm = true;
        let addition = check(&calendar(FILE), &add).unwrap();
        assert_eq!(addition.entries.len(), 2);
        assert_eq!(
            addition.entries[0].name,
            "Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/01/2026)"
        );
        assert_eq!(addition.entries[1].name, "Làm bù cho thứ Sáu 02/01/2026");
        let text = write(FILE, &addition).unwrap();
        assert!(
            text.starts_with("# Lịch làm việc\nconfirmed-years = [2024, 2026] # các năm đã nhập\n"),
            "{text}"
        );
        assert!(
            text.contains("# --- 2025 ---\n[[day-off]]\ndate = \"02/05/2025\""),
            "{text}"
        );
        let tail = &text[text.find("# --- 2026 ---").expect(&text)..];
        assert!(
            tail.starts_with(
                "# --- 2026 ---\n[[day-off]]\ndate = \"02/01/2026\"\n\
                 name = \"Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/01/2026)\"\n\
                 source = \"Công văn 12729/VPCP-KGVX ngày 25/12/2025\"\n\n[[working-day]]\ndate = \"10/01/2026\"\n"
            ),
            "{text}"
        );
        // A second decision of the same year joins its section.
        let mut add = request(2026);
        add.days_off = vec!["27/04/2026".into()];
        add.name = Some("Nghỉ bù Giỗ Tổ Hùng Vương".into());
        add.source = Some("Bộ luật Lao động 2019, khoản 3 Điều 111".into());
        let text = write(&text, &check(&calendar(&text), &add).unwrap()).unwrap();
        assert_eq!(text.matches("# --- 2026 ---").count(), 1, "{text}");
        assert!(
            text.trim_end()
                .ends_with("source = \"Bộ luật Lao động 2019, khoản 3 Điều 111\""),
            "{text}"
        );
        let after = calendar(&text);
        assert!(after.is_confirmed(2026));
        assert!(!after.is_working_day(d(2026, 1, 2)) && after.is_working_day(d(2026, 1, 10)));
        assert!(!after.is_working_day(d(2026, 4, 27)));
        assert_eq!(
            after.source(d(2026, 1, 10)).as_deref(),
            Some("Công văn 12729/VPCP-KGVX ngày 25/12/2025")
        );
        // The earlier years are untouched.
        assert_eq!(after.file.days_off.len(), 4);
    }

    #[test]
    fn a_late_decision_goes_after_its_year_and_before_the_next() {
        let mut add = request(2024);
        add.swaps = vec!["02/09/2024,07/09/2024".into()];
        // 2/9/2024 is a holiday: refused. A real weekday instead:
        assert!(check(&calendar(FILE), &add).is_err());
        add.swaps = vec!["30/08/2024,07/09/2024".into()];
        let text = write(FILE, &check(&calendar(FILE), &add).unwrap()).unwrap();
        let late = text.find("30/08/2024").expect(&text);
        assert!(
            text.find("04/05/2024").unwrap() < late && late < text.find("# --- 2025 ---").unwrap(),
            "{text}"
        );
        assert_eq!(text.matches("# --- 2024 ---").count(), 1);
        assert!(calendar(&text).is_working_day(d(2024, 9, 7)));
    }

    #[test]
    fn only_confirming_touches_only_the_list() {
        let mut add = request(2023);
        add.source = None;
        add.confirm = true;
        let text = write(FILE, &check(&calendar(FILE), &add).unwrap()).unwrap();
        assert_eq!(text, FILE.replace("[2024]", "[2023, 2024]"));
        // Again: nothing changes.
        let again = write(&text, &check(&calendar(&text), &add).unwrap()).unwrap();
        assert_eq!(again, text);
        // A file without the list gets one.
        let text = write(
            "[[day-off]]\ndate = \"02/05/2025\"\nname = \"x\"\n",
            &check(&calendar(""), &add).unwrap(),
        )
        .unwrap();
        assert!(calendar(&text).is_confirmed(2023), "{text}");
    }

    #[test]
    fn every_wrong_input_is_refused_with_its_reason() {
        let file = calendar(FILE);
        let refused = |change: &dyn Fn(&mut AddRequest)| {
            let mut add = request(2026);
            add.name = Some("Nghỉ".into());
            change(&mut add);
            check(&file, &add).unwrap_err().join("\n")
        };
        type Change<'a> = &'a dyn Fn(&mut AddRequest);
        let cases: [(&str, Change); 14] = [
            ("không có gì để thêm", &|_| {}),
            ("thiếu --source", &|a| {
                a.source = Some(" ".into());
                a.days_off = vec!["27/04/2026".into()];
            }),
            ("thiếu --name", &|a| {
                a.name = None;
                a.days_off = vec!["27/04/2026".into()];
            }),
            ("`31/02/2026` không phải ngày hợp lệ", &|a| {
                a.days_off = vec!["31/02/2026".into()]
            }),
            ("ngày nghỉ 27/04/2025 không thuộc năm 2026", &|a| {
                a.days_off = vec!["27/04/2025".into()]
            }),
            ("ngày làm bù 10/01/2027 không thuộc năm 2026", &|a| {
                a.swaps = vec!["02/01/2026:10/01/2027".into()];
            }),
            (
                "ngày 01/01/2026 đã là ngày lễ theo luật (Tết Dương lịch)",
                &|a| {
                    a.days_off = vec!["01/01/2026".into()];
                },
            ),
            ("ngày 03/01/2026 là thứ Bảy, vốn đã nghỉ", &|a| {
                a.swaps = vec!["03/01/2026:10/01/2026".into()]
            }),
            (
                "ngày làm bù 12/01/2026 là thứ Hai, vốn là ngày làm việc",
                &|a| {
                    a.swaps = vec!["02/01/2026:12/01/2026".into()];
                },
            ),
            (
                "ngày làm bù 26/04/2026 là ngày lễ theo luật (Giỗ Tổ",
                &|a| {
                    a.swaps = vec!["27/04/2026:26/04/2026".into()];
                },
            ),
            ("ngày 02/01/2026 được nhập hai lần", &|a| {
                a.days_off = vec!["02/01/2026".into()];
                a.swaps = vec!["02/01/2026:10/01/2026".into()];
            }),
            ("--swap `02/01/2026`: cần hai ngày", &|a| {
                a.swaps = vec!["02/01/2026".into()]
            }),
            ("ngày 02/05/2025 đã có trong tệp lịch là ngày nghỉ", &|a| {
                a.year = 2025;
                a.days_off = vec!["02/05/2025".into()];
            }),
            ("năm 1800 nằm ngoài khoảng", &|a| a.year = 1800),
        ];
        for (want, change) in cases {
            let got = refused(change);
            assert!(got.contains(want), "want {want:?}, got {got:?}");
        }
        // A make-up day already in the file.
        let mut add = request(2024);
        add.swaps = vec!["30/08/2024:04/05/2024".into()];
        let got = check(&file, &add).unwrap_err().join("\n");
        assert!(
            got.contains("ngày 04/05/2024 đã có trong tệp lịch là ngày làm bù"),
            "{got}"
        );
    }

    #[test]
    fn confirming_names_the_computed_days_off_it_ends() {
        let before = calendar("");
        let after = calendar("confirmed-years = [2027]\n");
        // 1/5/2027 is a Saturday: unconfirmed, Monday 3/5 is nghỉ bù; Tết Đinh Mùi's mùng 1 and
        // mùng 2 fall on the weekend too.
        let lost: Vec<NaiveDate> = no_longer_off(&before, &after, 2027)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert_eq!(lost, [d(2027, 2, 10), d(2027, 2, 11), d(2027, 5, 3)]);
    }
}
