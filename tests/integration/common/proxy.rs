//! A TCP proxy between mailreactor and Dovecot that misbehaves on demand:
//! it can stall the connections it carries (no FIN, no RST: bytes simply
//! stop, as behind a dead NAT), cut them, or drop what the server says and
//! then say something of its own. New connections flow normally.
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Proxy {
    pub port: u16,
    conns: Arc<Mutex<Vec<Conn>>>,
    generation: Arc<AtomicU64>,
}

struct Conn {
    stalled: Arc<AtomicBool>,
    /// What the server sends is dropped.
    muted: Arc<AtomicBool>,
    sockets: [TcpStream; 2],
}

impl Proxy {
    /// Forwards a free loopback port to `127.0.0.1:upstream`.
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let conns: Arc<Mutex<Vec<Conn>>> = Arc::default();
        let list = conns.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let stalled = Arc::new(AtomicBool::new(false));
                let muted = Arc::new(AtomicBool::new(false));
                pump(
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    stalled.clone(),
                    Arc::default(),
                );
                pump(
                    server.try_clone().unwrap(),
                    client.try_clone().unwrap(),
                    stalled.clone(),
                    muted.clone(),
                );
                list.lock().unwrap().push(Conn {
                    stalled,
                    muted,
                    sockets: [client, server],
                });
            }
        });
        Proxy {
            port,
            conns,
            generation: Arc::default(),
        }
    }

    /// Every connection open now stops carrying bytes, silently.
    pub fn stall_existing(&self) {
        for c in self.conns.lock().unwrap().drain(..) {
            c.stalled.store(true, Ordering::SeqCst);
            // Keep the sockets open (no FIN) for as long as the test runs.
            std::mem::forget(c.sockets);
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// What the server sends on the connections open now is dropped (the
    /// client must be waiting, so no answer is cut in two).
    pub fn mute_existing(&self) {
        for c in self.conns.lock().unwrap().iter() {
            c.muted.store(true, Ordering::SeqCst);
        }
    }

    /// Carries the server's words again, after saying `line` to each client.
    pub fn unmute_saying(&self, line: &[u8]) {
        for c in self.conns.lock().unwrap().iter_mut() {
            c.sockets[0].write_all(line).unwrap();
            c.muted.store(false, Ordering::SeqCst);
        }
    }

    /// Every connection open now is closed at once.
    pub fn cut_existing(&self) {
        for c in self.conns.lock().unwrap().drain(..) {
            for s in &c.sockets {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, stalled: Arc<AtomicBool>, muted: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if stalled.load(Ordering::SeqCst) {
                // Swallow everything from now on; never answer, never close.
                while from.read(&mut buf).is_ok_and(|n| n > 0) {}
                std::thread::sleep(Duration::from_secs(3600));
                return;
            }
            if muted.load(Ordering::SeqCst) {
                continue;
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
