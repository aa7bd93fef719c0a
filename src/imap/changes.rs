//! RFC 7162 on a [`Connection`]: enabling CONDSTORE/QRESYNC, the
//! mailbox's HIGHESTMODSEQ, and what changed since a mod-sequence.

use imap::types::UnsolicitedResponse;

use super::{Connection, ImapError, flag_names};

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

    /// What the open mailbox is now: its UIDVALIDITY and, when changes are
    /// tracked, its HIGHESTMODSEQ (one STATUS; servers answer it for the
    /// selected mailbox too). A mailbox deleted and re-created under the
    /// session shows here as another UIDVALIDITY, or as an error.
    pub fn check(&mut self, mailbox: &str) -> Result<Check, ImapError> {
        let items = if self.support == ChangeSupport::None {
            "(UIDVALIDITY)"
        } else {
            "(UIDVALIDITY HIGHESTMODSEQ)"
        };
        let mb = self.session.status(crate::utf7::encode(mailbox), items)?;
        Ok(Check {
            uidvalidity: mb.uid_validity,
            highest_modseq: mb.highest_mod_seq,
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
}
