//! Watching mail on blocking threads. An [`AccountWatcher`] per account
//! decides how its mailboxes are watched (`account.rs`): all on one
//! connection told by NOTIFY or polled with STATUS (`shared.rs`), or each on
//! a connection of its own, a [`MailboxWatcher`] (here). Either way, each
//! mailbox goes the same way: take or check the baseline, announce every
//! UID above the cursor, look for changes, then wait and do it again,
//! reconnecting with backoff after any failure (`session.rs`).
//!
//! No watcher writes state itself: it sends [`Observation`]s to the
//! daemon, which records events and the moved cursor in one transaction.

mod account;
mod changes;
mod decoder;
mod failure;
mod reset;
pub mod select;
mod session;
mod shared;

pub use account::{AccountWatcher, Plan};
use session::{Sessions, open, run_sessions};

use changes::Found;
use decoder::Decoder;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::Sender;

use crate::config::{Account, ChangeTracking, Mode};
use crate::credential::{CredentialError, Secret, SecretCache};
use crate::event::Event;
use crate::imap::{BATCH, ChangeSupport, Connection, ImapError, Wake};
use crate::message;
use crate::shutdown::Shutdown;
use crate::store::{Cursor, MailboxCursor};

/// After a rejected login, wait this long before trying again.
const AUTH_RETRY: Duration = Duration::from_secs(300);
/// Two searches for new mail are at least this far apart.
const COALESCE: Duration = Duration::from_millis(100);
/// A connection that watched this long counts as stable: backoff resets.
const STABLE: Duration = Duration::from_secs(60);

/// A fault the tests inject in debug builds, since no real peer makes
/// mailreactor panic on demand: `MAILREACTOR_FAULT_PANICS=N` panics the
/// first N sessions of the process.
mod fault {
    #[cfg(debug_assertions)]
    pub(super) fn maybe_panic() {
        use std::sync::atomic::{AtomicU32, Ordering};
        static DONE: AtomicU32 = AtomicU32::new(0);
        let wanted: u32 = std::env::var("MAILREACTOR_FAULT_PANICS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if DONE.fetch_add(1, Ordering::SeqCst) < wanted {
            panic!("a fault injected by MAILREACTOR_FAULT_PANICS");
        }
    }

    #[cfg(not(debug_assertions))]
    pub(super) fn maybe_panic() {}
}

/// The decoding thread failed: the watch starts again after a pause.
fn decode_failed(why: String) -> Interrupt {
    Interrupt::Other(ImapError::Protocol(format!(
        "mailreactor failed inside while decoding ({why}); watching again after a pause"
    )))
}

/// What a panic said.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a watcher thread tells the daemon.
#[derive(Debug)]
pub enum Observation {
    /// Record these events and move this cursor, atomically.
    Record {
        events: Vec<Event>,
        cursor: Option<MailboxCursor>,
        /// When the server told of what these events report (IDLE news, a
        /// poll); `None` for a catch-up at start.
        noticed: Option<Instant>,
    },
    /// A connection attempt ended: watching (`failure` is `None`), or
    /// failed, and why. The daemon logs these, summarising repeats.
    Health {
        account: String,
        mailbox: String,
        failure: Option<String>,
    },
    /// After a UIDVALIDITY change: messages that arrived since the mailbox
    /// was last seen, to record unless the journal holds their Message-ID
    /// for this mailbox; `done` ends it with the `mailbox.reset` event (the
    /// daemon fills in how many were announced) and the new baseline.
    Recovered {
        account: String,
        mailbox: String,
        events: Vec<Event>,
        done: Option<Box<(Event, MailboxCursor)>>,
    },
    /// A login was rejected (or no password could be had).
    AuthFailed { account: String, reason: String },
    /// The account's mailboxes, as resolved (patterns through LIST).
    Mailboxes {
        account: String,
        mailboxes: Vec<String>,
    },
    /// With `--once`: this mailbox could not be caught up.
    Failed {
        account: String,
        mailbox: String,
        reason: String,
    },
}

/// After a failure: try again (after this delay, or the usual backoff), or
/// give up (`--once`, or the daemon is gone).
enum Next {
    Retry(Option<Duration>),
    Quit,
}

