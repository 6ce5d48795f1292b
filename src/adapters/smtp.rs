//! SMTP with lettre: one connection per message (no pool: a pooled connection cancelled by
//! the outer timeout could carry the next message into a broken session), implicit TLS or
//! STARTTLS per config, the report mailbox as envelope sender so bounces come back to
//! intake, and the headers that keep auto-responders quiet. The connection itself is
//! opened in [`session`] (with `TCP_NODELAY`), the conversation is lettre's.
//!
//! [`classify`] turns an SMTP failure into what the sender does about it; it is pure.

mod session;
mod words;

use std::time::Duration;

use lettre::Message;
use lettre::address::{Address, Envelope};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use crate::adapters::config::{Settings, TlsMode};
use crate::adapters::store::OutgoingMessage;
use crate::domain::model::MessageKind;

/// A ready SMTP client for the configured server.
pub struct Mailer {
    endpoint: session::Endpoint,
    from: Mailbox,
    envelope_from: Address,
    timeout: Duration,
    /// `smtp.example.vn:465`, for logs.
    pub server: String,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The server accepted the message: its answer.
    Accepted(String),
    /// The server refused it, or the connection failed.
    Refused {
        code: Option<u16>,
        permanent: bool,
        text: String,
    },
}

/// What a failure means for the message and the unit's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// 4xx, network, TLS, timeout: try again soon.
    Temporary,
    /// 5.2.2: the recipient's mailbox is full; try again much later.
    MailboxFull,
    /// Our side: login refused, sender refused, relay or policy (5.7.x). Not the unit's
    /// fault: retry slowly and tell the operator.
    Operator,
    /// The recipient's address does not work: mark it failing.
    Recipient,
}

/// Sorts a failed attempt. Permanent failures are the recipient's unless the answer points
/// at our login, our sender address or a policy.
pub fn classify(code: Option<u16>, permanent: bool, text: &str) -> FailureClass {
    if !permanent {
        return FailureClass::Temporary;
    }
    let lower = text.to_ascii_lowercase();
    if matches!(code, Some(530 | 534 | 535 | 538))
        || lower.contains("5.7.")
        || lower.contains("authentication")
        || lower.contains("sender address")
        || lower.contains("relay access denied")
        // The message itself is too large (552 5.3.4): not the address's fault.
        || lower.contains("5.3.4")
        || lower.contains("message size exceeds")
        || lower.contains("too large")
        || lower.contains("too big")
    {
        return FailureClass::Operator;
    }
    if lower.contains("5.2.2") || lower.contains("quota") || lower.contains("mailbox full") {
        return FailureClass::MailboxFull;
    }
    FailureClass::Recipient
}

/// Whether a failed attempt means the server refused our login (535 "authentication
/// credentials invalid", 534/538 and enhanced code 5.7.8): a wrong password, which every
/// further attempt only repeats (and may get the account locked).
pub fn login_refused(code: Option<u16>, permanent: bool, text: &str) -> bool {
    permanent && (matches!(code, Some(534 | 535 | 538)) || text.contains("5.7.8"))
}

