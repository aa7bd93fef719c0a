//! Many mailboxes of an account on one connection: each opened in turn
//! (EXAMINE) to catch up and look for changes, through the same steps as a
//! mailbox with a connection of its own ([`MailboxWatcher`]).
//!
//! The connection learns what changed either from NOTIFY (RFC 5465): the
//! server pushes a STATUS for any watched mailbox that changes, and
//! EXISTS, EXPUNGE or FETCH for the one open, during IDLE; or, without
//! NOTIFY, by asking each mailbox's STATUS every `poll-interval`. A
//! mailbox whose status changed is looked at; `NOTIFICATIONOVERFLOW` means
//! the server dropped events, so every mailbox is.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::account::AccountWatcher;
use super::changes::Tracker;
use super::{Interrupt, MailboxWatcher};
use crate::imap::{ChangeSupport, Connection, ImapError, MailboxStatus, Wake};
use crate::store::Cursor;

/// Without NOTIFY, patterns are resolved again this often.
pub const LIST_EVERY: Duration = Duration::from_secs(300);

/// One mailbox on the shared connection.
struct Watched {
    w: MailboxWatcher,
    cursor: Cursor,
    changes: Tracker,
    /// The status that led to the last look (polling compares with it).
    last: Option<MailboxStatus>,
    /// What EXAMINE said when the mailbox was last opened: mail that came
    /// while it was open but after its last look shows as a difference.
    opened: Option<crate::imap::Status>,
}

/// Watches the plan's shared mailboxes on `conn` until stopped, or until
/// the account's mailboxes change ([`Interrupt::Replan`]).
pub(super) fn watch(
    a: &mut AccountWatcher,
    mut conn: Connection,
    support: ChangeSupport,
    watching_since: &mut Option<Instant>,
) -> Result<(), Interrupt> {
    let plan = a.plan.clone().expect("a plan comes first");
    let how = if plan.notify { "notify" } else { "poll" };
    let mut boxes: Vec<Watched> = Vec::new();
    let mut selected: Option<usize> = None;
    let result = (|| {
        for name in &plan.shared {
            let mut w = a.mailbox(name);
            match attach(&mut w, &mut conn, support, how, watching_since) {
                Ok((cursor, changes, status)) => {
                    boxes.push(Watched {
                        w,
                        cursor,
                        changes,
                        last: None,
                        opened: Some(status),
                    });
                    selected = Some(boxes.len() - 1);
                }
                // A missing mailbox is reported alone; the others go on.
                Err(Interrupt::Other(e @ ImapError::MailboxMissing(..))) => {
                    w.report(Interrupt::Other(e), false);
                }
                Err(e) => {
                    // Its baseline may be new: the next session goes on
                    // from it, or mail that comes meanwhile is never seen.
                    a.keep_cursor(name, w.cursor.take());
                    return Err(e);
                }
            }
        }
        if a.once() {
            return Ok(());
        }
        if plan.notify {
            // Asked with nothing open: Dovecot leaves the mailbox open at
            // NOTIFY SET out of the STATUS it pushes, even once it is
            // closed (measured). The STATUS of every mailbox that follows
            // NOTIFY SET covers what came meanwhile.
            if selected.take().is_some() {
                conn.unselect()?;
            }
            conn.notify(super::select::needs_list(a.account()), true)?;
        }
        tracing::info!(
            "{}: watching {} mailbox(es) on one connection ({})",
            a.account().name,
            boxes.len(),
            if plan.notify {
                "NOTIFY"
            } else {
                "STATUS polling"
            }
        );
        run(
            a,
            &mut conn,
            &mut boxes,
            &mut selected,
            plan.notify,
            support,
        )
    })();
    for b in boxes {
        a.keep_cursor(&b.w.mailbox, Some(b.cursor));
    }
    if result.is_ok() {
        conn.logout();
    }
    result
}