/// How one watched mailbox is run.
pub struct MailboxWatcher {
    pub account: Arc<Account>,
    pub mailbox: String,
    pub cursor: Option<Cursor>,
    pub(crate) secret: Arc<SecretCache>,
    pub tx: Sender<Observation>,
    pub stop: Shutdown,
    /// Catch up once and return, instead of watching.
    pub once: bool,
}

/// What ends a session early.
enum Interrupt {
    /// No password or token could be had.
    Auth(String),
    /// The server rejected this credential.
    Rejected { reason: String, used: Secret },
    /// Anything else: network, TLS, protocol, a missing mailbox.
    Other(ImapError),
    /// The open mailbox is no longer the one the cursor is about (deleted
    /// and re-created under the session): open it again.
    Reopen(String),
    /// The account's mailboxes changed: plan again, at once.
    Replan,
    /// The daemon is gone (it stops listening only when shutting down).
    Closed,
}

impl From<ImapError> for Interrupt {
    fn from(e: ImapError) -> Interrupt {
        Interrupt::Other(e)
    }
}

impl From<CredentialError> for Interrupt {
    fn from(e: CredentialError) -> Interrupt {
        Interrupt::Auth(e.to_string())
    }
}

impl Sessions for MailboxWatcher {
    fn session(&mut self, watching_since: &mut Option<Instant>) -> Result<(), Interrupt> {
        MailboxWatcher::session(self, watching_since)
    }

    fn report(&mut self, interrupt: Interrupt, was_watching: bool) -> Next {
        MailboxWatcher::report(self, interrupt, was_watching)
    }

    fn secret(&self) -> &SecretCache {
        &self.secret
    }

    fn stop(&self) -> &Shutdown {
        &self.stop
    }

    fn label(&self) -> String {
        format!("{}/{}", self.account.name, self.mailbox)
    }
}

impl MailboxWatcher {
    /// Runs until stopped (or, with `once`, until caught up); returns
    /// where the mailbox's cursor got.
    pub fn run(mut self) -> Option<Cursor> {
        run_sessions(&mut self);
        self.cursor
    }

    fn send(&self, o: Observation) -> Result<(), Interrupt> {
        self.tx.blocking_send(o).map_err(|_| Interrupt::Closed)
    }

    /// One connection's life. `Ok` means done (stopped, or `once` finished).
    fn session(&mut self, watching_since: &mut Option<Instant>) -> Result<(), Interrupt> {
        fault::maybe_panic();
        let mut conn = open(&self.account, &self.secret, &self.stop)?;
        let support = match self.account.changes {
            ChangeTracking::Off => ChangeSupport::None,
            _ => conn.enable_changes()?,
        };
        let idle = match self.account.mode {
            Mode::Poll => false,
            Mode::Auto | Mode::Notify => conn.has_idle(),
            Mode::Idle => {
                if !conn.has_idle() {
                    tracing::warn!(
                        "{}: mode = \"idle\" but the server has no IDLE; polling every {}",
                        self.account.name,
                        humantime::format_duration(self.account.poll_interval)
                    );
                }
                conn.has_idle()
            }
        };
        let (mut cursor, status) = self.attach(&mut conn, if idle { "idle" } else { "poll" })?;
        // Whatever happens, the next session goes on from where this one got.
        let result = self.watch(conn, support, &status, idle, &mut cursor, watching_since);
        self.cursor = Some(cursor);
        result
    }

