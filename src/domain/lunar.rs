//! The Vietnamese lunar calendar (âm lịch), for the holidays that follow it: Tết Nguyên đán
//! and Giỗ Tổ Hùng Vương (10/3 âm lịch).
//!
//! This is Hồ Ngọc Đức's published astronomical algorithm (new moons and the sun's
//! longitude, computed for the UTC+7 meridian, which is what makes the Vietnamese calendar
//! differ from the Chinese one in some years, e.g. Tết 1985 and 2007). Pure code; checked
//! against the official dates in the tests below.

use chrono::{Datelike, NaiveDate};

/// Vietnam's meridian for the calendar: UTC+7.
const TIME_ZONE: f64 = 7.0;

/// The solar date of a lunar date (`leap` for the intercalary month), or `None` when that
/// lunar date does not exist (for example a leap month the year does not have).
pub fn lunar_to_solar(day: u32, month: u32, year: i32, leap: bool) -> Option<NaiveDate> {
    if !(1..=30).contains(&day) || !(1..=12).contains(&month) {
        return None;
    }
    let (a11, b11) = if month < 11 {
        (lunar_month_11(year - 1), lunar_month_11(year))
    } else {
        (lunar_month_11(year), lunar_month_11(year + 1))
    };
    let k = (0.5 + (a11 as f64 - 2415021.076998695) / 29.530588853).floor() as i64;
    let mut offset = month as i64 - 11;
    if offset < 0 {
        offset += 12;
    }
    if b11 - a11 > 365 {
        let leap_offset = leap_month_offset(a11);
        let mut leap_month = leap_offset - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if leap && month as i64 != leap_month {
            return None;
        } else if leap || offset >= leap_offset {
            offset += 1;
        }
    } else if leap {
        return None;
    }
    let month_start = new_moon_day(k + offset);
    let next_month_start = new_moon_day(k + offset + 1);
    if month_start + day as i64 > next_month_start {
        // Day 30 of a 29-day month.
        return None;
    }
    date_from_jdn(month_start + day as i64 - 1)
}

/// The first day of the lunar year that begins in solar year `year` (mùng 1 Tết).
pub fn tet(year: i32) -> Option<NaiveDate> {
    lunar_to_solar(1, 1, year, false)
}

/// Giỗ Tổ Hùng Vương, 10/3 âm lịch, of solar year `year`.
pub fn hung_kings_day(year: i32) -> Option<NaiveDate> {
    lunar_to_solar(10, 3, year, false)
}

fn jdn_from_date(date: NaiveDate) -> i64 {
    // Julian day number of 2000-01-01 is 2451545.
    i64::from(date.num_days_from_ce()) + 1_721_425
}

fn date_from_jdn(jdn: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(jdn - 1_721_425).ok()?)
}

/// The Julian day (fractional) of the k-th new moon after 1900-01-01.
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = std::f64::consts::PI / 180.0;
    let mut jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3;
    jd1 += 0.00033 * ((166.56 + 132.87 * t - 0.009173 * t2) * dr).sin();
    let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3;
    let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3;
    let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3;
    let mut c1 = (0.1734 - 0.000393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    } else {
        -0.000278 + 0.000265 * t + 0.000262 * t2
    };
    jd1 + c1 - delta_t
}

/// The sun's longitude in radians, normalised to [0, 2π), at Julian day `jdn`.
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2451545.0) / 36525.0;
    let t2 = t * t;
    let dr = std::f64::consts::PI / 180.0;
    let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
    let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
    let mut dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * (dr * m).sin();
    dl += (0.019993 - 0.000101 * t) * (dr * 2.0 * m).sin() + 0.000290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    let two_pi = std::f64::consts::PI * 2.0;
    l - two_pi * (l / two_pi).floor()
}

/// Which of the 12 sectors (major solar terms) the sun is in at the start of a local day.
fn sun_sector(day_number: i64) -> i64 {
    (sun_longitude(day_number as f64 - 0.5 - TIME_ZONE / 24.0) / std::f64::consts::PI * 6.0).floor() as i64
}

fn new_moon_day(k: i64) -> i64 {
    (new_moon(k) + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// The day the 11th lunar month (which holds the winter solstice) starts, for solar `year`.
fn lunar_month_11(year: i32) -> i64 {
    let Some(december_31) = NaiveDate::from_ymd_opt(year, 12, 31) else {
        return 0;
    };
    let offset = jdn_from_date(december_31) - 2415021;
    let k = (offset as f64 / 29.530588853).floor() as i64;
    let new_moon = new_moon_day(k);
    if sun_sector(new_moon) >= 9 {
        new_moon_day(k - 1)
    } else {
        new_moon
    }
}

fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - 2415021.076998695) / 29.530588853 + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn tet_matches_the_official_dates() {
        let official = [
            (1985, d(1985, 1, 21)), // differs from the Chinese new year (20/2/1985)
            (2007, d(2007, 2, 17)),
            (2023, d(2023, 1, 22)),
            (2024, d(2024, 2, 10)),
            (2025, d(2025, 1, 29)),
            (2026, d(2026, 2, 17)),
            (2027, d(2027, 2, 6)),
        ];
        for (year, date) in official {
            assert_eq!(tet(year), Some(date), "Tết {year}");
        }
    }

    #[test]
    fn hung_kings_day_matches_the_official_dates() {
        for (year, date) in [
            (2023, d(2023, 4, 29)),
            (2024, d(2024, 4, 18)),
            (2025, d(2025, 4, 7)),
            (2026, d(2026, 4, 26)),
        ] {
            assert_eq!(hung_kings_day(year), Some(date), "Giỗ Tổ {year}");
        }
    }

    #[test]
    fn leap_months_exist_only_in_leap_years() {
        // 2023 had a leap 2nd month (tháng 2 nhuận) starting on 22/3/2023.
        assert_eq!(lunar_to_solar(1, 2, 2023, true), Some(d(2023, 3, 22)));
        assert_eq!(lunar_to_solar(1, 2, 2024, true), None);
        assert_eq!(lunar_to_solar(31, 1, 2024, false), None);
    }
}
