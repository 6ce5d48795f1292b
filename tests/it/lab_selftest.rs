//! Proves the mail lab: mail submitted to Postfix (STARTTLS and AUTH) lands in Dovecot and
//! is read back over IMAPS with the product's own connection code, read-only and without
//! setting `\Seen`.

use std::time::Duration;

use baocao::adapters::config::{ServerSettings, TlsMode};
use futures::TryStreamExt;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::harness::mail_lab::MailLab;

#[tokio::test]
async fn a_message_submitted_to_postfix_is_read_back_over_imaps_without_setting_seen() {
    let lab = MailLab::shared();
    let to = lab.address("pgd-muongcha");
    let subject = "Báo cáo kết quả thực hiện Kế hoạch 4189/KH-BCĐ";

    let pem = std::fs::read(&lab.ca_file).unwrap();
    let tls = TlsParameters::builder("localhost".into())
        .add_root_certificate(Certificate::from_pem(&pem).unwrap())
        .build_rustls()
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(lab.submission_port)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new(to.clone(), MailLab::PASSWORD.into()))
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let message = Message::builder()
        .from("Văn phòng Sở <vanphong@lab.test>".parse().unwrap())
        .to(to.parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body("Kính gửi Phòng GD&ĐT huyện Mường Chà.".to_string())
        .unwrap();
    let response = transport.send(message).await.expect("Postfix accepts the message");
    assert!(response.is_positive());
    assert!(
        lab.wait_for_inbox(&to, 1, Duration::from_secs(20)),
        "the message never reached Dovecot"
    );

    let server = ServerSettings {
        host: "127.0.0.1".into(),
        port: lab.imaps_port,
        tls: TlsMode::Implicit,
        user: Some(to.clone()),
        password: None,
        ca_file: Some(lab.ca_file.clone()),
    };
    let mut session = baocao::adapters::imap::connect(&server, MailLab::PASSWORD)
        .await
        .expect("IMAP login");
    let mailbox = session.examine("INBOX").await.expect("EXAMINE INBOX");
    assert_eq!(mailbox.exists, 1);
    assert!(mailbox.uid_validity.is_some());

    let fetched: Vec<_> = session
        .uid_fetch("1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(fetched.len(), 1);
    let body = fetched[0].body().expect("a body");
    let parsed = mail_parser::MessageParser::default().parse(body).expect("parses");
    assert_eq!(parsed.subject(), Some(subject));
    assert!(fetched[0].internal_date().is_some());
    assert!(!fetched[0].flags().any(|f| f == async_imap::types::Flag::Seen));

    // Ask again: the read above must not have set \Seen on the server either.
    let again: Vec<_> = session
        .uid_fetch("1:*", "(UID FLAGS)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        !again[0].flags().any(|f| f == async_imap::types::Flag::Seen),
        "reading set \\Seen"
    );
    session.logout().await.unwrap();
}

#[tokio::test]
async fn imap_logs_in_over_starttls_and_with_a_non_ascii_password() {
    let lab = MailLab::shared();
    let server = |port, tls, user: &str| ServerSettings {
        host: "127.0.0.1".into(),
        port,
        tls,
        user: Some(user.to_string()),
        password: None,
        ca_file: Some(lab.ca_file.clone()),
    };
    let to = lab.address("starttls");
    let mut session =
        baocao::adapters::imap::connect(&server(lab.imap_port, TlsMode::Starttls, &to), MailLab::PASSWORD)
            .await
            .expect("login after STARTTLS");
    assert!(session.examine("INBOX").await.is_ok());
    session.logout().await.unwrap();

    let utf8 = server(lab.imaps_port, TlsMode::Implicit, MailLab::UTF8_USER);
    let mut session = baocao::adapters::imap::connect(&utf8, MailLab::UTF8_PASSWORD)
        .await
        .expect("AUTHENTICATE PLAIN with a Vietnamese password");
    assert!(session.examine("INBOX").await.is_ok());
    session.logout().await.unwrap();
    let wrong = baocao::adapters::imap::connect(&utf8, "mật-khẩu-sai").await;
    let Err(error) = wrong else {
        panic!("a wrong password was accepted")
    };
    // A wrong password is told apart from network trouble.
    assert!(baocao::adapters::imap::LoginRefused::in_chain(&error), "{error:#}");
    let error = format!("{error:#}");
    assert!(error.contains("refused the login of matkhau-utf8@lab.test"), "{error}");

    let plain = server(lab.imap_port, TlsMode::None, &to);
    let refused = baocao::adapters::imap::connect(&plain, MailLab::PASSWORD).await;
    assert!(format!("{:#}", refused.err().unwrap()).contains("without TLS is refused"));
}
