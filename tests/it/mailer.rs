//! The mailer's own connection (`TCP_NODELAY`, handed to lettre): implicit TLS with our
//! rustls handshake against the lab's Postfix behind a TLS front (the lab has no port 465),
//! the certificate always checked, and STARTTLS never falling back to plain text.

use std::sync::Arc;
use std::time::Duration;

use baocao::adapters::smtp::{Attempt, Mailer};
use baocao::adapters::store::OutgoingMessage;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::harness::mail_lab::MailLab;
use crate::harness::{Backend, Env, local_smtp_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_goes_out_over_implicit_tls_with_the_certificate_checked() {
    let lab = MailLab::shared();
    let front = tls_front(lab).await;
    let env = Env::new(Backend::Sqlite);
    let ca = format!("ca-file = \"{}\"\n", lab.ca_file.display());
    let mailer = mailer(&env, front, "implicit", &ca);
    assert_eq!(mailer.check_login().await, Ok(()));
    let to = lab.address("dv-implicit");
    let attempt = mailer.send(&message(&to)).await;
    assert!(matches!(attempt, Attempt::Accepted(_)), "{attempt:?}");
    let arrived = tokio::task::spawn_blocking(move || lab.wait_for_inbox(&to, 1, Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(arrived, "the message did not arrive");

    // Without the lab's CA the server's certificate cannot be checked: nothing is sent,
    // and the failure is temporary (the operator fixes the trust, the message waits).
    let untrusting = mailer_in(&env, "untrusting.toml", front, "implicit", "");
    let to = lab.address("dv-untrusted");
    let Attempt::Refused { code, permanent, text } = untrusting.send(&message(&to)).await else {
        panic!("sent without a trusted certificate")
    };
    assert_eq!((code, permanent), (None, false));
    assert!(text.contains("certificate"), "{text}");
    assert_eq!(lab.inbox_count(&to), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_required_never_falls_back_to_plain_text() {
    // A server that does not offer STARTTLS: the message must not be written to it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heard = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = tokio::io::BufReader::new(read);
        write.write_all(b"220 plain.test ESMTP\r\n").await.unwrap();
        let mut heard = Vec::new();
        let mut line = String::new();
        while read.read_line(&mut line).await.unwrap_or(0) > 0 {
            heard.push(line.trim_end().to_string());
            let reply: &[u8] = if line.starts_with("EHLO") {
                b"250-plain.test\r\n250 8BITMIME\r\n"
            } else {
                b"250 ok\r\n"
            };
            if write.write_all(reply).await.is_err() {
                break;
            }
            line.clear();
        }
        heard
    });
    let env = Env::new(Backend::Sqlite);
    let mailer = mailer(&env, port, "starttls", "");
    let attempt = mailer.send(&message("dv@donvi.test")).await;
    let Attempt::Refused { permanent, text, .. } = attempt else {
        panic!("sent over plain text: {attempt:?}")
    };
    assert!(!permanent);
    assert!(text.contains("STARTTLS"), "{text}");
    let heard = tokio::time::timeout(Duration::from_secs(10), heard)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !heard.iter().any(|l| l.starts_with("MAIL") || l.starts_with("AUTH")),
        "{heard:?}"
    );
}

fn mailer(env: &Env, port: u16, tls: &str, extra: &str) -> Mailer {
    mailer_in(env, "baocao.toml", port, tls, extra)
}

/// A mailer for `127.0.0.1:port` with `tls`, configured in `env`'s directory.
fn mailer_in(env: &Env, file: &str, port: u16, tls: &str, extra: &str) -> Mailer {
    let smtp = format!("timeout-seconds = 10\n{extra}");
    let config = env.write(file, local_smtp_config(port, tls, &smtp, ""));
    let settings = baocao::adapters::config::load(&config).unwrap().settings;
    Mailer::new(&settings).unwrap()
}

fn message(to: &str) -> OutgoingMessage {
    let at = chrono::DateTime::parse_from_rfc3339("2030-03-13T00:30:00Z")
        .unwrap()
        .to_utc();
    OutgoingMessage {
        id: 1,
        slot_id: None,
        kind: "reminder".into(),
        request_id: None,
        unit_id: None,
        to_address: to.into(),
        to_name: Some("Trường THCS Mường Chà".into()),
        message_id: format!("nhac-{to}"),
        subject: "Nhắc báo cáo 4189/KH-BCĐ".into(),
        body: "Kính gửi đơn vị: hạn nộp báo cáo là 17h00 ngày 15/3/2030.".into(),
        body_html: None,
        state: "sending".into(),
        attempts: 1,
        next_attempt_at: at,
        claimed_by: None,
        claim_expires_at: None,
        smtp_response: None,
        last_error: None,
        created_at: at,
        sent_at: None,
        retry_since: None,
        in_reply_to: None,
        references_ids: None,
        cc_addresses: None,
        files: Vec::new(),
    }
}

/// Implicit TLS in front of the lab's plain SMTP port, with the lab's own certificate (as
/// an office's port 465 is often a TLS front for its relay); returns its port.
async fn tls_front(lab: &'static MailLab) -> u16 {
    baocao::adapters::tls::install_crypto_provider();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(lab.dir.join("leaf.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(lab.dir.join("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut client) = acceptor.accept(client).await else {
                    return;
                };
                let mut server = tokio::net::TcpStream::connect(("127.0.0.1", lab.smtp_port))
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    port
}
