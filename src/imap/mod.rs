//! One IMAP connection watching one mailbox: connect, log in, EXAMINE
//! (read-only), find UIDs above a cursor, fetch them in batches, IDLE.
//!
//! With CONDSTORE/QRESYNC (RFC 7162) enabled it also reports flag changes
//! and deletions since a mod-sequence.
//!
//! Everything here is blocking; the watcher thread owns the connection.
//! Nothing here changes the mailbox: it is opened with EXAMINE and read
//! with BODY.PEEK, so `\Seen` is never set.

mod connect;
mod stream;
pub mod structure;

use std::sync::Arc;
use std::time::{Duration, Instant};

use imap::extensions::idle::WaitOutcome;
use imap::types::UnsolicitedResponse;

pub use connect::IO_TIMEOUT;
pub use stream::{Control, Peer, Stream};

use crate::config::Account;
use crate::message::Fetched;
use crate::secret::Secret;
use crate::shutdown::Shutdown;

/// At most this much of a message is downloaded: its header up to
/// `FETCH_LIMIT - BODY_PREFIX`, and the first `BODY_PREFIX` of its body.
pub const FETCH_LIMIT: u32 = 256 * 1024;
/// The part of the body fetched for the preview.
pub const BODY_PREFIX: u32 = 16 * 1024;
/// UIDs fetched per command.
pub const BATCH: usize = 100;

/// Why an IMAP operation failed, as the watcher needs to tell.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("login rejected: {0}")]
    Auth(String),
    #[error("mailbox \"{0}\" does not exist or cannot be opened: {1}")]
    MailboxMissing(String, String),
    #[error("{0}")]
    Tls(String),
    #[error("{0}")]
    Connect(String),
    #[error("{0}")]
    Protocol(String),
}

impl ImapError {
    pub(crate) fn io(e: std::io::Error) -> ImapError {
        ImapError::Protocol(format!("connection error: {e}"))
    }
}

impl From<imap::Error> for ImapError {
    fn from(e: imap::Error) -> ImapError {
        match e {
            imap::Error::Io(io) => ImapError::io(io),
            imap::Error::ConnectionLost => {
                ImapError::Protocol("the server closed the connection".into())
            }
            imap::Error::Bye(b) => ImapError::Protocol(format!("the server said goodbye: {b}")),
            imap::Error::Tls(t) => ImapError::Tls(format!("TLS error: {t}")),
            other => ImapError::Protocol(format!("IMAP error: {other}")),
        }
    }
}

/// What EXAMINE told about a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub uidvalidity: u32,
    pub uid_next: Option<u32>,
    pub exists: u32,
    /// HIGHESTMODSEQ, when CONDSTORE is enabled and the mailbox has one.
    pub highest_modseq: Option<u64>,
}

/// How much of RFC 7162 a connection has enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSupport {
    /// Neither: only new mail can be seen (and deletions by comparing UIDs).
    None,
    /// Flag changes (`CHANGEDSINCE`); deletions only by comparing UIDs.
    Condstore,
    /// Flag changes and deletions (`VANISHED`).
    Qresync,
}

/// What changed in a mailbox since a mod-sequence.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// (UID, flags now, the message's MODSEQ), ascending by UID.
    pub flags: Vec<(u32, Vec<String>, u64)>,
    /// UIDs expunged (the server may repeat some it reported before).
    pub vanished: Vec<u32>,
}

/// What ended a wait for changes.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// The server reported new messages (or something to look at).
    Changed,
    /// The IDLE interval ran out; time to renew and check the connection.
    Renew,
    /// A stop was requested.
    Stopped,
}

/// A logged-in connection.
pub struct Connection {
    session: imap::Session<Stream>,
    ctl: Arc<Control>,
    stop: Shutdown,
    idle: bool,
    capabilities: Vec<String>,
    /// Changes are being watched (a flag change or an expunge wakes us),
    /// with this much of RFC 7162 enabled.
    watch_changes: bool,
    support: ChangeSupport,
    /// The server reported an expunge since the last look.
    expunged: bool,
    /// Something the server said on its own was set aside while reading a
    /// command's answer; [`Connection::take_news`] reports it.
    news: bool,
}

impl Connection {
    /// Connects and logs in to `account`.
    pub fn open(
        account: &Account,
        secret: &Secret,
        stop: &Shutdown,
    ) -> Result<Connection, ImapError> {
        let ctl = Control::new(stop.clone());
        let mut session = connect::login(account, secret, ctl.clone())?;
        let caps = session.capabilities()?;
        let capabilities = caps.iter().map(cap_name).collect();
        Ok(Connection {
            idle: caps.has_str("IDLE"),
            session,
            ctl,
            stop: stop.clone(),
            capabilities,
            watch_changes: false,
            support: ChangeSupport::None,
            expunged: false,
            news: false,
        })
    }