    /// Opens the mailbox on `conn` (EXAMINE) and takes its baseline: the
    /// cursor to go on from, recorded. `how` is the watch mode the
    /// `account.connected` event names.
    fn attach(
        &mut self,
        conn: &mut Connection,
        how: &str,
    ) -> Result<(Cursor, crate::imap::Status), Interrupt> {
        let status = conn.examine(&self.mailbox)?;
        let (account, mailbox) = (self.account.name.clone(), self.mailbox.clone());
        let mut events = Vec::new();
        if !self.once {
            events.push(Event::connected(&account, &mailbox, how));
        }
        let cursor = match &self.cursor {
            Some(c) if c.uidvalidity == status.uidvalidity => {
                // Seen again: the record notes when (see `reset`).
                let c = Cursor {
                    seen: Some(now_secs()),
                    ..c.clone()
                };
                self.send(Observation::Record {
                    events,
                    cursor: Some(self.mailbox_cursor(c.without_known())),
                    noticed: None,
                })?;
                c
            }
            Some(previous) => {
                self.send(Observation::Record {
                    events,
                    cursor: None,
                    noticed: None,
                })?;
                let previous = previous.clone();
                reset::recover(self, conn, &previous, &status)?
            }
            None => {
                let last_uid = conn.highest_uid(&status)?;
                tracing::info!("{account}/{mailbox}: first look; baseline at UID {last_uid}");
                let c = Cursor {
                    uidvalidity: status.uidvalidity,
                    last_uid,
                    ..Cursor::default()
                };
                self.send(Observation::Record {
                    events,
                    cursor: Some(self.mailbox_cursor(c.clone())),
                    noticed: None,
                })?;
                c
            }
        };
        self.cursor = Some(cursor.clone());
        Ok((cursor, status))
    }

    /// Starts tracking changes on the opened mailbox and reports it
    /// watched.
    fn begin(
        &self,
        conn: &mut Connection,
        support: ChangeSupport,
        status: &crate::imap::Status,
        cursor: &mut Cursor,
    ) -> Result<changes::Tracker, Interrupt> {
        let (changes, moved) =
            changes::Tracker::start(&self.account, &self.mailbox, conn, support, status, cursor)?;
        if let Some(c) = moved {
            let found = Found {
                events: Vec::new(),
                cursor: Some(c),
            };
            self.record(found, None)?;
        }
        self.send(Observation::Health {
            account: self.account.name.clone(),
            mailbox: self.mailbox.clone(),
            failure: None,
        })?;
        Ok(changes)
    }

    /// A session from its baseline on: catch up, then wait and look again.
    fn watch(
        &self,
        mut conn: Connection,
        support: ChangeSupport,
        status: &crate::imap::Status,
        idle: bool,
        cursor: &mut Cursor,
        watching_since: &mut Option<Instant>,
    ) -> Result<(), Interrupt> {
        let (account, mailbox) = (&self.account.name, &self.mailbox);
        let mut changes = self.begin(&mut conn, support, status, cursor)?;
        *watching_since = Some(Instant::now());
        tracing::info!(
            "{account}/{mailbox}: watching ({})",
            if idle { "IDLE" } else { "polling" }
        );

        // Look for changes at the start, and after every wake or news.
        let mut look = true;
        let mut last_search: Option<Instant> = None;
        // When the server last told of news not yet looked at.
        let mut noticed: Option<Instant> = None;
        loop {
            // Wake-ups coalesce: a server that sends EXISTS thousands of
            // times a second gets a search per batch, not one per line.
            if let Some(wait) = last_search.and_then(|t| COALESCE.checked_sub(t.elapsed()))
                && self.stop.sleep(wait)
            {
                conn.logout();
                return Ok(());
            }
            if self.stop.is_set() {
                conn.logout();
                return Ok(());
            }
            last_search = Some(Instant::now());
            self.sync(&mut conn, &mut changes, cursor, noticed, look)?;
            noticed = None;
            if conn.take_news()? {
                noticed = Some(Instant::now());
                look = true;
                continue;
            }
            if self.once {
                conn.logout();
                return Ok(());
            }
            let wake = if idle {
                conn.idle(self.account.idle_interval)?
            } else if self.stop.sleep(self.account.poll_interval) {
                Wake::Stopped
            } else {
                conn.noop()?;
                Wake::Changed
            };
            if wake == Wake::Stopped {
                conn.logout();
                return Ok(());
            }
            if wake == Wake::Changed {
                noticed = Some(Instant::now());
            }
            look = true;
        }
    }

    /// Announces what is new in the open mailbox and, with `look`, what
    /// changed.
    fn sync(
        &self,
        conn: &mut Connection,
        changes: &mut changes::Tracker,
        cursor: &mut Cursor,
        noticed: Option<Instant>,
        look: bool,
    ) -> Result<(), Interrupt> {
        self.catch_up(conn, changes, cursor, noticed)?;
        if look {
            self.look(conn, changes, cursor, noticed)?;
        }
        Ok(())
    }

