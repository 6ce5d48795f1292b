//! Small charts for the web page, drawn on the server as SVG (no script, no font file, no
//! outside address): the reports a request received day by day against its deadline, and a
//! series' on-time rate per unit group. Numbers and dates go in as they are; a group's name
//! is escaped here, since the page inserts the drawing as markup.

use chrono::NaiveDate;

use super::matrix::GroupRecord;

/// At most this many days are drawn (the last ones), and at least this many.
const MAX_DAYS: i64 = 62;
const MIN_DAYS: i64 = 7;
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 14.0;

/// Reports received per day from `first` to `last` (both included; the last `MAX_DAYS` of
/// them), each day's bar and the running total against `total` units, with the deadline's day
/// marked. `received` holds one date per report, in any order.
pub fn reports_by_day_svg(
    received: &[NaiveDate],
    (first, last): (NaiveDate, NaiveDate),
    deadline: Option<NaiveDate>,
    total: usize,
) -> String {
    let last = last.max(first);
    // At least a week, so that one day is not one wide bar; at most MAX_DAYS, the last ones.
    let first = first
        .min(last - chrono::Duration::days(MIN_DAYS - 1))
        .max(last - chrono::Duration::days(MAX_DAYS - 1));
    let days = (last - first).num_days() + 1;
    let mut per_day = vec![0usize; usize::try_from(days).unwrap_or(0)];
    let mut before = 0usize;
    for day in received {
        match usize::try_from((*day - first).num_days()) {
            Ok(i) if i < per_day.len() => per_day[i] += 1,
            Ok(_) => {}
            Err(_) => before += 1,
        }
    }
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / days as f64;
    let top_count = total.max(1) as f64;
    let y = |count: f64| TOP + plot_h - plot_h * count / top_count;
    let mut svg = String::new();
    let mut running = before;
    let mut line = Vec::new();
    for (i, n) in per_day.iter().enumerate() {
        let x = LEFT + step * i as f64;
        if *n > 0 {
            let h = plot_h * *n as f64 / top_count;
            svg.push_str(&format!(
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#2f7d32"><title>{}: {} báo cáo</title></rect>"##,
                x + step * 0.15,
                TOP + plot_h - h,
                (step * 0.7).max(1.0),
                h,
                (first + chrono::Duration::days(i as i64)).format("%d/%m/%Y"),
                n
            ));
        }
        running += n;
        line.push(format!("{:.1},{:.1}", x + step / 2.0, y(running as f64)));
    }
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width:{WIDTH}px" role="img" aria-labelledby="chart-title"><title id="chart-title">Báo cáo nhận được theo ngày, từ {} đến {}: tổng cộng {running}/{total} đơn vị</title>"##,
        first.format("%d/%m/%Y"),
        last.format("%d/%m/%Y"),
    );
    // Axes, the total as a dashed line, the running total, each day's bar.
    out.push_str(&format!(
        r##"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#52606d"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{0:.1}" stroke="#52606d"/>"##,
        TOP + plot_h,
        WIDTH - 8.0
    ));
    out.push_str(&format!(
        r##"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#9aa5b1" stroke-dasharray="4 3"/><text x="4" y="{2:.1}" font-size="11" fill="#1f2933">{total}</text><text x="4" y="{3:.1}" font-size="11" fill="#1f2933">0</text>"##,
        y(top_count),
        WIDTH - 8.0,
        y(top_count) + 4.0,
        TOP + plot_h + 4.0
    ));
    out.push_str(&svg);
    out.push_str(&format!(
        r##"<polyline points="{}" fill="none" stroke="#1f4e79" stroke-width="2"/>"##,
        line.join(" ")
    ));
    if let Some(deadline) = deadline.filter(|d| *d >= first && *d <= last) {
        let x = LEFT + step * ((deadline - first).num_days() as f64 + 1.0);
        out.push_str(&format!(
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{0:.1}" stroke="#c53030" stroke-width="2" stroke-dasharray="5 3"/><text x="{1:.1}" y="{2:.1}" font-size="11" fill="#c53030" text-anchor="end">Hạn {3}</text>"##,
            TOP + plot_h,
            x - 3.0,
            TOP + 10.0,
            deadline.format("%d/%m")
        ));
    }
    out.push_str(&format!(
        r##"<text x="{LEFT}" y="{0:.1}" font-size="11" fill="#1f2933">{1}</text><text x="{2:.1}" y="{0:.1}" font-size="11" fill="#1f2933" text-anchor="end">{3}</text></svg>"##,
        HEIGHT - 8.0,
        first.format("%d/%m/%Y"),
        WIDTH - 8.0,
        last.format("%d/%m/%Y")
    ));
    out
}

