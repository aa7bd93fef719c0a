//! One thread per account: decides how its mailboxes are watched, starts a
//! [`MailboxWatcher`] thread for each that gets a connection of its own,
//! and watches the rest on its own connection ([`super::shared`]).
//!
//! - NOTIFY (mode `auto` where the server has it, or `notify`): every
//!   mailbox on the one connection.
//! - Otherwise each mailbox gets its own IDLE (or polling) connection, up
//!   to `max-connections`; past that, the first `max-connections - 1` do,
//!   and the one connection polls the rest with STATUS.
//!
//! Patterns in `mailboxes` are resolved with LIST, and again when NOTIFY
//! tells of a mailbox created, renamed or deleted (or every
//! [`super::shared::LIST_EVERY`] without NOTIFY); a changed list is a new
//! plan.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::mpsc::Sender;

use super::select::{needs_list, resolve};
use super::{Interrupt, MailboxWatcher, Next, Observation, Sessions, open};
use crate::config::{Account, ChangeTracking, Mode};
use crate::credential::SecretCache;
use crate::event::Event;
use crate::imap::{ChangeSupport, Connection, ImapError};
use crate::shutdown::Shutdown;
use crate::store::Cursor;

/// How an account's mailboxes are watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Each on a connection of its own (IDLE, or polling).
    pub own: Vec<String>,
    /// On the account's one connection.
    pub shared: Vec<String>,
    /// The shared connection is told by NOTIFY (else it polls STATUS).
    pub notify: bool,
    /// Connections of their own IDLE (else they poll).
    pub idle: bool,
}

impl Plan {
    /// Resolves `account`'s mailboxes on `conn` and decides how each is
    /// watched (the server's NOTIFY and IDLE, the profile's mode and
    /// max-connections).
    pub fn for_account(account: &Account, conn: &mut Connection) -> Result<Plan, ImapError> {
        let names = mailbox_names(account, conn)?;
        let notify = match account.mode {
            Mode::Notify if !conn.has_notify() => {
                return Err(ImapError::Protocol(
                    "mode = \"notify\", but the server does not offer NOTIFY (RFC 5465); \
                     use mode = \"auto\" to watch with IDLE instead"
                        .into(),
                ));
            }
            Mode::Notify => true,
            Mode::Auto => conn.has_notify(),
            Mode::Idle | Mode::Poll => false,
        };
        let mut plan = Plan::make(names, notify, account.max_connections);
        plan.idle = account.mode != Mode::Poll && conn.has_idle();
        Ok(plan)
    }

    /// How `mailbox` is watched: `notify`, `idle`, `poll` (a connection
    /// of its own) or `status` (polled with STATUS on the shared one).
    pub fn how(&self, mailbox: &str) -> &'static str {
        if self.shared.iter().any(|m| m == mailbox) {
            if self.notify { "notify" } else { "status" }
        } else if self.idle {
            "idle"
        } else {
            "poll"
        }
    }

    /// Splits `names` between connections of their own and the shared one.
    pub fn make(mut names: Vec<String>, notify: bool, max_connections: usize) -> Plan {
        let own = if notify {
            0
        } else if names.len() <= max_connections {
            names.len()
        } else {
            max_connections.saturating_sub(1)
        };
        let shared = names.split_off(own);
        Plan {
            own: names,
            shared,
            notify,
            idle: true,
        }
    }
}

/// The account's mailboxes: its names, and what its patterns match in LIST.
fn mailbox_names(account: &Account, conn: &mut Connection) -> Result<Vec<String>, ImapError> {
    if needs_list(account) {
        Ok(resolve(account, &conn.list()?))
    } else {
        Ok(account.mailboxes.clone())
    }
}

struct Kid {
    stop: Shutdown,
    handle: JoinHandle<Option<Cursor>>,
}

pub struct AccountWatcher {
    account: Arc<Account>,
    cursors: HashMap<String, Cursor>,
    secret: Arc<SecretCache>,
    tx: Sender<Observation>,
    stop: Shutdown,
    once: bool,
    /// Mailboxes with a thread of their own.
    kids: HashMap<String, Kid>,
    /// The mailboxes watched (or to be), as last resolved.
    pub(super) watched: Vec<String>,
    /// The last plan.
    pub(super) plan: Option<Plan>,
}

