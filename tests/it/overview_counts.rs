//! The overview counts every active request's units from one grouped query
//! (`Store::active_state_groups`); a request's own page computes each unit's state from its
//! whole facts. Both must agree, on both databases, for units in every state: reported on
//! time (a manual mark), reported late, waiting in review, given a later deadline, overdue,
//! pending, and for requests "để biết", informed (notices sent to an SMTP sink) or not — at
//! several instants.

use chrono::{DateTime, Utc};

use crate::harness::service::ALWAYS_OPEN;
use crate::harness::smtp_sink::SmtpSink;
use crate::harness::{Backend, Env, local_smtp_config};
use crate::on_both_backends;
use baocao::adapters::store::Store;
use baocao::domain::calendar::{CalendarFile, WorkingCalendar};
use baocao::domain::model::RequestState;
use baocao::domain::report::status::{StateCounts, request_status};

on_both_backends!(the_overview_counts_what_each_request_page_shows);

fn message(from: &str, id: &str, subject: &str) -> String {
    format!(
        "From: {from}\nTo: vanphong.sodienbien@moet.edu.vn\nSubject: {subject}\nMessage-ID: <{id}>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n\
         Kính gửi Văn phòng Sở, gửi báo cáo.\n--b\nContent-Type: application/pdf; name=\"bao-cao.pdf\"\n\
         Content-Disposition: attachment; filename=\"bao-cao.pdf\"\nContent-Transfer-Encoding: base64\n\n\
         JVBERi0xLjQKJcOkw7zDtsOf\n--b--\n"
    )
}

fn the_overview_counts_what_each_request_page_shows(backend: Backend) {
    let env = Env::new(backend);
    let sink = SmtpSink::discarding();
    std::fs::write(&env.config, local_smtp_config(sink.port, "none", "", ALWAYS_OPEN)).unwrap();
    // BC-1: seed 000, due 17h00 20/12/2030.
    env.seed_000_request("17h00 ngày 20/12/2030");
    env.baocao(&["mark", "BC-1", "pgd-muongcha", "--note", "nhận bản giấy"])
        .ok();
    let late = env.import_at(
        "late.eml",
        message("pgddt.tuachua@dienbien.edu.vn", "late-1@x", "Báo cáo [BC-1]"),
        "09:00 ngày 22/12/2030",
    );
    assert_eq!(late["state"], "counted", "{late:#}");
    let asks = env.import_at(
        "asks.eml",
        "From: pgddt.dienbien@dienbien.edu.vn\nTo: vanphong.sodienbien@moet.edu.vn\n\
         Subject: [BC-1] Xin gia hạn báo cáo\nMessage-ID: <asks-1@x>\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\nPhòng xin gia hạn nộp báo cáo.\n",
        "09:30 ngày 19/12/2030",
    );
    assert_eq!(asks["state"], "review", "{asks:#}");
    env.baocao(&[
        "request",
        "extend",
        "BC-1",
        "--until",
        "17h00 ngày 10/01/2031",
        "--unit",
        "pgd-tuangiao",
    ])
    .ok();
    // BC-2: "để biết" to one group, its notices sent; BC-3 the same, not yet sent; BC-4: a
    // draft, not in the overview.
    for code in ["15/TB-SGDĐT", "17/TB-SGDĐT"] {
        env.baocao(&[
            "request",
            "add",
            code,
            "--title",
            "Thông báo lịch nghỉ Tết",
            "--no-report",
            "--group",
            "phong-gddt",
        ])
        .ok();
    }
    env.baocao(&["request", "activate", "BC-2"]).ok();
    let sent = env
        .baocao(&["reminders", "send", "--at", "08:00 ngày 19/12/2030", "--json"])
        .ok()
        .json();
    assert_eq!(
        sent["outbox"]["sent"], 31,
        "notices of BC-1 to the 21 units that had not reported, and 10 of BC-2: {sent:#}"
    );
    env.baocao(&["request", "activate", "BC-3"]).ok();
    env.add_request(
        "16/KH-SGDĐT",
        "Kế hoạch",
        "17h00 ngày 20/12/2030",
        &["--group", "truc-thuoc"],
    )
    .ok();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::connect(&env.db.url).await.unwrap();
        let calendar = WorkingCalendar::new(CalendarFile::default());
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let groups = store.active_state_groups().await.unwrap();
        let requests = store.all_requests().await.unwrap();
        let active: Vec<_> = requests.iter().filter(|r| r.state == RequestState::Active).collect();
        assert_eq!(active.len(), 3);
        assert_eq!(groups.len(), 3, "the draft is not in the overview");
        for at in ["2030-12-19T00:00:00Z", "2030-12-25T00:00:00Z", "2031-01-20T00:00:00Z"] {
            let at: DateTime<Utc> = at.parse().unwrap();
            for request in &active {
                let facts = store.status_facts(request.id).await.unwrap();
                let page = request_status(request, &facts, at, (&calendar, zone)).counts();
                let overview = StateCounts::of_groups(&groups[&request.id], request.deadline, at);
                assert_eq!(overview, page, "{} at {at}", request.token);
            }
        }
        // The counts themselves, after the deadline: one on time, one late, one in review,
        // one extended (pending), 19 overdue; BC-2 informed, BC-3 not.
        let at: DateTime<Utc> = "2030-12-25T00:00:00Z".parse().unwrap();
        let bc1 = active.iter().find(|r| r.token == "BC-1").unwrap();
        let counts = StateCounts::of_groups(&groups[&bc1.id], bc1.deadline, at);
        assert_eq!(
            (
                counts.total,
                counts.reported,
                counts.late,
                counts.review,
                counts.pending,
                counts.overdue
            ),
            (23, 2, 1, 1, 1, 19),
            "{counts:?}"
        );
        let bc2 = active.iter().find(|r| r.token == "BC-2").unwrap();
        let counts = StateCounts::of_groups(&groups[&bc2.id], bc2.deadline, at);
        assert_eq!((counts.total, counts.reported), (10, 10), "{counts:?}");
        let bc3 = active.iter().find(|r| r.token == "BC-3").unwrap();
        let counts = StateCounts::of_groups(&groups[&bc3.id], bc3.deadline, at);
        assert_eq!((counts.total, counts.reported), (10, 0), "{counts:?}");
    });
}
