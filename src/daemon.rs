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

use anyhow::Context;
use tokio::sync::mpsc;

use crate::config::{Account, Profile};
use crate::credential::SecretCache;
use crate::dispatch::{Dispatcher, Emit};
use crate::event::{Event, EventKind};
use crate::shutdown::Shutdown;
use crate::sink::{self, Sink, SinkSpec};
use crate::store::{MailboxCursor, Store};
use crate::systemd::{self, Status};
use crate::watcher::{MailboxWatcher, Observation};

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
pub async fn run(
    profile: Profile,
    store: Store,
    extra: Sinks,
    once: bool,
    stop: Shutdown,
) -> anyhow::Result<Outcome> {
    let (emit_tx, mut emit_rx) = mpsc::unbounded_channel::<Event>();
    let (tx, mut rx) = mpsc::channel::<Observation>(OBSERVATIONS);
    let dispatcher = start_sinks(&profile, &extra, &store, &emit_tx, &stop)?;
    let mut d = Daemon {
        store,
        dispatcher: Some(dispatcher),
        accounts: HashMap::new(),
        auth_failed: HashSet::new(),
        trouble: Trouble::default(),
        outcome: Outcome::default(),
        status: Status::default(),
        stop: stop.clone(),
        tx: Some(tx),
        once,
        extra,
        emit: emit_tx,
        sinks_key: sinks_key(&profile),
        profile,
    };
    d.status.watch(d.mailbox_keys());
    let accounts = d.profile.accounts.clone();
    for a in accounts {
        d.start_account(a)?;
    }
    if once {
        d.tx = None;
    }

    let mut signals = Signals::new()?;
    let mut watchdog = systemd::watchdog_interval().map(tokio::time::interval);
    // The first tick is at once: prune at start, then every hour.
    let mut prune = tokio::time::interval(PRUNE_EVERY);
    let mut watchers_done = false;
    while !stop.is_set() {
        tokio::select! {
            o = rx.recv() => match o {
                Some(o) => d.observe(o)?,
                None => {
                    watchers_done = true;
                    break;
                }
            },
            Some(e) = emit_rx.recv() => d.record(vec![e], None)?,
            signal = signals.next() => match signal {
                Signal::Hangup if !once => d.reload().await?,
                Signal::Hangup => tracing::info!("SIGHUP: nothing to reload in --once"),
                Signal::Stop(name) => {
                    tracing::info!("{name}: stopping");
                    stop.trigger();
                }
            },
            _ = stop.wait() => {}
            _ = tick(&mut watchdog) => systemd::watchdog_ping(),
            _ = prune.tick() => d.prune(),
        }
    }
    systemd::stopping();
    if !watchers_done {
        // Stopping: take what the watchers still send while they log out.
        d.tx = None;
        let _ = tokio::time::timeout(WATCHER_GRACE, async {
            while let Some(o) = rx.recv().await {
                if d.observe(o).is_err() {
                    break;
                }
            }
        })
        .await;
        if let Some(dispatcher) = d.dispatcher.take() {
            dispatcher.finish(SINK_GRACE).await;
        }
        return Ok(d.outcome);
    }
    // Once: let every sink deliver what it has (a signal cuts this short).
    let mut dispatcher = d
        .dispatcher
        .take()
        .expect("the dispatcher runs until the end");
    dispatcher.close();
    loop {
        tokio::select! {
            _ = dispatcher.ended() => break,
            Some(e) = emit_rx.recv() => {
                // Recorded for the next run; the sinks are closing.
                d.store.record(&[e], None)?;
            }
            signal = signals.next(), if !stop.is_set() => {
                if let Signal::Stop(name) = signal {
                    tracing::info!("{name}: stopping");
                    stop.trigger();
                }
            }
        }
    }
    Ok(d.outcome)
}

async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn start_sinks(
    profile: &Profile,
    extra: &Sinks,
    store: &Store,
    emit: &Emit,
    stop: &Shutdown,
) -> anyhow::Result<Dispatcher> {
    let mut sinks = extra.clone();
    sinks.extend(
        sink::from_profile(profile)
            .into_iter()
            .map(|(s, spec)| (Arc::from(s), spec)),
    );
    Dispatcher::start(sinks, store.path(), emit.clone(), stop.clone())
}

