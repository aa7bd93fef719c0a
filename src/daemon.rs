//! The watch loop: starts a watcher thread per mailbox, records what they
//! observe, hands new events to the sinks, and stops cleanly on a signal.
//!
//! Order of work for every observation: record events and cursor in one
//! transaction, then deliver the newly recorded events to each sink and
//! advance that sink's delivery cursor. A crash between the two steps
//! leaves the events undelivered in the journal; the next start delivers
//! them first.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::mpsc;

use crate::config::Profile;
use crate::event::{Event, EventKind};
use crate::secret::SecretCache;
use crate::shutdown::Shutdown;
use crate::sink::{Sink, SinkError};
use crate::store::Store;
use crate::watcher::{MailboxWatcher, Observation};

/// How long a stop waits for watchers to log out.
const STOP_GRACE: Duration = Duration::from_millis(1500);

/// What a finished run reports.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Mailboxes that could not be caught up (with `once`), with reasons.
    pub failures: Vec<String>,
}

/// Runs the watch until `stop` is triggered (or, with `once`, until every
/// mailbox has been caught up).
pub async fn run(
    profile: &Profile,
    mut store: Store,
    mut sinks: Vec<Box<dyn Sink>>,
    once: bool,
    stop: Shutdown,
) -> anyhow::Result<Outcome> {
    for sink in sinks.iter_mut() {
        catch_up_sink(&mut store, sink.as_mut(), &stop).await?;
    }
    let cursors = store.cursors()?;
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
        sinks,
        auth_failed: HashSet::new(),
        outcome: Outcome::default(),
        stop: stop.clone(),
    };
    let mut signals = Signals::new()?;
    loop {
        tokio::select! {
            o = rx.recv() => match o {
                Some(o) => state.observe(o).await?,
                None => return Ok(state.outcome),
            },
            name = signals.next(), if !stop.is_set() => {
                tracing::info!("{name}: stopping");
                stop.trigger();
                break;
            }
        }
        if stop.is_set() {
            break;
        }
    }
    // Stopping: take what the watchers still send while they log out.
    let _ = tokio::time::timeout(STOP_GRACE, async {
        while let Some(o) = rx.recv().await {
            if state.observe(o).await.is_err() {
                break;
            }
        }
    })
    .await;
    Ok(state.outcome)
}

struct State {
    store: Store,
    sinks: Vec<Box<dyn Sink>>,
    auth_failed: HashSet<String>,
    outcome: Outcome,
    stop: Shutdown,
}

impl State {
    async fn observe(&mut self, o: Observation) -> anyhow::Result<()> {
        match o {
            Observation::Record { events, cursor } => {
                for e in &events {
                    if e.kind == EventKind::AccountConnected {
                        self.auth_failed.remove(&e.account);
                    }
                }
                self.record(&events, cursor.as_ref()).await
            }
            Observation::AuthFailed { account, reason } => {
                // One event per outage, not one per mailbox or retry.
                if !self.auth_failed.insert(account.clone()) {
                    return Ok(());
                }
                tracing::error!("{account}: {reason}");
                let event = Event::auth_failed(&account, reason);
                self.record(&[event], None).await
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

    async fn record(
        &mut self,
        events: &[Event],
        cursor: Option<&crate::store::MailboxCursor>,
    ) -> anyhow::Result<()> {
        let fresh = self.store.record(events, cursor).map_err(|e| {
            // Without the journal nothing can be promised: stop, loudly.
            self.stop.trigger();
            anyhow::Error::new(e).context("cannot record events; stopping so that none is lost")
        })?;
        if fresh.is_empty() {
            return Ok(());
        }
        for sink in self.sinks.iter_mut() {
            let mut delivered = None;
            for (seq, event) in &fresh {
                match sink.deliver(event).await {
                    Ok(()) => delivered = Some(*seq),
                    Err(e) => {
                        sink_failed(sink.name(), e, &self.stop);
                        break;
                    }
                }
            }
            if let Some(seq) = delivered {
                self.store.ack(sink.name(), seq)?;
            }
        }
        Ok(())
    }
}

/// Delivers what a sink had not acknowledged before the last stop.
async fn catch_up_sink(
    store: &mut Store,
    sink: &mut dyn Sink,
    stop: &Shutdown,
) -> anyhow::Result<()> {
    let pending = store.undelivered(sink.name())?;
    if !pending.is_empty() {
        tracing::info!(
            "{}: delivering {} events left from the last run",
            sink.name(),
            pending.len()
        );
    }
    for (seq, json) in pending {
        let event: Event = serde_json::from_str(&json)
            .with_context(|| format!("journal entry {seq} is not a valid event"))?;
        if let Err(e) = sink.deliver(&event).await {
            sink_failed(sink.name(), e, stop);
            break;
        }
        store.ack(sink.name(), seq)?;
    }
    Ok(())
}

fn sink_failed(name: &str, e: SinkError, stop: &Shutdown) {
    match e {
        SinkError::Closed => {
            // `mailreactor watch | head`: the reader is done, and so are we.
            tracing::debug!("{name}: reader went away; stopping");
            stop.trigger();
        }
        SinkError::Failed(msg) => tracing::error!("{name}: {msg}"),
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
