//! The watch loop: starts a watcher thread per mailbox, records what they
//! observe in the journal, hands new events to the dispatcher, reloads the
//! profile on SIGHUP, keeps systemd informed, and stops cleanly on SIGINT
//! or SIGTERM.
//!
//! Every event is recorded (with its cursor move, in one transaction)
//! before any sink sees it; each sink then keeps its own delivery cursor.
//! A crash anywhere leaves undelivered events in the journal, and the next
//! start delivers them first. A reload keeps all of that: cursors and
//! delivery cursors live in the store, not in the threads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{Account, Profile};
use crate::credential::SecretCache;
use crate::dispatch::{Dispatcher, Emit};
use crate::error::Error;
use crate::event::{Event, EventData, EventKind};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::sink::{self, Sink, SinkSpec};
use crate::store::{MailboxCursor, Store, StoreError};
use crate::systemd::{self, Status};
use crate::watcher::{AccountWatcher, Observation};

pub(crate) mod cluster;
mod reload;
mod signals;
mod trouble;

use signals::{Signal, Signals};
use trouble::Trouble;

/// After a stop request: how long watchers may take to log out, and then
/// how long sinks may take to finish what they are doing.
const WATCHER_GRACE: Duration = Duration::from_millis(1200);
const SINK_GRACE: Duration = Duration::from_millis(500);
/// On reload, how long the old sinks may take before they are replaced.
const RELOAD_SINK_GRACE: Duration = Duration::from_secs(2);
/// How often delivered journal entries past the retention are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Sinks that are not in the profile (stdout, library handlers): kept
/// across reloads.
pub type Sinks = Vec<(Arc<dyn Sink>, SinkSpec)>;

/// What a finished run reports.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Mailboxes that could not be caught up (with `once`), with reasons.
    pub failures: Vec<String>,
}

/// Watchers wait when this many observations are queued: a record holds
/// up to a batch (100) of events, so a catch-up of 100,000 messages keeps
/// at most a couple of thousand in memory while the IMAP connection waits.
const OBSERVATIONS: usize = 16;

