//! What a watcher does when a session ends early: report it (an event,
//! a health note, a failure for `--once`) and say when to try again.

use std::time::Duration;

use super::{AUTH_RETRY, Interrupt, MailboxWatcher, Next, Observation};
use crate::backoff::jitter;
use crate::event::Event;

impl MailboxWatcher {
    /// Logs and reports a failure, and says what to do next.
    pub(super) fn report(&self, interrupt: Interrupt, was_watching: bool) -> Next {
        match self.report_inner(interrupt, was_watching) {
            Ok(next) => next,
            Err(_) => Next::Quit,
        }
    }

    fn report_inner(&self, interrupt: Interrupt, was_watching: bool) -> Result<Next, Interrupt> {
        let (account, mailbox) = (&self.account.name, &self.mailbox);
        let (reason, delay) = match interrupt {
            Interrupt::Rejected { reason, used } => {
                self.secret.rejected(&used);
                self.auth_failed(format!("login rejected: {reason} ({})", self.what_to_do()))?
            }
            Interrupt::Auth(reason) => {
                self.auth_failed(format!("{reason} ({})", self.what_to_do()))?
            }
            Interrupt::Other(e) => (e.to_string(), None),
            Interrupt::Reopen(reason) => {
                tracing::info!("{account}/{mailbox}: {reason}; opening it again");
                return Ok(Next::Retry(None));
            }
            Interrupt::Replan => return Ok(Next::Retry(Some(Duration::ZERO))),
            Interrupt::Closed => return Err(Interrupt::Closed),
        };
        if was_watching {
            let event = Event::disconnected(account, mailbox, reason.clone());
            self.send(Observation::Record {
                events: vec![event],
                cursor: None,
                noticed: None,
            })?;
        }
        if self.once {
            self.send(Observation::Failed {
                account: account.clone(),
                mailbox: mailbox.clone(),
                reason,
            })?;
            return Ok(Next::Quit);
        }
        self.send(Observation::Health {
            account: account.clone(),
            mailbox: mailbox.clone(),
            failure: Some(reason),
        })?;
        Ok(Next::Retry(delay))
    }

    /// Reports an authentication failure; the next try is minutes away.
    fn auth_failed(&self, reason: String) -> Result<(String, Option<Duration>), Interrupt> {
        self.send(Observation::AuthFailed {
            account: self.account.name.clone(),
            reason: reason.clone(),
        })?;
        Ok((reason, Some(jitter(AUTH_RETRY.mul_f64(1.25), 0.4))))
    }

    /// What a user can do about a refused or missing credential.
    fn what_to_do(&self) -> String {
        use crate::config::SecretSource;
        match &self.account.secret {
            SecretSource::OAuth2(_) => format!(
                "a new access token did not help; run `mailreactor auth login {}`",
                self.account.name
            ),
            SecretSource::TokenCommand(_) => {
                "check that token-command prints a valid access token for this user".into()
            }
            _ => "check the username and password source".into(),
        }
    }
}