/// Opens `w`'s mailbox, takes its baseline, and catches up. The session
/// counts as watching from the first mailbox that is watched. Cut short,
/// it leaves in `w.cursor` how far it got.
fn attach(
    w: &mut MailboxWatcher,
    conn: &mut Connection,
    support: ChangeSupport,
    how: &str,
    watching_since: &mut Option<Instant>,
) -> Result<(Cursor, Tracker, crate::imap::Status), Interrupt> {
    let (mut cursor, status) = w.attach(conn, how)?;
    let caught_up = w
        .begin(conn, support, &status, &mut cursor)
        .and_then(|mut changes| {
            watching_since.get_or_insert_with(Instant::now);
            w.sync(conn, &mut changes, &mut cursor, None, true)?;
            Ok(changes)
        });
    match caught_up {
        Ok(changes) => Ok((cursor, changes, status)),
        Err(e) => {
            w.cursor = Some(cursor);
            Err(e)
        }
    }
}

fn run(
    a: &AccountWatcher,
    conn: &mut Connection,
    boxes: &mut [Watched],
    selected: &mut Option<usize>,
    notify: bool,
    support: ChangeSupport,
) -> Result<(), Interrupt> {
    let account = a.account().clone();
    let stop = a.stopping().clone();
    let dynamic = super::select::needs_list(&account);
    // Statuses to act on: pushed (NOTIFY: something happened) or asked
    // for (compared with the last).
    let mut pending: BTreeMap<String, (MailboxStatus, bool)> = BTreeMap::new();
    let mut noticed: Option<Instant> = None;
    let mut next_list = Instant::now() + LIST_EVERY;
    // NOTIFY hears of what Dovecot itself writes (IMAP, LMTP, its LDA),
    // not of mail written into a maildir behind its back (procmail, a
    // sync tool): a STATUS of each mailbox every poll-interval sees that.
    let mut next_sweep = Instant::now() + account.poll_interval;
    loop {
        if stop.is_set() {
            return Ok(());
        }
        pending.extend(
            conn.take_statuses()
                .into_iter()
                .map(|(n, s)| (n, (s, true))),
        );
        let mut dirty: Vec<(usize, Option<MailboxStatus>)> = Vec::new();
        if conn.take_overflow() {
            tracing::info!(
                "{}: the server dropped notifications; looking at every mailbox",
                account.name
            );
            dirty.extend((0..boxes.len()).map(|i| (i, None)));
        }
        if conn.take_news()?
            && let Some(i) = *selected
        {
            dirty.push((i, None));
        }
        for (name, (status, pushed)) in std::mem::take(&mut pending) {
            let Some(i) = boxes.iter().position(|b| b.w.mailbox == name) else {
                continue;
            };
            if pushed || boxes[i].last.is_none_or(|last| differs(&last, &status)) {
                dirty.push((i, Some(status)));
            }
        }
        dirty.sort_by_key(|d| d.0);
        dirty.dedup_by_key(|d| d.0);
        if dynamic && (conn.take_listed() || Instant::now() >= next_list) {
            next_list = Instant::now() + LIST_EVERY;
            let names = a.resolve(conn)?;
            if names != a.watched {
                return Err(Interrupt::Replan);
            }
        }
        if !dirty.is_empty() {
            let mut queue: VecDeque<_> = dirty.into();
            while let Some((i, status)) = queue.pop_front() {
                let left = *selected;
                if left != Some(i) && conn.take_news()? {
                    // News of the mailbox about to be closed.
                    queue.extend(left.map(|j| (j, None)));
                }
                look(conn, &mut boxes[i], selected, i, support, noticed)?;
                boxes[i].last = status;
                if let Some(j) = left.filter(|&j| j != i && !queue.iter().any(|q| q.0 == j))
                    && left_behind(conn, &boxes[j])?
                {
                    queue.push_back((j, None));
                }
            }
            noticed = None;
            continue;
        }
        // Dovecot tells of the open mailbox (EXISTS) only after holding it
        // for half a second, as in IDLE, but of the others (STATUS) at
        // once: with NOTIFY nothing stays open while waiting.
        if notify && let Some(j) = *selected {
            if conn.take_news()? {
                continue;
            }
            conn.unselect()?;
            *selected = None;
            if left_behind(conn, &boxes[j])? {
                pending.insert(boxes[j].w.mailbox.clone(), (MailboxStatus::default(), true));
                continue;
            }
        }
        let wake = if notify {
            let sweep_in = next_sweep.saturating_duration_since(Instant::now());
            let wake = conn.idle(
                account
                    .idle_interval
                    .min(sweep_in)
                    .max(Duration::from_millis(100)),
            )?;
            // Due also while mail keeps coming and no wait runs out.
            if wake != Wake::Stopped && Instant::now() >= next_sweep {
                next_sweep = Instant::now() + account.poll_interval;
                // Asked again first, so that Dovecot watches the index
                // files there are now (see `Connection::notify`): what
                // changes from here on is pushed, and the sweep sees what
                // changed before.
                conn.notify(dynamic, false)?;
                sweep(conn, boxes, &mut pending)?;
            }
            wake
        } else if stop.sleep(account.poll_interval) {
            Wake::Stopped
        } else {
            sweep(conn, boxes, &mut pending)?;
            Wake::Changed
        };
        match wake {
            Wake::Stopped => return Ok(()),
            Wake::Changed => noticed = Some(Instant::now()),
            Wake::Renew => {
                // Proves the connection between IDLEs.
                conn.noop()?;
            }
        }
    }
}

