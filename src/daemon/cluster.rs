//! Sharing the profile's accounts with other instances (a store with
//! leases: PostgreSQL). Every [`ROUND`] this instance says it is alive,
//! renews its leases and takes free or expired accounts up to its fair
//! share; it hands over what is over the share and stops at once what
//! another instance took. Each held account has a dispatcher of its own,
//! so an instance delivers what it journals, from the account's delivery
//! cursors, and whoever takes the account next goes on from there.

use std::collections::HashMap;
use std::time::Duration;

use super::{Daemon, SINK_GRACE, Sinks};
use crate::dispatch::Dispatcher;
use crate::error::Error;
use crate::event::Event;
use crate::store::StoreError;

/// How often an instance renews its leases and looks for accounts.
pub(super) const ROUND: Duration = Duration::from_secs(2);
/// How long a lease lives unrenewed: an instance that stops (kill -9, a
/// pause, a cut) loses its accounts this long after its last round.
pub(crate) const TTL: Duration = Duration::from_secs(6);

/// This instance among others.
pub(super) struct Cluster {
    /// `--instance`, unique among the instances.
    pub(super) me: String,
    /// Every sink, shared by the accounts' dispatchers.
    pub(super) sinks: Sinks,
    /// A dispatcher per held account.
    pub(super) dispatchers: HashMap<String, Dispatcher>,
}

