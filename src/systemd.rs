//! Telling systemd how the watch is doing (`Type=notify`): READY=1 once
//! every mailbox has connected or failed its first attempt, a one-line
//! STATUS, RELOADING/READY around a reload, STOPPING at the end, and
//! WATCHDOG=1 pings when the unit sets `WatchdogSec`. Without
//! `NOTIFY_SOCKET` every call is a no-op.

use std::collections::BTreeMap;
use std::time::Duration;

use sd_notify::NotifyState;

/// Per watched mailbox: `None` before its first attempt, then up or down.
#[derive(Debug, Default)]
pub struct Status {
    mailboxes: BTreeMap<(String, String), Option<bool>>,
    ready: bool,
    last: String,
}

impl Status {
    /// Starts tracking exactly these mailboxes (again, after a reload).
    pub fn watch(&mut self, mailboxes: impl IntoIterator<Item = (String, String)>) {
        let old = std::mem::take(&mut self.mailboxes);
        for key in mailboxes {
            let state = old.get(&key).copied().flatten();
            self.mailboxes.insert(key, state);
        }
        self.publish();
    }

    /// A connection attempt ended: `up` is whether it is watching.
    pub fn health(&mut self, account: &str, mailbox: &str, up: bool) {
        if let Some(s) = self
            .mailboxes
            .get_mut(&(account.to_string(), mailbox.to_string()))
        {
            *s = Some(up);
        }
        self.publish();
    }

    /// The STATUS line.
    pub fn line(&self) -> String {
        let total = self.mailboxes.len();
        let up = self
            .mailboxes
            .values()
            .filter(|s| **s == Some(true))
            .count();
        let down = self
            .mailboxes
            .values()
            .filter(|s| **s == Some(false))
            .count();
        let noun = if total == 1 { "mailbox" } else { "mailboxes" };
        let mut line = format!("watching {total} {noun}, {up} connected");
        if down > 0 {
            line += &format!(", {down} failing");
        }
        line
    }

    fn publish(&mut self) {
        let line = self.line();
        if line != self.last {
            send(&[NotifyState::Status(&line)]);
            self.last = line;
        }
        if !self.ready && self.mailboxes.values().all(Option::is_some) {
            self.ready = true;
            send(&[NotifyState::Ready]);
        }
    }

    /// A reload begins: READY comes again once it is done.
    pub fn reloading(&mut self) {
        let mut states = vec![NotifyState::Reloading];
        if let Ok(now) = NotifyState::monotonic_usec_now() {
            states.push(now);
        }
        send(&states);
        self.ready = false;
    }

    /// The reload is done (also when it failed: the old profile stays).
    pub fn reloaded(&mut self) {
        self.ready = true;
        send(&[NotifyState::Ready]);
        self.publish();
    }
}

pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// How often to ping the watchdog, if the unit asked for one.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|d| d / 2)
}

pub fn watchdog_ping() {
    send(&[NotifyState::Watchdog]);
}

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!("cannot notify systemd: {e}");
    }
}