/// Asks each mailbox's STATUS, to be compared with the last.
fn sweep(
    conn: &mut Connection,
    boxes: &[Watched],
    pending: &mut BTreeMap<String, (MailboxStatus, bool)>,
) -> Result<(), Interrupt> {
    for b in boxes {
        let status = conn.status(&b.w.mailbox)?;
        pending
            .entry(b.w.mailbox.clone())
            .or_insert((status, false));
    }
    Ok(())
}

/// Whether two statuses of a mailbox differ in what both tell.
fn differs(a: &MailboxStatus, b: &MailboxStatus) -> bool {
    fn both<T: PartialEq>(x: Option<T>, y: Option<T>) -> bool {
        matches!((x, y), (Some(x), Some(y)) if x != y)
    }
    both(a.uid_next, b.uid_next)
        || both(a.messages, b.messages)
        || both(a.uidvalidity, b.uidvalidity)
        || both(a.highest_modseq, b.highest_modseq)
}

/// Whether mail reached mailbox `b`, just closed, while it was open
/// (after its look, or while the command that closed it was on its way):
/// its STATUS shows it. From now on NOTIFY pushes its news.
fn left_behind(conn: &mut Connection, b: &Watched) -> Result<bool, Interrupt> {
    let Some(opened) = b.opened else {
        return Ok(true);
    };
    let now = conn.status(&b.w.mailbox)?;
    Ok(now.uid_next != opened.uid_next
        || now.messages != Some(opened.exists)
        || (opened.highest_modseq.is_some() && now.highest_modseq != opened.highest_modseq))
}

/// Opens mailbox `i` if it is not open, then catches up and looks for
/// changes. A mailbox replaced under us (another UIDVALIDITY) is taken up
/// again from a new baseline, as a new connection would.
fn look(
    conn: &mut Connection,
    b: &mut Watched,
    selected: &mut Option<usize>,
    i: usize,
    support: ChangeSupport,
    noticed: Option<Instant>,
) -> Result<(), Interrupt> {
    if *selected != Some(i) {
        *selected = None;
        let status = conn.examine(&b.w.mailbox)?;
        *selected = Some(i);
        b.opened = Some(status);
        if status.uidvalidity != b.cursor.uidvalidity {
            return reopen(conn, b, support);
        }
    }
    match b.w.sync(conn, &mut b.changes, &mut b.cursor, noticed, true) {
        Err(Interrupt::Reopen(reason)) => {
            tracing::info!(
                "{}/{}: {reason}; opening it again",
                b.w.account.name,
                b.w.mailbox
            );
            reopen(conn, b, support)
        }
        other => other,
    }
}

fn reopen(conn: &mut Connection, b: &mut Watched, support: ChangeSupport) -> Result<(), Interrupt> {
    b.w.cursor = Some(b.cursor.clone());
    match attach(&mut b.w, conn, support, "notify", &mut Some(Instant::now())) {
        Ok((cursor, changes, status)) => {
            (b.cursor, b.changes, b.opened) = (cursor, changes, Some(status));
            Ok(())
        }
        Err(e) => {
            // The next session goes on from the new baseline, if taken.
            if let Some(c) = b.w.cursor.take() {
                b.cursor = c;
            }
            Err(e)
        }
    }
}
