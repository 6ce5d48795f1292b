//! Opening an authenticated IMAP session to the configured server.

use std::time::Duration;

use anyhow::{Context as _, bail};
use async_imap::Session;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::{ServerSettings, TlsMode};

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
    let tls = match server.tls {
        TlsMode::Implicit => tls_handshake(server, tcp).await?,
        TlsMode::Starttls => {
            bail!("IMAP STARTTLS is not supported yet; use tls = \"implicit\" (port 993)")
        }
        TlsMode::None => bail!("IMAP without TLS is refused; use tls = \"implicit\""),
    };
    let mut client = async_imap::Client::new(tls);
    let greeting = tokio::time::timeout(NETWORK_TIMEOUT, client.read_response())
        .await
        .context("waiting for the IMAP greeting: timed out")?
        .context("reading the IMAP greeting")?;
    if greeting.is_none() {
        bail!("the IMAP server closed the connection before greeting");
    }
    let user = server.user.as_deref().context("imap.user is not configured")?;
    let session = tokio::time::timeout(NETWORK_TIMEOUT, client.login(user, password))
        .await
        .context("logging in to IMAP: timed out")?
        .map_err(|(error, _)| error)
        .with_context(|| format!("logging in to IMAP as {user}"))?;
    Ok(session)
}

async fn tls_handshake(server: &ServerSettings, tcp: TcpStream) -> anyhow::Result<TlsStream<TcpStream>> {
    let config = crate::tls::client_config(server.ca_file.as_deref())?;
    let name = rustls::pki_types::ServerName::try_from(server.host.clone())
        .with_context(|| format!("{} is not a valid TLS server name", server.host))?;
    tokio::time::timeout(NETWORK_TIMEOUT, TlsConnector::from(config).connect(name, tcp))
        .await
        .context("TLS handshake with the IMAP server: timed out")?
        .with_context(|| format!("TLS handshake with {}", server.host))
}
