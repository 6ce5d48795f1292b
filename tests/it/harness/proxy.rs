//! A TCP relay a test can switch: `Down` refuses connections (nothing listens), `Forward`
//! relays to a target port byte for byte (TLS passes through untouched), `Hang` accepts and
//! never answers, like a server that stalls. Used to take the mail server away and bring it
//! back without disturbing the shared mail lab.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Down,
    Forward,
    Hang,
}

pub struct Proxy {
    pub port: u16,
    target: u16,
    running: Mutex<Option<(Arc<AtomicBool>, JoinHandle<()>)>>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// A relay on a free port, initially down.
    pub fn new(target: u16) -> Proxy {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Proxy {
            port,
            target,
            running: Mutex::new(None),
            held: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn set(&self, mode: Mode) {
        let mut running = self.running.lock().unwrap();
        if let Some((stop, handle)) = running.take() {
            stop.store(true, Ordering::SeqCst);
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            handle.join().unwrap();
        }
        for stream in self.held.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if mode == Mode::Down {
            return;
        }
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("rebind the proxy port");
        let stop = Arc::new(AtomicBool::new(false));
        let (target, held, flag) = (self.target, self.held.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            for client in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                match mode {
                    Mode::Hang => held.lock().unwrap().push(client),
                    _ => {
                        let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                            continue;
                        };
                        held.lock().unwrap().push(client.try_clone().unwrap());
                        relay(client, server);
                    }
                }
            }
        });
        *running = Some((stop, handle));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.set(Mode::Down);
    }
}

fn relay(client: TcpStream, server: TcpStream) {
    let pump = |mut from: TcpStream, mut to: TcpStream| {
        std::thread::spawn(move || {
            let _ = from.set_read_timeout(Some(Duration::from_secs(120)));
            let mut buffer = [0u8; 16384];
            loop {
                match from.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if to.write_all(&buffer[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        });
    };
    pump(client.try_clone().unwrap(), server.try_clone().unwrap());
    pump(server, client);
}