/// Runs the watch until `stop` is triggered (or, with `once`, until every
/// mailbox has been caught up and every sink has delivered).
pub(crate) async fn run(
    profile: Profile,
    store: Store,
    extra: Sinks,
    (once, instance, stop): (bool, String, Shutdown),
) -> Result<Outcome, Error> {
    crate::process::hide_from_children(profile.secret_env_vars());
    // Before any hook runs: end what a crashed run's hooks left behind.
    crate::process::ledger::keep(store.path().with_extension("children"));
    let (emit_tx, mut emit_rx) = mpsc::unbounded_channel::<Event>();
    let (tx, mut rx) = mpsc::channel::<Observation>(OBSERVATIONS);
    let metrics = Arc::new(Metrics::default());
    let (live, _) = tokio::sync::broadcast::channel(crate::http::LIVE_BUFFER);
    // With leases (a shared database) each held account gets a dispatcher
    // of its own; otherwise one serves every account.
    let shared = store.call(|b| Ok(b.leases().is_some())).await?;
    let (dispatcher, cluster) = if shared {
        let cluster = cluster::Cluster {
            me: instance,
            sinks: sink_list(&profile, &extra),
            dispatchers: HashMap::new(),
        };
        (None, Some(cluster))
    } else {
        let sinks = (&extra, &emit_tx, &metrics);
        (
            Some(start_sinks(&profile, sinks, &store, &stop).await?),
            None,
        )
    };
    if let Some(http) = &profile.http {
        crate::http::start(
            http,
            (metrics.clone(), store.clone(), live.clone()),
            stop.clone(),
        )
        .await
        .map_err(|e| Error::Http(Box::new(e)))?;
    }
    let mut d = Daemon {
        store,
        dispatcher,
        cluster,
        accounts: HashMap::new(),
        auth_failed: HashSet::new(),
        recovering: HashMap::new(),
        resolved: HashMap::new(),
        trouble: Trouble::default(),
        outcome: Outcome::default(),
        status: Status::default(),
        stop: stop.clone(),
        tx: Some(tx),
        once,
        extra,
        emit: emit_tx,
        metrics,
        live,
        profile,
    };
    d.status.watch(d.mailbox_keys());
    d.metrics.watch(&d.mailbox_keys());
    if d.cluster.is_some() {
        // The accounts this instance takes; the rounds go on below.
        d.lease_round().await?;
    } else {
        let accounts = d.profile.accounts.clone();
        for a in accounts {
            d.start_account(a).await?;
        }
    }
    if once {
        d.tx = None;
    }
    let first_round = tokio::time::Instant::now() + cluster::ROUND;
    let mut leases = d
        .cluster
        .is_some()
        .then(|| tokio::time::interval_at(first_round, cluster::ROUND));

    let mut signals = Signals::new()?;
    let mut watchdog = systemd::watchdog_interval().map(tokio::time::interval);
    // The first tick is at once: prune at start, then every hour.
    let mut prune = tokio::time::interval(PRUNE_EVERY);
    let mut watchers_done = false;
    while !stop.is_set() {
        tokio::select! {
            o = rx.recv() => match o {
                Some(o) => d.observe(o).await?,
                None => {
                    watchers_done = true;
                    break;
                }
            },
            Some(e) = emit_rx.recv() => d.record(vec![e], None).await?,
            signal = signals.next() => match signal {
                Signal::Hangup if !once => d.reload().await?,
                other => stop_or_note(other, &stop),
            },
            _ = stop.wait() => {}
            _ = tick(&mut watchdog) => systemd::watchdog_ping(),
            _ = tick(&mut leases) => d.lease_round().await?,
            _ = prune.tick() => d.prune(),
        }
    }
    systemd::stopping();
    if !watchers_done {
        // Stopping: take what the watchers still send while they log out.
        d.tx = None;
        let _ = tokio::time::timeout(WATCHER_GRACE, async {
            while let Some(o) = rx.recv().await {
                if d.observe(o).await.is_err() {
                    break;
                }
            }
        })
        .await;
        if let Some(dispatcher) = d.dispatcher.take() {
            dispatcher.finish(SINK_GRACE).await;
        }
        d.leave(SINK_GRACE).await;
        return Ok(d.outcome);
    }
    // Once: let every sink deliver what it has, and what they report
    // meanwhile (a dead letter's notice) too; a signal cuts this short.
    while !stop.is_set() {
        let settled = d.settled();
        tokio::select! {
            _ = settled => match emit_rx.try_recv() {
                Ok(e) => d.record(vec![e], None).await?,
                Err(_) => break,
            },
            Some(e) = emit_rx.recv() => d.record(vec![e], None).await?,
            signal = signals.next() => stop_or_note(signal, &stop),
        }
    }
    let mut dispatchers: Vec<Dispatcher> = d.dispatcher.take().into_iter().collect();
    if let Some(c) = d.cluster.as_mut() {
        dispatchers.extend(c.dispatchers.drain().map(|(_, d)| d));
    }
    for dispatcher in &mut dispatchers {
        dispatcher.close();
    }
    loop {
        tokio::select! {
            _ = all_ended(&mut dispatchers) => break,
            Some(e) = emit_rx.recv() => {
                // Recorded for the next run; the sinks are closing.
                d.store.call(move |b| b.record(&[e], None)).await?;
            }
            signal = signals.next(), if !stop.is_set() => {
                if let Signal::Stop(name) = signal {
                    tracing::info!("{name}: stopping");
                    stop.trigger();
                }
            }
        }
    }
    d.leave(SINK_GRACE).await;
    Ok(d.outcome)
}

/// What a signal does unless it reloads the profile (SIGHUP, except in
/// `--once`): SIGINT and SIGTERM stop, a SIGHUP in `--once` is noted.
fn stop_or_note(signal: Signal, stop: &Shutdown) {
    match signal {
        Signal::Hangup => tracing::info!("SIGHUP: nothing to reload in --once"),
        Signal::Stop(name) => {
            tracing::info!("{name}: stopping");
            stop.trigger();
        }
    }
}

async fn all_ended(dispatchers: &mut [Dispatcher]) {
    for d in dispatchers {
        d.ended().await;
    }
}

async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The library's sinks, where runners report, what they count into.
type SinkContext<'a> = (&'a Sinks, &'a Emit, &'a Arc<Metrics>);

async fn start_sinks(
    profile: &Profile,
    (extra, emit, metrics): SinkContext<'_>,
    store: &Store,
    stop: &Shutdown,
) -> Result<Dispatcher, StoreError> {
    let sinks = sink_list(profile, extra);
    Dispatcher::start(sinks, store, emit.clone(), stop.clone(), metrics.clone()).await
}

/// The library's sinks and the profile's, built anew.
fn sink_list(profile: &Profile, extra: &Sinks) -> Sinks {
    let mut sinks = extra.clone();
    sinks.extend(
        sink::from_profile(profile)
            .into_iter()
            .map(|(s, spec)| (Arc::from(s), spec)),
    );
    sinks
}

/// A running account: its settings and its own stop switch.
struct Running {
    config: Account,
    stop: Shutdown,
}

