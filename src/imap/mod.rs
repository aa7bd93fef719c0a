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
mod download;
mod error;
mod fetch;
mod guard;
mod list;
mod notes;
mod stream;
pub mod structure;
mod uid_set;
mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use imap_proto::types::{MailboxDatum, Response, ResponseCode};

pub use changes::ChangeSupport;
pub use connect::IO_TIMEOUT;
pub use error::ImapError;
pub use list::Listed;
pub use notes::MailboxStatus;
pub use stream::{Control, Peer};
pub use uid_set::{parse_uid_set, uid_set};

use crate::config::Account;
use crate::credential::Secret;
use crate::shutdown::Shutdown;
use fetch::Attrs;
use wire::{Step, Wire, mailbox_arg};

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
    wire: Wire,
    ctl: Arc<Control>,
    stop: Shutdown,
    idle: bool,
    capabilities: Vec<String>,
    support: ChangeSupport,
}

impl Connection {
    /// Connects and logs in to `account`.
    pub fn open(
        account: &Account,
        secret: &Secret,
        stop: &Shutdown,
    ) -> Result<Connection, ImapError> {
        let ctl = Control::new(stop.clone());
        let mut wire = connect::login(account, secret, ctl.clone())?;
        let mut capabilities = Vec::new();
        wire.run("CAPABILITY", |r| match r {
            Response::Capabilities(caps) => {
                capabilities = caps.iter().map(cap_name).collect();
                true
            }
            _ => false,
        })?;
        let mut conn = Connection {
            idle: false,
            wire,
            ctl,
            stop: stop.clone(),
            capabilities,
            support: ChangeSupport::None,
        };
        conn.idle = conn.has("IDLE");
        Ok(conn)
    }

    /// Whether the server has `capability`.
    pub fn has(&self, capability: &str) -> bool {
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
        let mut uidvalidity = None;
        let mut status = Status {
            uidvalidity: 0,
            uid_next: None,
            exists: 0,
            highest_modseq: None,
        };
        let command = format!("EXAMINE {}", mailbox_arg(mailbox)?);
        self.wire
            .run(&command, |r| {
                match r {
                    Response::MailboxData(MailboxDatum::Exists(n)) => status.exists = *n,
                    Response::Data {
                        code: Some(code), ..
                    } => match code {
                        ResponseCode::UidValidity(v) => uidvalidity = Some(*v),
                        ResponseCode::UidNext(n) => status.uid_next = Some(*n),
                        ResponseCode::HighestModSeq(m) => status.highest_modseq = Some(*m),
                        _ => return false,
                    },
                    _ => return false,
                }
                true
            })
            .map_err(|e| match e {
                ImapError::Refused {
                    status: "NO",
                    information,
                } => ImapError::MailboxMissing(mailbox.into(), information),
                other => other,
            })?;
        // What EXAMINE itself reported is no news.
        self.wire.notes.news = false;
        self.wire.notes.expunged = false;
        status.uidvalidity = uidvalidity.ok_or_else(|| {
            ImapError::Protocol(format!("the server gave no UIDVALIDITY for \"{mailbox}\""))
        })?;
        Ok(status)
    }

    /// STATUS of a mailbox that need not be open: its UIDVALIDITY, UIDNEXT
    /// and message count, and HIGHESTMODSEQ when changes are tracked.
    pub fn status(&mut self, mailbox: &str) -> Result<MailboxStatus, ImapError> {
        let items = if self.support == ChangeSupport::None {
            "(MESSAGES UIDNEXT UIDVALIDITY)"
        } else {
            "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
        };
        let command = format!("STATUS {} {items}", mailbox_arg(mailbox)?);
        let mut found = None;
        self.wire.run(&command, |r| match r {
            Response::MailboxData(MailboxDatum::Status { status, .. }) if found.is_none() => {
                found = Some(MailboxStatus::from_attributes(status));
                true
            }
            _ => false,
        })?;
        found.ok_or_else(|| ImapError::Unexpected("OK to STATUS without the status".into()))
    }

