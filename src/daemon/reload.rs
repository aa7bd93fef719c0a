//! SIGHUP: the profile read again, and only what changed restarted.

use std::collections::HashSet;

use super::{Daemon, RELOAD_SINK_GRACE, sink_list, start_sinks};
use crate::config::Profile;
use crate::error::Error;

impl Daemon {
    /// SIGHUP: read the profile again; restart only what changed. A broken
    /// profile is reported and the running one kept.
    pub(super) async fn reload(&mut self) -> Result<(), Error> {
        self.status.reloading();
        let new = match Profile::load(&self.profile.path, &self.profile.name) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("SIGHUP: the profile is not valid; keeping the running one:\n{e}");
                self.status.reloaded();
                return Ok(());
            }
        };
        crate::process::hide_from_children(new.secret_env_vars());
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
                    self.start_account(a.clone()).await?;
                }
                // Shared accounts: a lease round takes it (here or elsewhere).
                None if self.cluster.is_some() => changes.push(format!("added {}", a.name)),
                None => {
                    changes.push(format!("added {}", a.name));
                    self.start_account(a.clone()).await?;
                }
            }
        }
        // The profile's sinks restart only when their settings changed.
        let sinks_changed = new.hooks != self.profile.hooks
            || new.webhooks != self.profile.webhooks
            || new.redis != self.profile.redis
            || new.notify != self.profile.notify;
        self.profile = new;
        if sinks_changed && self.cluster.is_some() {
            self.restart_account_sinks().await?;
            changes.push("restarted sinks".into());
        } else if sinks_changed {
            if let Some(old) = self.dispatcher.take() {
                old.finish(RELOAD_SINK_GRACE).await;
            }
            self.dispatcher = Some(
                start_sinks(
                    &self.profile,
                    (&self.extra, &self.emit, &self.metrics),
                    &self.store,
                    &self.stop,
                )
                .await?,
            );
            changes.push("restarted sinks".into());
        }
        self.status.watch(self.mailbox_keys());
        self.metrics.watch(&self.mailbox_keys());
        self.status.reloaded();
        if changes.is_empty() {
            tracing::info!("SIGHUP: profile reloaded; nothing changed");
        } else {
            tracing::info!("SIGHUP: profile reloaded: {}", changes.join(", "));
        }
        Ok(())
    }
}

impl Daemon {
    /// Shared accounts, new sink settings: every held account's dispatcher
    /// replaced, each going on from its delivery cursors.
    async fn restart_account_sinks(&mut self) -> Result<(), Error> {
        let sinks = sink_list(&self.profile, &self.extra);
        let cluster = self.cluster.as_mut().expect("sharing accounts");
        cluster.sinks = sinks.clone();
        let held: Vec<String> = cluster.dispatchers.keys().cloned().collect();
        for account in held {
            if let Some(old) = cluster.dispatchers.remove(&account) {
                old.finish(RELOAD_SINK_GRACE).await;
            }
            let fresh = crate::dispatch::Dispatcher::start_for(
                Some(&account),
                sinks.clone(),
                &self.store,
                self.emit.clone(),
                self.stop.clone(),
                self.metrics.clone(),
            )
            .await?;
            cluster.dispatchers.insert(account, fresh);
        }
        Ok(())
    }
}
