use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Asia::Ho_Chi_Minh;

use super::mention::mentions;
use super::*;
use crate::domain::calendar::{CalendarFile, WorkingCalendar};

fn date(d: u32, m: u32, y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn period(kind: PeriodKind, year: i32, index: u8) -> Period {
    Period::new(kind, year, index).unwrap()
}

fn calendar() -> WorkingCalendar {
    WorkingCalendar::new(CalendarFile::default())
}

fn schedule(kind: PeriodKind, rule: &str) -> Schedule {
    Schedule {
        kind,
        cut_off: CutOff::default(),
        deadline: DeadlineSpec::parse(rule, OnDayOff::NextWorkingDay).unwrap(),
        school: SchoolDates::default(),
        lead_days: 15,
    }
}

fn local(instant: chrono::DateTime<chrono::Utc>) -> String {
    instant.with_timezone(&Ho_Chi_Minh).format("%d/%m/%Y %H:%M").to_string()
}

#[test]
fn labels_and_keys_are_what_a_cong_van_writes() {
    let cases = [
        (period(PeriodKind::Month, 2026, 11), "Tháng 11/2026", "2026-11"),
        (period(PeriodKind::Quarter, 2026, 4), "Quý IV/2026", "2026-Q4"),
        (period(PeriodKind::HalfYear, 2026, 1), "6 tháng đầu năm 2026", "2026-H1"),
        (
            period(PeriodKind::NineMonths, 2026, 1),
            "9 tháng đầu năm 2026",
            "2026-9T",
        ),
        (period(PeriodKind::Year, 2026, 1), "Năm 2026", "2026"),
        (
            period(PeriodKind::SchoolYear, 2026, 2),
            "Học kỳ I năm học 2026–2027",
            "2026-2027-HK1",
        ),
        (
            period(PeriodKind::SchoolYear, 2026, 3),
            "Cuối năm học 2026–2027",
            "2026-2027-CN",
        ),
    ];
    for (p, label, key) in cases {
        assert_eq!(p.label_vi(), label);
        assert_eq!(p.key(), key);
        assert_eq!(Period::parse(p.kind, key), Some(p), "{key}");
        assert_eq!(Period::parse(p.kind, label), Some(p), "{label}");
    }
    assert_eq!(
        Period::parse(PeriodKind::Month, "11/2026"),
        Some(period(PeriodKind::Month, 2026, 11))
    );
    assert_eq!(Period::parse(PeriodKind::Quarter, "Q5/2026"), None);
    assert_eq!(Period::new(PeriodKind::Month, 2026, 13), None);
}

#[test]
fn periods_follow_each_other_across_years() {
    assert_eq!(
        period(PeriodKind::Month, 2026, 12).next(),
        period(PeriodKind::Month, 2027, 1)
    );
    assert_eq!(
        period(PeriodKind::Quarter, 2026, 4).next(),
        period(PeriodKind::Quarter, 2027, 1)
    );
    assert_eq!(
        period(PeriodKind::HalfYear, 2026, 1).next(),
        period(PeriodKind::HalfYear, 2027, 1)
    );
    assert_eq!(
        period(PeriodKind::SchoolYear, 2026, 3).next(),
        period(PeriodKind::SchoolYear, 2027, 1)
    );
    assert!(period(PeriodKind::Month, 2026, 12) < period(PeriodKind::Month, 2027, 1));
}

#[test]
fn data_cut_off_is_that_of_nghi_dinh_09_2019() {
    let school = SchoolDates::default();
    let nd09 = CutOff::default();
    // Điều 12: tháng từ 15 tháng trước đến 14; quý, 6 tháng, 9 tháng, năm from 15/12 before.
    assert_eq!(
        data_span(period(PeriodKind::Month, 2026, 1), nd09, &school),
        (date(15, 12, 2025), date(14, 1, 2026))
    );
    assert_eq!(
        data_span(period(PeriodKind::Quarter, 2026, 4), nd09, &school),
        (date(15, 9, 2026), date(14, 12, 2026))
    );
    assert_eq!(
        data_span(period(PeriodKind::HalfYear, 2026, 1), nd09, &school),
        (date(15, 12, 2025), date(14, 6, 2026))
    );
    assert_eq!(
        data_span(period(PeriodKind::NineMonths, 2026, 1), nd09, &school),
        (date(15, 12, 2025), date(14, 9, 2026))
    );
    assert_eq!(
        data_span(period(PeriodKind::Year, 2026, 1), nd09, &school),
        (date(15, 12, 2025), date(14, 12, 2026))
    );
    let calendar_end = CutOff::EndOfPeriod;
    assert_eq!(
        data_span(period(PeriodKind::Month, 2028, 2), calendar_end, &school),
        (date(1, 2, 2028), date(29, 2, 2028))
    );
    assert_eq!(
        data_span(period(PeriodKind::Quarter, 2026, 2), calendar_end, &school),
        (date(1, 4, 2026), date(30, 6, 2026))
    );
    assert_eq!(
        data_span(period(PeriodKind::SchoolYear, 2026, 2), nd09, &school),
        (date(1, 9, 2026), date(15, 1, 2027))
    );
    assert_eq!(CutOff::parse("cuối kỳ"), Some(CutOff::EndOfPeriod));
    assert_eq!(CutOff::parse("20"), Some(CutOff::DayOfLastMonth(20)));
    assert_eq!(CutOff::parse("32"), None);
}

#[test]
fn deadline_rules_are_read_as_directives_write_them() {
    let read = |text: &str| DeadlineSpec::parse(text, OnDayOff::NextWorkingDay);
    assert_eq!(
        read("ngày 15 của tháng cuối kỳ").unwrap().rule,
        DeadlineRule::DayOfLastMonth(15)
    );
    assert_eq!(
        read("chậm nhất ngày 05 tháng sau kỳ báo cáo").unwrap().rule,
        DeadlineRule::DayOfNextMonth(5)
    );
    assert_eq!(
        read("ngay 20 thang cuoi quy").unwrap().rule,
        DeadlineRule::DayOfLastMonth(20)
    );
    let with_hour = read("trước 17h00 ngày 5 tháng sau kỳ").unwrap();
    assert_eq!(with_hour.rule, DeadlineRule::DayOfNextMonth(5));
    assert_eq!(with_hour.at, NaiveTime::from_hms_opt(17, 0, 0));
    let after = read("ngày 5 của tháng tiếp theo, trước 16 giờ").unwrap();
    assert_eq!(after.at, NaiveTime::from_hms_opt(16, 0, 0));
    assert_eq!(
        read("03 ngày làm việc sau ngày chốt số liệu").unwrap().rule,
        DeadlineRule::WorkingDaysAfterCutOff(3)
    );
    // "tháng đầu quý sau", "tháng đầu của kỳ tiếp theo": the month after the period.
    assert_eq!(
        read("chậm nhất ngày 05 của tháng đầu quý sau").unwrap().rule,
        DeadlineRule::DayOfNextMonth(5)
    );
    assert_eq!(
        read("ngày 10 tháng đầu của kỳ tiếp theo").unwrap().rule,
        DeadlineRule::DayOfNextMonth(10)
    );
    assert_eq!(read("ngày 5 hằng tháng").unwrap().rule, DeadlineRule::DayAfterCutOff(5));
    assert_eq!(
        read("trước 17 giờ ngày 20 hàng tháng").unwrap().rule,
        DeadlineRule::DayAfterCutOff(20)
    );
    for bad in [
        "ngày 32 tháng cuối kỳ",
        "hằng tháng",
        "ngày 5",
        "",
        "ngày 5 tháng 12",
        "ngày 5 tháng đầu quý",
        "ngày 40 hằng tháng",
    ] {
        let error = read(bad).unwrap_err();
        assert!(error.contains("ngày 15 tháng cuối kỳ"), "{bad}: {error}");
    }
}

#[test]
fn a_deadline_on_a_day_off_moves_as_the_series_says() {
    // 15/11/2026 is a Sunday.
    let mut s = schedule(PeriodKind::Month, "ngày 15 tháng cuối kỳ");
    let november = period(PeriodKind::Month, 2026, 11);
    let next = s.instance(november, &calendar(), Ho_Chi_Minh);
    assert_eq!(next.rule_date, date(15, 11, 2026));
    assert_eq!(local(next.deadline), "16/11/2026 23:59");
    assert!(next.moved.as_deref().unwrap().contains("Điều 148"), "{:?}", next.moved);
    assert_eq!(next.wording, "chậm nhất ngày 16/11/2026");
    s.deadline.on_day_off = OnDayOff::PreviousWorkingDay;
    assert_eq!(
        local(s.instance(november, &calendar(), Ho_Chi_Minh).deadline),
        "13/11/2026 23:59"
    );
    s.deadline.on_day_off = OnDayOff::Keep;
    let kept = s.instance(november, &calendar(), Ho_Chi_Minh);
    assert_eq!(local(kept.deadline), "15/11/2026 23:59");
    assert!(kept.moved.unwrap().contains("giữ nguyên"));
    // 2/9/2026 (Wednesday) is Quốc khánh: a quarterly report due on day 2 of the month after Q2? No:
    // day 2 of the last month of Q3.
    let q3 = schedule(PeriodKind::Quarter, "trước 17h00 ngày 2 tháng cuối kỳ");
    let instance = q3.instance(period(PeriodKind::Quarter, 2026, 3), &calendar(), Ho_Chi_Minh);
    assert_eq!(instance.rule_date, date(2, 9, 2026));
    assert_ne!(local(instance.deadline), "02/09/2026 17:00");
    assert!(instance.moved.is_some());
}

#[test]
fn a_short_month_takes_its_last_day_and_says_so() {
    let s = schedule(PeriodKind::Month, "ngày 31 tháng cuối kỳ");
    let april = s.instance(period(PeriodKind::Month, 2026, 4), &calendar(), Ho_Chi_Minh);
    assert_eq!(april.rule_date, date(30, 4, 2026));
    assert!(april.moved.unwrap().contains("không có ngày 31"));
}

#[test]
fn working_days_after_the_cut_off_skip_days_off() {
    // Quý IV/2026 data to 14/12/2026 (Monday); 3 working days: 15, 16, 17/12.
    let s = schedule(PeriodKind::Quarter, "3 ngày làm việc sau ngày chốt số liệu");
    let q4 = s.instance(period(PeriodKind::Quarter, 2026, 4), &calendar(), Ho_Chi_Minh);
    assert_eq!(q4.rule_date, date(17, 12, 2026));
    // Tháng 4/2026: data to 14/4 (Tuesday); 15, 16, 17/4 → 17/4 (Friday).
    let m = schedule(PeriodKind::Month, "3 ngày làm việc sau ngày chốt số liệu");
    assert_eq!(
        m.instance(period(PeriodKind::Month, 2026, 4), &calendar(), Ho_Chi_Minh)
            .rule_date,
        date(17, 4, 2026)
    );
}

#[test]
fn a_year_plan_lists_the_instances_due_that_year() {
    let monthly = schedule(PeriodKind::Month, "ngày 5 tháng sau kỳ");
    let first = period(PeriodKind::Month, 2020, 1);
    let plan = monthly.year_plan(2027, first, &calendar(), Ho_Chi_Minh);
    // The periods of 2027, whenever they are due: January (05/02/2027) to December (05/01/2028).
    assert_eq!(plan.len(), 12);
    assert_eq!(plan[0].period, period(PeriodKind::Month, 2027, 1));
    assert_eq!(plan[11].period, period(PeriodKind::Month, 2027, 12));
    assert_eq!(
        plan[11]
            .deadline
            .with_timezone(&Ho_Chi_Minh)
            .format("%d/%m/%Y")
            .to_string(),
        "05/01/2028"
    );
    let quarterly = schedule(PeriodKind::Quarter, "ngày 15 tháng cuối kỳ");
    let plan = quarterly.year_plan(2027, period(PeriodKind::Quarter, 2027, 2), &calendar(), Ho_Chi_Minh);
    let keys: Vec<&str> = plan.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["2027-Q2", "2027-Q3", "2027-Q4"]);
}