impl AccountWatcher {
    pub fn new(
        account: Arc<Account>,
        cursors: HashMap<String, Cursor>,
        secret: Arc<SecretCache>,
        tx: Sender<Observation>,
        stop: Shutdown,
        once: bool,
    ) -> AccountWatcher {
        AccountWatcher {
            watched: account.mailboxes.clone(),
            account,
            cursors,
            secret,
            tx,
            stop,
            once,
            kids: HashMap::new(),
            plan: None,
        }
    }

    /// Runs until stopped (or, with `once`, until every mailbox is caught
    /// up).
    pub fn run(mut self) {
        let fixed = !needs_list(&self.account)
            && matches!(self.account.mode, Mode::Idle | Mode::Poll)
            && self.account.mailboxes.len() <= self.account.max_connections;
        if fixed {
            // The plan needs no look at the server: a connection each.
            let plan = Plan::make(self.account.mailboxes.clone(), false, usize::MAX);
            self.start_kids(&plan.own);
            self.plan = Some(plan);
        } else {
            super::run_sessions(&mut self);
        }
        for (_, kid) in self.kids.drain() {
            let _ = kid.handle.join();
        }
    }

    pub(super) fn account(&self) -> &Arc<Account> {
        &self.account
    }

    pub(super) fn stopping(&self) -> &Shutdown {
        &self.stop
    }

    pub(super) fn once(&self) -> bool {
        self.once
    }

    /// A watcher for one mailbox of this account, from its last cursor.
    pub(super) fn mailbox(&self, name: &str) -> MailboxWatcher {
        MailboxWatcher {
            account: self.account.clone(),
            mailbox: name.to_string(),
            cursor: self.cursors.get(name).cloned(),
            secret: self.secret.clone(),
            tx: self.tx.clone(),
            stop: self.stop.clone(),
            once: self.once,
        }
    }

    /// Keeps where a shared mailbox's cursor got, for the next session.
    pub(super) fn keep_cursor(&mut self, name: &str, cursor: Option<Cursor>) {
        if let Some(c) = cursor {
            self.cursors.insert(name.to_string(), c);
        }
    }

    /// Resolves the account's mailboxes (LIST, if the profile has
    /// patterns).
    pub(super) fn resolve(&self, conn: &mut Connection) -> Result<Vec<String>, ImapError> {
        mailbox_names(&self.account, conn)
    }

    /// Starts a thread for each of `names` that has none, and stops those
    /// of mailboxes not in `names`.
    fn start_kids(&mut self, names: &[String]) {
        let gone: Vec<String> = self
            .kids
            .keys()
            .filter(|k| !names.contains(k))
            .cloned()
            .collect();
        for name in gone {
            if let Some(kid) = self.kids.remove(&name) {
                kid.stop.trigger();
                let cursor = kid.handle.join().ok().flatten();
                self.keep_cursor(&name, cursor);
            }
        }
        for name in names {
            if self.kids.contains_key(name) {
                continue;
            }
            let stop = self.stop.child();
            let mut w = self.mailbox(name);
            w.stop = stop.clone();
            match std::thread::Builder::new()
                .name(format!("{}/{name}", self.account.name))
                .spawn(move || w.run())
            {
                Ok(handle) => {
                    self.kids.insert(name.clone(), Kid { stop, handle });
                }
                Err(e) => tracing::error!(
                    "{}/{name}: cannot start a watcher thread: {e}",
                    self.account.name
                ),
            }
        }
    }

    /// Tells the daemon which mailboxes are watched, and lets go of those
    /// no longer on the server with an event.
    fn announce(&mut self, names: &[String]) -> Result<(), Interrupt> {
        let gone: Vec<String> = self
            .watched
            .iter()
            .filter(|m| !names.contains(m) && !super::select::is_pattern(m))
            .cloned()
            .collect();
        if !gone.is_empty() && self.plan.is_some() {
            let events = gone
                .iter()
                .map(|m| {
                    tracing::info!(
                        "{}/{m}: no longer on the server (deleted or renamed); not watched",
                        self.account.name
                    );
                    Event::disconnected(
                        &self.account.name,
                        m,
                        "the mailbox is no longer on the server (deleted or renamed)".into(),
                    )
                })
                .collect();
            self.send(Observation::Record {
                events,
                cursor: None,
                noticed: None,
            })?;
        }
        self.watched = names.to_vec();
        self.send(Observation::Mailboxes {
            account: self.account.name.clone(),
            mailboxes: names.to_vec(),
        })
    }