impl Mailer {
    /// Builds the client; reads the SMTP password now (not at start-up), so a rotated
    /// secret file is picked up at the next pass.
    pub fn new(settings: &Settings) -> anyhow::Result<Mailer> {
        crate::adapters::tls::install_crypto_provider();
        let smtp = settings
            .smtp
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no [smtp] section in the configuration"))?;
        let server = &smtp.server;
        let security = match server.tls {
            TlsMode::None => session::Security::None,
            TlsMode::Implicit => session::implicit(
                crate::adapters::tls::client_config(server.ca_file.as_deref())?,
                &server.host,
            )?,
            TlsMode::Starttls => {
                let store = if rustls_native_certs::load_native_certs().certs.is_empty() {
                    CertificateStore::WebpkiRoots
                } else {
                    CertificateStore::Default
                };
                let mut params = TlsParameters::builder(server.host.clone()).certificate_store(store);
                if let Some(ca_file) = &server.ca_file {
                    for der in crate::adapters::tls::extra_certificates(ca_file)? {
                        params = params.add_root_certificate(Certificate::from_der(der.to_vec())?);
                    }
                }
                session::Security::StartTls(params.build_rustls()?)
            }
        };
        let credentials = match &server.user {
            Some(user) => {
                let source = server
                    .password
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("smtp.user is set but no password source"))?;
                let password = source
                    .read()
                    .map_err(|e| anyhow::anyhow!("reading the SMTP password ({}): {e}", describe_source(source)))?;
                Some(Credentials::new(user.clone(), password.expose().to_string()))
            }
            None => None,
        };
        let endpoint = session::Endpoint {
            host: server.host.clone(),
            port: server.port,
            security,
            hello: smtp
                .helo_name
                .as_ref()
                .map_or_else(ClientId::default, |helo| ClientId::Domain(helo.clone())),
            credentials,
        };
        let envelope_from: Address = settings.office.report_mailbox.as_str().parse()?;
        Ok(Mailer {
            endpoint,
            from: Mailbox::new(Some(settings.office.name.clone()), envelope_from.clone()),
            envelope_from,
            // The outer timeout covers the whole send: connect, TLS, login, message.
            timeout: smtp.timeout,
            server: format!("{}:{}", server.host, server.port),
        })
    }

    /// The outer limit on one send.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Connects, starts TLS, logs in (when a user is configured) and says NOOP: what
    /// `baocao doctor` checks. The error text is the server's answer or the network error.
    pub async fn check_login(&self) -> Result<(), String> {
        let check = async {
            let mut connection = self.endpoint.open().await?;
            let answered = connection.test_connected().await;
            connection.abort().await;
            Ok::<bool, session::SessionError>(answered)
        };
        match tokio::time::timeout(self.timeout, check).await {
            Err(_) => Err(format!("hết thời gian chờ sau {} giây", self.timeout.as_secs())),
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err("máy chủ không trả lời lệnh NOOP".into()),
            Ok(Err(error)) => Err(error_chain(&error)),
        }
    }

    /// The message as it goes on the wire.
    pub fn build(&self, m: &OutgoingMessage) -> anyhow::Result<Message> {
        let to_address: Address = m.to_address.parse()?;
        let to = Mailbox::new(m.to_name.clone(), to_address.clone());
        let header =
            |name: &'static str, value: &str| HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string());
        // A receipt answers one message (RFC 3834 `auto-replied`); everything else is
        // generated on our own schedule.
        let auto_submitted = if matches!(m.message_kind(), Ok(MessageKind::Receipt)) {
            "auto-replied"
        } else {
            "auto-generated"
        };
        let mut builder = Message::builder()
            .raw_header(words_header("From", &self.from))
            .raw_header(words_header("To", &to))
            .raw_header(subject_header(&m.subject))
            .message_id(Some(format!("<{}>", m.message_id)))
            .date_now()
            .raw_header(header("Auto-Submitted", auto_submitted))
            .raw_header(header("X-Auto-Response-Suppress", "OOF, AutoReply"));
        // Escalation: the parent unit in copy, on the envelope too.
        let copies = copies_of(m)?;
        let mut recipients = vec![to_address];
        if !copies.is_empty() {
            let display: Vec<String> = copies.iter().map(ToString::to_string).collect();
            let encoded: Vec<String> = copies
                .iter()
                .map(|c| match &c.name {
                    Some(name) => words::mailbox(name, "Cc", c.email.as_ref()),
                    None => c.email.to_string(),
                })
                .collect();
            builder = builder.raw_header(HeaderValue::dangerous_new_pre_encoded(
                HeaderName::new_from_ascii_str("Cc"),
                display.join(", "),
                encoded.join(",\r\n "),
            ));
            recipients.extend(copies.iter().map(|c| c.email.clone()));
        }
        let mut builder = builder.envelope(Envelope::new(Some(self.envelope_from.clone()), recipients)?);
        if let Some(parent) = &m.in_reply_to {
            builder = builder.in_reply_to(format!("<{parent}>"));
        }
        if let Some(ids) = m.references_ids.as_deref().filter(|ids| !ids.trim().is_empty()) {
            let angled: Vec<String> = ids.split_whitespace().map(|id| format!("<{id}>")).collect();
            builder = builder.references(angled.join(" "));
        }
        let message = match (&m.body_html, m.files.is_empty()) {
            (Some(html), true) => builder.multipart(MultiPart::alternative_plain_html(m.body.clone(), html.clone()))?,
            (None, true) => builder.singlepart(SinglePart::plain(m.body.clone()))?,
            (html, false) => {
                let mut mixed = match html {
                    Some(html) => {
                        MultiPart::mixed().multipart(MultiPart::alternative_plain_html(m.body.clone(), html.clone()))
                    }
                    None => MultiPart::mixed().singlepart(SinglePart::plain(m.body.clone())),
                };
                for file in &m.files {
                    let content_type = ContentType::parse(&file.content_type)
                        .unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("a valid type"));
                    mixed =
                        mixed.singlepart(Attachment::new(file.file_name.clone()).body(file.data.clone(), content_type));
                }
                builder.multipart(mixed)?
            }
        };
        Ok(message)
    }

    /// One attempt, bounded by the outer timeout.
    pub async fn send(&self, m: &OutgoingMessage) -> Attempt {
        let message = match self.build(m) {
            Ok(message) => message,
            Err(e) => {
                return Attempt::Refused {
                    code: None,
                    permanent: true,
                    text: format!("thư không hợp lệ: {e}"),
                };
            }
        };
        let raw = message.formatted();
        let send = async {
            let mut connection = self.endpoint.open().await?;
            // On an error lettre has already closed the connection.
            let response = connection.send(message.envelope(), &raw).await?;
            // One message per connection: QUIT, and whatever happens next, close it.
            connection.abort().await;
            Ok::<_, session::SessionError>(response)
        };
        // A send cut off by the timeout drops its connection with it: nothing of it is reused.
        match tokio::time::timeout(self.timeout, send).await {
            Err(_) => Attempt::Refused {
                code: None,
                permanent: false,
                text: format!(
                    "hết thời gian chờ máy chủ {} sau {} giây",
                    self.server,
                    self.timeout.as_secs()
                ),
            },
            Ok(Ok(response)) => {
                let lines: Vec<&str> = response.message().collect();
                Attempt::Accepted(format!("{} {}", response.code(), lines.join(" ")))
            }
            Ok(Err(error)) => {
                let (code, permanent) = match &error {
                    session::SessionError::Smtp(smtp) => (
                        smtp.status().map(|c| c.to_string().parse().unwrap_or(0)),
                        smtp.is_permanent(),
                    ),
                    session::SessionError::Connect(_) => (None, false),
                };
                Attempt::Refused {
                    code,
                    permanent,
                    text: error_chain(&error),
                }
            }
        }
    }
}