#[test]
fn due_periods_after_downtime_are_each_listed_once() {
    let monthly = schedule(PeriodKind::Month, "ngày 5 tháng sau kỳ");
    let first = period(PeriodKind::Month, 2026, 9);
    let now = Ho_Chi_Minh.with_ymd_and_hms(2026, 12, 25, 9, 0, 0).unwrap().to_utc();
    let due = monthly.due_periods(first, None, now, &calendar(), Ho_Chi_Minh);
    let keys: Vec<&str> = due.iter().map(|i| i.key.as_str()).collect();
    // December's report is due 05/01/2027, created 15 days before: 21/12/2026.
    assert_eq!(keys, ["2026-09", "2026-10", "2026-11", "2026-12"]);
    let after = monthly.due_periods(
        first,
        Some(period(PeriodKind::Month, 2026, 12)),
        now,
        &calendar(),
        Ho_Chi_Minh,
    );
    assert!(after.is_empty());
    let first_open = monthly.first_open_period(now, &calendar(), Ho_Chi_Minh);
    assert_eq!(first_open, period(PeriodKind::Month, 2026, 12));
}

#[test]
fn a_period_with_no_working_day_left_is_created_with_a_warning() {
    let mut s = schedule(PeriodKind::Month, "ngày 1 tháng sau kỳ");
    s.lead_days = 1;
    s.deadline.on_day_off = OnDayOff::Keep;
    // Due 01/05/2026 (holiday), created 30/04/2026 (holiday): no working day in between.
    let instance = s.instance(period(PeriodKind::Month, 2026, 4), &calendar(), Ho_Chi_Minh);
    assert!(instance.warning.unwrap().contains("không còn ngày làm việc"));
    let normal = schedule(PeriodKind::Month, "ngày 5 tháng sau kỳ");
    assert!(
        normal
            .instance(period(PeriodKind::Month, 2026, 4), &calendar(), Ho_Chi_Minh)
            .warning
            .is_none()
    );
}

