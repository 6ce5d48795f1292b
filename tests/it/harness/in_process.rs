//! The service inside the test process: `baocao::wiring::daemon::start` on the test's configuration
//! and database, on a runtime of its own, for tests about what the service does rather than
//! about the binary (signals, the journal, systemd and process limits stay with
//! [`super::service::Service`]). `start` returns once the service is ready; the web page's
//! address comes from the handle, not from a log line.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use baocao::adapters::clock::Clock;
use baocao::wiring::daemon::{Options, Running};

use super::Env;

pub struct InProcess {
    running: Option<Running>,
    // Dropped after `running`: the service's tasks end with it.
    runtime: tokio::runtime::Runtime,
}

impl InProcess {
    /// Starts the service on the environment's configuration and database; returns once it
    /// is ready.
    pub fn start(env: &Env) -> InProcess {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the service");
        let options = Options {
            config_path: env.config.clone(),
            database_override: Some(env.db.url.clone()),
            clock: Clock::system(),
        };
        let running = runtime
            .block_on(baocao::wiring::daemon::start(options))
            .unwrap_or_else(|error| panic!("the service did not start: {error:#}"));
        InProcess {
            running: Some(running),
            runtime,
        }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().expect("the service runs until stopped")
    }

    /// The web page's bound address.
    pub fn web_addr(&self) -> SocketAddr {
        self.running().web_addr().expect("the configuration has [web] listen")
    }

    pub fn web_port(&self) -> u16 {
        self.web_addr().port()
    }

    /// Reads the configuration again, as `systemctl reload` does; whether it was taken.
    pub fn reload(&self) -> bool {
        self.runtime.block_on(self.running().reload())
    }

    /// Stops the service; how long it took.
    pub fn stop(mut self) -> Duration {
        self.stop_now()
    }

    fn stop_now(&mut self) -> Duration {
        let asked = Instant::now();
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.stop());
        }
        asked.elapsed()
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        // A failed test leaves without stopping: stop here, so the health row goes too.
        if !std::thread::panicking() {
            self.stop_now();
        }
    }
}
