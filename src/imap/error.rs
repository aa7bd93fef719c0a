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
    /// The handshake failed: what is wrong and what to do first, OpenSSL's
    /// words after (`source`: its error, when it had one).
    #[error("{} (OpenSSL: {detail})", trouble.explain(host, *port))]
    Handshake {
        host: String,
        port: u16,
        trouble: TlsTrouble,
        detail: String,
        #[source]
        source: Option<native_tls::Error>,
    },
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
    /// The server warned (an untagged NO) about the selected mailbox.
    #[error("the server warned about the open mailbox: {0}")]
    Warned(String),
    /// The server sent something the IMAP client could not take.
    #[error("the server sent {0}")]
    Unexpected(String),
    /// What mailreactor itself found wrong with the conversation.
    #[error("{0}")]
    Protocol(String),
}

/// What a failed TLS handshake most likely means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsTrouble {
    /// The certificate is not signed by a trusted root.
    Untrusted,
    /// ... nor by the account's `ca-file`.
    NotByCaFile(PathBuf),
    /// The certificate is for another name.
    WrongName,
    /// The port does not answer with TLS (`starttls`: after STARTTLS).
    NotTls {
        starttls: bool,
    },
    /// The server did not finish the handshake in time.
    Silent,
    Other,
}

impl TlsTrouble {
    /// Reads OpenSSL's `detail` of a failed handshake.
    pub(crate) fn of(
        detail: &str,
        ca_file: Option<&std::path::Path>,
        starttls: bool,
    ) -> TlsTrouble {
        let d = detail.to_ascii_lowercase();
        if d.contains("hostname mismatch") || d.contains("ip address mismatch") {
            TlsTrouble::WrongName
        } else if d.contains("certificate verify failed") {
            match ca_file {
                Some(path) => TlsTrouble::NotByCaFile(path.to_path_buf()),
                None => TlsTrouble::Untrusted,
            }
        } else if d.contains("wrong version number") || d.contains("packet length too long") {
            TlsTrouble::NotTls { starttls }
        } else {
            TlsTrouble::Other
        }
    }

    fn explain(&self, host: &str, port: u16) -> String {
        match self {
            TlsTrouble::Untrusted => format!(
                "the certificate of {host}:{port} is not trusted; if it is self-signed or from a \
                 private CA, set ca-file to that certificate (PEM)"
            ),
            TlsTrouble::NotByCaFile(path) => format!(
                "the certificate of {host}:{port} is not signed by ca-file {}; is that file the \
                 server's certificate (or its CA's), and has the server's certificate changed?",
                path.display()
            ),
            TlsTrouble::WrongName => format!(
                "the certificate of {host}:{port} is issued for another name; write the name it \
                 is issued for as host (`mailreactor check` shows it)"
            ),
            TlsTrouble::NotTls { starttls: false } => format!(
                "{host}:{port} does not speak TLS from the first byte; try tls = \"starttls\" \
                 (usually port 143) or port 993"
            ),
            TlsTrouble::NotTls { starttls: true } => {
                format!("{host}:{port} did not answer STARTTLS with TLS")
            }
            TlsTrouble::Silent => {
                format!("the TLS handshake with {host}:{port} got no answer in time")
            }
            TlsTrouble::Other => format!("the TLS handshake with {host}:{port} failed"),
        }
    }
}

impl ImapError {
    pub(crate) fn io(e: io::Error) -> ImapError {
        ImapError::Io(e)
    }
}

/// An unexpected response, in words: its status and text where it has them.
pub(super) fn describe(r: &Response<'_>) -> String {
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
        let e = ImapError::Unexpected(describe(&r));
        let text = e.to_string();
        assert_eq!(text, "the server sent an unexpected NO: Mailbox is gone");
        assert!(!text.contains("Data {"), "{text}");
    }

    #[test]
    fn tls_failures_lead_with_what_to_do() {
        let e = |detail: &str, ca: Option<&str>, starttls| {
            let trouble = TlsTrouble::of(detail, ca.map(std::path::Path::new), starttls);
            ImapError::Handshake {
                host: "h".into(),
                port: 993,
                trouble,
                detail: detail.into(),
                source: None,
            }
            .to_string()
        };
        let verify = "error:0A000086:SSL routines::certificate verify failed";
        assert!(e(verify, None, false).starts_with("the certificate of h:993 is not trusted; "));
        assert!(e(verify, None, false).ends_with(&format!("(OpenSSL: {verify})")));
        assert!(e(verify, Some("/ca.pem"), false).contains("not signed by ca-file /ca.pem"));
        assert!(!e(verify, Some("/ca.pem"), false).contains("set ca-file"));
        let version = "error:0A00010B:SSL routines::wrong version number";
        assert!(
            e(version, None, false).starts_with("h:993 does not speak TLS from the first byte")
        );
        assert!(e(version, None, true).starts_with("h:993 did not answer STARTTLS with TLS"));
    }

    #[test]
    fn sources_are_kept() {
        use std::error::Error as _;
        let e = ImapError::io(io::Error::other("reset"));
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