fn named(text: &str) -> Vec<(PeriodKind, u8, Option<i32>)> {
    mentions(text).into_iter().map(|m| (m.kind, m.index, m.year)).collect()
}

#[test]
fn quarters_are_read_in_every_spelling() {
    use PeriodKind::Quarter;
    for (text, index, year) in [
        ("Báo cáo quý 4", 4, None),
        ("Báo cáo quý IV năm 2026", 4, Some(2026)),
        ("bao cao quy iv/2026", 4, Some(2026)),
        ("BC QIV", 4, None),
        ("Q4/2026 - Phòng GD&ĐT", 4, Some(2026)),
        ("BaoCao_Q3_2026.xlsx", 3, Some(2026)),
        ("quý I/26", 1, Some(2026)),
        ("Quy4.2026", 4, Some(2026)),
        ("QUÝ II", 2, None),
    ] {
        assert_eq!(named(text), [(Quarter, index, year)], "{text}");
    }
}

#[test]
fn months_are_read_but_dates_are_not() {
    use PeriodKind::Month;
    for (text, index, year) in [
        ("Báo cáo tháng 11/2026", 11, Some(2026)),
        ("bao cao thang 11 nam 2026", 11, Some(2026)),
        ("BC T11", 11, None),
        ("BC_T11_2026.docx", 11, Some(2026)),
        ("Báo cáo T.9", 9, None),
        ("báo cáo tháng 01", 1, None),
    ] {
        assert_eq!(named(text), [(Month, index, year)], "{text}");
    }
    for text in [
        "Điện Biên, ngày 27 tháng 12 năm 2022",
        "gửi trước ngày 15/11/2026",
        "Hà Nội, ngày    tháng 5 năm 2024",
        "họp ngày 5 tháng 11",
        "15 tháng 11 năm 2026",
        "Công văn số 4189/KH-BCĐ",
        "Trường THCS số 2, tổ 4",
    ] {
        assert_eq!(named(text), [], "{text}");
    }
}