    /// Checks that the open mailbox is still the one `cursor` is about,
    /// then reports its changes. A server may keep a deleted mailbox
    /// selected and say nothing more about it: its UIDVALIDITY (or a
    /// HIGHESTMODSEQ gone back) tells.
    fn look(
        &self,
        conn: &mut Connection,
        changes: &mut changes::Tracker,
        cursor: &mut Cursor,
        noticed: Option<Instant>,
    ) -> Result<(), Interrupt> {
        let now = conn.check(&self.mailbox)?;
        if let Some(v) = now.uidvalidity
            && v != cursor.uidvalidity
        {
            return Err(Interrupt::Reopen(format!(
                "the mailbox was replaced (UIDVALIDITY {} → {v})",
                cursor.uidvalidity
            )));
        }
        if let Some(m) = now.highest_modseq
            && m < cursor.modseq
        {
            return Err(Interrupt::Reopen(format!(
                "the mailbox's HIGHESTMODSEQ went back ({} → {m})",
                cursor.modseq
            )));
        }
        self.record(changes.look(conn, cursor, now.highest_modseq)?, noticed)
    }

    /// Sends what a look found to be recorded, if anything.
    fn record(&self, found: Found, noticed: Option<Instant>) -> Result<(), Interrupt> {
        if found.events.is_empty() && found.cursor.is_none() {
            return Ok(());
        }
        self.send(Observation::Record {
            events: found.events,
            cursor: found.cursor.map(|c| self.mailbox_cursor(c)),
            noticed,
        })
    }

    fn mailbox_cursor(&self, cursor: Cursor) -> MailboxCursor {
        MailboxCursor {
            account: self.account.name.clone(),
            mailbox: self.mailbox.clone(),
            cursor,
        }
    }

    /// Announces every UID above the cursor, a batch per command. Each
    /// batch is decoded (on the catch-up's one decoding thread) while the
    /// next is fetched; batches are recorded in order. Changes are looked
    /// for after the whole catch-up (by the caller): a look between
    /// batches would move the mod-sequence past changes to messages
    /// fetched but not yet recorded.
    fn catch_up(
        &self,
        conn: &mut Connection,
        changes: &mut changes::Tracker,
        cursor: &mut Cursor,
        noticed: Option<Instant>,
    ) -> Result<(), Interrupt> {
        let uids = conn.uids_after(cursor.last_uid)?;
        if uids.is_empty() {
            return Ok(());
        }
        let uidvalidity = cursor.uidvalidity;
        let decode = |fetched: Vec<crate::message::Fetched>| -> Vec<Event> {
            fetched
                .into_iter()
                .map(|f| {
                    let info = message::decode(uidvalidity, f);
                    Event::received(&self.account.name, &self.mailbox, info)
                })
                .collect()
        };
        std::thread::scope(|s| {
            let mut decoder = Decoder::start(s, decode);
            conn.fetch_batches(&uids, BATCH, |last, fetched| -> Result<(), Interrupt> {
                for f in &fetched {
                    changes.arrived(f.uid, f.modseq);
                }
                if let Some((decoded_last, batch)) = decoder.take() {
                    self.record_batch(batch, decoded_last, cursor, noticed)?;
                }
                // UIDs that vanished between SEARCH and FETCH are passed over.
                decoder.push(last, fetched).map_err(decode_failed)
            })?;
            match decoder.take() {
                Some((last, batch)) => self.record_batch(batch, last, cursor, noticed),
                None => Ok(()),
            }
        })
    }

    /// Records a decoded batch whose last UID is `last`, and moves the
    /// cursor there.
    fn record_batch(
        &self,
        batch: Result<Vec<Event>, String>,
        last: u32,
        cursor: &mut Cursor,
        noticed: Option<Instant>,
    ) -> Result<(), Interrupt> {
        let events = batch.map_err(decode_failed)?;
        cursor.last_uid = last;
        // The known UIDs are recorded only when they are compared.
        let found = Found {
            events,
            cursor: Some(cursor.without_known()),
        };
        self.record(found, noticed)
    }
}
