//! What the daemon counts, for `/metrics` (Prometheus, in the OpenMetrics
//! text `prometheus-client` writes) and `/readyz`. Labels hold only
//! bounded values: event types, account and sink names from the profile,
//! outcomes; never an address or a subject.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Journaled {
    r#type: String,
    account: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Delivered {
    sink: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkLabel {
    sink: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AccountLabel {
    account: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Version {
    version: String,
}

/// A sink counts as dead-lettering (not ready) this long after its last
/// dead letter.
const DEAD_LETTER_WINDOW: Duration = Duration::from_secs(300);

/// How many recent journal times are kept to time deliveries: a sink that
/// falls further behind than this has its later deliveries untimed.
const TIMED_EVENTS: usize = 16_384;

/// Latency buckets: 1 ms doubling to about 9 minutes.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 20))
}

/// The daemon's numbers, shared by the watch loop, the sinks' runners and
/// the HTTP face.
pub struct Metrics {
    registry: Registry,
    journaled: Family<Journaled, Counter>,
    delivered: Family<Delivered, Counter>,
    retries: Family<SinkLabel, Counter>,
    connected: Family<AccountLabel, Gauge>,
    reconnects: Family<AccountLabel, Counter>,
    auth_failures: Family<AccountLabel, Counter>,
    lag: Family<SinkLabel, Gauge>,
    dead_letters: Family<SinkLabel, Gauge>,
    journal: Gauge,
    noticed: Family<AccountLabel, Histogram>,
    delivery_latency: Family<SinkLabel, Histogram>,
    /// When recent events were journaled (by sequence, ascending), to time
    /// their deliveries.
    journaled_at: Mutex<VecDeque<(i64, Instant)>>,
    /// Per account, per mailbox: watching now?
    health: Mutex<HashMap<String, HashMap<String, bool>>>,
    /// Per sink: when it last dead-lettered.
    dead_lettered: Mutex<HashMap<String, Instant>>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("mailreactor");
        let journaled = Family::<Journaled, Counter>::default();
        registry.register(
            "events_journaled",
            "Events recorded in the journal, by type and account",
            journaled.clone(),
        );
        let delivered = Family::<Delivered, Counter>::default();
        registry.register(
            "sink_deliveries",
            "Events a sink finished, by outcome (delivered, dead_lettered, passed_over)",
            delivered.clone(),
        );
        let retries = Family::<SinkLabel, Counter>::default();
        registry.register(
            "sink_retries",
            "Delivery attempts that failed and were retried",
            retries.clone(),
        );
        let connected = Family::<AccountLabel, Gauge>::default();
        registry.register(
            "account_connected",
            "1 when every watched mailbox of the account is connected and watching",
            connected.clone(),
        );
        let reconnects = Family::<AccountLabel, Counter>::default();
        registry.register(
            "account_reconnects",
            "Connections of the account that failed or were lost, and were tried again",
            reconnects.clone(),
        );
        let auth_failures = Family::<AccountLabel, Counter>::default();
        registry.register(
            "account_auth_failures",
            "Logins refused, or credentials that could not be had",
            auth_failures.clone(),
        );
        let lag = Family::<SinkLabel, Gauge>::default();
        registry.register(
            "sink_lag_events",
            "Journaled events a sink has not finished yet",
            lag.clone(),
        );
        let dead_letters = Family::<SinkLabel, Gauge>::default();
        registry.register(
            "sink_dead_letters",
            "Dead letters a sink has, waiting to be retried or dropped",
            dead_letters.clone(),
        );
        let journal = Gauge::default();
        registry.register(
            "journal_events",
            "Events the journal holds",
            journal.clone(),
        );
        let noticed =
            Family::<AccountLabel, Histogram>::new_with_constructor(latency_buckets as fn() -> _);
        registry.register(
            "notice_to_journal_seconds",
            "From the server's notice of new mail (IDLE or NOTIFY news, a poll) to its events \
             being journaled",
            noticed.clone(),
        );
        let delivery_latency =
            Family::<SinkLabel, Histogram>::new_with_constructor(latency_buckets as fn() -> _);
        registry.register(
            "journal_to_delivery_seconds",
            "From an event being journaled to a sink delivering it (events journaled by this \
             process)",
            delivery_latency.clone(),
        );
        let build = prometheus_client::metrics::info::Info::new(Version {
            version: env!("CARGO_PKG_VERSION").into(),
        });
        registry.register("build", "The running mailreactor's version", build);
        Metrics {
            registry,
            journaled,
            delivered,
            retries,
            connected,
            reconnects,
            auth_failures,
            lag,
            dead_letters,
            journal,
            noticed,
            delivery_latency,
            journaled_at: Mutex::default(),
            health: Mutex::default(),
            dead_lettered: Mutex::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    /// The mailboxes to watch (a start or a reload): all not yet connected.
    pub fn watch(&self, mailboxes: &[(String, String)]) {
        let mut health = lock(&self.health);
        let old = std::mem::take(&mut *health);
        for (account, mailbox) in mailboxes {
            let was = old.get(account).and_then(|m| m.get(mailbox)).copied();
            health
                .entry(account.clone())
                .or_default()
                .insert(mailbox.clone(), was.unwrap_or(false));
        }
        for account in old.keys().filter(|a| !health.contains_key(*a)) {
            self.connected.remove(&AccountLabel {
                account: account.clone(),
            });
        }
        for account in health.keys() {
            self.set_connected(&health, account);
        }
    }

    fn set_connected(&self, health: &HashMap<String, HashMap<String, bool>>, account: &str) {
        let all = health
            .get(account)
            .is_some_and(|m| m.values().all(|ok| *ok));
        self.connected
            .get_or_create(&AccountLabel {
                account: account.into(),
            })
            .set(i64::from(all));
    }

    /// A connection attempt ended: watching, or failed.
    pub fn health(&self, account: &str, mailbox: &str, ok: bool) {
        let mut health = lock(&self.health);
        if let Some(m) = health.get_mut(account) {
            m.insert(mailbox.into(), ok);
        }
        if !ok {
            self.reconnects
                .get_or_create(&AccountLabel {
                    account: account.into(),
                })
                .inc();
        }
        self.set_connected(&health, account);
    }

    pub fn auth_failed(&self, account: &str) {
        self.auth_failures
            .get_or_create(&AccountLabel {
                account: account.into(),
            })
            .inc();
    }

    /// An event was recorded in the journal as `seq`.
    pub fn journaled(&self, seq: i64, kind: &str, account: &str) {
        self.journaled
            .get_or_create(&Journaled {
                r#type: kind.into(),
                account: account.into(),
            })
            .inc();
        let mut at = lock(&self.journaled_at);
        if at.len() == TIMED_EVENTS {
            at.pop_front();
        }
        at.push_back((seq, Instant::now()));
    }

    /// Events the server told of at `noticed` are journaled now.
    pub fn noticed(&self, account: &str, noticed: Instant) {
        self.noticed
            .get_or_create(&AccountLabel {
                account: account.into(),
            })
            .observe(noticed.elapsed().as_secs_f64());
    }

    /// A sink finished the events `seqs` with `outcome`.
    pub fn delivered(&self, sink: &str, outcome: &str, seqs: &[i64]) {
        self.delivered
            .get_or_create(&Delivered {
                sink: sink.into(),
                outcome: outcome.into(),
            })
            .inc_by(seqs.len() as u64);
        match outcome {
            "dead_lettered" => {
                lock(&self.dead_lettered).insert(sink.into(), Instant::now());
            }
            "delivered" => {
                let at = lock(&self.journaled_at);
                let histogram = self
                    .delivery_latency
                    .get_or_create(&SinkLabel { sink: sink.into() });
                for seq in seqs {
                    if let Ok(i) = at.binary_search_by_key(seq, |&(s, _)| s) {
                        histogram.observe(at[i].1.elapsed().as_secs_f64());
                    }
                }
            }
            _ => {}
        }
    }

    pub fn retried(&self, sink: &str) {
        self.retries
            .get_or_create(&SinkLabel { sink: sink.into() })
            .inc();
    }

    /// Every watched mailbox by account, and whether it is watching now;
    /// sorted.
    pub fn mailboxes(&self) -> Vec<(String, Vec<(String, bool)>)> {
        let mut out: Vec<(String, Vec<(String, bool)>)> = lock(&self.health)
            .iter()
            .map(|(account, boxes)| {
                let mut boxes: Vec<(String, bool)> =
                    boxes.iter().map(|(m, ok)| (m.clone(), *ok)).collect();
                boxes.sort();
                (account.clone(), boxes)
            })
            .collect();
        out.sort();
        out
    }

    /// What keeps the daemon from being ready: accounts not connected,
    /// sinks that dead-lettered lately. Empty: ready.
    pub fn not_ready(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (account, boxes) in lock(&self.health).iter() {
            for (mailbox, ok) in boxes {
                if !ok {
                    out.push(format!("{account}/{mailbox} is not connected"));
                }
            }
        }
        for (sink, at) in lock(&self.dead_lettered).iter() {
            if at.elapsed() < DEAD_LETTER_WINDOW {
                out.push(format!("sink {sink} dead-lettered in the last 5 minutes"));
            }
        }
        out.sort();
        out
    }

    /// What the store says now: each sink's lag and dead letters, and the
    /// journal's size (read when metrics are asked for).
    pub fn store(&self, sinks: &[crate::store::SinkState], journal: u64) {
        for s in sinks {
            let label = SinkLabel {
                sink: s.sink.clone(),
            };
            self.lag.get_or_create(&label).set(s.lag);
            self.dead_letters
                .get_or_create(&label)
                .set(i64::try_from(s.dead_letters).unwrap_or(i64::MAX));
        }
        self.journal.set(i64::try_from(journal).unwrap_or(i64::MAX));
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}