/// `text` safe inside SVG markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar per unit group: the share of its reports that came on time (of those due: on time,
/// late or missing past the deadline), with the counts; a group with nothing due yet says so.
pub fn on_time_by_group_svg(groups: &[GroupRecord]) -> String {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 250.0;
    const BAR: f64 = 280.0;
    let height = ROW * groups.len() as f64 + 8.0;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" role="img" aria-labelledby="groups-title"><title id="groups-title">Tỉ lệ báo cáo đúng hạn theo nhóm đơn vị</title>"##
    );
    for (i, g) in groups.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let name = escape(&g.group);
        out.push_str(&format!(
            r##"<text x="{0:.1}" y="{1:.1}" font-size="12" fill="#1f2933" text-anchor="end">{name}</text><rect x="{2:.1}" y="{3:.1}" width="{BAR}" height="16" fill="#e4e7eb"/>"##,
            LABEL - 6.0,
            y + 13.0,
            LABEL,
            y + 2.0
        ));
        let said = match g.on_time_percent() {
            Some(percent) => {
                out.push_str(&format!(
                    r##"<rect x="{LABEL}" y="{0:.1}" width="{1:.1}" height="16" fill="#2f7d32"/>"##,
                    y + 2.0,
                    BAR * percent as f64 / 100.0
                ));
                format!(
                    "{percent}% đúng hạn ({}/{}; muộn {}, quá hạn {})",
                    g.on_time,
                    g.due(),
                    g.late,
                    g.overdue
                )
            }
            None => "chưa đến hạn kỳ nào".to_string(),
        };
        out.push_str(&format!(
            r##"<text x="{0:.1}" y="{1:.1}" font-size="12" fill="#1f2933">{said}</text>"##,
            LABEL + BAR + 6.0,
            y + 13.0
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, m, d).unwrap()
    }

    #[test]
    fn each_day_gets_its_bar_and_the_line_ends_at_the_running_total() {
        let received = [day(3, 12), day(3, 12), day(5, 12), day(28, 11)];
        let svg = reports_by_day_svg(&received, (day(1, 12), day(7, 12)), Some(day(5, 12)), 23);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 2, "two days had reports: {svg}");
        assert!(svg.contains("<title>03/12/2030: 2 báo cáo</title>"), "{svg}");
        assert!(svg.contains("<title>05/12/2030: 1 báo cáo</title>"), "{svg}");
        // The report before the first day counts in the running total from the start.
        assert!(svg.contains("tổng cộng 4/23 đơn vị"), "{svg}");
        assert!(svg.contains("Hạn 05/12"), "{svg}");
        let points = svg.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(points.split(' ').count(), 7, "one point a day: {points}");
        // One day asked for: the week up to it is drawn.
        let svg = reports_by_day_svg(&[day(7, 12)], (day(7, 12), day(7, 12)), None, 3);
        assert!(svg.contains("từ 01/12/2030 đến 07/12/2030"), "{svg}");
    }

    #[test]
    fn a_long_request_shows_its_last_days_and_a_deadline_outside_them_is_not_drawn() {
        let svg = reports_by_day_svg(&[day(2, 1)], (day(1, 1), day(31, 12)), Some(day(2, 1)), 5);
        assert!(svg.contains("từ 31/10/2030 đến 31/12/2030"), "{svg}");
        assert!(!svg.contains("Hạn "), "{svg}");
        assert!(svg.contains("tổng cộng 1/5"), "the early report still counts: {svg}");
    }

    #[test]
    fn each_group_gets_its_on_time_share_and_a_name_cannot_inject_markup() {
        let record = |group: &str, on_time, late, overdue| GroupRecord {
            group: group.to_string(),
            on_time,
            late,
            overdue,
        };
        let svg = on_time_by_group_svg(&[record("Phòng GD&ĐT <huyện>", 6, 1, 1), record("Trường THPT", 0, 0, 0)]);
        assert!(svg.contains("Phòng GD&amp;ĐT &lt;huyện&gt;"), "{svg}");
        assert!(!svg.contains("<huyện>"), "{svg}");
        assert!(svg.contains("75% đúng hạn (6/8; muộn 1, quá hạn 1)"), "{svg}");
        assert!(svg.contains("chưa đến hạn kỳ nào"), "{svg}");
        assert_eq!(svg.matches("fill=\"#2f7d32\"").count(), 1, "one filled bar: {svg}");
    }
}
