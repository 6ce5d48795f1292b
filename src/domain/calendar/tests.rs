use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn weekends_and_fixed_holidays_are_not_working_days() {
    let calendar = WorkingCalendar::default();
    assert_eq!(
        calendar.day(d(2024, 4, 30)),
        DayKind::Holiday("Ngày Chiến thắng (30/4)".into())
    );
    assert_eq!(
        calendar.day(d(2024, 5, 1)),
        DayKind::Holiday("Ngày Quốc tế Lao động (1/5)".into())
    );
    assert_eq!(calendar.day(d(2024, 5, 2)), DayKind::Working);
    assert_eq!(calendar.day(d(2024, 5, 4)), DayKind::Weekend);
    // 2/9/2024 was a Monday, so the adjacent day was 3/9.
    assert!(!calendar.is_working_day(d(2024, 9, 3)));
    assert!(calendar.is_working_day(d(2024, 8, 30)));
    // 2/9/2025 was a Tuesday, so the adjacent day was 1/9.
    assert!(!calendar.is_working_day(d(2025, 9, 1)));
}

#[test]
fn tet_is_computed_from_the_lunar_calendar() {
    let calendar = WorkingCalendar::default();
    // Tết Giáp Thìn 2024: mùng 1 = 10/2/2024 (a Saturday); the eve 9/2 is off.
    assert!(matches!(calendar.day(d(2024, 2, 9)), DayKind::Holiday(n) if n.contains("cuối năm")));
    assert!(matches!(calendar.day(d(2024, 2, 13)), DayKind::Holiday(n) if n.contains("mùng 4")));
    // Mùng 1 and mùng 2 fell on the weekend: two compensatory days follow mùng 4.
    assert!(matches!(calendar.day(d(2024, 2, 14)), DayKind::Holiday(n) if n.starts_with("Nghỉ bù")));
    assert!(matches!(calendar.day(d(2024, 2, 15)), DayKind::Holiday(n) if n.starts_with("Nghỉ bù")));
    assert!(calendar.is_working_day(d(2024, 2, 16)));
    // Tết Ất Tỵ 2025 (29/1) and Bính Ngọ 2026 (17/2).
    assert!(matches!(calendar.day(d(2025, 1, 29)), DayKind::Holiday(n) if n.contains("mùng 1")));
    assert!(matches!(calendar.day(d(2026, 2, 17)), DayKind::Holiday(n) if n.contains("mùng 1")));
    assert!(matches!(calendar.day(d(2026, 4, 26)), DayKind::Holiday(n) if n.contains("Hùng Vương")));
}

#[test]
fn the_calendar_file_adds_days_off_and_make_up_saturdays() {
    let mut file = CalendarFile::default();
    // 2025: 30/4 (Wed) and 1/5 (Thu) are holidays; 2/5 (Fri) was given off in exchange
    // for working on Saturday 26/4.
    file.days_off
        .insert(d(2025, 5, 2), "Nghỉ hoán đổi (làm bù 26/4)".into());
    file.working_days.insert(d(2025, 4, 26), "Làm bù cho 2/5".into());
    file.confirmed_years.insert(2025);
    let calendar = WorkingCalendar::new(file);
    assert!(calendar.is_working_day(d(2025, 4, 26)));
    assert_eq!(
        calendar.day(d(2025, 4, 26)),
        DayKind::MakeUpWorkday("Làm bù cho 2/5".into())
    );
    assert!(!calendar.is_working_day(d(2025, 5, 2)));
    assert_eq!(calendar.next_working_day(d(2025, 4, 30)), Some(d(2025, 5, 5)));
    assert!(calendar.is_confirmed(2025) && !calendar.is_confirmed(2026));
    let special: Vec<NaiveDate> = calendar.special_days(2025).into_iter().map(|(d, _)| d).collect();
    assert!(special.contains(&d(2025, 4, 26)) && special.contains(&d(2025, 5, 2)));
    assert!(!special.contains(&d(2025, 5, 3)), "plain weekends are not listed");
}

