//! IMAP: opening an authenticated session to the configured server — implicit TLS (993) or
//! STARTTLS (143), never plain text; LOGIN, or AUTHENTICATE PLAIN for a non-ASCII password —
//! and the read-only commands the watcher builds on (metadata and bodies by UID with
//! `BODY.PEEK`, the last UID, LOGOUT), each under the network timeout.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use async_imap::Session;
use async_imap::types::{Fetch, Mailbox};
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::adapters::config::{ServerSettings, TlsMode};

/// An IMAP session over TLS.
pub type ImapSession = Session<TlsStream<TcpStream>>;

/// Every network step is bounded by this.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects, protects the connection with TLS, reads the greeting and logs in.
pub async fn connect(server: &ServerSettings, password: &str) -> anyhow::Result<ImapSession> {
    let address = format!("{}:{}", server.host, server.port);
    let tcp = tokio::time::timeout(NETWORK_TIMEOUT, TcpStream::connect(&address))
        .await
        .with_context(|| format!("connecting to {address}: timed out"))?
        .with_context(|| format!("connecting to {address}"))?;
    tcp.set_nodelay(true).ok();
    let client = match server.tls {
        TlsMode::Implicit => {
            let mut client = async_imap::Client::new(tls_handshake(server, tcp).await?);
            read_greeting(&mut client).await?;
            client
        }
        TlsMode::Starttls => {
            let mut plain = async_imap::Client::new(tcp);
            read_greeting(&mut plain).await?;
            tokio::time::timeout(NETWORK_TIMEOUT, plain.run_command_and_check_ok("STARTTLS", None))
                .await
                .context("IMAP STARTTLS: timed out")?
                .context("IMAP STARTTLS refused by the server")?;
            // No greeting after STARTTLS (RFC 3501 §6.2.1).
            async_imap::Client::new(tls_handshake(server, plain.into_inner()).await?)
        }
        TlsMode::None => bail!("IMAP without TLS is refused; use tls = \"implicit\" or \"starttls\""),
    };
    let user = server.user.as_deref().context("imap.user is not configured")?;
    // LOGIN sends the password as a quoted string, where only ASCII is allowed: anything else
    // goes through AUTHENTICATE PLAIN, whose answer is base64 of UTF-8.
    let login = async {
        if password.is_ascii() {
            client.login(user, password).await
        } else {
            client.authenticate("PLAIN", PlainAuth { user, password }).await
        }
    };
    let session = tokio::time::timeout(NETWORK_TIMEOUT, login)
        .await
        .context("logging in to IMAP: timed out")?
        .map_err(|(error, _)| match error {
            // The server answered NO: the user or password is wrong (or the account locked),
            // which trying again will not fix.
            async_imap::error::Error::No(text) => anyhow::Error::new(LoginRefused {
                user: user.to_string(),
                server_said: text,
            }),
            other => anyhow::Error::new(other).context(format!("logging in to IMAP as {user}")),
        })?;
    Ok(session)
}

/// The IMAP server refused our login: a wrong password, not a network hiccup.
#[derive(Debug, thiserror::Error)]
#[error("the IMAP server refused the login of {user}: {server_said}")]
pub struct LoginRefused {
    pub user: String,
    pub server_said: String,
}

impl LoginRefused {
    /// Whether `error`'s chain holds a refused login.
    pub fn in_chain(error: &anyhow::Error) -> bool {
        error.chain().any(|cause| cause.is::<LoginRefused>())
    }
}

/// SASL PLAIN (RFC 4616): authorization id empty, user, password.
struct PlainAuth<'a> {
    user: &'a str,
    password: &'a str,
}

impl async_imap::Authenticator for PlainAuth<'_> {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        format!("\0{}\0{}", self.user, self.password).into_bytes()
    }
}

