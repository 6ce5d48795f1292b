//! The web page's connections: an accept loop that bounds how many are open and how long
//! one may sit idle, so that half-open connections (slowloris) can neither starve the page
//! nor use up the file descriptors the watcher and the sender need.
//!
//! - At most [`Limits::connections`] are open: 256, or a quarter of the process's open-file
//!   limit when that is lower, so the page never takes the descriptors intake needs.
//! - A request's line and headers must arrive within [`HEADER_READ_TIMEOUT`], and a kept-alive
//!   connection waiting for its next request is closed after as long (hyper's header timer
//!   runs from the moment it waits for a request).
//! - When every place is taken, a new connection still gets in: the connection idle the
//!   longest (no request in progress, or one stuck for [`STUCK`]) is closed to make room.
//!   Only when every connection is busy with a recent request is the newcomer closed at once.
//!   So a flood of idle connections can hold places only until someone needs one, and the
//!   clerk's browser or a monitor's `/healthz` is served.
//!
//! On stop, the loop stops accepting and every connection finishes the request in progress
//! (graceful shutdown); the daemon waits a few seconds for that.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Time for a request's line and headers, and for the next request on a kept-alive connection.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A request still in progress after this long no longer protects its connection from being
/// closed to make room.
pub const STUCK: Duration = Duration::from_secs(10);
/// The most connections open at once, whatever the open-file limit.
pub const MOST_CONNECTIONS: usize = 256;

/// How many connections the page keeps open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub connections: usize,
}

impl Limits {
    /// [`MOST_CONNECTIONS`], or a quarter of `open_files` (at least 16) when that is lower.
    pub fn for_open_files(open_files: Option<u64>) -> Limits {
        let quarter = open_files.map_or(MOST_CONNECTIONS, |n| usize::try_from(n / 4).unwrap_or(usize::MAX));
        Limits {
            connections: quarter.clamp(16, MOST_CONNECTIONS),
        }
    }
}

/// The soft open-file limit of this process, from `/proc/self/limits` (Linux).
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// One open connection, as the accept loop sees it.
struct Open {
    /// Accepted, or last request started or finished.
    last_active: Instant,
    /// When the request in progress started.
    request_since: Option<Instant>,
    close: Arc<Notify>,
}

/// The open connections, so that a newcomer can take the place of the idlest.
#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Open>>,
    next_id: Mutex<u64>,
}

/// What happened to a new connection.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    /// It has a place of its own.
    Admitted,
    /// It took the place of a connection idle the longest, which is told to close.
    Replaced,
    /// Every place is taken by a recent request: it is closed at once.
    Refused,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Open>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a new connection: its id, what closes it, and how it got in.
    fn admit(&self, limit: usize, now: Instant) -> (Admission, Option<(u64, Arc<Notify>)>) {
        let mut open = self.lock();
        let mut admission = Admission::Admitted;
        if open.len() >= limit {
            let idlest = open
                .iter()
                .filter(|(_, c)| c.request_since.is_none_or(|since| now.duration_since(since) >= STUCK))
                .min_by_key(|(_, c)| c.last_active)
                .map(|(id, _)| *id);
            match idlest.and_then(|id| open.remove(&id)) {
                Some(idlest) => {
                    idlest.close.notify_one();
                    admission = Admission::Replaced;
                }
                None => return (Admission::Refused, None),
            }
        }
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        let close = Arc::new(Notify::new());
        open.insert(
            id,
            Open {
                last_active: now,
                request_since: None,
                close: close.clone(),
            },
        );
        (admission, Some((id, close)))
    }

    fn request_started(&self, id: u64, now: Instant) {
        if let Some(c) = self.lock().get_mut(&id) {
            c.request_since = Some(now);
            c.last_active = now;
        }
    }

    fn request_finished(&self, id: u64, now: Instant) {
        if let Some(c) = self.lock().get_mut(&id) {
            c.request_since = None;
            c.last_active = now;
        }
    }

    fn leave(&self, id: u64) {
        self.lock().remove(&id);
    }
}

/// Marks a connection's request finished however its future ends.
struct InProgress {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.registry.request_finished(self.id, Instant::now());
    }
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then lets the requests in
/// progress finish.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: CancellationToken) {
    let registry = Arc::new(Registry::default());
    let mut connections = JoinSet::new();
    let mut refused_since_report = 0u64;
    let mut last_report: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of descriptors (EMFILE/ENFILE) or buffers: wait a little, as hyper did.
                tracing::error!(error = %error, "the web page cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let now = Instant::now();
        let (admission, place) = registry.admit(limits.connections, now);
        if admission != Admission::Admitted {
            refused_since_report += 1;
            if last_report.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60)) {
                tracing::warn!(
                    limit = limits.connections,
                    replaced_or_refused = refused_since_report,
                    "the web page has every connection place taken: idle connections are closed to make room"
                );
                refused_since_report = 0;
                last_report = Some(now);
            }
        }
        let Some((id, close)) = place else {
            drop(stream);
            continue;
        };
        connections.spawn(serve_connection(
            stream,
            peer,
            app.clone(),
            registry.clone(),
            id,
            close,
            shutdown.clone(),
        ));
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    registry: Arc<Registry>,
    id: u64,
    close: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let tower = TowerToHyperService::new(app);
    let requests = registry.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        requests.request_started(id, Instant::now());
        let in_progress = InProgress {
            registry: requests.clone(),
            id,
        };
        let answer = hyper::service::Service::call(&tower, request);
        async move {
            let response: Result<_, Infallible> = answer.await;
            drop(in_progress);
            response
        }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, error = %error, "a web connection ended");
                }
                break;
            }
            () = close.notified() => {
                tracing::debug!(%peer, "an idle web connection was closed to make room");
                break;
            }
            () = shutdown.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
    registry.leave(id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_well_below_the_open_file_limit() {
        assert_eq!(Limits::for_open_files(Some(1024)).connections, 256);
        assert_eq!(Limits::for_open_files(Some(524_288)).connections, 256);
        assert_eq!(Limits::for_open_files(Some(256)).connections, 64);
        assert_eq!(Limits::for_open_files(Some(20)).connections, 16);
        assert_eq!(Limits::for_open_files(None).connections, 256);
    }

    #[tokio::test]
    async fn a_newcomer_takes_the_place_of_the_connection_idle_the_longest() {
        let registry = Registry::default();
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let (_, first) = registry.admit(2, at(0));
        let (first, first_close) = first.unwrap();
        let (_, second) = registry.admit(2, at(1));
        let second = second.unwrap().0;
        registry.request_started(second, at(2));
        registry.request_finished(second, at(3));
        let (admission, third) = registry.admit(2, at(4));
        assert_eq!(admission, Admission::Replaced);
        let still_open: Vec<u64> = registry.lock().keys().copied().collect();
        assert!(!still_open.contains(&first) && still_open.contains(&second));
        // The closed connection hears of it even if it was not yet waiting.
        let noticed = tokio::time::timeout(Duration::from_secs(1), first_close.notified()).await;
        assert!(noticed.is_ok());
        assert!(third.is_some());
    }

    #[test]
    fn busy_connections_keep_their_place_until_their_request_is_stuck() {
        let registry = Registry::default();
        let start = Instant::now();
        let (_, one) = registry.admit(1, start);
        registry.request_started(one.unwrap().0, start);
        let (admission, place) = registry.admit(1, start + Duration::from_secs(1));
        assert_eq!((admission, place.is_none()), (Admission::Refused, true));
        let (admission, place) = registry.admit(1, start + STUCK);
        assert_eq!((admission, place.is_some()), (Admission::Replaced, true));
    }
}