#[test]
fn a_confirmed_year_takes_its_compensatory_days_from_the_file() {
    // Tết 2025: mùng 4 fell on Saturday 1/2; the government gave Monday 27/1 instead of
    // Monday 3/2. Unconfirmed, the law's rule gives 3/2; confirmed, the file decides.
    assert!(!WorkingCalendar::default().is_working_day(d(2025, 2, 3)));
    let shipped = parse_calendar_file(include_str!("../../../config/calendar.toml")).unwrap();
    let calendar = WorkingCalendar::new(shipped);
    assert!(calendar.is_working_day(d(2025, 2, 3)));
    assert!(!calendar.is_working_day(d(2025, 1, 27)));
    // 2024: off from 8/2 to 14/2, back at work on Thursday 15/2.
    let tet_2024: Vec<bool> = (8..=15).map(|day| calendar.is_working_day(d(2024, 2, day))).collect();
    assert_eq!(tet_2024, [false, false, false, false, false, false, false, true]);
    // 30/4–1/5/2024: Monday 29/4 off, made up on Saturday 4/5.
    assert!(!calendar.is_working_day(d(2024, 4, 29)));
    assert!(calendar.is_working_day(d(2024, 5, 4)));
}

#[test]
fn calendar_file_mistakes_name_the_line() {
    let error = parse_calendar_file("[[day-off]]\ndate = \"31/02/2025\"\nname = \"x\"\n").unwrap_err();
    assert!(error.0.starts_with("dòng 2:"), "{error}");
    let error = parse_calendar_file("[[day-of]]\ndate = \"1/1/2025\"\n").unwrap_err();
    assert!(error.0.contains("day-of"), "{error}");
}
/// Every day of 2023–2026 as the government's notices make it, against the shipped
/// `config/calendar.toml`: the weekdays off and the weekend days worked are listed; every
/// other day is a working day from Monday to Friday and off on Saturday and Sunday.
#[test]
fn the_shipped_calendar_matches_the_notices_of_2023_to_2026() {
    struct Year {
        year: i32,
        /// Weekdays off (dd/mm), with why.
        off: &'static [(&'static str, &'static str)],
        /// Saturdays worked (làm bù).
        worked: &'static [&'static str],
        /// A few days that stay ordinary working days.
        ordinary: &'static [&'static str],
    }
    let years = [
        Year {
            year: 2023,
            off: &[
                ("02/01", "nghỉ bù: 01/01 is a Sunday (Labour Code art. 111(3))"),
                ("20/01", "Tết, 29 Chạp (5034/TB-LĐTBXH)"),
                ("23/01", "Tết, mùng 2"),
                ("24/01", "Tết, mùng 3"),
                ("25/01", "nghỉ bù (5034/TB-LĐTBXH)"),
                ("26/01", "nghỉ bù (5034/TB-LĐTBXH)"),
                ("01/05", "Quốc tế Lao động"),
                ("02/05", "nghỉ bù: Giỗ Tổ 29/04 is a Saturday"),
                ("03/05", "nghỉ bù: 30/04 is a Sunday"),
                ("01/09", "Quốc khánh, adjacent day (5034/TB-LĐTBXH)"),
                ("04/09", "nghỉ bù: 02/09 is a Saturday (5034/TB-LĐTBXH)"),
            ],
            worked: &[],
            // 27/01/2023 (mùng 6) is an ordinary Friday, not a day off.
            ordinary: &["19/01", "27/01", "04/05", "05/09"],
        },
        Year {
            year: 2024,
            off: &[
                ("01/01", "Tết Dương lịch"),
                ("08/02", "Tết, 29 Chạp (5015/TB-LĐTBXH)"),
                ("09/02", "Tết, 30 Chạp"),
                ("12/02", "Tết, mùng 3"),
                ("13/02", "nghỉ bù"),
                ("14/02", "nghỉ bù (5015/TB-LĐTBXH)"),
                ("18/04", "Giỗ Tổ Hùng Vương"),
                ("29/04", "swapped with Saturday 04/05 (2450/VPCP-KGVX)"),
                ("30/04", "Ngày Chiến thắng"),
                ("01/05", "Quốc tế Lao động"),
                ("02/09", "Quốc khánh"),
                ("03/09", "Quốc khánh, adjacent day"),
            ],
            worked: &["04/05"],
            ordinary: &["07/02", "15/02", "02/05", "30/08", "04/09"],
        },
        Year {
            year: 2025,
            off: &[
                ("01/01", "Tết Dương lịch"),
                ("27/01", "Tết, 28 Chạp (6150/TB-BLĐTBXH)"),
                ("28/01", "Tết, 29 Chạp"),
                ("29/01", "Tết, mùng 1"),
                ("30/01", "Tết, mùng 2"),
                ("31/01", "Tết, mùng 3"),
                ("07/04", "Giỗ Tổ Hùng Vương"),
                ("30/04", "Ngày Chiến thắng"),
                ("01/05", "Quốc tế Lao động"),
                ("02/05", "swapped with Saturday 26/04 (6150/TB-BLĐTBXH)"),
                ("01/09", "Quốc khánh, adjacent day"),
                ("02/09", "Quốc khánh"),
            ],
            worked: &["26/04"],
            // 03/02/2025: the law alone would give it as nghỉ bù for mùng 4 on Saturday 01/02.
            ordinary: &["24/01", "03/02", "08/04", "29/04", "05/05", "03/09"],
        },
        Year {
            year: 2026,
            off: &[
                ("01/01", "Tết Dương lịch"),
                ("02/01", "swapped with Saturday 10/01 (12729/VPCP-KGVX)"),
                ("16/02", "Tết, 29 Chạp (9441/TB-BNV)"),
                ("17/02", "Tết, mùng 1"),
                ("18/02", "Tết, mùng 2"),
                ("19/02", "Tết, mùng 3"),
                ("20/02", "Tết, mùng 4"),
                ("27/04", "nghỉ bù: Giỗ Tổ 26/04 is a Sunday"),
                ("30/04", "Ngày Chiến thắng"),
                ("01/05", "Quốc tế Lao động"),
                ("31/08", "swapped with Saturday 22/08 (9441/TB-BNV)"),
                ("01/09", "Quốc khánh, adjacent day"),
                ("02/09", "Quốc khánh"),
            ],
            worked: &["10/01", "22/08"],
            // No swap for 28–29/04/2026; 24/11/2026 is not (yet) a holiday.
            ordinary: &["05/01", "13/02", "23/02", "28/04", "29/04", "28/08", "03/09", "24/11"],
        },
    ];
    let calendar = WorkingCalendar::new(parse_calendar_file(include_str!("../../../config/calendar.toml")).unwrap());
    let on = |year: i32, day_month: &str| crate::domain::dates::parse_date(&format!("{day_month}/{year}")).unwrap();
    for y in &years {
        assert!(calendar.is_confirmed(y.year), "{} is confirmed", y.year);
        let off: Vec<NaiveDate> = y.off.iter().map(|(dm, _)| on(y.year, dm)).collect();
        let worked: Vec<NaiveDate> = y.worked.iter().map(|dm| on(y.year, dm)).collect();
        for (date, (_, why)) in off.iter().zip(y.off) {
            assert!(!is_weekend(*date), "{date} is listed as a weekday");
            assert!(matches!(calendar.day(*date), DayKind::Holiday(_)), "{date} ({why})");
        }
        for date in &worked {
            assert!(is_weekend(*date), "{date} is listed as a weekend day");
            assert!(
                matches!(calendar.day(*date), DayKind::MakeUpWorkday(_)),
                "{date} is làm bù"
            );
        }
        for date in y.ordinary.iter().map(|dm| on(y.year, dm)) {
            assert_eq!(
                calendar.day(date),
                DayKind::Working,
                "{date} is an ordinary working day"
            );
        }
        let mut day = NaiveDate::from_ymd_opt(y.year, 1, 1).unwrap();
        while day.year() == y.year {
            let expected = (!is_weekend(day) && !off.contains(&day)) || worked.contains(&day);
            assert_eq!(calendar.is_working_day(day), expected, "{day}: {:?}", calendar.day(day));
            day = day.succ_opt().unwrap();
        }
        // Every entry of the file names its document.
        for (date, _) in calendar.special_days(y.year) {
            let from_file =
                calendar.file.days_off.contains_key(&date) || calendar.file.working_days.contains_key(&date);
            assert!(!from_file || calendar.source(date).is_some(), "{date} has a source");
        }
    }
    // 2027 is not decided yet: statutory days only, with the law's nghỉ bù.
    assert!(!calendar.is_confirmed(2027));
    assert!(matches!(calendar.day(d(2027, 5, 3)), DayKind::Holiday(n) if n.starts_with("Nghỉ bù")));
    assert!(
        calendar.file.holidays.is_empty(),
        "24/11 is not law yet: the example stays commented out"
    );
}