#[test]
fn half_years_nine_months_years_and_school_terms_are_read() {
    use PeriodKind::*;
    assert_eq!(named("Báo cáo 6 tháng đầu năm 2026"), [(HalfYear, 1, Some(2026))]);
    assert_eq!(named("bao cao 6 thang dau nam"), [(HalfYear, 1, None)]);
    assert_eq!(named("Báo cáo sáu tháng đầu năm"), [(HalfYear, 1, None)]);
    assert_eq!(named("báo cáo 6 tháng cuối năm 2026"), [(HalfYear, 2, Some(2026))]);
    assert_eq!(named("BC 6 tháng năm 2026"), [(HalfYear, 1, Some(2026))]);
    assert_eq!(named("Báo cáo 9 tháng"), [(NineMonths, 1, None)]);
    assert_eq!(named("Báo cáo năm 2026"), [(Year, 1, Some(2026))]);
    assert_eq!(named("tổng kết năm 2026"), [(Year, 1, Some(2026))]);
    assert_eq!(named("HK1"), [(SchoolYear, 2, None)]);
    assert_eq!(
        named("báo cáo học kì I năm học 2026-2027"),
        [(SchoolYear, 2, Some(2026))]
    );
    assert_eq!(
        named("Bao cao hoc ky 1 nam hoc 2026 - 2027"),
        [(SchoolYear, 2, Some(2026))]
    );
    assert_eq!(named("Báo cáo HK II"), [(SchoolYear, 3, None)]);
    assert_eq!(named("Báo cáo đầu năm học 2026–2027"), [(SchoolYear, 1, Some(2026))]);
    assert_eq!(
        named("Báo cáo tổng kết năm học 2025-2026"),
        [(SchoolYear, 3, Some(2025))]
    );
    assert_eq!(named("Báo cáo cuối năm học"), [(SchoolYear, 3, None)]);
}