    /// UIDs of a `UID SEARCH`, ascending.
    fn search(&mut self, criteria: &str) -> Result<Vec<u32>, ImapError> {
        let mut uids = Vec::new();
        self.wire
            .run(&format!("UID SEARCH {criteria}"), |r| match r {
                Response::MailboxData(MailboxDatum::Search(found)) => {
                    uids.extend_from_slice(found);
                    true
                }
                _ => false,
            })?;
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// The highest UID now in the mailbox (0 when empty), for a baseline.
    pub fn highest_uid(&mut self, status: &Status) -> Result<u32, ImapError> {
        if let Some(next) = status.uid_next {
            return Ok(next.saturating_sub(1));
        }
        if status.exists == 0 {
            return Ok(0);
        }
        let mut highest = 0;
        self.wire.run("FETCH * (UID)", |r| match r {
            Response::Fetch(_, attrs) => {
                highest = highest.max(Attrs(attrs).uid().unwrap_or(0));
                true
            }
            _ => false,
        })?;
        Ok(highest)
    }

    /// UIDs above `last`, ascending. (`UID SEARCH UID n:*` also returns the
    /// highest UID when it is below `n`; those are dropped.)
    pub fn uids_after(&mut self, last: u32) -> Result<Vec<u32>, ImapError> {
        let mut uids = self.search(&format!("UID {}:*", last.saturating_add(1)))?;
        uids.retain(|&u| u > last);
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
        self.search(&format!("SINCE {d}-{month}-{y}"))
    }

    /// Each UID's INTERNALDATE (when the server received it), Unix seconds.
    pub fn internal_dates(&mut self, uids: &[u32]) -> Result<Vec<(u32, u64)>, ImapError> {
        let mut dates = Vec::new();
        let command = format!("UID FETCH {} (UID INTERNALDATE)", uid_set(uids));
        self.wire.run(&command, |r| match r {
            Response::Fetch(_, attrs) => {
                let a = Attrs(attrs);
                match (a.uid(), a.internal_date()) {
                    (Some(uid), Some(t)) => {
                        dates.push((uid, t));
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        })?;
        Ok(dates)
    }

    /// Takes what the server said on its own since the last call; true if
    /// it may mean new mail (EXISTS) or, when changes are watched, a flag
    /// change or an expunge, so the caller looks again before IDLE.
    pub fn take_news(&mut self) -> Result<bool, ImapError> {
        Ok(std::mem::take(&mut self.wire.notes.news))
    }

    /// Whether the server reported an expunge since the last call.
    pub fn take_expunged(&mut self) -> bool {
        std::mem::take(&mut self.wire.notes.expunged)
    }

    /// Waits in IDLE until news, `interval`, or a stop request.
    pub fn idle(&mut self, interval: Duration) -> Result<Wake, ImapError> {
        let tag = self.wire.send("IDLE")?;
        loop {
            match self.wire.step()? {
                Step::Continue(_) => break,
                Step::Noted(_) => {}
                Step::Done { status, text, .. } => {
                    return Err(ImapError::Refused {
                        status: if status == imap_proto::Status::No {
                            "NO"
                        } else {
                            "BAD"
                        },
                        information: text,
                    });
                }
            }
        }
        self.ctl.set_deadline(Some(Instant::now() + interval));
        let waited = loop {
            let worth = match self.wire.step() {
                Ok(Step::Noted(worth)) => Ok(worth),
                Ok(Step::Continue(_) | Step::Done { .. }) => Err(ImapError::Unexpected(
                    "an end to IDLE that was not asked for".into(),
                )),
                Err(ImapError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                    break Ok(if self.stop.is_set() {
                        Wake::Stopped
                    } else {
                        Wake::Renew
                    });
                }
                Err(e) => Err(e),
            };
            // A warning in IDLE is about the selected mailbox: it is
            // opened again on a new connection.
            if let Some(warning) = self.wire.notes.warning.take() {
                break Err(ImapError::Warned(warning));
            }
            match worth {
                Ok(true) => break Ok(Wake::Changed),
                Ok(false) => {}
                Err(e) => break Err(e),
            }
        };
        // DONE and its answer go with the normal I/O timeout.
        self.ctl.set_deadline(None);
        let wake = waited?;
        if wake == Wake::Stopped || self.stop.is_set() {
            return Ok(Wake::Stopped);
        }
        self.wire.send_raw(b"DONE\r\n")?;
        match self.wire.finish(&tag, &mut |_| false) {
            Err(ImapError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                Err(ImapError::Protocol(format!(
                    "no answer to DONE within {} s: the connection is dead",
                    IO_TIMEOUT.as_secs()
                )))
            }
            Err(_) if self.stop.is_set() => Ok(Wake::Stopped),
            Err(e) => Err(e),
            Ok(_) => Ok(wake),
        }
    }

    /// NOOP: lets the server report changes, and proves the connection.
    pub fn noop(&mut self) -> Result<(), ImapError> {
        self.wire.run("NOOP", |_| false).map(drop)
    }

    /// Says goodbye; errors are irrelevant at this point.
    pub fn logout(mut self) {
        let _ = self.wire.run("LOGOUT", |_| true);
    }
}

fn cap_name(c: &imap_proto::types::Capability) -> String {
    use imap_proto::types::Capability;
    match c {
        Capability::Imap4rev1 => "IMAP4rev1".into(),
        Capability::Auth(m) => format!("AUTH={m}"),
        Capability::Atom(a) => a.to_string(),
    }
}
