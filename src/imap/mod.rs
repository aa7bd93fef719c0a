//! One IMAP connection watching one mailbox: connect, log in, EXAMINE
//! (read-only), find UIDs above a cursor, fetch them in batches, IDLE.
//!
//! With CONDSTORE/QRESYNC (RFC 7162) enabled it also reports flag changes
//! and deletions since a mod-sequence.
//!
//! Everything here is blocking; the watcher thread owns the connection.
//! Nothing here changes the mailbox: it is opened with EXAMINE and read
//! with BODY.PEEK, so `\Seen` is never set.

mod changes;
mod connect;
mod error;
mod guard;
mod stream;
pub mod structure;
mod uid_set;

use std::sync::Arc;
use std::time::{Duration, Instant};

use imap::extensions::idle::WaitOutcome;
use imap::types::UnsolicitedResponse;
use imap_proto::types::SectionPath;

pub use changes::ChangeSupport;
pub use connect::IO_TIMEOUT;
pub use error::ImapError;
pub use stream::{Control, Peer, Stream};
pub use uid_set::{parse_uid_set, uid_set};

use crate::config::Account;
use crate::credential::Secret;
use crate::message::{BODY_PREFIX, FETCH_LIMIT, Fetched, PART_PREFIX, TextPart};
use crate::shutdown::Shutdown;

/// UIDs fetched per command.
pub const BATCH: usize = 100;

/// What EXAMINE told about a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub uidvalidity: u32,
    pub uid_next: Option<u32>,
    pub exists: u32,
    /// HIGHESTMODSEQ, when CONDSTORE is enabled and the mailbox has one.
    pub highest_modseq: Option<u64>,
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
                return Err(ImapError::Bye(information.unwrap_or_default()));
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

    /// UIDs of the messages that arrived on or after the day of `time`
    /// (Unix seconds; `UID SEARCH SINCE`, which counts whole days),
    /// ascending.
    pub fn uids_since(&mut self, time: u64) -> Result<Vec<u32>, ImapError> {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        // A day early, so no time zone of the server's can leave one out.
        let t = std::time::UNIX_EPOCH + Duration::from_secs(time.saturating_sub(86_400));
        let day = humantime::format_rfc3339_seconds(t).to_string();
        let (y, m, d) = (&day[0..4], &day[5..7], &day[8..10]);
        let month = MONTHS[m.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
        let mut uids: Vec<u32> = self
            .session
            .uid_search(format!("SINCE {d}-{month}-{y}"))?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Each UID's INTERNALDATE (when the server received it), Unix seconds.
    pub fn internal_dates(&mut self, uids: &[u32]) -> Result<Vec<(u32, u64)>, ImapError> {
        let fetches = self
            .session
            .uid_fetch(uid_set(uids), "(UID INTERNALDATE)")?;
        Ok(fetches
            .iter()
            .filter_map(|f| {
                let t = u64::try_from(f.internal_date()?.timestamp()).ok()?;
                Some((f.uid?, t))
            })
            .collect())
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
        let mut parts = Vec::new();
        let mut out: Vec<Fetched> = fetches
            .iter()
            .filter_map(|f| {
                let uid = f.uid?;
                uids.binary_search(&uid).ok()?;
                let structure = f.bodystructure();
                // A first text part that reaches past the body prefix is
                // fetched on its own, for the preview.
                if let Some(part) = structure.and_then(structure::text_part)
                    && part.end_estimate > u64::from(BODY_PREFIX)
                {
                    parts.push((uid, part));
                }
                Some(Fetched {
                    uid,
                    size: f.size,
                    flags: flag_names(f.flags()),
                    header: f.header().unwrap_or_default().to_vec(),
                    text: f.text().unwrap_or_default().to_vec(),
                    attachments: structure.map(structure::attachments).unwrap_or_default(),
                    modseq: f.mod_seq(),
                    text_part: None,
                })
            })
            .collect();
        drop(fetches);
        out.sort_by_key(|f| f.uid);
        out.dedup_by_key(|f| f.uid);
        self.fetch_text_parts(&mut out, parts)?;
        Ok(out)
    }

    /// Fetches the first [`PART_PREFIX`] bytes of each text part in `parts`
    /// (one command per section number) into `out`.
    fn fetch_text_parts(
        &mut self,
        out: &mut [Fetched],
        mut parts: Vec<(u32, structure::TextPartRef)>,
    ) -> Result<(), ImapError> {
        parts.sort_by(|a, b| a.1.section.cmp(&b.1.section).then(a.0.cmp(&b.0)));
        for group in parts.chunk_by(|a, b| a.1.section == b.1.section) {
            let section = &group[0].1.section;
            let name: Vec<String> = section.iter().map(u32::to_string).collect();
            let group_uids: Vec<u32> = group.iter().map(|(uid, _)| *uid).collect();
            let query = format!("(UID BODY.PEEK[{}]<0.{PART_PREFIX}>)", name.join("."));
            let fetches = self.session.uid_fetch(uid_set(&group_uids), query)?;
            let path = SectionPath::Part(section.clone(), None);
            for f in fetches.iter() {
                let (Some(uid), Some(bytes)) = (f.uid, f.section(&path)) else {
                    continue;
                };
                let Some((_, part)) = group.iter().find(|(u, _)| *u == uid) else {
                    continue;
                };
                if let Ok(i) = out.binary_search_by_key(&uid, |m| m.uid) {
                    out[i].text_part = Some(TextPart {
                        subtype: part.subtype.clone(),
                        charset: part.charset.clone(),
                        encoding: part.encoding.clone(),
                        bytes: bytes[..bytes.len().min(PART_PREFIX as usize)].to_vec(),
                    });
                }
            }
        }
        Ok(())
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