    fn send(&self, o: Observation) -> Result<(), Interrupt> {
        self.tx.blocking_send(o).map_err(|_| Interrupt::Closed)
    }
}

impl Sessions for AccountWatcher {
    fn session(&mut self, watching_since: &mut Option<Instant>) -> Result<(), Interrupt> {
        super::fault::maybe_panic();
        let mut conn = open(&self.account, &self.secret, &self.stop)?;
        let support = match self.account.changes {
            ChangeTracking::Off => ChangeSupport::None,
            _ => conn.enable_changes()?,
        };
        let plan = Plan::for_account(&self.account, &mut conn)?;
        let names: Vec<String> = plan.own.iter().chain(&plan.shared).cloned().collect();
        if names.is_empty() {
            tracing::warn!(
                "{}: no mailbox on the server matches {:?}; looking again later",
                self.account.name,
                self.account.mailboxes
            );
        }
        self.announce(&names)?;
        if self.plan.as_ref() != Some(&plan) {
            tracing::info!(
                "{}: {} mailbox(es) on one connection ({}), {} on a connection each",
                self.account.name,
                plan.shared.len(),
                if plan.notify {
                    "NOTIFY"
                } else {
                    "STATUS polling"
                },
                plan.own.len()
            );
        }
        self.start_kids(&plan.own);
        self.plan = Some(plan);
        super::shared::watch(self, conn, support, watching_since)
    }

    fn report(&mut self, interrupt: Interrupt, was_watching: bool) -> Next {
        if let Interrupt::Replan = interrupt {
            return Next::Retry(Some(std::time::Duration::ZERO));
        }
        // The mailboxes this connection was (or was to be) watching.
        let names: Vec<String> = match &self.plan {
            Some(p) => p.shared.clone(),
            None => self.watched.clone(),
        };
        let Some((first, rest)) = names.split_first() else {
            tracing::warn!("{}: {}", self.account.name, describe(&interrupt));
            return Next::Retry(None);
        };
        let reason = describe(&interrupt);
        let next = self.mailbox(first).report(interrupt, was_watching);
        for name in rest {
            let again = Interrupt::Other(ImapError::Protocol(reason.clone()));
            if let Next::Quit = self.mailbox(name).report(again, was_watching) {
                return Next::Quit;
            }
        }
        next
    }

    fn secret(&self) -> &SecretCache {
        &self.secret
    }

    fn stop(&self) -> &Shutdown {
        &self.stop
    }

    fn label(&self) -> String {
        self.account.name.clone()
    }
}

/// An interruption in words, to report for each mailbox it cut off.
fn describe(i: &Interrupt) -> String {
    match i {
        Interrupt::Auth(reason) => reason.clone(),
        Interrupt::Rejected { reason, .. } => format!("login rejected: {reason}"),
        Interrupt::Other(e) => e.to_string(),
        Interrupt::Reopen(reason) => reason.clone(),
        Interrupt::Replan => "the account's mailboxes changed".into(),
        Interrupt::Closed => "stopping".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::Plan;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i}")).collect()
    }

    #[test]
    fn without_notify_connections_stay_within_the_limit() {
        let p = Plan::make(names(8), false, 8);
        assert_eq!((p.own.len(), p.shared.len()), (8, 0));
        let p = Plan::make(names(30), false, 8);
        assert_eq!((p.own.len(), p.shared.len()), (7, 23));
        assert_eq!(p.own[0], "m0");
        let p = Plan::make(names(3), false, 1);
        assert_eq!((p.own.len(), p.shared.len()), (0, 3));
    }

    #[test]
    fn notify_puts_everything_on_one_connection() {
        let p = Plan::make(names(30), true, 8);
        assert_eq!((p.own.len(), p.shared.len()), (0, 30));
    }
}
