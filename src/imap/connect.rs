//! Opening a connection: TCP with timeouts and keepalive, then implicit TLS,
//! STARTTLS or plain, the greeting, and login.
//!
//! The crate's `ClientBuilder` has no connect timeout and no extra root
//! certificates, so the socket and TLS are set up here and handed over.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::ImapError;
use super::error::TlsTrouble;
use super::guard::Guard;
use super::stream::{Control, Inner, Peer, Stream};
use super::wire::{Step, Wire, quoted};
use crate::config::{Account, Mechanism, Tls};
use crate::credential::Secret;
use crate::tls::TlsSetupError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a read outside IDLE may wait for the server's next byte. A
/// server busy with a command still sends within this; silence this long
/// means the connection is gone.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects and logs in; the session is ready for EXAMINE.
pub(super) fn login(
    account: &Account,
    secret: &Secret,
    ctl: Arc<Control>,
) -> Result<Wire, ImapError> {
    let mut wire = connect(account, ctl)?;
    // A refusal is the server's words, never our command (it holds the
    // secret).
    let refused = |e: ImapError| match e {
        ImapError::Refused { information, .. } => ImapError::Auth(information),
        other => other,
    };
    match account.auth {
        Mechanism::Login => {
            let (Some(user), Some(password)) = (quoted(&account.username), quoted(secret.expose()))
            else {
                return Err(ImapError::Auth(
                    "the user name or password contains a line break, which IMAP cannot send"
                        .into(),
                ));
            };
            wire.run(&format!("LOGIN {user} {password}"), |_| false)
                .map_err(refused)?;
        }
        Mechanism::Xoauth2 | Mechanism::Oauthbearer => {
            let mut sasl = Bearer::new(account.auth, &account.username, secret.expose());
            let tag = wire.send(&format!("AUTHENTICATE {}", sasl.mechanism()))?;
            let mut answered = false;
            let result = loop {
                match wire.step()? {
                    Step::Continue(information) => {
                        let challenge = BASE64.decode(information.trim()).unwrap_or_default();
                        let reply = if answered {
                            sasl.refused(&challenge);
                            String::new()
                        } else {
                            answered = true;
                            BASE64.encode(&sasl.first)
                        };
                        wire.send_raw(format!("{reply}\r\n").as_bytes())?;
                    }
                    Step::Noted(_) => {}
                    Step::Done {
                        tag: t,
                        status,
                        text,
                    } if t == tag => {
                        break match status {
                            imap_proto::Status::Ok => Ok(()),
                            _ => Err(ImapError::Auth(text)),
                        };
                    }
                    Step::Done { .. } => {
                        break Err(ImapError::Unexpected(
                            "an answer to a command that was not sent".into(),
                        ));
                    }
                }
            };
            result.map_err(|e| match (e, sasl.refusal) {
                (ImapError::Auth(msg), Some(why)) => ImapError::Auth(format!("{msg} ({why})")),
                (e, _) => e,
            })?;
        }
    }
    Ok(wire)
}

/// SASL XOAUTH2 / OAUTHBEARER (RFC 7628): the first response carries the
/// token; a server that refuses it sends a JSON challenge, answered with
/// an empty line, then NO. The challenge's status and scope are kept to
/// explain the refusal (it holds no secret).
struct Bearer {
    mechanism: Mechanism,
    first: String,
    refusal: Option<String>,
}

impl Bearer {
    fn new(mechanism: Mechanism, user: &str, token: &str) -> Bearer {
        let first = match mechanism {
            Mechanism::Oauthbearer => format!("n,a={user},\x01auth=Bearer {token}\x01\x01"),
            _ => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
        };
        Bearer {
            mechanism,
            first,
            refusal: None,
        }
    }

    fn mechanism(&self) -> &'static str {
        match self.mechanism {
            Mechanism::Oauthbearer => "OAUTHBEARER",
            _ => "XOAUTH2",
        }
    }

    /// Reads the server's JSON challenge that comes before its NO.
    fn refused(&mut self, challenge: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Refusal {
            status: Option<String>,
            scope: Option<String>,
        }
        if let Ok(r) = serde_json::from_slice::<Refusal>(challenge) {
            let mut why = format!("status {}", r.status.as_deref().unwrap_or("?"));
            if let Some(scope) = r.scope {
                why.push_str(&format!(", scope needed: {scope}"));
            }
            self.refusal = Some(why);
        }
    }
}