struct Daemon {
    store: Store,
    /// Every account's events, unless accounts are shared (then each held
    /// account has its own, in `cluster`).
    dispatcher: Option<Dispatcher>,
    cluster: Option<cluster::Cluster>,
    accounts: HashMap<String, Running>,
    auth_failed: HashSet<String>,
    /// Messages announced so far per mailbox being recovered after a
    /// UIDVALIDITY change.
    recovering: HashMap<(String, String), u32>,
    /// Each account's mailboxes as its watcher resolved them.
    resolved: HashMap<String, Vec<String>>,
    trouble: Trouble,
    outcome: Outcome,
    status: Status,
    stop: Shutdown,
    tx: Option<mpsc::Sender<Observation>>,
    once: bool,
    extra: Sinks,
    emit: Emit,
    metrics: Arc<Metrics>,
    /// Journaled events for `/events` clients.
    live: crate::http::Live,
    profile: Profile,
}

impl Daemon {
    /// The mailboxes this instance watches: every account's, or only the
    /// held ones' when accounts are shared.
    fn mailbox_keys(&self) -> Vec<(String, String)> {
        self.profile
            .accounts
            .iter()
            .filter(|a| self.cluster.is_none() || self.accounts.contains_key(&a.name))
            .flat_map(|a| {
                // Patterns stand for their mailboxes until LIST resolves them.
                let names = self.resolved.get(&a.name).unwrap_or(&a.mailboxes);
                names.iter().map(move |m| (a.name.clone(), m.clone()))
            })
            .collect()
    }

