//! A UIDVALIDITY change (the mailbox deleted and re-created, or rebuilt by
//! the server): neither a flood nor a loss.
//!
//! The new UIDs say nothing about what was announced before. So the
//! messages announced now are those the server received (INTERNALDATE)
//! after the mailbox was last seen under the old UIDVALIDITY, less a
//! margin for clock skew; `UID SEARCH SINCE` narrows them to a day's worth
//! first, and their dates are read before anything else is fetched. The
//! daemon then passes over any whose Message-ID the journal already holds
//! for this mailbox. A mailbox that was merely renumbered (a migration keeps
//! INTERNALDATE) announces nothing, and mail old enough to have been part
//! of the first baseline is never announced.

use super::{Interrupt, MailboxWatcher, Observation};
use crate::event::Event;
use crate::imap::{BATCH, Connection, Status};
use crate::message;
use crate::store::Cursor;

/// Server clocks and ours may disagree by this much.
const CLOCK_SKEW: u64 = 300;

/// Announces what arrived in the re-created mailbox since it was last seen
/// under `previous`, then records `mailbox.reset` (with how many were
/// announced) and the new baseline. Returns the new cursor.
pub(super) fn recover(
    w: &MailboxWatcher,
    conn: &mut Connection,
    previous: &Cursor,
    status: &Status,
) -> Result<Cursor, Interrupt> {
    let (account, mailbox) = (&w.account.name, &w.mailbox);
    let last_uid = conn.highest_uid(status)?;
    let mut candidates = 0;
    if let Some(seen) = previous.seen {
        let since = seen.saturating_sub(CLOCK_SKEW);
        let uids: Vec<u32> = conn
            .uids_since(since)?
            .into_iter()
            .filter(|&u| u <= last_uid)
            .collect();
        for chunk in uids.chunks(BATCH * 10) {
            let mut newer: Vec<u32> = conn
                .internal_dates(chunk)?
                .into_iter()
                .filter(|&(_, t)| t >= since)
                .map(|(uid, _)| uid)
                .collect();
            newer.sort_unstable();
            conn.fetch_batches(&newer, BATCH, |_, fetched| -> Result<(), Interrupt> {
                let events: Vec<Event> = fetched
                    .into_iter()
                    .map(|f| {
                        Event::received(account, mailbox, message::decode(status.uidvalidity, f))
                    })
                    .collect();
                candidates += events.len();
                w.send(Observation::Recovered {
                    account: account.clone(),
                    mailbox: mailbox.clone(),
                    events,
                    done: None,
                })
            })?;
        }
    }
    tracing::warn!(
        "{account}/{mailbox}: UIDVALIDITY changed ({} → {}); new baseline at UID {last_uid}, \
         {candidates} messages arrived since the mailbox was last seen",
        previous.uidvalidity,
        status.uidvalidity
    );
    let cursor = Cursor {
        uidvalidity: status.uidvalidity,
        last_uid,
        ..Cursor::default()
    };
    let reset = Event::reset(
        account,
        mailbox,
        previous.uidvalidity,
        status.uidvalidity,
        0,
    );
    w.send(Observation::Recovered {
        account: account.clone(),
        mailbox: mailbox.clone(),
        events: Vec::new(),
        done: Some(Box::new((reset, w.mailbox_cursor(cursor.clone())))),
    })?;
    Ok(cursor)
}