/// What identifies the profile's sinks: when it changes, they restart.
fn sinks_key(profile: &Profile) -> String {
    format!("{:?}{:?}", profile.hooks, profile.notify)
}

/// A running account: its settings and its own stop switch.
struct Running {
    config: Account,
    stop: Shutdown,
}

struct Daemon {
    store: Store,
    dispatcher: Option<Dispatcher>,
    accounts: HashMap<String, Running>,
    auth_failed: HashSet<String>,
    trouble: Trouble,
    outcome: Outcome,
    status: Status,
    stop: Shutdown,
    tx: Option<mpsc::Sender<Observation>>,
    once: bool,
    extra: Sinks,
    emit: Emit,
    sinks_key: String,
    profile: Profile,
}

impl Daemon {
    fn mailbox_keys(&self) -> Vec<(String, String)> {
        self.profile
            .accounts
            .iter()
            .flat_map(|a| a.mailboxes.iter().map(move |m| (a.name.clone(), m.clone())))
            .collect()
    }

    /// Drops delivered journal entries past the retention.
    fn prune(&mut self) {
        let Some(dispatcher) = &self.dispatcher else {
            return;
        };
        let names: Vec<&str> = dispatcher.names().iter().map(String::as_str).collect();
        let cutoff = std::time::SystemTime::now()
            .checked_sub(self.profile.journal.max_age)
            .unwrap_or(std::time::UNIX_EPOCH);
        let cutoff = humantime::format_rfc3339_millis(cutoff).to_string();
        match self
            .store
            .prune(&names, &cutoff, self.profile.journal.max_events)
        {
            Ok(0) => {}
            Ok(n) => tracing::info!("journal: pruned {n} delivered events past the retention"),
            Err(e) => tracing::warn!("journal: cannot prune: {e}"),
        }
    }

    /// Starts a watcher thread per mailbox of `account`.
    fn start_account(&mut self, account: Account) -> anyhow::Result<()> {
        let tx = self.tx.clone().expect("accounts start while watching");
        let cursors = self.store.cursors()?;
        let stop = self.stop.child();
        let shared = Arc::new(account.clone());
        let tokens = crate::credential::oauth2::TokenFile::beside(self.store.path(), &account.name);
        let secret = Arc::new(SecretCache::new(account.secret.clone(), Some(tokens)));
        for mailbox in &account.mailboxes {
            let watcher = MailboxWatcher {
                account: shared.clone(),
                mailbox: mailbox.clone(),
                cursor: cursors
                    .get(&(account.name.clone(), mailbox.clone()))
                    .cloned(),
                secret: secret.clone(),
                tx: tx.clone(),
                stop: stop.clone(),
                once: self.once,
            };
            std::thread::Builder::new()
                .name(format!("{}/{mailbox}", account.name))
                .spawn(move || watcher.run())
                .context("cannot start a watcher thread")?;
        }
        self.accounts.insert(
            account.name.clone(),
            Running {
                config: account,
                stop,
            },
        );
        Ok(())
    }