async fn read_greeting<T>(client: &mut async_imap::Client<T>) -> anyhow::Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let greeting = tokio::time::timeout(NETWORK_TIMEOUT, client.read_response())
        .await
        .context("waiting for the IMAP greeting: timed out")?
        .context("reading the IMAP greeting")?;
    if greeting.is_none() {
        bail!("the IMAP server closed the connection before greeting");
    }
    Ok(())
}

async fn tls_handshake(server: &ServerSettings, tcp: TcpStream) -> anyhow::Result<TlsStream<TcpStream>> {
    let config = crate::adapters::tls::client_config(server.ca_file.as_deref())?;
    let name = rustls::pki_types::ServerName::try_from(server.host.clone())
        .with_context(|| format!("{} is not a valid TLS server name", server.host))?;
    tokio::time::timeout(NETWORK_TIMEOUT, TlsConnector::from(config).connect(name, tcp))
        .await
        .context("TLS handshake with the IMAP server: timed out")?
        .with_context(|| format!("TLS handshake with {}", server.host))
}

/// Metadata of one message, fetched before its body.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    pub uid: u32,
    pub size: usize,
    pub received_at: DateTime<Utc>,
}

/// A UID set of the given UIDs (`1,5,9`).
pub fn uid_set(uids: &[u32]) -> String {
    uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Size and INTERNALDATE of the messages of a UID set (`now` where a server gives no date).
pub async fn fetch_meta(session: &mut ImapSession, set: &str, now: DateTime<Utc>) -> anyhow::Result<Vec<Meta>> {
    let fetches: Vec<Fetch> = within(
        async {
            session
                .uid_fetch(set, "(UID RFC822.SIZE INTERNALDATE)")
                .await?
                .try_collect()
                .await
        },
        "UID FETCH (metadata)",
    )
    .await?;
    Ok(fetches
        .iter()
        .filter_map(|f| {
            Some(Meta {
                uid: f.uid?,
                size: f.size.map_or(0, |s| s as usize),
                received_at: f.internal_date().map_or(now, |d| d.with_timezone(&Utc)),
            })
        })
        .collect())
}

/// The given items (`BODY.PEEK[]`, `BODY.PEEK[HEADER]`) of each UID; an error when the server
/// leaves one out.
pub async fn fetch_bodies(session: &mut ImapSession, uids: &[u32], items: &str) -> anyhow::Result<HashMap<u32, Fetch>> {
    let set = uid_set(uids);
    let fetches: Vec<Fetch> = within(
        async { session.uid_fetch(&set, items).await?.try_collect().await },
        "UID FETCH (bodies)",
    )
    .await?;
    let by_uid: HashMap<u32, Fetch> = fetches.into_iter().filter_map(|f| Some((f.uid?, f))).collect();
    if let Some(missing) = uids.iter().find(|u| !by_uid.contains_key(u)) {
        bail!("the server did not return UID {missing} (a tagged NO, or the message was expunged)");
    }
    Ok(by_uid)
}

/// The highest UID in the mailbox (0 when empty).
pub async fn last_uid_of(session: &mut ImapSession, mailbox: &Mailbox) -> anyhow::Result<i64> {
    if let Some(next) = mailbox.uid_next {
        return Ok(i64::from(next) - 1);
    }
    let uids = within(session.uid_search("ALL"), "UID SEARCH ALL").await?;
    Ok(uids.into_iter().max().map_or(0, i64::from))
}

/// One IMAP command under the network timeout, its error naming the command.
pub async fn within<T, E>(future: impl Future<Output = Result<T, E>>, what: &str) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    tokio::time::timeout(NETWORK_TIMEOUT, future)
        .await
        .with_context(|| format!("IMAP {what}: timed out"))?
        .with_context(|| format!("IMAP {what}"))
}

/// LOGOUT, given at most 2 s: a server that does not answer is left.
pub async fn logout(mut session: ImapSession) {
    let _ = tokio::time::timeout(Duration::from_secs(2), session.logout()).await;
}
