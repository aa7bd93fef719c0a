//! Sinks: where events go. One small trait; one file per sink.
//!
//! A sink only delivers. Which events it gets, batching, retries, dead
//! letters and isolation are the dispatcher's, described by [`SinkSpec`],
//! so every sink behaves the same under failure.

pub(crate) mod broker;
pub mod hook;
#[cfg(feature = "notify")]
pub mod notify;
mod stdout;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use stdout::{Format, StdoutSink, human};

use crate::config::RetryPolicy;
use crate::event::Event;
use crate::subscription::Subscription;

/// A boxed future, so the trait stays object-safe.
pub type Delivery<'a> = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>>;

/// Something that acts on events.
pub trait Sink: Send + Sync + 'static {
    /// A stable name: it keys the sink's delivery cursor in the state.
    fn name(&self) -> &str;

    /// Delivers a batch (one event, or a debounced burst), in order.
    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a>;

    /// What the last delivery came to, in a few words (`200 OK in 12 ms`),
    /// for `emit-test`; `None` when there is nothing to say.
    fn last_outcome(&self) -> Option<String> {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The reader went away (`mailreactor watch | head -3`): not a failure,
    /// but nothing more can be delivered; mailreactor stops.
    #[error("the reader closed the pipe")]
    Closed,
    /// Worth retrying.
    #[error("{0}")]
    Failed(String),
    /// Nothing can take deliveries now (no desktop session), and what this
    /// sink delivers is not worth keeping for later (a notification about
    /// mail that has long been seen): the events are passed over, with one
    /// warning per outage, neither retried nor dead-lettered.
    #[error("{0}")]
    Unavailable(String),
    /// Failed, and the peer said when to try again (HTTP 429 or 503 with
    /// `Retry-After`): the next attempt waits that long.
    #[error("{error}")]
    RetryAfter {
        error: String,
        after: std::time::Duration,
    },
    /// The peer asks never to be sent anything again (HTTP 410 Gone): this
    /// and every later delivery is dead-lettered without trying, until the
    /// next start or reload.
    #[error("{0}")]
    Gone(String),
}

/// How the dispatcher treats one sink.
#[derive(Debug, Clone)]
pub struct SinkSpec {
    pub subscription: Subscription,
    /// Wait this long after an event for more; deliver them as one batch.
    pub debounce: Option<Duration>,
    /// At least this long between the starts of two deliveries.
    pub min_interval: Option<Duration>,
    /// Deliveries at the same time; 1 keeps event order.
    pub concurrency: u32,
    pub retry: RetryPolicy,
    /// At most this many events that are already waiting go in one
    /// delivery (without waiting for more): 1 delivers one at a time.
    pub max_batch: usize,
}

/// The sinks a profile configures: its hooks and notifications (stdout is
/// the caller's choice).
pub fn from_profile(profile: &crate::config::Profile) -> Vec<(Box<dyn Sink>, SinkSpec)> {
    let mut out: Vec<(Box<dyn Sink>, SinkSpec)> = Vec::new();
    for h in &profile.hooks {
        let sink = hook::HookSink::new(h.clone());
        let spec = sink.spec();
        out.push((Box::new(sink), spec));
    }
    for r in &profile.redis {
        let sink = broker::RedisSink::new(r.clone());
        let spec = sink.spec();
        out.push((Box::new(sink), spec));
    }
    for w in &profile.webhooks {
        let sink = webhook::WebhookSink::new(w.clone());
        let spec = sink.spec();
        out.push((Box::new(sink), spec));
    }
    #[cfg(feature = "notify")]
    if let Some(n) = &profile.notify {
        let sink = notify::NotifySink::new(n.clone());
        let spec = sink.spec();
        out.push((Box::new(sink), spec));
    }
    #[cfg(not(feature = "notify"))]
    if profile.notify.is_some() {
        tracing::warn!(
            "[notify] is ignored: this mailreactor was built without desktop notifications \
             (cargo feature \"notify\")"
        );
    }
    out
}

impl SinkSpec {
    /// One event at a time, in order, retried with the default policy.
    pub fn new(subscription: Subscription) -> SinkSpec {
        SinkSpec {
            subscription,
            debounce: None,
            min_interval: None,
            concurrency: 1,
            retry: RetryPolicy::default(),
            max_batch: 1,
        }
    }
}