const CULTURE_DAY: &str = "[[holiday]]\ndate = \"24/11\"\nfrom-year = 2026\nname = \"Ngày Văn hóa Việt Nam\"\n\
                               source = \"Luật số 1/2026/QH15\"\n";

#[test]
fn a_holiday_added_by_law_counts_every_year_from_its_first() {
    let file = parse_calendar_file(CULTURE_DAY).unwrap();
    assert_eq!(
        file.holidays,
        [YearlyHoliday {
            day: 24,
            month: 11,
            from_year: 2026,
            name: "Ngày Văn hóa Việt Nam".into(),
            source: Some("Luật số 1/2026/QH15".into()),
        }]
    );
    let calendar = WorkingCalendar::new(file);
    assert!(calendar.is_working_day(d(2025, 11, 24)), "not before its first year");
    assert_eq!(
        calendar.day(d(2026, 11, 24)),
        DayKind::Holiday("Ngày Văn hóa Việt Nam".into())
    );
    assert_eq!(calendar.source(d(2026, 11, 24)).as_deref(), Some("Luật số 1/2026/QH15"));
    assert_eq!(
        calendar.statutory_holiday(d(2031, 11, 24)).as_deref(),
        Some("Ngày Văn hóa Việt Nam")
    );
    // 24/11/2029 is a Saturday: an unconfirmed year gets Monday 26/11 off, like 30/4 would.
    assert!(!calendar.is_working_day(d(2029, 11, 24)));
    assert_eq!(
        calendar.day(d(2029, 11, 26)),
        DayKind::Holiday("Nghỉ bù Ngày Văn hóa Việt Nam".into())
    );
    assert!(calendar.is_working_day(d(2029, 11, 27)));
    assert!(
        calendar
            .special_days(2029)
            .iter()
            .any(|(date, _)| *date == d(2029, 11, 24))
    );
    // Once 2029 is confirmed, the file says where the nghỉ bù goes.
    let mut file = parse_calendar_file(CULTURE_DAY).unwrap();
    file.confirmed_years.insert(2029);
    assert!(WorkingCalendar::new(file).is_working_day(d(2029, 11, 26)));
    // A holiday of the file that meets a built-in one (10/02/2024 is mùng 1 Tết, a
    // Saturday) is one day off, with one nghỉ bù, not two.
    let tet_day = parse_calendar_file("[[holiday]]\ndate = \"10/02\"\nfrom-year = 2024\nname = \"X\"\n").unwrap();
    assert_eq!(
        built_in_days_off(2024, true, &tet_day.holidays).len(),
        built_in_days_off(2024, true, &[]).len()
    );
}

