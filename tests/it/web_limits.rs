//! The web page under attack (issue 12), against the real `baocao run`: a flood of wrong
//! passwords neither eats the memory nor locks the clerk out, `next` after a login never
//! leaves the site, idle half-open connections starve neither `/healthz` nor intake, and
//! `/healthz` shows strangers no personal data.
//!
//! Client machines are played by loopback addresses: the attacker is 127.0.0.1, the clerk
//! 127.0.0.2 (Linux routes all of 127.0.0.0/8 to the loopback interface).

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::harness::in_process::InProcess;
use crate::harness::mail_env::{MailEnv, mail_env, text_reply};
use crate::harness::service::{ALWAYS_OPEN, Service, http, http_from, memory_kib, open_files, wait_until};
use crate::harness::web::{
    CLERK, CLERK_PASSWORD, form, header, hidden_field, log_in_from, login_flood, session_cookie,
};
use crate::harness::{Backend, Env};

const ATTACKER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const CLERK_MACHINE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// An office without a mailbox: only the web page and its clerk.
fn office_with_clerk() -> Env {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.add_clerk();
    env
}

/// An office watching a lab mailbox, with its clerk.
fn office_with_mailbox() -> MailEnv {
    let office = mail_env(Backend::Sqlite, None, ALWAYS_OPEN);
    office.env.add_clerk();
    office
}