impl Daemon {
    /// One lease round: start what was taken, hand over the surplus, stop
    /// what was lost. A database that cannot be reached now is tried again
    /// at the next round (the leases run out meanwhile, as they should).
    pub(super) async fn lease_round(&mut self) -> Result<(), Error> {
        let Some(cluster) = &self.cluster else {
            return Ok(());
        };
        let me = cluster.me.clone();
        let names: Vec<String> = self
            .profile
            .accounts
            .iter()
            .map(|a| a.name.clone())
            .collect();
        // --once catches up what no live instance watches, and takes no
        // share from them.
        let passing = self.once;
        let round = self
            .store
            .call(move |b| match b.leases() {
                Some(l) => l.lease_round(&me, &names, TTL, passing),
                None => Ok(Default::default()),
            })
            .await;
        let round = match round {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("leases: cannot renew them now: {e}");
                return Ok(());
            }
        };
        for account in round.lost {
            self.lost(&account);
        }
        for account in round.surplus {
            self.hand_over(&account).await?;
        }
        for account in round.taken {
            self.take(&account).await?;
        }
        Ok(())
    }

    /// Starts an account this instance has just taken: its dispatcher,
    /// then its watchers.
    async fn take(&mut self, account: &str) -> Result<(), Error> {
        let Some(config) = self.profile.accounts.iter().find(|a| a.name == account) else {
            return Ok(());
        };
        let config = config.clone();
        if self.tx.is_none() {
            // --once has started what it watches: give this one back.
            self.release(account).await?;
            return Ok(());
        }
        let cluster = self.cluster.as_mut().expect("sharing accounts");
        tracing::info!("{account}: taken (instance {})", cluster.me);
        let dispatcher = Dispatcher::start_for(
            Some(account),
            cluster.sinks.clone(),
            &self.store,
            self.emit.clone(),
            self.stop.clone(),
            self.metrics.clone(),
        )
        .await?;
        cluster.dispatchers.insert(account.to_string(), dispatcher);
        self.start_account(config).await?;
        self.watch_held();
        Ok(())
    }

    /// Over the fair share: stop, say so in the journal (still held), then
    /// give the lease back.
    async fn hand_over(&mut self, account: &str) -> Result<(), Error> {
        let mailboxes = self.stop_account(account);
        let me = self.cluster.as_ref().expect("sharing accounts").me.clone();
        tracing::info!("{account}: handed over to another instance (instance {me})");
        let events: Vec<Event> = mailboxes
            .iter()
            .map(|m| Event::disconnected(account, m, "handed over to another instance".into()))
            .collect();
        self.record(events, None).await?;
        if let Err(e) = self.release(account).await {
            tracing::warn!("{account}: cannot give the lease back ({e}); it runs out by itself");
        }
        self.finish_dispatcher(account);
        Ok(())
    }

    /// Gives `account`'s lease back.
    async fn release(&self, account: &str) -> Result<(), StoreError> {
        let me = self.cluster.as_ref().expect("sharing accounts").me.clone();
        let a = account.to_string();
        self.store
            .call(move |b| match b.leases() {
                Some(l) => l.release(&me, &a),
                None => Ok(()),
            })
            .await
    }

    /// Another instance holds the account now: stop at once and write
    /// nothing more for it but the notice that says so
    /// (`account.disconnected`, which moves no cursor).
    pub(super) fn lost(&mut self, account: &str) {
        let mailboxes = self.stop_account(account);
        if mailboxes.is_empty() {
            return;
        }
        tracing::error!(
            "{account}: another instance took this account (this one's lease ran out, after a \
             pause or a cut); stopped watching it, and nothing more is written for it here"
        );
        self.finish_dispatcher(account);
        let cluster = self.cluster.as_ref().expect("sharing accounts");
        let reason = format!(
            "lease lost: another instance took this account from {}",
            cluster.me
        );
        for m in mailboxes {
            let notice = Event::disconnected(account, &m, reason.clone());
            // This instance's own sinks hear it at once (it has no
            // dispatcher for the account any more); the journal has it
            // too, for the account's holder to deliver.
            let notice = std::sync::Arc::new(notice);
            for (sink, spec) in &cluster.sinks {
                if spec.subscription.matches(&notice) {
                    let (sink, notice) = (sink.clone(), notice.clone());
                    tokio::spawn(async move {
                        if let Err(e) = sink.deliver(std::slice::from_ref(&notice)).await {
                            tracing::warn!(
                                "{}: cannot deliver the lease-lost notice: {e}",
                                sink.name()
                            );
                        }
                    });
                }
            }
            let _ = self.emit.send((*notice).clone());
        }
    }

    /// Stops an account's watchers; returns its mailboxes (none when it
    /// was not running).
    fn stop_account(&mut self, account: &str) -> Vec<String> {
        let Some(running) = self.accounts.remove(account) else {
            return Vec::new();
        };
        running.stop.trigger();
        self.watch_held();
        running.config.mailboxes
    }

    fn finish_dispatcher(&mut self, account: &str) {
        let cluster = self.cluster.as_mut().expect("sharing accounts");
        if let Some(d) = cluster.dispatchers.remove(account) {
            tokio::spawn(d.finish(SINK_GRACE));
        }
    }

    /// Readiness and status count only the mailboxes of held accounts.
    fn watch_held(&mut self) {
        let keys = self.mailbox_keys();
        self.status.watch(keys.clone());
        self.metrics.watch(&keys);
    }

    /// A clean stop: every dispatcher finishes, and the leases go back at
    /// once, so the others take the accounts without waiting for them to
    /// run out.
    pub(super) async fn leave(&mut self, grace: Duration) {
        let Some(cluster) = self.cluster.as_mut() else {
            return;
        };
        let me = cluster.me.clone();
        let all: Vec<Dispatcher> = cluster.dispatchers.drain().map(|(_, d)| d).collect();
        for d in all {
            d.finish(grace).await;
        }
        let left = self
            .store
            .call(move |b| match b.leases() {
                Some(l) => l.leave(&me),
                None => Ok(()),
            })
            .await;
        if let Err(e) = left {
            tracing::warn!("leases: cannot give them back ({e}); they run out by themselves");
        }
    }

    /// Whether `e` says the account moved to another instance; if so the
    /// account is stopped here.
    pub(super) fn lease_lost(&mut self, e: &StoreError) -> bool {
        let StoreError::LeaseLost { account } = e else {
            return false;
        };
        let account = account.clone();
        self.lost(&account);
        true
    }
}