    /// SIGHUP: read the profile again; restart only what changed. A broken
    /// profile is reported and the running one kept.
    async fn reload(&mut self) -> anyhow::Result<()> {
        self.status.reloading();
        let new = match Profile::load(&self.profile.path, &self.profile.name) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("SIGHUP: the profile is not valid; keeping the running one:\n{e}");
                self.status.reloaded();
                return Ok(());
            }
        };
        let mut changes = Vec::new();
        let names: HashSet<&str> = new.accounts.iter().map(|a| a.name.as_str()).collect();
        let gone: Vec<String> = self
            .accounts
            .keys()
            .filter(|n| !names.contains(n.as_str()))
            .cloned()
            .collect();
        for name in gone {
            self.accounts.remove(&name).expect("listed").stop.trigger();
            changes.push(format!("removed {name}"));
        }
        for a in &new.accounts {
            match self.accounts.get(&a.name) {
                Some(r) if r.config == *a => {}
                Some(r) => {
                    r.stop.trigger();
                    changes.push(format!("restarted {}", a.name));
                    self.start_account(a.clone())?;
                }
                None => {
                    changes.push(format!("added {}", a.name));
                    self.start_account(a.clone())?;
                }
            }
        }
        let key = sinks_key(&new);
        self.profile = new;
        if key != self.sinks_key {
            if let Some(old) = self.dispatcher.take() {
                old.finish(RELOAD_SINK_GRACE).await;
            }
            self.dispatcher = Some(start_sinks(
                &self.profile,
                &self.extra,
                &self.store,
                &self.emit,
                &self.stop,
            )?);
            self.sinks_key = key;
            changes.push("restarted sinks".into());
        }
        self.status.watch(self.mailbox_keys());
        self.status.reloaded();
        if changes.is_empty() {
            tracing::info!("SIGHUP: profile reloaded; nothing changed");
        } else {
            tracing::info!("SIGHUP: profile reloaded: {}", changes.join(", "));
        }
        Ok(())
    }

    fn observe(&mut self, o: Observation) -> anyhow::Result<()> {
        match o {
            Observation::Record { events, cursor } => {
                for e in &events {
                    if e.kind == EventKind::AccountConnected {
                        self.auth_failed.remove(&e.account);
                    }
                }
                self.record(events, cursor.as_ref())
            }
            Observation::Health {
                account,
                mailbox,
                failure,
            } => {
                self.status.health(&account, &mailbox, failure.is_none());
                self.trouble.report(&account, &mailbox, failure);
                Ok(())
            }
            Observation::AuthFailed { account, reason } => {
                // One event per outage, not one per mailbox or retry.
                if !self.auth_failed.insert(account.clone()) {
                    return Ok(());
                }
                tracing::error!("{account}: {reason}");
                self.record(vec![Event::auth_failed(&account, reason)], None)
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
    fn record(&mut self, events: Vec<Event>, cursor: Option<&MailboxCursor>) -> anyhow::Result<()> {
        let fresh = self.store.record(&events, cursor).map_err(|e| {
            // Without the journal nothing can be promised: stop, loudly.
            self.stop.trigger();
            anyhow::Error::new(e).context("cannot record events; stopping so that none is lost")
        })?;
        let dispatcher = self
            .dispatcher
            .as_ref()
            .expect("the dispatcher runs while watching");
        for (seq, event) in fresh {
            dispatcher.dispatch(seq, Arc::new(event.clone()));
        }
        Ok(())
    }
}

/// Connection failures per mailbox, logged so that an error repeated on
/// every retry is said once, then counted.
#[derive(Default)]
struct Trouble(HashMap<(String, String), (String, u32)>);

impl Trouble {
    fn report(&mut self, account: &str, mailbox: &str, failure: Option<String>) {
        let key = (account.to_string(), mailbox.to_string());
        let Some(reason) = failure else {
            if let Some((_, n)) = self.0.remove(&key) {
                tracing::info!("{account}/{mailbox}: connected again after {n} failed attempts");
            }
            return;
        };
        match self.0.get_mut(&key) {
            Some((last, n)) if *last == reason => {
                *n += 1;
                tracing::debug!("{account}/{mailbox}: {reason}; retrying (attempt {n})");
            }
            Some((last, n)) => {
                tracing::warn!(
                    "{account}/{mailbox}: {reason}; retrying (the previous error, {last:?}, \
                     happened {n} times)"
                );
                *last = reason;
                *n = 1;
            }
            None => {
                tracing::warn!("{account}/{mailbox}: {reason}; retrying");
                self.0.insert(key, (reason, 1));
            }
        }
    }
}

enum Signal {
    Stop(&'static str),
    Hangup,
}

/// SIGINT, SIGTERM and SIGHUP.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            hup: signal(SignalKind::hangup()).context("cannot handle SIGHUP")?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.int.recv() => Signal::Stop("SIGINT"),
            _ = self.term.recv() => Signal::Stop("SIGTERM"),
            _ = self.hup.recv() => Signal::Hangup,
        }
    }
}
