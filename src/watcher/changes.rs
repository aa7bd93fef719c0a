//! Flag changes and deletions, for one session of one mailbox.
//!
//! Where the server has CONDSTORE (RFC 7162), every look asks for what
//! changed since the cursor's mod-sequence: `UID FETCH 1:last (UID FLAGS)
//! (CHANGEDSINCE m VANISHED)`, the `VANISHED` part with QRESYNC. With
//! `changes = "uid-set"` and no QRESYNC, deletions are found instead by
//! comparing `UID SEARCH ALL` with the UIDs known present, at the start of
//! a session and whenever the server reports an expunge.
//!
//! A message's own arrival raises its MODSEQ. Messages announced after the
//! cursor's mod-sequence was taken (UIDs above `modseq_uid`) are therefore
//! reported as changed only when their MODSEQ moved past the one they
//! arrived with. That is known for the messages this session announced; a
//! change to one announced just before a crash goes unreported.

use std::collections::HashMap;

use crate::config::{Account, ChangeTracking};
use crate::event::Event;
use crate::imap::{ChangeSupport, Connection, ImapError, Status};
use crate::store::{Cursor, Known};

/// What a look found: events to record, and the cursor to record with
/// them (`None`: it did not move).
#[derive(Debug, Default)]
pub(super) struct Found {
    pub events: Vec<Event>,
    pub cursor: Option<Cursor>,
}

pub(super) struct Tracker {
    account: String,
    mailbox: String,
    support: ChangeSupport,
    /// Find deletions by comparing UIDs (asked for, and no QRESYNC).
    compare_uids: bool,
    /// MODSEQ at arrival of messages this session announced.
    arrived: HashMap<u32, u64>,
    /// The next look is the session's first.
    first: bool,
}

impl Tracker {
    /// Takes what the server supports, and starts tracking where `cursor`
    /// does not yet (a new baseline, or state from before). Returns the
    /// cursor to record when that moved it.
    pub fn start(
        account: &Account,
        mailbox: &str,
        conn: &mut Connection,
        mut support: ChangeSupport,
        status: &Status,
        cursor: &mut Cursor,
    ) -> Result<(Tracker, Option<Cursor>), ImapError> {
        if support != ChangeSupport::None && status.highest_modseq.is_none() {
            // The mailbox has no mod-sequences (NOMODSEQ).
            support = ChangeSupport::None;
        }
        let compare_uids =
            account.changes == ChangeTracking::UidSet && support != ChangeSupport::Qresync;
        if account.changes != ChangeTracking::Off {
            tracing::debug!(
                account = %account.name, mailbox = %mailbox,
                "changes: {}",
                match (support, compare_uids) {
                    (ChangeSupport::Qresync, _) => "flags and deletions (QRESYNC)",
                    (ChangeSupport::Condstore, true) => "flags (CONDSTORE), deletions by UID",
                    (ChangeSupport::Condstore, false) => "flags (CONDSTORE); no deletions",
                    (ChangeSupport::None, true) => "deletions by UID; no flags",
                    (ChangeSupport::None, false) => "none: the server has no CONDSTORE",
                }
            );
        }
        let mut moved = false;
        if let Some(now) = status.highest_modseq
            && support != ChangeSupport::None
        {
            if cursor.modseq == 0 {
                cursor.modseq = now;
                cursor.modseq_uid = cursor.last_uid;
                moved = true;
            } else if now < cursor.modseq {
                tracing::warn!(
                    "{}/{mailbox}: the server's HIGHESTMODSEQ went back ({} → {now}); changes \
                     are looked for from there",
                    account.name,
                    cursor.modseq
                );
                cursor.modseq = now;
            }
        }
        if compare_uids && cursor.known.is_none() {
            let last = cursor.last_uid;
            let uids = conn
                .all_uids()?
                .into_iter()
                .filter(|&u| u <= last)
                .collect();
            cursor.known = Some(Known { upto: last, uids });
            moved = true;
        }
        let tracker = Tracker {
            account: account.name.clone(),
            mailbox: mailbox.to_string(),
            support,
            compare_uids,
            arrived: HashMap::new(),
            first: true,
        };
        Ok((tracker, moved.then(|| cursor.clone())))
    }

    /// Notes a message announced in this session and its MODSEQ.
    pub fn arrived(&mut self, uid: u32, modseq: Option<u64>) {
        if let Some(m) = modseq {
            self.arrived.insert(uid, m);
        }
    }

    /// What changed since `cursor`, which it moves; `highest_modseq` is the
    /// mailbox's now (from [`Connection::check`]).
    pub fn look(
        &mut self,
        conn: &mut Connection,
        cursor: &mut Cursor,
        highest_modseq: Option<u64>,
    ) -> Result<Found, ImapError> {
        let (account, mailbox) = (&self.account, &self.mailbox);
        let mut events = Vec::new();
        let mut moved = false;
        let compare = self.compare_uids && (std::mem::take(&mut self.first) | conn.take_expunged());
        let uidvalidity = cursor.uidvalidity;
        if self.support != ChangeSupport::None {
            let now = highest_modseq.unwrap_or(0);
            if now > cursor.modseq {
                let changes = conn.changes_since(cursor.last_uid, cursor.modseq)?;
                for (uid, flags, modseq) in changes.flags {
                    let changed = uid <= cursor.modseq_uid
                        || self.arrived.get(&uid).is_some_and(|&at| modseq > at);
                    if changed {
                        events.push(Event::flags_changed(
                            account,
                            mailbox,
                            uidvalidity,
                            uid,
                            flags,
                            modseq,
                        ));
                    }
                }
                for uid in changes.vanished {
                    events.push(Event::deleted(account, mailbox, uidvalidity, uid));
                }
            }
            if now > cursor.modseq || cursor.modseq_uid < cursor.last_uid {
                cursor.modseq = cursor.modseq.max(now);
                cursor.modseq_uid = cursor.last_uid;
                self.arrived.clear();
                moved = true;
            }
        }
        if compare {
            let present = conn.all_uids()?;
            let last = cursor.last_uid;
            let known = cursor.known.take().unwrap_or_default();
            for uid in known.present(last) {
                if present.binary_search(&uid).is_err() {
                    events.push(Event::deleted(account, mailbox, uidvalidity, uid));
                }
            }
            let uids = present.into_iter().filter(|&u| u <= last).collect();
            cursor.known = Some(Known { upto: last, uids });
            moved = true;
        }
        let cursor = (moved || !events.is_empty()).then(|| Cursor {
            // The known UIDs are written only when they were compared.
            known: if compare { cursor.known.clone() } else { None },
            ..cursor.without_known()
        });
        Ok(Found { events, cursor })
    }
}