    fn has(&self, capability: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// Enables what the server has of RFC 7162 (before EXAMINE), and from
    /// then on wakes for flag changes and expunges as well as new mail.
    pub fn enable_changes(&mut self) -> Result<ChangeSupport, ImapError> {
        let support = if self.has("QRESYNC") {
            self.session.run_command_and_check_ok("ENABLE QRESYNC")?;
            ChangeSupport::Qresync
        } else if self.has("CONDSTORE") {
            self.session.run_command_and_check_ok("ENABLE CONDSTORE")?;
            ChangeSupport::Condstore
        } else {
            ChangeSupport::None
        };
        self.watch_changes = true;
        self.support = support;
        Ok(support)
    }

    /// The server's certificate (TLS connections only).
    pub fn peer(&self) -> Option<Peer> {
        self.ctl.peer()
    }

    pub fn has_idle(&self) -> bool {
        self.idle
    }

    /// The server's capabilities, as names.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Opens `mailbox` read-only.
    pub fn examine(&mut self, mailbox: &str) -> Result<Status, ImapError> {
        let mb = self
            .session
            .examine(crate::utf7::encode(mailbox))
            .map_err(|e| match e {
                imap::Error::No(no) => ImapError::MailboxMissing(mailbox.into(), no.information),
                other => other.into(),
            })?;
        let uidvalidity = mb.uid_validity.ok_or_else(|| {
            ImapError::Protocol(format!("the server gave no UIDVALIDITY for \"{mailbox}\""))
        })?;
        Ok(Status {
            uidvalidity,
            uid_next: mb.uid_next,
            exists: mb.exists,
            highest_modseq: mb.highest_mod_seq,
        })
    }

    /// The open mailbox's HIGHESTMODSEQ now (STATUS; servers answer it for
    /// the selected mailbox too).
    pub fn highest_modseq(&mut self, mailbox: &str) -> Result<Option<u64>, ImapError> {
        let mb = self
            .session
            .status(crate::utf7::encode(mailbox), "(HIGHESTMODSEQ)")?;
        Ok(mb.highest_mod_seq)
    }

    /// Flag changes (and, with QRESYNC, expunges) among UIDs `1..=last`
    /// since `modseq`: one `UID FETCH ... (CHANGEDSINCE m [VANISHED])`.
    pub fn changes_since(&mut self, last: u32, modseq: u64) -> Result<Changes, ImapError> {
        let support = self.support;
        if last == 0 || support == ChangeSupport::None {
            return Ok(Changes::default());
        }
        let vanished = if support == ChangeSupport::Qresync {
            " VANISHED"
        } else {
            ""
        };
        let fetches = self.session.uid_fetch(
            format!("1:{last}"),
            format!("(UID FLAGS) (CHANGEDSINCE {modseq}{vanished})"),
        )?;
        let mut changes = Changes::default();
        for f in fetches.iter() {
            if let (Some(uid), Some(m)) = (f.uid, f.mod_seq())
                && uid <= last
            {
                changes.flags.push((uid, flag_names(f.flags()), m));
            }
        }
        changes.flags.sort_by_key(|c| c.0);
        changes.flags.dedup_by_key(|c| c.0);
        for r in self.session.take_all_unsolicited() {
            match r {
                UnsolicitedResponse::Vanished {
                    earlier: true,
                    uids,
                } => {
                    for range in uids {
                        let end = (*range.end()).min(last);
                        changes.vanished.extend(*range.start()..=end);
                    }
                }
                other => self.set_aside(other)?,
            }
        }
        changes.vanished.sort_unstable();
        changes.vanished.dedup();
        Ok(changes)
    }

    /// Every UID in the open mailbox, ascending.
    pub fn all_uids(&mut self) -> Result<Vec<u32>, ImapError> {
        let mut uids: Vec<u32> = self.session.uid_search("ALL")?.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Notes whether something the server said on its own means a look.
    fn set_aside(&mut self, r: UnsolicitedResponse) -> Result<(), ImapError> {
        match r {
            UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_) => self.news = true,
            UnsolicitedResponse::Expunge(_) | UnsolicitedResponse::Vanished { .. }
                if self.watch_changes =>
            {
                self.news = true;
                self.expunged = true;
            }
            UnsolicitedResponse::Fetch { .. } if self.watch_changes => self.news = true,
            UnsolicitedResponse::Bye { information, .. } => {
                return Err(ImapError::Protocol(format!(
                    "the server said goodbye: {}",
                    information.unwrap_or_default()
                )));
            }
            _ => {}
        }
        Ok(())
    }

    /// The highest UID now in the mailbox (0 when empty), for a baseline.
    pub fn highest_uid(&mut self, status: &Status) -> Result<u32, ImapError> {
        if let Some(next) = status.uid_next {
            return Ok(next.saturating_sub(1));
        }
        if status.exists == 0 {
            return Ok(0);
        }
        let fetches = self.session.fetch("*", "UID")?;
        Ok(fetches.iter().filter_map(|f| f.uid).max().unwrap_or(0))
    }

    /// UIDs above `last`, ascending. (`UID SEARCH UID n:*` also returns the
    /// highest UID when it is below `n`; those are dropped.)
    pub fn uids_after(&mut self, last: u32) -> Result<Vec<u32>, ImapError> {
        let found = self
            .session
            .uid_search(format!("UID {}:*", last.saturating_add(1)))?;
        let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > last).collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Fetches what an event needs of each UID, in one command.
    pub fn fetch(&mut self, uids: &[u32]) -> Result<Vec<Fetched>, ImapError> {
        let modseq = if self.support == ChangeSupport::None {
            ""
        } else {
            " MODSEQ"
        };
        let query = format!(
            "(UID FLAGS RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER]<0.{}> BODY.PEEK[TEXT]<0.{}>{modseq})",
            FETCH_LIMIT - BODY_PREFIX,
            BODY_PREFIX
        );
        let fetches = self.session.uid_fetch(uid_set(uids), query)?;
        let mut out: Vec<Fetched> = fetches
            .iter()
            .filter_map(|f| {
                let uid = f.uid?;
                uids.binary_search(&uid).ok()?;
                Some(Fetched {
                    uid,
                    size: f.size,
                    flags: flag_names(f.flags()),
                    header: f.header().unwrap_or_default().to_vec(),
                    text: f.text().unwrap_or_default().to_vec(),
                    attachments: f
                        .bodystructure()
                        .map(structure::attachments)
                        .unwrap_or_default(),
                    modseq: f.mod_seq(),
                })
            })
            .collect();
        out.sort_by_key(|f| f.uid);
        out.dedup_by_key(|f| f.uid);
        Ok(out)
    }

    /// Takes what the server said on its own since the last call; true if
    /// it may mean new mail (EXISTS) or, when changes are watched, a flag
    /// change or an expunge, so the caller looks again before IDLE.
    pub fn take_news(&mut self) -> Result<bool, ImapError> {
        for r in self.session.take_all_unsolicited() {
            self.set_aside(r)?;
        }
        Ok(std::mem::take(&mut self.news))
    }

    /// Whether the server reported an expunge since the last call.
    pub fn take_expunged(&mut self) -> bool {
        std::mem::take(&mut self.expunged)
    }

    /// Waits in IDLE until new mail, `interval`, or a stop request.
    pub fn idle(&mut self, interval: Duration) -> Result<Wake, ImapError> {
        self.ctl.set_deadline(Some(Instant::now() + interval));
        let mut handle = self.session.idle();
        handle.keepalive(false);
        let changes = self.watch_changes;
        let mut expunged = false;
        let outcome = handle.wait_while(|r| match r {
            UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Bye { .. } => false,
            UnsolicitedResponse::Expunge(_) | UnsolicitedResponse::Vanished { .. } => {
                expunged = changes;
                !changes
            }
            UnsolicitedResponse::Fetch { .. } => !changes,
            _ => true,
        });
        self.expunged |= expunged;
        // DONE and its answer are read with the normal I/O timeout.
        self.ctl.set_deadline(None);
        self.ctl.take_timed_out();
        drop(handle);
        if self.ctl.take_timed_out() {
            return Err(ImapError::Protocol(format!(
                "no answer to DONE within {} s: the connection is dead",
                IO_TIMEOUT.as_secs()
            )));
        }
        match outcome {
            Ok(_) if self.stop.is_set() => Ok(Wake::Stopped),
            Ok(WaitOutcome::TimedOut) => Ok(Wake::Renew),
            Ok(WaitOutcome::MailboxChanged) => Ok(Wake::Changed),
            Err(e) => Err(e.into()),
        }
    }

    /// NOOP: lets the server report changes, and proves the connection.
    pub fn noop(&mut self) -> Result<(), ImapError> {
        Ok(self.session.noop()?)
    }

    /// Says goodbye; errors are irrelevant at this point.
    pub fn logout(mut self) {
        let _ = self.session.logout();
    }
}

/// Flags as names; `\Recent` is a per-session marker, not a message flag.
fn flag_names(flags: &[imap::types::Flag]) -> Vec<String> {
    flags
        .iter()
        .filter(|fl| **fl != imap::types::Flag::Recent)
        .map(|fl| fl.to_string())
        .collect()
}

fn cap_name(c: &imap_proto::types::Capability) -> String {
    use imap_proto::types::Capability;
    match c {
        Capability::Imap4rev1 => "IMAP4rev1".into(),
        Capability::Auth(m) => format!("AUTH={m}"),
        Capability::Atom(a) => a.to_string(),
    }
}

/// `[1,2,3,7,9,10]` → `1:3,7,9:10`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// `1:3,7,9:10` → `[1,2,3,7,9,10]`; what does not parse is skipped.
pub fn parse_uid_set(set: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in set.split(',').filter(|p| !p.is_empty()) {
        match part.split_once(':') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    out.extend(a.min(b)..=a.max(b));
                }
            }
            None => out.extend(part.parse::<u32>().ok()),
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn uid_sets_parse_back() {
        for uids in [vec![1, 2, 3, 7, 9, 10], vec![5], vec![]] {
            assert_eq!(parse_uid_set(&uid_set(&uids)), uids);
        }
        assert_eq!(parse_uid_set("4:2,x,9"), vec![2, 3, 4, 9]);
    }
}
