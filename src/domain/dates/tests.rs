use super::*;

const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// Wordings from real công văn and kế hoạch (and what clerks type), and what each becomes.
#[test]
fn deadlines_in_the_forms_directives_and_clerks_write() {
    use DeadlineReading::*;
    let cases = [
        // What clerks type.
        ("31/12/2023", "31/12/2023 lúc 23:59", EndOfDay),
        ("31/12/2023 17:00", "31/12/2023 lúc 17:00", AtTime),
        ("31/12/2023 lúc 17:00", "31/12/2023 lúc 17:00", AtTime),
        ("17h00 ngày 31/12/2023", "31/12/2023 lúc 17:00", AtTime),
        ("17h ngày 31/12/2023", "31/12/2023 lúc 17:00", AtTime),
        ("7g30 ngày 5/1/2024", "05/01/2024 lúc 07:30", AtTime),
        ("2023-12-31T10:00:00Z", "31/12/2023 lúc 17:00", AtTime),
        ("2023-12-31", "31/12/2023 lúc 23:59", EndOfDay),
        ("31.12.2023", "31/12/2023 lúc 23:59", EndOfDay),
        ("31-12-2023", "31/12/2023 lúc 23:59", EndOfDay),
        // Before a time on a day: the time itself.
        ("trước 17h00 ngày 15/01/2024", "15/01/2024 lúc 17:00", AtTime),
        ("Trước 17h00 ngày 15/01/2024", "15/01/2024 lúc 17:00", AtTime),
        ("trước 17 giờ 00 ngày 15/01/2024", "15/01/2024 lúc 17:00", AtTime),
        ("trước 17 giờ ngày 15/01/2024", "15/01/2024 lúc 17:00", AtTime),
        ("17 giờ 00 phút ngày 12/01/2024", "12/01/2024 lúc 17:00", AtTime),
        ("trước 16 giờ 30 phút, ngày 05/6/2024", "05/06/2024 lúc 16:30", AtTime),
        ("16h30, ngày 05/6/2024", "05/06/2024 lúc 16:30", AtTime),
        ("16h30 ngày 05/6/2024.", "05/06/2024 lúc 16:30", AtTime),
        ("trước 10 giờ sáng ngày 20/12/2023", "20/12/2023 lúc 10:00", AtTime),
        ("trước 15 giờ chiều ngày 20/12/2023", "20/12/2023 lúc 15:00", AtTime),
        ("trước 3 giờ chiều ngày 20/12/2023", "20/12/2023 lúc 15:00", AtTime),
        ("trước 4h30 chiều ngày 20/12/2023", "20/12/2023 lúc 16:30", AtTime),
        ("trước 11 giờ trưa ngày 20/12/2023", "20/12/2023 lúc 11:00", AtTime),
        ("trước 8 giờ tối ngày 20/12/2023", "20/12/2023 lúc 20:00", AtTime),
        ("trước 12 giờ đêm ngày 31/12/2023", "31/12/2023 lúc 23:59", AtTime),
        ("trước 11 giờ đêm ngày 31/12/2023", "31/12/2023 lúc 23:00", AtTime),
        ("trước 17:00 ngày 20/12/2023", "20/12/2023 lúc 17:00", AtTime),
        ("ngày 20/12/2023, trước 17h", "20/12/2023 lúc 17:00", AtTime),
        ("trước 17 giờ, thứ Sáu ngày 15/12/2023", "15/12/2023 lúc 17:00", AtTime),
        ("24 giờ ngày 31/12/2023", "31/12/2023 lúc 23:59", AtTime),
        ("hạn chót 17h00 ngày 20/12/2023", "20/12/2023 lúc 17:00", AtTime),
        // By the end of a day.
        ("Đến hết ngày 31/12/2023", "31/12/2023 lúc 23:59", EndOfDay),
        ("chậm nhất ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("chậm nhất vào ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("chậm nhất là ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("chậm nhất là vào ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("hạn chót 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("hạn chót ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("thời hạn báo cáo: ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("ngày 5/6/2024", "05/06/2024 lúc 23:59", EndOfDay),
        ("trong ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("hết ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("đến ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        (
            "gửi về trước thứ Sáu, ngày 15/12/2023",
            "14/12/2023 lúc 23:59",
            BeforeDay,
        ),
        ("ngày 20 tháng 12 năm 2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("chậm nhất ngày 20 tháng 12 năm 2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("thứ Tư, ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        ("Thứ 4 ngày 20/12/2023", "20/12/2023 lúc 23:59", EndOfDay),
        // Before a day: the end of the day before.
        ("trước ngày 31/12/2023", "30/12/2023 lúc 23:59", BeforeDay),
        ("trước ngày 1/1/2024", "31/12/2023 lúc 23:59", BeforeDay),
        ("trước ngày 20 tháng 12 năm 2023", "19/12/2023 lúc 23:59", BeforeDay),
        ("Trước ngày 20/12/2023 (thứ Tư)", "19/12/2023 lúc 23:59", BeforeDay),
        ("gửi trước ngày 01/3/2024", "29/02/2024 lúc 23:59", BeforeDay),
        // Within a month: its last day.
        ("trong tháng 12/2023", "31/12/2023 lúc 23:59", EndOfMonth),
        ("trong tháng 2 năm 2024", "29/02/2024 lúc 23:59", EndOfMonth),
        ("trong tháng 11/2024", "30/11/2024 lúc 23:59", EndOfMonth),
    ];
    assert!(cases.len() >= 40);
    for (input, expected, reading) in cases {
        let parsed = parse_deadline(input, ZONE).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(
            (format_instant(parsed.instant, ZONE), parsed.reading),
            (expected.to_string(), reading),
            "{input}"
        );
    }
}

#[test]
fn the_wording_is_kept_only_when_it_says_more_than_the_instant() {
    assert_eq!(
        deadline_wording("Trước  ngày 31/12/2023."),
        Some("trước ngày 31/12/2023".into())
    );
    assert_eq!(deadline_wording("ngày 5/6/2024"), Some("ngày 5/6/2024".into()));
    assert_eq!(deadline_wording("31/12/2023"), Some("31/12/2023".into()));
    assert_eq!(deadline_wording("31/12/2023 17:00"), None);
    assert_eq!(deadline_wording("17h00 ngày 31/12/2023"), None);
    assert_eq!(deadline_wording("2023-12-31T10:00:00Z"), None);
    assert_eq!(
        deadline_wording("chậm nhất ngày 20/12/2023"),
        Some("chậm nhất ngày 20/12/2023".into())
    );
    assert_eq!(
        deadline_wording("17 giờ 00 ngày 12/01/2024"),
        Some("17 giờ 00 ngày 12/01/2024".into())
    );
}

#[test]
fn periodic_and_unreadable_deadlines_say_why_and_show_three_readable_forms() {
    for (input, why) in [
        ("trước ngày 15/12 hằng năm", "hạn định kỳ"),
        ("định kỳ hằng tháng trước ngày 25", "hạn định kỳ"),
        ("hàng quý, trước ngày 20 của tháng cuối quý", "hạn định kỳ"),
        ("trước ngày 15/12", "thiếu năm"),
        (
            "thứ Sáu, ngày 20/12/2023",
            "ngày 20/12/2023 là thứ Tư, không phải thứ Sáu",
        ),
        ("trước ngày 31/12/2023 17:00", "\"trước ngày\" đi với một ngày"),
        ("trước tháng 12/2023", "ghi rõ ngày"),
        ("sớm nhất có thể", "có chữ không hiểu: `sớm`"),
        ("17h ngày 20/12/2023 hoặc 21/12/2023", "có chữ không hiểu: `hoặc`"),
        ("ngày 20/12/2023 và 21/12/2023", "có chữ không hiểu: `và`"),
        ("13 giờ sáng ngày 20/12/2023", "giờ không hợp lệ"),
        ("trước 2 giờ đêm ngày 20/12/2023", "giờ không hợp lệ"),
        ("ngày 20 tháng 12 năm 23", "năm 23 không hợp lệ"),
        ("31/12/0023", "năm 23 không hợp lệ"),
        ("thứ Hai thứ Ba ngày 18/12/2023", "có hai thứ trong tuần"),
        ("thứ Sáu trong tháng 12/2023", "ghi thứ trong tuần thì ghi cả ngày"),
    ] {
        let error = parse_deadline(input, ZONE).expect_err(input).to_string();
        assert!(error.contains(why), "{input}: {error}");
        assert!(
            error.contains(
                "\"trước 17h00 ngày 15/01/2024\", \"chậm nhất ngày 20/12/2023\", \"trước ngày 20 tháng 12 năm 2023\""
            ),
            "{error}"
        );
    }
}

#[test]
fn a_bare_date_ends_at_the_last_second_of_the_local_day() {
    let parsed = parse_deadline("31/12/2023", ZONE).unwrap();
    assert_eq!(parsed.instant.to_rfc3339(), "2023-12-31T16:59:59+00:00");
}

#[test]
fn impossible_or_unclear_dates_are_refused() {
    for bad in [
        "",
        "31/13/2023",
        "30/02/2024",
        "31/12/23",
        "tomorrow",
        "25:00 ngày 1/1/2024",
        "31/12/2023 17:00 thừa",
        "trước ngày 31/12/2023 17:00",
        "17:61 31/12/2023",
    ] {
        assert!(parse_deadline(bad, ZONE).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn weekends_are_noticed_in_the_office_zone() {
    // 30/12/2023 is a Saturday in Vietnam, while 16:59 UTC is still Saturday there too.
    let saturday = parse_deadline("30/12/2023", ZONE).unwrap().instant;
    assert_eq!(weekend_day(saturday, ZONE), Some(Weekday::Sat));
    // 01/01/2024 00:30 in Vietnam is Monday but still Sunday in UTC.
    let monday = parse_deadline("00:30 ngày 1/1/2024", ZONE).unwrap().instant;
    assert_eq!(weekend_day(monday, ZONE), None);
}