#[test]
fn several_periods_are_all_listed_once() {
    use PeriodKind::Month;
    assert_eq!(
        named("Gửi báo cáo T10 và T11/2026; T10 gửi bổ sung"),
        [(Month, 10, None), (Month, 11, Some(2026))]
    );
    assert_eq!(
        named("Báo cáo quý 3 (tháng 9)"),
        [(PeriodKind::Quarter, 3, None), (Month, 9, None)]
    );
}

#[test]
fn a_period_without_its_year_is_the_latest_one_begun() {
    let school = SchoolDates::default();
    let q4 = &mentions("quý 4")[0];
    assert_eq!(
        q4.period(date(5, 1, 2027), &school),
        Some(period(PeriodKind::Quarter, 2026, 4))
    );
    assert_eq!(
        q4.period(date(20, 12, 2026), &school),
        Some(period(PeriodKind::Quarter, 2026, 4))
    );
    let t1 = &mentions("T1")[0];
    assert_eq!(
        t1.period(date(25, 1, 2027), &school),
        Some(period(PeriodKind::Month, 2027, 1))
    );
    let hk1 = &mentions("HK1")[0];
    assert_eq!(
        hk1.period(date(10, 1, 2027), &school),
        Some(period(PeriodKind::SchoolYear, 2026, 2))
    );
    let with_year = &mentions("Q2/2025")[0];
    assert_eq!(
        with_year.period(date(10, 1, 2027), &school),
        Some(period(PeriodKind::Quarter, 2025, 2))
    );
}

