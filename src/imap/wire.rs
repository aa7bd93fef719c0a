//! Our side of the IMAP conversation: commands go out with tags, responses
//! come in whole (a line, and each literal taken by its announced length)
//! and are parsed once by `imap_proto`.
//!
//! The `imap` crate re-parses a response from its start after every line
//! until it parses, which is quadratic in a message's lines: a catch-up of
//! 16 KiB messages ran at 0.05× the speed a bare client gets from the same
//! server (BENCHMARKS.md, row c). It also ends an IDLE with an error at any
//! untagged response it does not model, which NOTIFY sends. Reading whole
//! responses here makes each byte cost once and lets every untagged
//! response be handled where it comes.
//!
//! The bounds (line, literal and response sizes, how long a command may
//! take) are checked below this, in the stream's guard.

use std::io::{BufRead, BufReader, Write};

use imap_proto::types::{Response, Status};

use super::ImapError;
use super::error::describe;
use super::notes::Notes;
use super::stream::Stream;

/// Big enough that a FETCH batch is read in few system calls.
const READ_BUFFER: usize = 64 * 1024;

pub(super) struct Wire {
    reader: BufReader<Stream>,
    tag: u32,
    /// The response being read, or the last one read.
    buf: Vec<u8>,
    /// `buf` holds a whole response; the next read starts a new one.
    whole: bool,
    /// Bytes of a literal still to read into `buf`.
    literal: usize,
    /// What the server said on its own.
    pub notes: Notes,
}

/// What [`Wire::step`] read.
pub(super) enum Step {
    /// A request to continue, with its text.
    Continue(String),
    /// An untagged response, noted: whether it is worth a look.
    Noted(bool),
    /// The tagged end of a command.
    Done {
        tag: String,
        status: Status,
        text: String,
    },
}

/// What a response was, once read.
pub(super) enum Reply<'a> {
    /// An untagged response (or a continuation request).
    Untagged(Response<'a>),
    /// An untagged response `imap_proto` cannot parse (an extension's): its
    /// text, for what little we recognise in it.
    Unparsed(String),
    /// The tagged end of a command.
    Done {
        tag: String,
        status: Status,
        text: String,
    },
}

impl Wire {
    pub fn new(stream: Stream) -> Wire {
        Wire {
            reader: BufReader::with_capacity(READ_BUFFER, stream),
            tag: 0,
            buf: Vec::with_capacity(4096),
            whole: true,
            literal: 0,
            notes: Notes::default(),
        }
    }

    /// Sends `command` with a new tag; returns the tag.
    pub fn send(&mut self, command: &str) -> Result<String, ImapError> {
        self.tag += 1;
        let tag = format!("mr{}", self.tag);
        let line = format!("{tag} {command}\r\n");
        self.send_raw(line.as_bytes())?;
        Ok(tag)
    }

    /// Sends a line as it is (`DONE`, an answer to a continuation request);
    /// `line` ends with CRLF.
    pub fn send_raw(&mut self, line: &[u8]) -> Result<(), ImapError> {
        let stream = self.reader.get_mut();
        stream.write_all(line).map_err(ImapError::io)?;
        stream.flush().map_err(ImapError::io)
    }

    /// Reads the next whole response as it came (a greeting, to show). A
    /// read cut short (a timeout, a stop) keeps what was read: the next
    /// call goes on from there.
    pub fn next_raw(&mut self) -> Result<&[u8], ImapError> {
        self.fill()?;
        Ok(&self.buf)
    }

    /// Reads the next whole response and notes it if it is untagged.
    pub fn step(&mut self) -> Result<Step, ImapError> {
        self.fill()?;
        Ok(match classify(&self.buf) {
            Reply::Untagged(Response::Continue { information, .. }) => {
                Step::Continue(information.map(|i| i.to_string()).unwrap_or_default())
            }
            Reply::Untagged(r) => Step::Noted(self.notes.note(&r)?),
            Reply::Unparsed(text) => Step::Noted(self.notes.note_unparsed(&text)),
            Reply::Done { tag, status, text } => Step::Done { tag, status, text },
        })
    }

