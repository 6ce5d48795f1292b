//! Opening one SMTP session: our own TCP connection with `TCP_NODELAY`, handed to lettre's
//! [`AsyncSmtpConnection`], then implicit TLS or STARTTLS and the login.
//!
//! lettre 0.11.23 opens its sockets without `TCP_NODELAY` and writes the end-of-data line
//! as a separate small write, so with Nagle on every message waited for the server's
//! delayed ACK (~40 ms; lettre#1159, fixed upstream after 0.11.23). Opening the socket here
//! removes that wait; everything said on the connection is still lettre's. A session carries
//! exactly one message and is closed after it (see the `mailer` module).
//!
//! Certificates are always checked: STARTTLS with lettre's rustls parameters, implicit TLS
//! with our own rustls handshake against the same roots IMAP trusts (`crate::tls`).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How the session is protected.
#[derive(Clone)]
pub enum Security {
    /// Plain SMTP (`tls = "none"`), only for a relay on the same machine or network.
    None,
    /// STARTTLS is required: a server that does not offer it is an error.
    StartTls(TlsParameters),
    /// TLS from the first byte (port 465).
    Implicit {
        connector: tokio_rustls::TlsConnector,
        name: ServerName<'static>,
    },
}

/// Where and how to open a session; built once per [`super::Mailer`], so the TLS
/// configuration (and its session-resumption cache) is shared by all its sessions.
#[derive(Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub hello: ClientId,
    pub credentials: Option<Credentials>,
}

/// Why a session could not be opened or used.
#[derive(Debug)]
pub enum SessionError {
    /// The TCP connection or the implicit TLS handshake failed.
    Connect(io::Error),
    /// lettre's answer: an SMTP reply, a STARTTLS failure, a broken connection.
    Smtp(lettre::transport::smtp::Error),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Connect(error) => write!(f, "connection error: {error}"),
            SessionError::Smtp(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::Connect(error) => error.source(),
            SessionError::Smtp(error) => std::error::Error::source(error),
        }
    }
}

impl From<lettre::transport::smtp::Error> for SessionError {
    fn from(error: lettre::transport::smtp::Error) -> Self {
        SessionError::Smtp(error)
    }
}

impl Endpoint {
    /// Connects, says EHLO, secures the session as configured and logs in: a session ready
    /// for `MAIL FROM`. Not bounded in time here: the caller's timeout covers it all.
    pub async fn open(&self) -> Result<AsyncSmtpConnection, SessionError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(SessionError::Connect)?;
        tcp.set_nodelay(true).map_err(SessionError::Connect)?;
        let mut connection = match &self.security {
            Security::None => AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?,
            Security::StartTls(parameters) => {
                let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
                // Refuses a server that does not offer STARTTLS: never falls back to plain.
                connection.starttls(parameters.clone(), &self.hello).await?;
                connection
            }
            Security::Implicit { connector, name } => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(SessionError::Connect)?;
                AsyncSmtpConnection::connect_with_transport(Box::new(ImplicitTls(tls)), &self.hello).await?
            }
        };
        // lettre leaves the connection open when the first AUTH answer is a refusal.
        if let Some(credentials) = &self.credentials
            && let Err(error) = connection.auth(DEFAULT_MECHANISMS, credentials).await
        {
            connection.abort().await;
            return Err(error.into());
        }
        Ok(connection)
    }
}

/// Implicit TLS built from rustls' client config for `name`.
pub fn implicit(config: Arc<rustls::ClientConfig>, host: &str) -> anyhow::Result<Security> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| anyhow::anyhow!("smtp.host {host:?} is neither a host name nor an IP address"))?;
    Ok(Security::Implicit {
        connector: tokio_rustls::TlsConnector::from(config),
        name,
    })
}

/// A TLS stream lettre can talk through: lettre only accepts its own TLS or a plain
/// transport, so ours is handed over as a transport.
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