/// Connects and reads the greeting; no login yet.
pub(super) fn connect(account: &Account, ctl: Arc<Control>) -> Result<Wire, ImapError> {
    let tcp = tcp(&account.host, account.port)?;
    let handshake = |tcp| {
        let tls = handshake(account, tcp)?;
        let peer = tls.peer_certificate().ok().flatten();
        ctl.set_peer(
            peer.and_then(|c| c.to_der().ok())
                .and_then(|d| Peer::from_der(&d)),
        );
        Ok::<_, ImapError>(tls)
    };
    let (inner, greeting_read) = match account.tls {
        Tls::None => (Inner::Plain(tcp), false),
        Tls::Implicit => (Inner::Tls(Box::new(handshake(tcp)?)), false),
        Tls::Starttls => {
            starttls(&tcp)?;
            (Inner::Tls(Box::new(handshake(tcp)?)), true)
        }
    };
    let stream = Stream::new(inner, ctl, IO_TIMEOUT).map_err(ImapError::io)?;
    let mut wire = Wire::new(stream);
    if !greeting_read {
        check_greeting(wire.next_raw()?)?;
    }
    Ok(wire)
}

fn tcp(host: &str, port: u16) -> Result<TcpStream, ImapError> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|source| ImapError::Resolve {
            host: host.to_string(),
            source,
        })?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                let sock = SockRef::from(&s);
                let keepalive = TcpKeepalive::new()
                    .with_time(Duration::from_secs(60))
                    .with_interval(Duration::from_secs(15))
                    .with_retries(4);
                let _ = sock.set_tcp_keepalive(&keepalive);
                // Unacknowledged data for this long means the peer is gone.
                let _ = sock.set_tcp_user_timeout(Some(IO_TIMEOUT * 2));
                return Ok(s);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let (addr, source) = last.unzip();
    Err(ImapError::Unreachable {
        host: host.to_string(),
        port,
        addr,
        source,
    })
}

fn handshake(
    account: &Account,
    tcp: TcpStream,
) -> Result<native_tls::TlsStream<TcpStream>, ImapError> {
    let connector = crate::tls::connector(account.ca_file.as_deref()).map_err(|e| match e {
        TlsSetupError::CaFileUnreadable { path, source } => {
            ImapError::CaFileUnreadable { path, source }
        }
        TlsSetupError::CaFileEmpty { path, source } => ImapError::CaFileEmpty { path, source },
        TlsSetupError::Setup(source) => ImapError::TlsSetup(source),
    })?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(ImapError::io)?;
    connector.connect(&account.host, tcp).map_err(|e| {
        let (trouble, detail, source) = match e {
            native_tls::HandshakeError::Failure(f) => {
                let detail = f.to_string();
                let starttls = account.tls == Tls::Starttls;
                let trouble = TlsTrouble::of(&detail, account.ca_file.as_deref(), starttls);
                (trouble, detail, Some(f))
            }
            native_tls::HandshakeError::WouldBlock(_) => (
                TlsTrouble::Silent,
                "the handshake did not finish".into(),
                None,
            ),
        };
        ImapError::Handshake {
            host: account.host.clone(),
            port: account.port,
            trouble,
            detail,
            source,
        }
    })
}

/// Reads the greeting and upgrades with STARTTLS, on the raw socket (the
/// crate cannot send STARTTLS from outside).
fn starttls(tcp: &TcpStream) -> Result<(), ImapError> {
    tcp.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(ImapError::io)?;
    // Before TLS anyone on the path may answer: the same bounds as after.
    let mut reader = BufReader::new(Guarded {
        tcp,
        guard: Guard::default(),
    });
    let mut line = String::new();
    reader.read_line(&mut line).map_err(ImapError::io)?;
    check_greeting(line.as_bytes())?;
    (&mut &*tcp)
        .write_all(b"mr0 STARTTLS\r\n")
        .map_err(ImapError::io)?;
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(ImapError::io)? == 0 {
            return Err(ImapError::Closed);
        }
        if let Some(rest) = line.strip_prefix("mr0 ") {
            if rest.to_ascii_uppercase().starts_with("OK") {
                // Nothing may follow OK before the handshake; the buffer is empty.
                debug_assert!(reader.buffer().is_empty());
                return Ok(());
            }
            return Err(ImapError::StarttlsRefused(rest.trim().to_string()));
        }
    }
}

/// The raw socket with the bounds of [`Guard`].
struct Guarded<'a> {
    tcp: &'a TcpStream,
    guard: Guard,
}

impl std::io::Read for Guarded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.guard.overdue(false)?;
        let n = std::io::Read::read(&mut &*self.tcp, buf)?;
        self.guard.check(&buf[..n])?;
        Ok(n)
    }
}

fn check_greeting(greeting: &[u8]) -> Result<(), ImapError> {
    let g = String::from_utf8_lossy(greeting);
    let upper = g.to_ascii_uppercase();
    if upper.starts_with("* OK") || upper.starts_with("* PREAUTH") {
        Ok(())
    } else {
        Err(ImapError::Greeting(
            g.trim().chars().take(120).collect::<String>(),
        ))
    }
}
