//! Bounds on what a server may send, checked in the stream under the `imap`
//! crate (which would otherwise keep a response whole, however long, take a
//! literal of `{4294967295}`, and wait for a server that trickles a byte at
//! a time forever): a line outside literals is at most [`MAX_LINE`], a
//! literal at most [`MAX_LITERAL`], all that answers one command at most
//! [`MAX_RESPONSE`], and a command gets [`command_deadline`] to be answered.
//! A hostile server costs a few megabytes and a clear error.

use std::io;
use std::time::{Duration, Instant};

use crate::message::{FETCH_LIMIT, PART_PREFIX};

/// The longest line outside a literal (a FETCH line with a big
/// BODYSTRUCTURE stays well under it).
pub const MAX_LINE: usize = 256 * 1024;
/// The largest literal: a little over what a fetch asks for.
pub const MAX_LITERAL: u64 = FETCH_LIMIT as u64 + PART_PREFIX as u64 + 64 * 1024;
/// All a server may send between two commands: a batch of fetches with
/// room to spare.
pub const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

/// How long a command may take to be answered, outside IDLE (which has a
/// deadline of its own). Debug builds take `MAILREACTOR_FAULT_COMMAND_MS`,
/// so a test need not wait minutes for a server that trickles.
pub fn command_deadline() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("MAILREACTOR_FAULT_COMMAND_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Duration::from_millis(ms);
    }
    Duration::from_secs(300)
}

/// Follows the bytes a server sends, line by line and literal by literal.
#[derive(Debug)]
pub struct Guard {
    /// Bytes of the current line so far.
    line: usize,
    /// The end of the current line, to find a literal's `{N}` in.
    tail: Vec<u8>,
    /// Bytes of a literal still to come.
    literal: u64,
    /// Bytes since the last command was sent.
    response: u64,
    /// When the last command was sent (or the connection opened).
    since: Instant,
    deadline: Duration,
}

impl Default for Guard {
    fn default() -> Guard {
        Guard {
            line: 0,
            tail: Vec::with_capacity(32),
            literal: 0,
            response: 0,
            since: Instant::now(),
            deadline: command_deadline(),
        }
    }
}

fn refuse(what: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what}; this is not an IMAP server mailreactor can trust, closing the connection"),
    )
}

impl Guard {
    /// A command was sent: its answer starts now.
    pub fn sent(&mut self) {
        self.response = 0;
        self.since = Instant::now();
    }

    /// Whether the answer to the last command is overdue (`idle`: an IDLE
    /// has its own deadline, and no command is waiting).
    pub fn overdue(&self, idle: bool) -> io::Result<()> {
        if !idle && self.since.elapsed() > self.deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the server took more than {} s to answer a command: the connection is \
                     too slow or stuck",
                    self.deadline.as_secs()
                ),
            ));
        }
        Ok(())
    }

    /// Looks at bytes just read.
    pub fn check(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.response += bytes.len() as u64;
        if self.response > MAX_RESPONSE {
            return Err(refuse(format!(
                "the server sent more than {} MiB in answer to one command",
                MAX_RESPONSE >> 20
            )));
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.literal > 0 {
                let n = (self.literal.min(rest.len() as u64)) as usize;
                self.literal -= n as u64;
                rest = &rest[n..];
                continue;
            }
            match rest.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.extend_line(&rest[..end])?;
                    self.literal = self.literal_announced()?;
                    self.line = 0;
                    self.tail.clear();
                    rest = &rest[end + 1..];
                }
                None => {
                    self.extend_line(rest)?;
                    rest = &[];
                }
            }
        }
        Ok(())
    }

    /// Counts `bytes` into the current line and keeps its last 32 bytes.
    fn extend_line(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.line += bytes.len();
        if self.line > MAX_LINE {
            return Err(refuse(format!(
                "the server sent a line of more than {} KiB",
                MAX_LINE >> 10
            )));
        }
        const TAIL: usize = 32;
        let bytes = &bytes[bytes.len().saturating_sub(TAIL)..];
        self.tail.extend_from_slice(bytes);
        let extra = self.tail.len().saturating_sub(TAIL);
        self.tail.drain(..extra);
        Ok(())
    }

    /// The size of the literal the line that just ended announces
    /// (`... {123}\r`), or 0.
    fn literal_announced(&self) -> io::Result<u64> {
        let t = self.tail.strip_suffix(b"\r").unwrap_or(&self.tail);
        let Some(t) = t.strip_suffix(b"}") else {
            return Ok(0);
        };
        let t = t.strip_suffix(b"+").unwrap_or(t);
        let Some(open) = t.iter().rposition(|&b| b == b'{') else {
            return Ok(0);
        };
        let digits = &t[open + 1..];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Ok(0);
        }
        let n: u64 = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(u64::MAX);
        if n > MAX_LITERAL {
            return Err(refuse(format!(
                "the server announced a literal of {n} bytes (at most {} KiB are taken)",
                MAX_LITERAL >> 10
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_pass_and_bounds_hold() {
        let mut g = Guard::default();
        // A literal's bytes are not a line, whatever they hold.
        let mut fetch = b"* 1 FETCH (BODY[HEADER] {300000}\r\n".to_vec();
        fetch.extend(std::iter::repeat_n(b'x', 300_000));
        fetch.extend_from_slice(b")\r\n");
        g.check(&fetch).unwrap();
        assert_eq!((g.line, g.literal), (0, 0));
        let e = g.check(b"* 1 FETCH (BODY[] {4294967295}\r\n").unwrap_err();
        assert!(e.to_string().contains("literal of 4294967295 bytes"), "{e}");
        let mut g = Guard::default();
        let e = g.check(&vec![b'A'; MAX_LINE + 1]).unwrap_err();
        assert!(e.to_string().contains("a line of more than 256 KiB"), "{e}");
        // Byte by byte, as a trickling server sends it, the same.
        let mut g = Guard::default();
        for b in b"* OK {5}\r\nab\ncd\r\n" {
            g.check(std::slice::from_ref(b)).unwrap();
        }
        assert_eq!((g.line, g.literal), (0, 0));
    }
}
