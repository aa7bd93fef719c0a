//! Connection failures, logged so that an error repeated on every retry is
//! said once, then counted, and summed up when the connection is back.

use std::collections::HashMap;

/// Connection failures per mailbox, logged so that an error repeated on
/// every retry is said once, then counted.
#[derive(Default)]
pub(super) struct Trouble(HashMap<(String, String), (String, u32)>);

impl Trouble {
    pub(super) fn report(&mut self, account: &str, mailbox: &str, failure: Option<String>) {
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