    fn fill(&mut self) -> Result<(), ImapError> {
        if self.whole {
            self.buf.clear();
            self.whole = false;
        }
        loop {
            while self.literal > 0 {
                let available = self.reader.fill_buf().map_err(ImapError::io)?;
                if available.is_empty() {
                    return Err(ImapError::Closed);
                }
                let n = available.len().min(self.literal);
                self.buf.extend_from_slice(&available[..n]);
                self.reader.consume(n);
                self.literal -= n;
            }
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(ImapError::io)?;
            if n == 0 {
                return Err(ImapError::Closed);
            }
            if !self.buf.ends_with(b"\n") {
                // The rest of the line comes with the next read.
                continue;
            }
            // A line is whole (one cut short by a timeout went on from where
            // it was cut): its end tells whether a literal follows.
            match literal_length(&self.buf) {
                Some(n) => self.literal = n,
                None => {
                    self.whole = true;
                    return Ok(());
                }
            }
        }
    }

    /// Runs `command` to its end. Each untagged response goes to `each`
    /// first; what it does not take (returns false for) goes to the notes.
    /// NO and BAD are errors.
    pub fn run(
        &mut self,
        command: &str,
        mut each: impl FnMut(&Response<'_>) -> bool,
    ) -> Result<String, ImapError> {
        let tag = self.send(command)?;
        self.finish(&tag, &mut each)
    }

    /// Reads to the end of the command tagged `tag`.
    pub fn finish(
        &mut self,
        tag: &str,
        each: &mut dyn FnMut(&Response<'_>) -> bool,
    ) -> Result<String, ImapError> {
        self.finish_then(tag, each, None)
    }

    /// [`Wire::finish`], sending `next`'s command on the way: as soon as an
    /// untagged response passes its test, or else once the tagged answer is
    /// OK. The tag it went with is noted in `next`.
    pub fn finish_then(
        &mut self,
        tag: &str,
        each: &mut dyn FnMut(&Response<'_>) -> bool,
        mut next: Option<&mut Next<'_>>,
    ) -> Result<String, ImapError> {
        loop {
            self.fill()?;
            let mut send = false;
            match classify(&self.buf) {
                Reply::Done {
                    tag: t,
                    status,
                    text,
                } if t == tag => {
                    return match status {
                        Status::Ok => {
                            if let Some(next) = next.as_mut().filter(|n| n.tag.is_none()) {
                                next.tag = Some(self.send(next.command)?);
                            }
                            Ok(text)
                        }
                        Status::No => Err(ImapError::Refused {
                            status: "NO",
                            information: text,
                        }),
                        _ => Err(ImapError::Refused {
                            status: "BAD",
                            information: text,
                        }),
                    };
                }
                Reply::Done { .. } => {
                    return Err(ImapError::Unexpected(
                        "an answer to a command that was not sent".into(),
                    ));
                }
                Reply::Untagged(r @ Response::Continue { .. }) => {
                    return Err(ImapError::Unexpected(describe(&r)));
                }
                Reply::Untagged(r) => {
                    send = next
                        .as_ref()
                        .is_some_and(|n| n.tag.is_none() && (n.when)(&r));
                    if !each(&r) {
                        self.notes.note(&r)?;
                    }
                }
                Reply::Unparsed(text) => {
                    self.notes.note_unparsed(&text);
                }
            }
            if send && let Some(next) = next.as_mut() {
                next.tag = Some(self.send(next.command)?);
            }
        }
    }
}

/// A command to send while another is being answered
/// ([`Wire::finish_then`]).
pub(super) struct Next<'a> {
    pub command: &'a str,
    /// Whether this response is the last one awaited of the command
    /// being answered.
    pub when: &'a dyn Fn(&Response<'_>) -> bool,
    /// The command's tag, once sent.
    pub tag: Option<String>,
}

/// What a whole response is.
fn classify(buf: &[u8]) -> Reply<'_> {
    match imap_proto::parser::parse_response(buf) {
        Ok((
            _,
            Response::Done {
                tag,
                status,
                information,
                ..
            },
        )) => Reply::Done {
            tag: tag.0.to_string(),
            status,
            text: information.map(|i| one_line(&i)).unwrap_or_default(),
        },
        Ok((_, r)) => Reply::Untagged(r),
        Err(_) => {
            let text = String::from_utf8_lossy(buf);
            match text.split_once(' ') {
                Some((tag, rest)) if tag != "*" && tag != "+" => {
                    let (word, info) = rest.split_once(' ').unwrap_or((rest, ""));
                    let status = match word.to_ascii_uppercase().as_str() {
                        "OK" => Status::Ok,
                        "NO" => Status::No,
                        _ => Status::Bad,
                    };
                    Reply::Done {
                        tag: tag.to_string(),
                        status,
                        text: one_line(info),
                    }
                }
                _ => Reply::Unparsed(one_line(&text)),
            }
        }
    }
}

