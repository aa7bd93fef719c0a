//! The socket under an IMAP session: plain or TLS, with mailreactor's own
//! timeouts.
//!
//! Every read has a
//! limit (the IDLE deadline while idling, the I/O timeout otherwise). A
//! dead connection therefore always ends in a timeout error, never a hang.
//! An idle read sleeps until its deadline without waking: a stop request
//! shuts the socket's reading side down, which ends the read at once.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::shutdown::Shutdown;

pub(crate) enum Inner {
    Plain(TcpStream),
    Tls(Box<native_tls::TlsStream<TcpStream>>),
}

/// Shared between the stream and the thread that drives the session.
pub struct Control {
    deadline: Mutex<Option<Instant>>,
    stop: Shutdown,
    /// The server's certificate, kept at the handshake for `check`.
    peer: Mutex<Option<Peer>>,
}

/// What a server's certificate says, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Peer {
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
}

impl Peer {
    /// Reads a DER certificate; `None` when it cannot be parsed.
    pub fn from_der(der: &[u8]) -> Option<Peer> {
        let cert = openssl::x509::X509::from_der(der).ok()?;
        let name = |n: &openssl::x509::X509NameRef| {
            n.entries()
                .filter_map(|e| {
                    let key = e.object().nid().short_name().ok()?;
                    let value = e.data().to_string().ok()?;
                    Some(format!("{key}={value}"))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        Some(Peer {
            subject: name(cert.subject_name()),
            issuer: name(cert.issuer_name()),
            not_after: cert.not_after().to_string(),
        })
    }
}

impl Control {
    pub fn new(stop: Shutdown) -> Arc<Control> {
        Arc::new(Control {
            deadline: Mutex::new(None),
            stop,
            peer: Mutex::new(None),
        })
    }

    /// While set, reads end at `deadline` or when a stop is requested.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
    }

    pub fn set_peer(&self, peer: Option<Peer>) {
        *self.peer.lock().unwrap_or_else(|e| e.into_inner()) = peer;
    }

    pub fn peer(&self) -> Option<Peer> {
        self.peer.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Stream {
    inner: Inner,
    tcp: TcpStream,
    /// Shuts the socket's reading side down when a stop is requested,
    /// waking a blocked read; goes with the stream.
    _wake: Shutdown,
    ctl: Arc<Control>,
    io_timeout: Duration,
    current: Option<Duration>,
    /// What the server may send, and how long a command may take.
    guard: super::guard::Guard,
}

impl Stream {
    pub(crate) fn new(inner: Inner, ctl: Arc<Control>, io_timeout: Duration) -> io::Result<Stream> {
        let tcp = match &inner {
            Inner::Plain(s) => s.try_clone()?,
            Inner::Tls(s) => s.get_ref().try_clone()?,
        };
        tcp.set_write_timeout(Some(io_timeout))?;
        let socket = tcp.try_clone()?;
        let wake = ctl.stop.child_with(move || {
            let _ = socket.shutdown(std::net::Shutdown::Read);
        });
        Ok(Stream {
            inner,
            tcp,
            _wake: wake,
            ctl,
            io_timeout,
            current: None,
            guard: Default::default(),
        })
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.inner, Inner::Tls(_))
    }

    fn set_timeout(&mut self, t: Duration) -> io::Result<()> {
        if self.current != Some(t) {
            self.tcp.set_read_timeout(Some(t))?;
            self.current = Some(t);
        }
        Ok(())
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(s) => s.read(buf),
            Inner::Tls(s) => s.read(buf),
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_string())
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let idle = self.ctl.deadline().is_some();
        self.guard.overdue(idle)?;
        let n = self.read_unguarded(buf)?;
        self.guard.check(&buf[..n])?;
        Ok(n)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.guard.sent();
        match &mut self.inner {
            Inner::Plain(s) => s.write(buf),
            Inner::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(s) => s.flush(),
            Inner::Tls(s) => s.flush(),
        }
    }
}

impl Stream {
    /// A read with mailreactor's timeouts (see the module's doc).
    fn read_unguarded(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(deadline) = self.ctl.deadline() else {
            self.set_timeout(self.io_timeout)?;
            return self.read_inner(buf).map_err(|e| match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(&format!(
                    "no answer from the server within {} s: the connection is dead",
                    self.io_timeout.as_secs()
                )),
                _ => e,
            });
        };
        loop {
            if self.ctl.stop.is_set() {
                return Err(timed_out("stopping"));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(timed_out("idle deadline"));
            }
            self.set_timeout(deadline - now)?;
            match self.read_inner(buf) {
                // The stop request shut the socket's reading side.
                _ if self.ctl.stop.is_set() => return Err(timed_out("stopping")),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                other => return other,
            }
        }
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("tls", &self.is_tls())
            .finish()
    }
}