#[test]
fn holiday_entries_are_checked() {
    let refused = |text: &str| parse_calendar_file(text).unwrap_err().0;
    let holiday = |date: &str| format!("[[holiday]]\ndate = \"{date}\"\nfrom-year = 2026\nname = \"X\"\n");
    assert!(refused(&holiday("24/13")).contains("dòng 2: ngày `24/13` của [[holiday]] cần dạng dd/mm"));
    assert!(
        refused(&holiday("29/02")).contains("cần dạng dd/mm"),
        "not in every year"
    );
    assert!(refused(&holiday("24/11/2026")).contains("cần dạng dd/mm"));
    assert!(refused(&holiday("2/9")).contains("ngày 02/09 đã là ngày lễ có sẵn"));
    let twice = format!("{CULTURE_DAY}{}", holiday("24/11"));
    assert!(
        refused(&twice).contains("dòng 7: [[holiday]] ngày 24/11 đã có"),
        "{}",
        refused(&twice)
    );
    assert!(refused("[[holiday]]\ndate = \"24/11\"\nname = \"X\"\n").contains("from-year"));
    assert!(refused("[[holiday]]\ndate = \"24/11\"\nfrom-year = 2026\nname = \" \"\n").contains("cần tên"));
    assert!(refused("[[holiday]]\ndate = \"24/11\"\nfrom-year = 26\nname = \"X\"\n").contains("from-year = 26"));
    assert!(refused("[[holiday]]\ndate = \"24/11\"\nfrom-year = 2026\nname = \"X\"\nyear = 1\n").contains("year"));
}