#[test]
fn kinds_are_read_from_what_a_clerk_types() {
    assert_eq!(PeriodKind::parse("tháng"), Some(PeriodKind::Month));
    assert_eq!(PeriodKind::parse("Quý"), Some(PeriodKind::Quarter));
    assert_eq!(PeriodKind::parse("6 tháng"), Some(PeriodKind::HalfYear));
    assert_eq!(PeriodKind::parse("năm học"), Some(PeriodKind::SchoolYear));
    assert_eq!(PeriodKind::parse("tuần"), None);
    for kind in PeriodKind::ALL {
        assert_eq!(PeriodKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn bare_abbreviations_need_a_year_or_a_report_word_and_school_terms_take_calendar_years() {
    use PeriodKind::*;
    assert_eq!(named("Trường THCS Quận 3 (Q3)"), []);
    assert_eq!(named("sáng T2 em gửi"), []);
    assert_eq!(named("Bieu mau T1.xlsx"), []);
    assert_eq!(named("T11.xlsx"), [(Month, 11, None)]);
    assert_eq!(named("BC T11"), [(Month, 11, None)]);
    assert_eq!(named("Q1_2027.xlsx"), [(Quarter, 1, Some(2027))]);
    assert_eq!(named("BaoCao_2027_Q1.xlsx"), [(Quarter, 1, Some(2027))]);
    assert_eq!(named("BC 2027 T11"), [(Month, 11, Some(2027))]);
    assert!(mentions("BC Q4")[0].weak);
    assert!(!mentions("quý 4")[0].weak);
    assert_eq!(named("Báo cáo quí IV"), [(Quarter, 4, None)]);
    assert_eq!(named("BC_thang11_2026.xlsx"), [(Month, 11, Some(2026))]);
    assert_eq!(named("BC 6T 2026"), [(HalfYear, 1, Some(2026))]);
    assert_eq!(named("Báo cáo quý 4 - 12 trường"), [(Quarter, 4, None)]);
    let school = SchoolDates::default();
    let hk1 = &mentions("Báo cáo HK1/2027")[0];
    assert_eq!(hk1.period(date(3, 2, 2027), &school), Some(period(SchoolYear, 2026, 2)));
    let end = &mentions("Báo cáo tổng kết năm học 2026-2027")[0];
    assert_eq!(
        end.period(date(10, 6, 2027), &school),
        Some(period(SchoolYear, 2026, 3))
    );
    let start = &mentions("Báo cáo đầu năm học 2026")[0];
    assert_eq!(
        start.period(date(10, 10, 2026), &school),
        Some(period(SchoolYear, 2026, 1))
    );
}

#[test]
fn before_the_day_means_by_the_end_of_the_day_before() {
    // "trước ngày 20 tháng cuối quý": by the end of 19/12/2026 (a Saturday: moved on to Monday 21/12).
    let s = schedule(PeriodKind::Quarter, "trước ngày 20 tháng cuối quý");
    assert!(s.deadline.before_day);
    assert!(
        s.deadline.describe_vi().contains("hết ngày hôm trước"),
        "{}",
        s.deadline.describe_vi()
    );
    let q4 = s.instance(period(PeriodKind::Quarter, 2026, 4), &calendar(), Ho_Chi_Minh);
    assert_eq!(q4.rule_date, date(19, 12, 2026));
    assert_eq!(local(q4.deadline), "21/12/2026 23:59");
    // 20/03/2027 is a Saturday too; 19/03 a Friday: "trước ngày 20/03/2027" as written.
    let q1 = s.instance(period(PeriodKind::Quarter, 2027, 1), &calendar(), Ho_Chi_Minh);
    assert_eq!(local(q1.deadline), "19/03/2027 23:59");
    assert_eq!(q1.wording, "trước ngày 20/03/2027");
    // With an hour it is that day at that hour.
    let timed = schedule(PeriodKind::Quarter, "trước 17h00 ngày 20 tháng cuối quý");
    assert!(!timed.deadline.before_day);
}

#[test]
fn a_cut_off_late_in_the_month_leaves_no_gap_nor_overlap() {
    let school = SchoolDates::default();
    let cut = CutOff::DayOfLastMonth(31);
    let november = data_span(period(PeriodKind::Month, 2026, 11), cut, &school);
    let december = data_span(period(PeriodKind::Month, 2026, 12), cut, &school);
    assert_eq!(november, (date(1, 11, 2026), date(30, 11, 2026)));
    assert_eq!(december.0, date(1, 12, 2026));
    let march = data_span(period(PeriodKind::Month, 2027, 3), CutOff::DayOfLastMonth(30), &school);
    assert_eq!(march.0, date(1, 3, 2027), "the day after 28/02");
    assert!(cut.describe_vi().contains("sau ngày chốt của kỳ trước"));
}

#[test]
fn day_n_every_month_is_the_first_day_n_after_the_cut_off() {
    // Cut off on the 14th (Nghị định 09/2019): the 20th is in the same month, the 5th in the next.
    let on_20 = schedule(PeriodKind::Month, "ngày 20 hằng tháng");
    let november = period(PeriodKind::Month, 2026, 11);
    assert_eq!(
        on_20.instance(november, &calendar(), Ho_Chi_Minh).rule_date,
        date(20, 11, 2026)
    );
    let on_5 = schedule(PeriodKind::Month, "chậm nhất ngày 5 hằng tháng");
    assert_eq!(
        on_5.instance(november, &calendar(), Ho_Chi_Minh).rule_date,
        date(5, 12, 2026)
    );
    // Cut off at the end of the month: the 20th is in the next month too.
    let mut end = schedule(PeriodKind::Month, "ngày 20 hằng tháng");
    end.cut_off = CutOff::EndOfPeriod;
    assert_eq!(
        end.instance(november, &calendar(), Ho_Chi_Minh).rule_date,
        date(20, 12, 2026)
    );
    // A quarter cut off on 14/12: day 5 "hằng quý" is 05/01 of the next year.
    let quarter = schedule(PeriodKind::Quarter, "ngày 5 hằng quý");
    let q4 = quarter.instance(period(PeriodKind::Quarter, 2026, 4), &calendar(), Ho_Chi_Minh);
    assert_eq!(q4.rule_date, date(5, 1, 2027));
    assert!(
        on_5.deadline
            .describe_vi()
            .contains("ngày 5 đầu tiên sau ngày chốt số liệu")
    );
    // The quarter's "tháng đầu quý sau" is January for Q4.
    let next_quarter = schedule(PeriodKind::Quarter, "ngày 05 của tháng đầu quý sau");
    let q4 = next_quarter.instance(period(PeriodKind::Quarter, 2026, 4), &calendar(), Ho_Chi_Minh);
    assert_eq!(q4.rule_date, date(5, 1, 2027));
}
