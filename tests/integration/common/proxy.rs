//! A TCP proxy between mailreactor and Dovecot that misbehaves on demand:
//! it can stall the connections it carries (no FIN, no RST: bytes simply
//! stop, as behind a dead NAT), cut them, or drop what the server says and
//! then say something of its own, or stall the next connection at a
//! chosen point of its conversation. New connections flow normally.
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Proxy {
    pub port: u16,
    conns: Arc<Mutex<Vec<Conn>>>,
    generation: Arc<AtomicU64>,
    /// The next connection stalls at the client's first words after
    /// words holding this.
    stall_after: Arc<Mutex<Option<&'static [u8]>>>,
}

struct Conn {
    stalled: Arc<AtomicBool>,
    /// What the server sends is dropped. Held while the server's words
    /// are written to the client, so none slip past an unmute.
    muted: Arc<Mutex<bool>>,
    idle: Arc<Mutex<Idle>>,
    sockets: [TcpStream; 2],
}

impl Proxy {
    /// Forwards a free loopback port to `127.0.0.1:upstream`.
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let conns: Arc<Mutex<Vec<Conn>>> = Arc::default();
        let list = conns.clone();
        let stall_after: Arc<Mutex<Option<&'static [u8]>>> = Arc::default();
        let armed = stall_after.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let stalled = Arc::new(AtomicBool::new(false));
                let muted = Arc::new(Mutex::new(false));
                let idle = Arc::new(Mutex::new(Idle::default()));
                pump(
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    stalled.clone(),
                    Arc::default(),
                    Side::Client(idle.clone(), armed.lock().unwrap().take().map(Stall::After)),
                );
                pump(
                    server.try_clone().unwrap(),
                    client.try_clone().unwrap(),
                    stalled.clone(),
                    muted.clone(),
                    Side::Server(idle.clone()),
                );
                list.lock().unwrap().push(Conn {
                    stalled,
                    muted,
                    idle,
                    sockets: [client, server],
                });
            }
        });
        Proxy {
            port,
            conns,
            generation: Arc::default(),
            stall_after,
        }
    }

    /// The next connection made stalls (as [`Proxy::stall_existing`]) at
    /// what the client says next after words holding `word`: that command
    /// never reaches the server. It stays listed, for
    /// [`Proxy::cut_existing`].
    pub fn stall_next_after(&self, word: &'static [u8]) {
        *self.stall_after.lock().unwrap() = Some(word);
    }

    /// Waits until a connection open now has stalled.
    pub fn wait_stalled(&self) {
        super::eventually("a stalled connection", || {
            self.conns
                .lock()
                .unwrap()
                .iter()
                .any(|c| c.stalled.load(Ordering::SeqCst))
        });
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

    /// Waits until every connection open now has been in IDLE (the
    /// client's last words `IDLE`, the server's answer `+`) for `settle`
    /// without a break, so nothing is on its way in either direction.
    pub fn wait_idling(&self, settle: Duration) {
        super::eventually("the connections to settle in IDLE", || {
            self.idling_since()
                .is_some_and(|since| since.elapsed() >= settle)
        });
    }

    /// Since when every connection open now has been idling.
    fn idling_since(&self) -> Option<Instant> {
        let conns = self.conns.lock().unwrap();
        let mut latest: Option<Instant> = None;
        for c in conns.iter() {
            let since = c.idle.lock().unwrap().since?;
            latest = Some(latest.map_or(since, |l| l.max(since)));
        }
        latest
    }

    /// What the server sends on the connections open now is dropped (the
    /// client must be waiting, so no answer is cut in two).
    pub fn mute_existing(&self) {
        for c in self.conns.lock().unwrap().iter() {
            *c.muted.lock().unwrap() = true;
        }
    }

    /// Carries the server's words again, after saying `line` to each client.
    /// Both in one step: the client's answer to `line` may come back from
    /// the server before this returns, and must not be dropped.
    pub fn unmute_saying(&self, line: &[u8]) {
        for c in self.conns.lock().unwrap().iter_mut() {
            let mut muted = c.muted.lock().unwrap();
            c.sockets[0].write_all(line).unwrap();
            *muted = false;
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

/// Whether a connection is in IDLE, and since when.
#[derive(Default)]
struct Idle {
    /// The client's last words were an IDLE command.
    asked: bool,
    /// When the server answered that IDLE with a continuation.
    since: Option<Instant>,
}

/// Which way a pump carries bytes, for following IDLE; the client's side
/// may stall at a chosen point (see [`Proxy::stall_next_after`]).
enum Side {
    Client(Arc<Mutex<Idle>>, Option<Stall>),
    Server(Arc<Mutex<Idle>>),
}

/// Where a client's connection is to stall.
enum Stall {
    /// After the words holding this.
    After(&'static [u8]),
    /// At the next words.
    Next,
}

impl Side {
    /// Whether the connection stalls at `bytes` (from the client), which
    /// are then not carried.
    fn stalls_at(&mut self, bytes: &[u8]) -> bool {
        let Side::Client(_, Some(stall)) = self else {
            return false;
        };
        match stall {
            Stall::Next => true,
            Stall::After(word) => {
                if bytes.windows(word.len()).any(|w| w == *word) {
                    *stall = Stall::Next;
                }
                false
            }
        }
    }

    fn saw(&self, bytes: &[u8]) {
        match self {
            Side::Client(idle, _) => {
                let asked = bytes.ends_with(b" IDLE\r\n") || bytes.ends_with(b" idle\r\n");
                *idle.lock().unwrap() = Idle { asked, since: None };
            }
            Side::Server(idle) => {
                let mut idle = idle.lock().unwrap();
                if idle.asked && (bytes.starts_with(b"+") || bytes.windows(3).any(|w| w == b"\n+ "))
                {
                    idle.since.get_or_insert_with(Instant::now);
                }
            }
        }
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    stalled: Arc<AtomicBool>,
    muted: Arc<Mutex<bool>>,
    mut side: Side,
) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if side.stalls_at(&buf[..n]) {
                stalled.store(true, Ordering::SeqCst);
            }
            if stalled.load(Ordering::SeqCst) {
                // Swallow everything from now on; never answer, never close.
                while from.read(&mut buf).is_ok_and(|n| n > 0) {}
                std::thread::sleep(Duration::from_secs(3600));
                return;
            }
            let muted = muted.lock().unwrap();
            if *muted {
                continue;
            }
            side.saw(&buf[..n]);
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
            drop(muted);
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
