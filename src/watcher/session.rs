//! Running a watcher's sessions: one connection's life at a time, a
//! failure reported and the next attempt after a backoff, a panic caught
//! and reported like any failure. [`MailboxWatcher`](super::MailboxWatcher)
//! and [`AccountWatcher`](super::AccountWatcher) both run this way.

use std::time::{Duration, Instant};

use super::{Interrupt, Next, STABLE, panic_text};
use crate::backoff::Backoff;
use crate::config::Account;
use crate::credential::SecretCache;
use crate::imap::{Connection, ImapError};
use crate::shutdown::Shutdown;

/// What [`run_sessions`] drives: a session at a time, each reported
/// when it ends early.
pub(super) trait Sessions {
    /// One connection's life. `Ok` means done (stopped, or `once`
    /// finished).
    fn session(&mut self, watching_since: &mut Option<Instant>) -> Result<(), Interrupt>;
    /// Logs and reports a failure, and says what to do next.
    fn report(&mut self, interrupt: Interrupt, was_watching: bool) -> Next;
    fn secret(&self) -> &SecretCache;
    fn stop(&self) -> &Shutdown;
    /// `account` or `account/mailbox`, for the log.
    fn label(&self) -> String;
}

/// Runs sessions until stopped (or, with `once`, until caught up),
/// reconnecting with backoff after any failure.
pub(super) fn run_sessions(w: &mut dyn Sessions) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    // A rejected token gets one fresh token and one retry at once.
    let mut token_retry = true;
    while !w.stop().is_set() {
        let mut watching_since = None;
        // A panic (a bug, or input nothing foresaw) ends the session, not
        // the watching: it is reported like any failure and the mailbox is
        // watched again after the backoff.
        let session = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            w.session(&mut watching_since)
        }))
        .unwrap_or_else(|panic| {
            Err(Interrupt::Other(ImapError::Protocol(format!(
                "mailreactor failed inside ({}); watching again after a pause",
                panic_text(&panic)
            ))))
        });
        let interrupt = match session {
            Ok(()) | Err(Interrupt::Closed) => return,
            // A read cut short by the stop request is not a failure.
            Err(_) if w.stop().is_set() => return,
            Err(i) => i,
        };
        if watching_since.is_some_and(|t: Instant| t.elapsed() >= STABLE) {
            backoff.reset();
        }
        if watching_since.is_some() {
            token_retry = true;
        }
        if let Interrupt::Rejected { reason, used } = &interrupt
            && w.secret().is_token()
            && std::mem::take(&mut token_retry)
        {
            tracing::info!(
                "{}: the server refused the access token ({reason}); getting a new one",
                w.label()
            );
            w.secret().rejected(used);
            continue;
        }
        let delay = match w.report(interrupt, watching_since.is_some()) {
            Next::Retry(delay) => delay.unwrap_or_else(|| backoff.next_delay()),
            Next::Quit => return,
        };
        tracing::debug!(
            "{}: next attempt in {:.1} s",
            w.label(),
            delay.as_secs_f64()
        );
        if w.stop().sleep(delay) {
            return;
        }
    }
}

/// Opens a connection for `w`'s account, telling a rejected login apart.
pub(super) fn open(
    account: &Account,
    secret: &SecretCache,
    stop: &Shutdown,
) -> Result<Connection, Interrupt> {
    let secret = secret.get()?;
    Connection::open(account, &secret, stop).map_err(|e| match e {
        ImapError::Auth(reason) => Interrupt::Rejected {
            reason,
            used: secret.clone(),
        },
        other => Interrupt::Other(other),
    })
}