    /// Completes once every dispatcher has settled what it was given so
    /// far (see [`Dispatcher::settled`]).
    fn settled(&self) -> impl Future<Output = ()> + Send + 'static {
        let all: Vec<_> = self
            .dispatcher
            .iter()
            .chain(self.cluster.iter().flat_map(|c| c.dispatchers.values()))
            .map(Dispatcher::settled)
            .collect();
        async move {
            for d in all {
                d.await;
            }
        }
    }

    /// Drops delivered journal entries past the retention.
    fn prune(&mut self) {
        let (names, shared) = match (&self.dispatcher, &self.cluster) {
            (Some(dispatcher), _) => (dispatcher.names().to_vec(), false),
            // Every account's delivery cursors, held here or elsewhere, and
            // the sinks' own (from before the accounts were shared: an
            // account's first holder starts from it).
            (None, Some(cluster)) => (
                cluster
                    .sinks
                    .iter()
                    .flat_map(|(s, _)| {
                        self.profile
                            .accounts
                            .iter()
                            .map(move |a| format!("{}@{}", s.name(), a.name))
                            .chain([s.name().to_string()])
                    })
                    .collect(),
                true,
            ),
            (None, None) => return,
        };
        let cutoff = std::time::SystemTime::now()
            .checked_sub(self.profile.journal.max_age)
            .unwrap_or(std::time::UNIX_EPOCH);
        let cutoff = humantime::format_rfc3339_millis(cutoff).to_string();
        let keep = self.profile.journal.max_events;
        self.store.send(move |b| {
            let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
            if shared {
                // Only cursors that exist: pruning must not create one at
                // the end for an account nobody has held yet.
                let known: Vec<String> = match b.sinks() {
                    Ok(s) => s.into_iter().map(|s| s.sink).collect(),
                    Err(e) => {
                        tracing::warn!("journal: cannot prune: {e}");
                        return;
                    }
                };
                names.retain(|n| known.iter().any(|k| k == n));
            }
            match b.prune(&names, &cutoff, keep) {
                Ok(0) => {}
                Ok(n) => tracing::info!("journal: pruned {n} delivered events past the retention"),
                Err(e) => tracing::warn!("journal: cannot prune: {e}"),
            }
        });
    }

    /// Starts a watcher thread per mailbox of `account`.
    async fn start_account(&mut self, account: Account) -> Result<(), Error> {
        let tx = self.tx.clone().expect("accounts start while watching");
        let cursors = self.store.call(|b| b.cursors()).await?;
        let stop = self.stop.child();
        let shared = Arc::new(account.clone());
        let tokens = crate::credential::oauth2::TokenFile::beside(self.store.path(), &account.name);
        let secret = Arc::new(SecretCache::new(account.secret.clone(), Some(tokens)));
        let cursors = cursors
            .into_iter()
            .filter(|((a, _), _)| *a == account.name)
            .map(|((_, m), c)| (m, c))
            .collect();
        let watcher = AccountWatcher::new(shared, cursors, secret, tx, stop.clone(), self.once);
        std::thread::Builder::new()
            .name(account.name.clone())
            .spawn(move || watcher.run())
            .map_err(|e| Error::system("cannot start a watcher thread", e))?;
        self.accounts.insert(
            account.name.clone(),
            Running {
                config: account,
                stop,
            },
        );
        Ok(())
    }

    async fn observe(&mut self, o: Observation) -> Result<(), Error> {
        match o {
            Observation::Record {
                events,
                cursor,
                noticed,
            } => {
                for e in &events {
                    if e.kind == EventKind::AccountConnected {
                        self.auth_failed.remove(&e.account);
                    }
                }
                let account = match (noticed, events.first()) {
                    (Some(at), Some(e)) => Some((at, e.account.clone())),
                    _ => None,
                };
                self.record(events, cursor).await?;
                if let Some((at, account)) = account {
                    self.metrics.noticed(&account, at);
                }
                Ok(())
            }
            Observation::Health {
                account,
                mailbox,
                failure,
            } => {
                self.status.health(&account, &mailbox, failure.is_none());
                self.metrics.health(&account, &mailbox, failure.is_none());
                self.trouble.report(&account, &mailbox, failure);
                Ok(())
            }
            Observation::Recovered {
                account,
                mailbox,
                events,
                done,
            } => self.recovered(account, mailbox, events, done).await,
            Observation::AuthFailed { account, reason } => {
                self.metrics.auth_failed(&account);
                // One event per outage, not one per mailbox or retry.
                if !self.auth_failed.insert(account.clone()) {
                    return Ok(());
                }
                tracing::error!("{account}: {reason}");
                self.record(vec![Event::auth_failed(&account, reason)], None)
                    .await
            }
            Observation::Mailboxes { account, mailboxes } => {
                if self.resolved.get(&account) != Some(&mailboxes) {
                    self.resolved.insert(account, mailboxes);
                    let keys = self.mailbox_keys();
                    self.status.watch(keys.clone());
                    self.metrics.watch(&keys);
                }
                Ok(())
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

    /// Records what arrived in a re-created mailbox since it was last seen,
    /// less what the journal holds by Message-ID; at the end, the
    /// `mailbox.reset` event with the count, and the new baseline.
    async fn recovered(
        &mut self,
        account: String,
        mailbox: String,
        events: Vec<Event>,
        done: Option<Box<(Event, MailboxCursor)>>,
    ) -> Result<(), Error> {
        let ids: Vec<String> = events
            .iter()
            .filter_map(|e| e.message()?.message_id.clone())
            .collect();
        let (a, m) = (account.clone(), mailbox.clone());
        let known = self
            .store
            .call(move |b| b.known_message_ids(&a, &m, &ids))
            .await?;
        let mut fresh: Vec<Event> = events
            .into_iter()
            .filter(|e| {
                e.message()
                    .and_then(|m| m.message_id.as_ref())
                    .is_none_or(|id| !known.contains(id))
            })
            .collect();
        let key = (account, mailbox);
        *self.recovering.entry(key.clone()).or_default() += fresh.len() as u32;
        let Some((mut reset, cursor)) = done.map(|d| *d) else {
            return self.record(fresh, None).await;
        };
        let n = self.recovering.remove(&key).unwrap_or(0);
        if let EventData::Reset { announced, .. } = &mut reset.data {
            *announced = n;
        }
        fresh.push(reset);
        self.record(fresh, Some(cursor)).await
    }

    /// Journal first, then the sinks.
    async fn record(
        &mut self,
        events: Vec<Event>,
        cursor: Option<MailboxCursor>,
    ) -> Result<(), Error> {
        let recorded = self
            .store
            .call(move |b| {
                let fresh = b.record(&events, cursor.as_ref())?;
                Ok((events, fresh))
            })
            .await;
        let (events, fresh) = match recorded {
            Ok(r) => r,
            // The account moved to another instance: stopped here.
            Err(e) if self.lease_lost(&e) => return Ok(()),
            Err(e) => {
                // Without the journal nothing can be promised: stop, loudly.
                self.stop.trigger();
                return Err(Error::state(
                    "cannot record events; stopping so that none is lost",
                    e,
                ));
            }
        };
        let mut fresh = fresh.into_iter().peekable();
        for (i, event) in events.into_iter().enumerate() {
            if let Some((seq, _)) = fresh.next_if(|&(_, at)| at == i) {
                self.metrics
                    .journaled(seq, event.kind.as_str(), &event.account);
                let event = Arc::new(event);
                // No /events client listening is no error.
                let _ = self.live.send((seq, event.clone()));
                let dispatcher = match &self.cluster {
                    Some(c) => c.dispatchers.get(&event.account),
                    None => self.dispatcher.as_ref(),
                };
                // None: an account let go of meanwhile; its holder delivers
                // it from the journal.
                if let Some(dispatcher) = dispatcher {
                    dispatcher.dispatch(seq, event);
                }
            }
        }
        Ok(())
    }
}
