//! Desktop notifications over D-Bus (`org.freedesktop.Notifications`),
//! with notify-rust. A burst (more than `burst` events in one window)
//! becomes one summary per mailbox instead of a flood.
//!
//! Notifications are ephemeral. No session bus, or nobody serving
//! notifications on it (a server, an SSH session), is said once and the
//! notifications are passed over until a notification server is there
//! again: neither retried nor dead-lettered. Any other failure is a failed
//! delivery like any other. None of it is felt by the watchers.

use std::collections::BTreeMap;
use std::sync::Arc;

use notify_rust::{Notification, Timeout, Urgency as NUrgency};

use super::{Delivery, Sink, SinkError, SinkSpec};
use crate::config::{NotifyConfig, Urgency};
use crate::event::Event;

pub struct NotifySink {
    config: NotifyConfig,
}

impl NotifySink {
    pub fn new(config: NotifyConfig) -> NotifySink {
        NotifySink { config }
    }

    /// Batches are the burst window: what arrives within it is counted.
    pub fn spec(&self) -> SinkSpec {
        SinkSpec {
            subscription: self.config.subscription.clone(),
            debounce: Some(self.config.burst_window),
            min_interval: None,
            concurrency: 1,
            retry: self.config.retry,
            max_batch: 1,
        }
    }

    /// (summary, body) of each notification to show for `events`. The body
    /// is markup to notification servers: what came from mail is escaped
    /// in it.
    pub fn render(&self, events: &[Arc<Event>]) -> Vec<(String, String)> {
        if events.len() as u32 <= self.config.burst {
            return events
                .iter()
                .map(|e| {
                    (
                        self.config.summary.render(e),
                        self.config.body.render_markup(e),
                    )
                })
                .collect();
        }
        let mut groups: BTreeMap<String, Vec<&Arc<Event>>> = BTreeMap::new();
        for e in events {
            let place = match &e.mailbox {
                Some(m) => format!("{}/{m}", e.account),
                None => e.account.clone(),
            };
            groups.entry(place).or_default().push(e);
        }
        groups
            .into_iter()
            .map(|(place, es)| {
                let what = if es.iter().all(|e| e.message().is_some()) {
                    "new messages"
                } else {
                    "events"
                };
                let summary = format!("{} {what} in {place}", es.len());
                let mut lines: Vec<String> = es
                    .iter()
                    .take(5)
                    .map(|e| {
                        self.config.summary.render_markup(e)
                            + ": "
                            + &self.config.body.render_markup(e)
                    })
                    .collect();
                if es.len() > 5 {
                    lines.push(format!("and {} more", es.len() - 5));
                }
                (summary, lines.join("\n"))
            })
            .collect()
    }

    async fn show(&self, summary: &str, body: &str) -> Result<(), SinkError> {
        let mut n = Notification::new();
        n.appname("mailreactor")
            .summary(summary)
            .body(body)
            .icon(&self.config.icon)
            .urgency(match self.config.urgency {
                Urgency::Low => NUrgency::Low,
                Urgency::Normal => NUrgency::Normal,
                Urgency::Critical => NUrgency::Critical,
            });
        if let Some(d) = self.config.expire {
            n.timeout(Timeout::Milliseconds(
                d.as_millis().min(u32::MAX as u128) as u32
            ));
        }
        n.show_async().await.map(|_| ()).map_err(|e| {
            let text = e.to_string();
            match absent(&text) {
                Some(why) => {
                    SinkError::Unavailable(format!("desktop notifications are off: {why}"))
                }
                None => SinkError::Failed(format!("cannot show a desktop notification: {text}")),
            }
        })
    }
}

/// Whether a D-Bus error means there is no desktop to notify, and which.
fn absent(error: &str) -> Option<&'static str> {
    if error.contains("failed to connect to") || error.contains("DBUS_SESSION_BUS_ADDRESS") {
        Some("there is no session bus (no desktop session)")
    } else if error.contains("ServiceUnknown") || error.contains("NameHasNoOwner") {
        Some("no notification server runs on the session bus")
    } else {
        None
    }
}

impl Sink for NotifySink {
    fn name(&self) -> &str {
        "notify"
    }

    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        Box::pin(async move {
            for (summary, body) in self.render(events) {
                self.show(&summary, &body).await?;
            }
            Ok(())
        })
    }
}