/// The length of the literal a line ends by announcing (`{N}` or `{N+}`).
fn literal_length(buf: &[u8]) -> Option<usize> {
    let line = buf.strip_suffix(b"\r\n").or(buf.strip_suffix(b"\n"))?;
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Server text on one line, at most 200 characters.
pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// `s` as an IMAP quoted string; `None` if it holds what a quoted string
/// cannot (CR, LF, NUL).
pub(super) fn quoted(s: &str) -> Option<String> {
    if s.contains(['\r', '\n', '\0']) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

/// A mailbox name as a command argument: modified UTF-7, quoted.
pub(super) fn mailbox_arg(name: &str) -> Result<String, ImapError> {
    quoted(&crate::utf7::encode(name)).ok_or_else(|| {
        ImapError::Protocol(format!(
            "the mailbox name \"{}\" holds a line break, which IMAP cannot send",
            name.escape_debug()
        ))
    })
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire").field("tag", &self.tag).finish()
    }
}

/// Reads whole responses from bytes, for the tests of what is built on this.
#[cfg(test)]
pub(super) fn responses(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    use std::io;
    let mut reader = BufReader::new(bytes);
    let mut buf = Vec::new();
    loop {
        let n = reader.read_until(b'\n', &mut buf).unwrap();
        if n == 0 {
            return out;
        }
        match literal_length(&buf) {
            Some(len) => {
                let mut lit = vec![0; len];
                io::Read::read_exact(&mut reader, &mut lit).unwrap();
                buf.extend_from_slice(&lit);
            }
            None => out.push(std::mem::take(&mut buf)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wire to a scripted server on loopback: `script` gets the
    /// server's side of the connection, read and write.
    fn scripted(
        script: impl FnOnce(BufReader<std::net::TcpStream>, std::net::TcpStream) + Send + 'static,
    ) -> (Wire, std::thread::JoinHandle<()>) {
        use std::time::Duration;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            script(BufReader::new(s.try_clone().unwrap()), s);
        });
        let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let ctl = super::super::stream::Control::new(crate::shutdown::Shutdown::new());
        let inner = super::super::stream::Inner::Plain(tcp);
        let stream = Stream::new(inner, ctl, Duration::from_secs(5)).unwrap();
        (Wire::new(stream), server)
    }

    /// Reads a line within `ms` milliseconds, or `None`.
    fn line_within(r: &mut BufReader<std::net::TcpStream>, ms: u64) -> Option<String> {
        let timeout = std::time::Duration::from_millis(ms);
        r.get_ref().set_read_timeout(Some(timeout)).unwrap();
        let mut line = String::new();
        let got = r.read_line(&mut line).ok().filter(|&n| n > 0).map(|_| line);
        r.get_ref()
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        got
    }

    #[test]
    fn the_next_command_goes_once_the_last_awaited_answer_is_in() {
        let (mut wire, server) = scripted(|mut r, mut w| {
            assert_eq!(line_within(&mut r, 5000).as_deref(), Some("mr1 FIRST\r\n"));
            w.write_all(b"* 1 FETCH (UID 1)\r\n").unwrap();
            // Not before the last awaited answer: the server would run it
            // beside the first.
            assert_eq!(line_within(&mut r, 200), None);
            w.write_all(b"* 2 FETCH (UID 2)\r\n").unwrap();
            // Before the tagged answer: no round trip lost.
            assert_eq!(line_within(&mut r, 5000).as_deref(), Some("mr2 SECOND\r\n"));
            w.write_all(b"mr1 OK done\r\n").unwrap();
        });
        let tag = wire.send("FIRST").unwrap();
        let last = |r: &Response<'_>| matches!(r, Response::Fetch(2, _));
        let mut next = Next {
            command: "SECOND",
            when: &last,
            tag: None,
        };
        let mut fetches = 0;
        let mut each = |r: &Response<'_>| {
            fetches += 1;
            matches!(r, Response::Fetch(..))
        };
        wire.finish_then(&tag, &mut each, Some(&mut next)).unwrap();
        assert_eq!((next.tag.as_deref(), fetches), (Some("mr2"), 2));
        server.join().unwrap();
    }

    #[test]
    fn without_the_awaited_answer_the_next_command_goes_after_an_ok_only() {
        let (mut wire, server) = scripted(|mut r, mut w| {
            assert_eq!(line_within(&mut r, 5000).as_deref(), Some("mr1 FIRST\r\n"));
            // The awaited answer never comes (its message vanished).
            w.write_all(b"* 1 FETCH (UID 1)\r\nmr1 OK done\r\n")
                .unwrap();
            assert_eq!(line_within(&mut r, 5000).as_deref(), Some("mr2 SECOND\r\n"));
            w.write_all(b"mr2 NO refused\r\n").unwrap();
            // After a refusal nothing more is asked.
            assert_eq!(line_within(&mut r, 200), None);
        });
        let never = |_: &Response<'_>| false;
        let tag = wire.send("FIRST").unwrap();
        let mut next = Next {
            command: "SECOND",
            when: &never,
            tag: None,
        };
        wire.finish_then(&tag, &mut |_| true, Some(&mut next))
            .unwrap();
        assert_eq!(next.tag.as_deref(), Some("mr2"));
        let mut after = Next {
            command: "THIRD",
            when: &never,
            tag: None,
        };
        let refused = wire.finish_then("mr2", &mut |_| true, Some(&mut after));
        assert!(matches!(refused, Err(ImapError::Refused { .. })));
        assert_eq!(after.tag, None);
        server.join().unwrap();
    }

    #[test]
    fn literals_are_found_by_their_announcement() {
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {12}\r\n"), Some(12));
        assert_eq!(literal_length(b"a LOGIN {3+}\r\n"), Some(3));
        assert_eq!(literal_length(b"* OK {x}\r\n"), None);
        assert_eq!(literal_length(b"* OK {}\r\n"), None);
        assert_eq!(literal_length(b"* OK \"{3}\"\r\n"), None);
    }

    #[test]
    fn a_response_with_literals_is_read_whole() {
        let wire = b"* 1 FETCH (UID 5 BODY[HEADER] {8}\r\nA: b\r\n\r\n BODY[TEXT] {4}\r\nhi\r\n)\r\nmr1 OK done\r\n";
        let all = responses(wire);
        assert_eq!(all.len(), 2);
        let Reply::Untagged(Response::Fetch(1, attrs)) = classify(&all[0]) else {
            panic!("not a fetch");
        };
        assert_eq!(attrs.len(), 3);
        let Reply::Done { tag, status, .. } = classify(&all[1]) else {
            panic!("not done");
        };
        assert_eq!((tag.as_str(), status), ("mr1", Status::Ok));
    }

    #[test]
    fn what_cannot_be_parsed_is_kept_as_text() {
        match classify(b"* NO [NOTIFICATIONOVERFLOW] Too many\r\n") {
            Reply::Unparsed(t) => assert!(t.contains("NOTIFICATIONOVERFLOW"), "{t}"),
            Reply::Untagged(Response::Data { information, .. }) => {
                assert!(information.unwrap().contains("NOTIFICATIONOVERFLOW"))
            }
            _ => panic!("misread"),
        }
        match classify(b"mr7 NO [WHATEVER 1 2] \x1b[31mred\r\n") {
            Reply::Done { tag, status, text } => {
                assert_eq!((tag.as_str(), status), ("mr7", Status::No));
                assert!(!text.contains('\x1b'), "{text}");
            }
            _ => panic!("misread"),
        }
    }

    #[test]
    fn quoting_escapes_and_refuses_line_breaks() {
        assert_eq!(quoted(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
        assert_eq!(quoted("a\r\nb"), None);
    }
}