/// 160 wrong passwords sent at once for `user(i)` from `from(i)`: how many got each status,
/// and one page answered 503 (busy), if any.
async fn flood(
    port: u16,
    from: impl Fn(u8) -> Ipv4Addr,
    user: impl Fn(u8) -> String,
) -> (BTreeMap<u16, usize>, Option<String>) {
    let mut statuses = BTreeMap::new();
    let mut busy_page = None;
    for (status, body) in login_flood(port, from, user).await {
        *statuses.entry(status).or_insert(0) += 1;
        if status == 503 {
            busy_page = Some(body);
        }
    }
    (statuses, busy_page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_stays_small_and_does_not_lock_the_clerk_out() {
    let env = office_with_clerk();
    let service = Service::start(&env, None);
    service.wait_ready();
    let port = service.web_port();
    let pid = service.pid();
    let before = memory_kib(pid, "VmRSS");

    // From the attacker's machine: the clerk's name and others, all at once.
    let started = Instant::now();
    let user = |i: u8| {
        if i.is_multiple_of(2) {
            CLERK.to_string()
        } else {
            format!("doan-{i}")
        }
    };
    let (statuses, _) = flood(port, |_| ATTACKER, user).await;
    eprintln!("login flood from one address: {statuses:?} in {:?}", started.elapsed());
    assert!(
        statuses.keys().all(|s| [401, 429, 503].contains(s)),
        "only refusals: {statuses:?}"
    );
    assert!(
        statuses.get(&429).copied().unwrap_or(0) >= 140,
        "all but 20 refused before any hashing: {statuses:?}"
    );

    // From 160 machines at once (127.0.1.0–159), for the clerk's name.
    let started = Instant::now();
    let (statuses, busy_page) = flood(port, |i| Ipv4Addr::new(127, 0, 1, i), |_| CLERK.into()).await;
    eprintln!(
        "login flood from 160 addresses: {statuses:?} in {:?}",
        started.elapsed()
    );
    assert!(
        statuses.keys().all(|s| [401, 503].contains(s)),
        "only refusals: {statuses:?}"
    );
    if let Some(page) = busy_page {
        assert!(page.contains("đang bận"), "a Vietnamese page: {page}");
    }

    let peak = memory_kib(pid, "VmHWM");
    let after = memory_kib(pid, "VmRSS");
    eprintln!("login floods: RSS {before} KiB before, peak {peak} KiB, {after} KiB after");
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB under a login flood");

    // The clerk, from her own machine, still logs in with the right password.
    let (status, head, body) = log_in_from(CLERK_MACHINE, port, CLERK_PASSWORD, "/").await;
    assert_eq!(status, 303, "{head}\n{body}");
    assert!(head.contains("baocao_session="), "{head}");

    // The attacker's machine is refused at once, without hashing anything.
    let asked = Instant::now();
    let (status, head, body) = log_in_from(ATTACKER, port, CLERK_PASSWORD, "/").await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("thử lại sau 15 phút"), "{body}");
    assert_eq!(header(&head, "retry-after").as_deref(), Some("900"));
    assert!(asked.elapsed() < Duration::from_secs(1), "{:?}", asked.elapsed());
}

/// The login form's hidden `next`, unescaped.
fn hidden_next(page: &str) -> Option<String> {
    hidden_field(page, "next").map(|next| next.replace("&#x2f;", "/").replace("&amp;", "&"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_login_only_the_sites_own_pages_are_followed() {
    let env = office_with_clerk();
    let service = Service::start(&env, None);
    service.wait_ready();
    let port = service.web_port();

    let long = format!("/requests/{}", "A".repeat(5000));
    let hostile = [
        "//evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "/%2F%2Fevil.example",
        "/%09/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "https://evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "\r\nSet-Cookie: baocao_session=x",
        "/\r\nSet-Cookie: baocao_session=x",
        "/requests/BC-1/../../evil.example",
        "/requests/BC-1?next=//evil.example",
        "/requests/BC-1#//evil.example",
        "/requests/%2F%2Fevil.example",
        "/ /evil.example",
        "evil.example",
        &long,
    ];
    for next in hostile {
        let (status, head, body) = log_in_from(CLERK_MACHINE, port, CLERK_PASSWORD, next).await;
        assert_eq!(status, 303, "next={next:?}: {head}\n{body}");
        assert_eq!(header(&head, "location").as_deref(), Some("/"), "next={next:?}: {head}");

        // The login page itself carries only the overview as its `next`.
        let path = format!("/login?{}", form(&[("next", next)]));
        let (status, head, body) = http_from(CLERK_MACHINE, port, "GET", &path, &[], "").await;
        assert_eq!(status, 200, "next={next:?}: {head}\n{body}");
        assert_eq!(hidden_next(&body).as_deref(), Some("/"), "next={next:?}: {body}");
        assert!(
            !body.contains("evil") && !body.contains("AAAAAAAA"),
            "next={next:?}: {body}"
        );
    }
    for own in ["/", "/review", "/units", "/requests/BC-1", "/messages/7/original"] {
        let (status, head, _) = log_in_from(CLERK_MACHINE, port, CLERK_PASSWORD, own).await;
        assert_eq!(status, 303);
        assert_eq!(header(&head, "location").as_deref(), Some(own), "{head}");
    }
}

#[test]
fn healthz_shows_strangers_only_status_words() {
    let MailEnv { env, mailbox, .. } = office_with_mailbox();
    let service = InProcess::start(&env);
    let port = service.web_port();
    wait_until(Duration::from_secs(20), "a healthy service", || {
        http(port, "GET", "/healthz", &[], "").0 == 200
    });

    let (status, _, body) = http(port, "GET", "/healthz", &[], "");
    assert_eq!(status, 200);
    assert_eq!(body, "ok\n", "status words only");
    assert!(!body.contains(&mailbox));

    // A logged-in user sees the whole status line.
    let session = session_cookie(port);
    let (status, _, body) = http(port, "GET", "/healthz", &[("Cookie", &session)], "");
    assert_eq!(status, 200);
    assert!(body.starts_with(&format!("ok: watching {mailbox}")), "{body}");
}

/// Raises this test process's own soft open-file limit (the flood needs ~1,600 sockets).
fn allow_open_files(wanted: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let numbers: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let (soft, hard) = (numbers[0], numbers[1]);
    if soft >= wanted {
        return;
    }
    assert!(hard >= wanted, "the hard open-file limit {hard} is below {wanted}");
    let status = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string(), &format!("--nofile={wanted}:")])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Keeps `count` connections to `port` open that each sent part of a request line and then
/// nothing; replaces the oldest 50 every 100 ms (an attacker reconnecting) until `stop`.
fn slowloris(port: u16, count: usize, stop: Arc<AtomicBool>, opened: std::sync::mpsc::Sender<usize>) {
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let open = || -> Option<TcpStream> {
        let mut stream = TcpStream::connect_timeout(&target, Duration::from_millis(200)).ok()?;
        let _ = stream.write_all(b"GET /healthz HTT");
        Some(stream)
    };
    let mut held = VecDeque::new();
    let started = Instant::now();
    while held.len() < count && started.elapsed() < Duration::from_secs(30) {
        held.push_back(open());
    }
    let _ = opened.send(held.iter().flatten().count());
    while !stop.load(Ordering::SeqCst) {
        for _ in 0..50 {
            held.pop_front();
            held.push_back(open());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One `/healthz`, given up after `limit`: (status, how long it took).
fn healthz_within(port: u16, limit: Duration) -> Result<(u16, Duration), String> {
    let asked = Instant::now();
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&target, limit).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(limit)).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read after {:?}: {e}", asked.elapsed()))?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, asked.elapsed()))
}

#[test]
fn idle_half_open_connections_starve_neither_healthz_nor_intake() {
    allow_open_files(8192);
    let MailEnv { env, lab, mailbox } = office_with_mailbox();
    let unit = lab.address("pgd-muongcha");
    env.muongcha_request(&unit);

    // The default soft limit of a service started outside systemd.
    let mut service = Service::start_with_open_files(&env, 1024);
    service.wait_ready();
    let port = service.web_port();
    let pid = service.pid();
    assert!(lab.wait_for_inbox(&unit, 1, Duration::from_secs(20)), "the notice");
    wait_until(Duration::from_secs(20), "a healthy service", || {
        http(port, "GET", "/healthz", &[], "").0 == 200
    });

    let stop = Arc::new(AtomicBool::new(false));
    let (opened_send, opened) = std::sync::mpsc::channel();
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || slowloris(port, 1500, stop, opened_send))
    };
    let opened = opened.recv_timeout(Duration::from_secs(60)).unwrap();
    eprintln!("slowloris: {opened} of 1500 connections opened");
    assert!(opened >= 1000, "the flood itself failed: {opened} connections");

    // While they are held (and renewed), /healthz answers within a few seconds.
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        match healthz_within(port, Duration::from_secs(5)) {
            Ok((status, took)) => {
                assert_eq!(status, 200, "after {took:?}");
                slowest = slowest.max(took);
            }
            Err(problem) => panic!("/healthz under 1,500 idle connections: {problem}"),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let descriptors = open_files(pid);
    eprintln!("slowloris: slowest /healthz {slowest:?}; the service holds {descriptors} descriptors");
    assert!(slowest < Duration::from_secs(3), "{slowest:?}");
    assert!(descriptors < 512, "{descriptors} open descriptors");

    // A unit's reply delivered during the flood is counted.
    let notice = &lab.messages(&unit)[0];
    let notice = mail_parser::MessageParser::default().parse(notice).unwrap();
    let reply = text_reply(
        &unit,
        &mailbox,
        &format!("RE: {}", notice.subject().unwrap()),
        "reply-slowloris@lab.test",
        notice.message_id(),
        "",
    );
    lab.submit(&unit, &mailbox, &reply);
    wait_until(
        Duration::from_secs(30),
        "the reply being counted during the flood",
        || env.unit_status("BC-1", "pgd-muongcha")["state"] == "reported",
    );
    assert!(
        !service.log_text().contains("Too many open files"),
        "{}",
        service.log_text()
    );

    stop.store(true, Ordering::SeqCst);
    flood.join().unwrap();
    let (exit, took) = service.stop();
    assert!(exit.success(), "{exit:?}\n{}", service.log_text());
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
}

/// How long until the server closes `stream` (reads until end of file).
fn closed_after(mut stream: TcpStream, since: Instant) -> Duration {
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
    since.elapsed()
}

#[test]
fn unfinished_headers_and_idle_kept_alive_connections_are_closed_after_ten_seconds() {
    let env = office_with_clerk();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // Healthy only once the clockwork has fired (a loaded machine may take a moment).
    wait_until(Duration::from_secs(20), "/healthz says ok", || {
        http(port, "GET", "/healthz", &[], "").0 == 200
    });

    let started = Instant::now();
    let mut slow = TcpStream::connect(target).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    let slow = std::thread::spawn(move || closed_after(slow, started));

    let mut kept = TcpStream::connect(target).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 12];
    kept.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    let kept = std::thread::spawn(move || closed_after(kept, Instant::now()));

    for (what, took) in [
        ("unfinished headers", slow.join().unwrap()),
        ("idle keep-alive", kept.join().unwrap()),
    ] {
        assert!(
            took >= Duration::from_secs(9) && took < Duration::from_secs(15),
            "{what}: closed after {took:?}"
        );
    }
}

#[test]
fn public_read_shows_the_status_but_nothing_personal() {
    let env = office_with_clerk();
    let config = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(&env.config, config.replace("[web]\n", "[web]\npublic-read = true\n")).unwrap();
    env.seed_000_request("17h00 ngày 30/12/2030");
    let service = InProcess::start(&env);
    let port = service.web_port();
    for open in ["/", "/requests/BC-1"] {
        let (status, head, _) = http(port, "GET", open, &[], "");
        assert_eq!(status, 200, "{open} is public: {head}");
    }
    // No calendar file: this year's calendar is not confirmed, and the overview says so.
    let (_, _, overview) = http(port, "GET", "/", &[], "");
    assert!(
        overview.contains("chưa được xác nhận, ngày nghỉ Tết và hoán đổi có thể chưa đúng")
            && overview.contains("baocao calendar add"),
        "{overview}"
    );
    for private in [
        "/review",
        "/units",
        "/messages/1/original",
        "/messages/1/attachment?name=a.pdf",
    ] {
        let (status, head, _) = http(port, "GET", private, &[], "");
        assert_eq!(status, 303, "{private} needs a login: {head}");
        assert!(
            header(&head, "location").is_some_and(|l| l.starts_with("/login")),
            "{head}"
        );
    }
}

#[test]
fn closing_a_request_on_the_page_needs_the_confirmation_tick() {
    let env = office_with_clerk();
    env.seed_000_request("17h00 ngày 30/12/2030");
    let service = InProcess::start(&env);
    let port = service.web_port();
    let session = session_cookie(port);
    let (_, _, page) = http(port, "GET", "/requests/BC-1", &[("Cookie", &session)], "");
    assert!(page.contains("Tôi xác nhận đóng yêu cầu này"), "{page}");
    let csrf = &hidden_field(&page, "csrf").unwrap();
    let state = || env.baocao(&["status", "BC-1", "--json"]).ok().json()["requests"][0]["state"].clone();

    let (status, _, body) = http(
        port,
        "POST",
        "/requests/BC-1/close",
        &[("Cookie", &session)],
        &form(&[("csrf", csrf)]),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("xác nhận"), "{body}");
    assert_eq!(state(), "active");

    let (status, _, _) = http(
        port,
        "POST",
        "/requests/BC-1/close",
        &[("Cookie", &session)],
        &form(&[("csrf", csrf), ("confirm", "yes")]),
    );
    assert_eq!(status, 303);
    assert_eq!(state(), "closed");
}
