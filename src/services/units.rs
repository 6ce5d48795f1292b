//! Units as the clerk reads about them, shared by the CLI and the web page: what a merge did
//! or would do.

use crate::adapters::store::MergeReport;

/// What a merge did (or would do), in Vietnamese, one paragraph per new unit; a preview ends
/// with `how_to_apply` (the CLI's flag, the page's button).
pub fn describe_merge(report: &MergeReport, how_to_apply: &str) -> String {
    let mut text = String::new();
    if !report.applied {
        text.push_str("XEM TRƯỚC (chưa thay đổi gì):\n");
    }
    let verb = |done: &str, will: &str| if report.applied { done } else { will }.to_string();
    for target in &report.targets {
        let olds: Vec<String> = target.olds.iter().map(|o| format!("{} ({})", o.code, o.name)).collect();
        let into = if target.created {
            format!("đơn vị mới {} ({})", target.code, target.name)
        } else {
            format!("{} ({})", target.code, target.name)
        };
        text.push_str(&format!(
            "- {} {} vào {into}\n",
            verb("đã sáp nhập", "sẽ sáp nhập"),
            olds.join(", ")
        ));
        if let Some(before) = &target.renamed_from {
            text.push_str(&format!("  đổi tên: \"{before}\" → \"{}\"\n", target.name));
        }
        if target.reactivated {
            text.push_str("  đơn vị nhận đang ngừng theo dõi: được theo dõi lại\n");
        }
        if !target.addresses_added.is_empty() {
            let addresses: Vec<String> = target.addresses_added.iter().map(|a| a.to_string()).collect();
            text.push_str(&format!("  địa chỉ chuyển sang: {}\n", addresses.join(", ")));
        }
        if !target.groups_added.is_empty() {
            let groups: Vec<String> = target.groups_added.iter().map(|g| g.to_string()).collect();
            text.push_str(&format!("  thêm nhóm: {}\n", groups.join(", ")));
        }
        for request in &target.requests {
            let replaced: Vec<String> = request.replaced.iter().map(|c| c.to_string()).collect();
            let mut line = format!(
                "  yêu cầu {} ({}): {} thay {}",
                request.token,
                if request.active { "đang theo dõi" } else { "nháp" },
                target.code,
                replaced.join(", ")
            );
            if !request.reported_by.is_empty() {
                let by: Vec<String> = request.reported_by.iter().map(|c| c.to_string()).collect();
                line.push_str(&format!("; tính là đã báo cáo (theo báo cáo của {})", by.join(", ")));
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    text.push_str(&if report.applied {
        format!(
            "Các đơn vị cũ đã ngừng theo dõi; yêu cầu đã đóng giữ nguyên hồ sơ của đơn vị cũ ({} đơn vị nhận).\n",
            report.targets.len()
        )
    } else {
        format!("{how_to_apply}\n")
    });
    text
}
