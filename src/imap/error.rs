//! Why an IMAP operation failed, as the watcher and `check` need to tell:
//! each failure a variant of its own, with the cause kept as its `source`
//! and a message that is a sentence (never a Rust `Debug` rendering of what
//! the server sent).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use imap_proto::types::{Response, Status};

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The server refused the login; its reason.
    #[error("login rejected: {0}")]
    Auth(String),
    #[error("mailbox \"{0}\" does not exist or cannot be opened: {1}")]
    MailboxMissing(String, String),
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        #[source]
        source: io::Error,
    },
    /// No address of the host took the connection (`source`: the last
    /// address's error, if there was an address).
    #[error("cannot connect to {host}:{port}: {}", match (addr, source) {
        (Some(a), Some(e)) => format!("{a}: {e}"),
        _ => "no address".to_string(),
    })]
    Unreachable {
        host: String,
        port: u16,
        addr: Option<SocketAddr>,
        #[source]
        source: Option<io::Error>,
    },
    #[error("cannot read ca-file {}: {source}", path.display())]
    CaFileUnreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("ca-file {} holds no PEM certificate: {source}", path.display())]
    CaFileEmpty {
        path: PathBuf,
        #[source]
        source: native_tls::Error,
    },
    #[error("TLS setup failed: {0}")]
    TlsSetup(#[source] native_tls::Error),
    /// The handshake failed (`source`: OpenSSL's error, when it had one).
    #[error("TLS handshake with {host}:{port} failed: {detail}{hint}")]
    Handshake {
        host: String,
        port: u16,
        detail: String,
        /// What to do about it, or nothing.
        hint: &'static str,
        #[source]
        source: Option<native_tls::Error>,
    },
    #[error("TLS error: {0}")]
    Tls(#[source] native_tls::Error),
    #[error("the server refused STARTTLS: {0}")]
    StarttlsRefused(String),
    #[error("unexpected greeting (is this an IMAP port with the right TLS mode?): {0}")]
    Greeting(String),
    #[error("connection error: {0}")]
    Io(#[source] io::Error),
    #[error("the server closed the connection")]
    Closed,
    #[error("the server said goodbye: {0}")]
    Bye(String),
    /// The server answered a command with NO or BAD.
    #[error("the server answered {status}: {information}")]
    Refused {
        status: &'static str,
        information: String,
    },
    /// The server sent something the IMAP client could not take.
    #[error("the server sent {0}")]
    Unexpected(String),
    /// What mailreactor itself found wrong with the conversation.
    #[error("{0}")]
    Protocol(String),
}

impl ImapError {
    pub(crate) fn io(e: io::Error) -> ImapError {
        ImapError::Io(e)
    }
}

impl From<imap::Error> for ImapError {
    fn from(e: imap::Error) -> ImapError {
        match e {
            imap::Error::Io(io) => ImapError::Io(io),
            imap::Error::ConnectionLost => ImapError::Closed,
            imap::Error::Bye(b) => ImapError::Bye(b.information),
            imap::Error::Tls(t) => ImapError::Tls(t),
            imap::Error::TlsHandshake(h) => ImapError::Protocol(format!("TLS handshake: {h}")),
            imap::Error::No(no) => ImapError::Refused {
                status: "NO",
                information: no.information,
            },
            imap::Error::Bad(bad) => ImapError::Refused {
                status: "BAD",
                information: bad.information,
            },
            imap::Error::Unexpected(r) => ImapError::Unexpected(describe(&r)),
            imap::Error::Parse(_) => {
                ImapError::Unexpected("an answer that cannot be parsed".into())
            }
            imap::Error::TagMismatch(_) => {
                ImapError::Unexpected("an answer to a command that was not sent".into())
            }
            imap::Error::MissingStatusResponse => {
                ImapError::Unexpected("OK to STATUS without the status".into())
            }
            // Never quote the input: it may be a password.
            imap::Error::Validate(_) => {
                ImapError::Protocol("a command held characters IMAP cannot send".into())
            }
            other => ImapError::Protocol(format!("IMAP: {}", one_line(&other.to_string()))),
        }
    }
}

/// An unexpected response, in words: its status and text where it has them.
fn describe(r: &Response<'_>) -> String {
    let said = |status: &Status, information: &Option<std::borrow::Cow<'_, str>>| {
        let status = match status {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::PreAuth => "PREAUTH",
            Status::Bye => "BYE",
        };
        match information.as_deref() {
            Some(text) => format!("an unexpected {status}: {}", one_line(text)),
            None => format!("an unexpected {status}"),
        }
    };
    match r {
        Response::Data {
            status,
            information,
            ..
        }
        | Response::Done {
            status,
            information,
            ..
        } => said(status, information),
        Response::Continue { .. } => "an unexpected request to continue".into(),
        _ => "an answer mailreactor did not expect".into(),
    }
}

/// Server text on one line, at most 200 characters.
fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unexpected_no_is_a_sentence_not_debug() {
        let r = Response::Data {
            status: Status::No,
            code: None,
            information: Some("Mailbox\r\n is gone".into()),
        };
        let e = ImapError::from(imap::Error::Unexpected(r.into_owned()));
        let text = e.to_string();
        assert_eq!(text, "the server sent an unexpected NO: Mailbox is gone");
        assert!(!text.contains("Data {"), "{text}");
    }

    #[test]
    fn sources_are_kept() {
        use std::error::Error as _;
        let e = ImapError::from(imap::Error::Io(io::Error::other("reset")));
        assert_eq!(e.to_string(), "connection error: reset");
        assert!(e.source().is_some());
        let e = ImapError::Unreachable {
            host: "h".into(),
            port: 1,
            addr: Some("127.0.0.1:1".parse().unwrap()),
            source: Some(io::Error::from(io::ErrorKind::ConnectionRefused)),
        };
        assert!(
            e.to_string()
                .starts_with("cannot connect to h:1: 127.0.0.1:1: "),
            "{e}"
        );
        assert!(e.source().is_some());
    }
}
