//! Opening an authenticated IMAP session to the configured server: implicit TLS (993) or
//! STARTTLS (143), never plain text; LOGIN, or AUTHENTICATE PLAIN for a non-ASCII password.

use std::time::Duration;

use anyhow::{Context as _, bail};
use async_imap::Session;
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