#[test]
fn entries_keep_their_source_and_a_date_may_appear_once() {
    let file = parse_calendar_file(
        "[[day-off]]\ndate = \"02/01/2026\"\nname = \"Nghỉ\"\nsource = \" Công văn 12729/VPCP-KGVX ngày 25/12/2025 \"\n\
             [[working-day]]\ndate = \"10/01/2026\"\nname = \"Làm bù\"\n",
    )
    .unwrap();
    let calendar = WorkingCalendar::new(file);
    assert_eq!(
        calendar.source(d(2026, 1, 2)).as_deref(),
        Some("Công văn 12729/VPCP-KGVX ngày 25/12/2025")
    );
    assert_eq!(calendar.source(d(2026, 1, 10)), None, "source is optional");
    assert_eq!(
        calendar.source(d(2026, 1, 1)),
        None,
        "built-in days have none of their own"
    );
    let error = parse_calendar_file(
        "[[day-off]]\ndate = \"02/01/2026\"\nname = \"a\"\n[[day-off]]\ndate = \"2/1/2026\"\nname = \"b\"\n",
    )
    .unwrap_err();
    assert!(error.0.contains("dòng 5: ngày 02/01/2026 đã có ở dòng 2"), "{error}");
    let error = parse_calendar_file(
        "[[day-off]]\ndate = \"10/01/2026\"\nname = \"a\"\n[[working-day]]\ndate = \"10/01/2026\"\nname = \"b\"\n",
    )
    .unwrap_err();
    assert!(error.0.contains("vừa là ngày nghỉ vừa là ngày làm việc"), "{error}");
}

#[test]
fn the_years_to_confirm_are_this_one_and_in_december_the_next() {
    let mut file = CalendarFile::default();
    file.confirmed_years.extend([2026]);
    let calendar = WorkingCalendar::new(file);
    assert!(calendar.years_to_confirm(d(2026, 6, 1)).is_empty());
    assert_eq!(calendar.years_to_confirm(d(2026, 12, 1)), [2027]);
    assert_eq!(calendar.years_to_confirm(d(2027, 1, 2)), [2027]);
    assert_eq!(calendar.years_to_confirm(d(2027, 12, 31)), [2027, 2028]);
    let text = unconfirmed_vi(&[2027, 2028]).unwrap();
    assert!(
        text.starts_with("lịch nghỉ lễ năm 2027 và 2028 chưa được xác nhận"),
        "{text}"
    );
    assert!(text.contains("baocao calendar add 2027 --confirm") && text.contains("systemctl reload baocao"));
    assert_eq!(unconfirmed_vi(&[]), None);
    let short = unconfirmed_short_vi(&[2027]).unwrap();
    assert!(short.starts_with("lịch nghỉ lễ năm 2027 chưa được xác nhận") && short.contains("calendar add 2027"));
}