/// The mailboxes an outgoing message is copied to (`cc_addresses`, a JSON array of
/// `{"name", "address"}`).
fn copies_of(m: &OutgoingMessage) -> anyhow::Result<Vec<Mailbox>> {
    #[derive(serde::Deserialize)]
    struct Copy {
        name: Option<String>,
        address: String,
    }
    let Some(json) = m.cc_addresses.as_deref() else {
        return Ok(Vec::new());
    };
    let copies: Vec<Copy> = serde_json::from_str(json)?;
    copies
        .into_iter()
        .map(|c| Ok(Mailbox::new(c.name, c.address.parse()?)))
        .collect()
}

/// A `From`/`To` header whose display name is split into encoded-words only between words
/// (see [`words`]); lettre reads the raw value back to check the message.
fn words_header(name: &'static str, mailbox: &Mailbox) -> HeaderValue {
    let encoded = match &mailbox.name {
        Some(display) => words::mailbox(display, name, mailbox.email.as_ref()),
        None => mailbox.email.to_string(),
    };
    HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str(name), mailbox.to_string(), encoded)
}

/// The subject, encoded as [`words_header`] does; ASCII folded by lettre as before.
fn subject_header(subject: &str) -> HeaderValue {
    let name = HeaderName::new_from_ascii_str("Subject");
    if subject.is_ascii() {
        return HeaderValue::new(name, subject.to_string());
    }
    let subject = subject.replace(['\r', '\n'], " ");
    HeaderValue::dangerous_new_pre_encoded(name, subject.clone(), words::encode("Subject", &subject))
}

fn describe_source(source: &crate::adapters::config::SecretSource) -> String {
    match source {
        crate::adapters::config::SecretSource::File(path) => path.display().to_string(),
        crate::adapters::config::SecretSource::Credential(name) => format!("credential {name}"),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_sorted_by_whose_problem_they_are() {
        assert_eq!(
            classify(Some(450), false, "4.2.0 try again later"),
            FailureClass::Temporary
        );
        assert_eq!(
            classify(None, false, "network error: connection refused"),
            FailureClass::Temporary
        );
        assert_eq!(
            classify(Some(550), true, "5.1.1 <x@y>: Recipient address rejected"),
            FailureClass::Recipient
        );
        assert_eq!(
            classify(Some(552), true, "5.2.2 mailbox full"),
            FailureClass::MailboxFull
        );
        // A message too large is ours to fix, not the address's.
        assert_eq!(
            classify(Some(552), true, "5.3.4 Error: message file too big"),
            FailureClass::Operator
        );
        assert_eq!(
            classify(Some(552), true, "Message size exceeds fixed limit"),
            FailureClass::Operator
        );
        assert_eq!(
            classify(Some(535), true, "5.7.8 Error: authentication failed"),
            FailureClass::Operator
        );
        assert_eq!(
            classify(
                Some(553),
                true,
                "5.7.1 <a@b>: Sender address rejected: not owned by user"
            ),
            FailureClass::Operator
        );
        assert_eq!(
            classify(Some(554), true, "5.7.1 Relay access denied"),
            FailureClass::Operator
        );
    }
}
