//! RFC 7162 on a [`Connection`]: enabling CONDSTORE/QRESYNC, the
//! mailbox's HIGHESTMODSEQ, and what changed since a mod-sequence.

use imap_proto::types::Response;

use super::fetch::Attrs;
use super::{Connection, ImapError};

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

/// What [`Connection::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub uidvalidity: Option<u32>,
    pub highest_modseq: Option<u64>,
}

impl Connection {
    /// Enables what the server has of RFC 7162 (before EXAMINE), and from
    /// then on wakes for flag changes and expunges as well as new mail.
    pub fn enable_changes(&mut self) -> Result<ChangeSupport, ImapError> {
        let support = if self.has("QRESYNC") {
            self.wire.run("ENABLE QRESYNC", |_| false)?;
            ChangeSupport::Qresync
        } else if self.has("CONDSTORE") {
            self.wire.run("ENABLE CONDSTORE", |_| false)?;
            ChangeSupport::Condstore
        } else {
            ChangeSupport::None
        };
        self.wire.notes.watch_changes = true;
        self.support = support;
        Ok(support)
    }

    /// What the open mailbox is now: its UIDVALIDITY and, when changes are
    /// tracked, its HIGHESTMODSEQ (one STATUS; servers answer it for the
    /// selected mailbox too). A mailbox deleted and re-created under the
    /// session shows here as another UIDVALIDITY, or as an error.
    pub fn check(&mut self, mailbox: &str) -> Result<Check, ImapError> {
        let s = self.status(mailbox)?;
        Ok(Check {
            uidvalidity: s.uidvalidity,
            highest_modseq: s.highest_modseq,
        })
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
        let command = format!("UID FETCH 1:{last} (UID FLAGS) (CHANGEDSINCE {modseq}{vanished})");
        let mut changes = Changes::default();
        self.wire.run(&command, |r| match r {
            Response::Fetch(_, attrs) => {
                let f = Attrs(attrs);
                if let (Some(uid), Some(m)) = (f.uid(), f.modseq())
                    && uid <= last
                {
                    changes.flags.push((uid, f.flags(), m));
                }
                true
            }
            Response::Vanished {
                earlier: true,
                uids,
            } => {
                for range in uids {
                    let end = (*range.end()).min(last);
                    changes.vanished.extend(*range.start()..=end);
                }
                true
            }
            _ => false,
        })?;
        changes.flags.sort_by_key(|c| c.0);
        changes.flags.dedup_by_key(|c| c.0);
        changes.vanished.sort_unstable();
        changes.vanished.dedup();
        Ok(changes)
    }

    /// Every UID in the open mailbox, ascending.
    pub fn all_uids(&mut self) -> Result<Vec<u32>, ImapError> {
        self.search("ALL")
    }
}
