//! The watch loop: starts a watcher thread per mailbox, records what they
//! observe in the journal, hands new events to the dispatcher, and stops
//! cleanly on a signal.
//!
//! Every event is recorded (with its cursor move, in one transaction)
//! before any sink sees it; each sink then keeps its own delivery cursor.
//! A crash anywhere leaves undelivered events in the journal, and the next
//! start delivers them first.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::mpsc;

use crate::config::Profile;
use crate::dispatch::Dispatcher;
use crate::event::{Event, EventKind};
use crate::secret::SecretCache;
use crate::shutdown::Shutdown;
use crate::sink::{Sink, SinkSpec};
use crate::store::{MailboxCursor, Store};
use crate::watcher::{MailboxWatcher, Observation};

/// After a stop request: how long watchers may take to log out, and then
/// how long sinks may take to finish what they are doing.
const WATCHER_GRACE: Duration = Duration::from_millis(1200);
const SINK_GRACE: Duration = Duration::from_millis(500);

/// What a finished run reports.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Mailboxes that could not be caught up (with `once`), with reasons.
    pub failures: Vec<String>,
}

/// Runs the watch until `stop` is triggered (or, with `once`, until every
/// mailbox has been caught up and every sink has delivered).
pub async fn run(
    profile: &Profile,
    store: Store,
    sinks: Vec<(Box<dyn Sink>, SinkSpec)>,
    once: bool,
    stop: Shutdown,
) -> anyhow::Result<Outcome> {
    let cursors = store.cursors()?;
    let (emit_tx, mut emit_rx) = mpsc::unbounded_channel::<Event>();
    let mut dispatcher = Dispatcher::start(sinks, store.path(), emit_tx, stop.clone())?;
    let (tx, mut rx) = mpsc::channel::<Observation>(256);
    for account in &profile.accounts {
        let account = Arc::new(account.clone());
        let secret = Arc::new(SecretCache::new(account.secret.clone()));
        for mailbox in &account.mailboxes {
            let watcher = MailboxWatcher {
                account: account.clone(),
                mailbox: mailbox.clone(),
                cursor: cursors
                    .get(&(account.name.clone(), mailbox.clone()))
                    .copied(),
                secret: secret.clone(),
                tx: tx.clone(),
                stop: stop.clone(),
                once,
            };
            std::thread::Builder::new()
                .name(format!("{}/{mailbox}", account.name))
                .spawn(move || watcher.run())
                .context("cannot start a watcher thread")?;
        }
    }
    drop(tx);

    let mut state = State {
        store,
        auth_failed: HashSet::new(),
        outcome: Outcome::default(),
        stop: stop.clone(),
    };
    let mut signals = Signals::new()?;
    // Watching: until stopped, or (once) until every watcher is done.
    let mut watchers_done = false;
    while !stop.is_set() {
        tokio::select! {
            o = rx.recv() => match o {
                Some(o) => state.observe(o, &dispatcher)?,
                None => {
                    watchers_done = true;
                    break;
                }
            },
            Some(e) = emit_rx.recv() => state.record(vec![e], None, &dispatcher)?,
            name = signals.next() => {
                tracing::info!("{name}: stopping");
                stop.trigger();
            }
        }
    }
    if !watchers_done {
        // Stopping: take what the watchers still send while they log out.
        let _ = tokio::time::timeout(WATCHER_GRACE, async {
            while let Some(o) = rx.recv().await {
                if state.observe(o, &dispatcher).is_err() {
                    break;
                }
            }
        })
        .await;
        dispatcher.finish(SINK_GRACE).await;
        return Ok(state.outcome);
    }
    // Once: let every sink deliver what it has (a signal cuts this short).
    dispatcher.close();
    loop {
        tokio::select! {
            _ = dispatcher.ended() => break,
            Some(e) = emit_rx.recv() => {
                // Recorded for the next run; the sinks are closing.
                state.store.record(&[e], None)?;
            }
            name = signals.next(), if !stop.is_set() => {
                tracing::info!("{name}: stopping");
                stop.trigger();
            }
        }
    }
    Ok(state.outcome)
}

struct State {
    store: Store,
    auth_failed: HashSet<String>,
    outcome: Outcome,
    stop: Shutdown,
}

impl State {
    fn observe(&mut self, o: Observation, dispatcher: &Dispatcher) -> anyhow::Result<()> {
        match o {
            Observation::Record { events, cursor } => {
                for e in &events {
                    if e.kind == EventKind::AccountConnected {
                        self.auth_failed.remove(&e.account);
                    }
                }
                self.record(events, cursor.as_ref(), dispatcher)
            }
            Observation::AuthFailed { account, reason } => {
                // One event per outage, not one per mailbox or retry.
                if !self.auth_failed.insert(account.clone()) {
                    return Ok(());
                }
                tracing::error!("{account}: {reason}");
                self.record(vec![Event::auth_failed(&account, reason)], None, dispatcher)
            }
            Observation::Failed {
                account,
                mailbox,
                reason,
            } => {
                tracing::error!("{account}/{mailbox}: {reason}");
                self.outcome
                    .failures
                    .push(format!("{account}/{mailbox}: {reason}"));
                Ok(())
            }
        }
    }

    /// Journal first, then the sinks.
    fn record(
        &mut self,
        events: Vec<Event>,
        cursor: Option<&MailboxCursor>,
        dispatcher: &Dispatcher,
    ) -> anyhow::Result<()> {
        let fresh = self.store.record(&events, cursor).map_err(|e| {
            // Without the journal nothing can be promised: stop, loudly.
            self.stop.trigger();
            anyhow::Error::new(e).context("cannot record events; stopping so that none is lost")
        })?;
        for (seq, event) in fresh {
            dispatcher.dispatch(seq, Arc::new(event.clone()));
        }
        Ok(())
    }
}

/// SIGINT and SIGTERM.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}
