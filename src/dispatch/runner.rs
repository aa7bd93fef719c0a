//! One sink's task: takes events in journal order (from its queue, or from
//! the journal when the queue overflowed or has a gap), keeps those its
//! subscription wants, batches them (debounce, min-interval), delivers with
//! retries, dead-letters what keeps failing, pauses after repeated dead
//! letters, and records how far it got. It tells how far it has settled
//! (everything it took finished one way or another), for `--once`.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Emit, Missed};
use crate::backoff::Backoff;
use crate::config::RetryPolicy;
use crate::event::{Event, EventKind};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::sink::{Sink, SinkError, SinkSpec};
use crate::store::Store;

/// Journal rows read at a time.
const CHUNK: usize = 500;
/// Events in one batch at most.
const MAX_BATCH: usize = 1000;
/// A debounced batch waits at most this many debounce periods.
const MAX_DEBOUNCE_PERIODS: u32 = 10;
/// Retry delays grow to at most this.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A journal read that failed is tried again this often.
const JOURNAL_RETRY: Duration = Duration::from_secs(1);

type Item = (i64, Arc<Event>);

pub(super) struct Runner {
    sink: Arc<dyn Sink>,
    /// Its delivery cursor's key: the sink's name, or `SINK@ACCOUNT`.
    key: String,
    spec: SinkSpec,
    store: Store,
    rx: mpsc::Receiver<Item>,
    rx_open: bool,
    missed: Arc<Missed>,
    emit: Emit,
    stop: Shutdown,
    /// The highest sequence number taken from the queue or journal.
    read: i64,
    /// The delivery cursor as last written.
    acked: i64,
    /// Set to `read` whenever nothing taken is still being delivered (to
    /// the most there is while the journal cannot be read).
    settled: watch::Sender<i64>,
    /// Taken, wanted, and not yet finished.
    outstanding: BTreeSet<i64>,
    backlog: VecDeque<Item>,
    pending: Option<Item>,
    /// Whether the sink is failing now: one warning per outage, not one
    /// per attempt.
    failing: Arc<AtomicBool>,
    /// The peer said 410 Gone: nothing more is tried until the next start.
    gone: Arc<AtomicBool>,
    /// The last journal read failed (one error per outage).
    journal_failing: bool,
    metrics: Arc<Metrics>,
}

/// How a delivery ended.
enum Outcome {
    Delivered(Vec<i64>),
    /// Nothing could take them and they are not worth keeping
    /// (`SinkError::Unavailable`): finished all the same.
    PassedOver(Vec<i64>),
    DeadLettered(Vec<Item>, String, u32),
    /// Stopped before it succeeded: left for the next start.
    Abandoned,
}

impl Runner {
    /// A runner for `sink`, whose delivery cursor in `store` is `cursor`.
    pub(super) fn new(
        (sink, key): (Arc<dyn Sink>, String),
        spec: SinkSpec,
        (store, cursor): (Store, i64),
        rx: mpsc::Receiver<Item>,
        (missed, settled): (Arc<Missed>, watch::Sender<i64>),
        (emit, stop, metrics): (Emit, Shutdown, Arc<Metrics>),
    ) -> Runner {
        // Start by reading whatever the journal holds past the cursor.
        missed.flag.store(true, Ordering::SeqCst);
        Runner {
            sink,
            key,
            spec,
            store,
            rx,
            rx_open: true,
            missed,
            emit,
            stop,
            read: cursor,
            acked: cursor,
            settled,
            outstanding: BTreeSet::new(),
            backlog: VecDeque::new(),
            pending: None,
            failing: Arc::default(),
            gone: Arc::default(),
            journal_failing: false,
            metrics,
        }
    }

    pub(super) async fn run(mut self) {
        let name = self.sink.name().to_string();
        let mut inflight: JoinSet<Outcome> = JoinSet::new();
        let mut dead_in_a_row = 0u32;
        let mut last_start: Option<Instant> = None;
        loop {
            self.flush_ack().await;
            if inflight.is_empty() {
                self.settled.send_replace(self.read);
            }
            let next = tokio::select! {
                biased;
                Some(done) = inflight.join_next(), if !inflight.is_empty() => {
                    self.finished(done, &mut dead_in_a_row).await;
                    continue;
                }
                next = self.next_event() => next,
            };
            let Some((seq, event)) = next else { break };
            if !self.spec.subscription.matches(&event) {
                continue;
            }
            self.outstanding.insert(seq);
            let mut batch = vec![(seq, event)];
            self.collect(&mut batch, last_start).await;

            while inflight.len() >= self.spec.concurrency as usize {
                if let Some(done) = inflight.join_next().await {
                    self.finished(done, &mut dead_in_a_row).await;
                }
            }
            // What just finished is recorded before the next starts (see
            // `flush_ack`): this batch waited for it and is next.
            self.flush_ack().await;
            // After the wait: the deliveries just finished count too.
            if dead_in_a_row >= self.spec.retry.breaker_threshold {
                tracing::warn!(
                    "{name}: {dead_in_a_row} deliveries in a row were given up; pausing for {}",
                    humantime::format_duration(self.spec.retry.cooldown)
                );
                if self.stop.wait_timeout(self.spec.retry.cooldown).await {
                    break;
                }
                // Half-open: one more dead letter pauses it again.
                dead_in_a_row = self.spec.retry.breaker_threshold - 1;
            }
            last_start = Some(Instant::now());
            let (sink, retry, stop) = (self.sink.clone(), self.spec.retry, self.stop.clone());
            let flags = (
                self.failing.clone(),
                self.gone.clone(),
                self.metrics.clone(),
            );
            inflight.spawn(deliver(sink, batch, retry, stop, flags));
        }
        while let Some(done) = inflight.join_next().await {
            self.finished(done, &mut dead_in_a_row).await;
        }
        self.flush_ack().await;
    }

    /// Adds to `batch` what arrives while debouncing or held back by
    /// min-interval.
    async fn collect(&mut self, batch: &mut Vec<Item>, last_start: Option<Instant>) {
        let now = Instant::now();
        let held_until = match (self.spec.min_interval, last_start) {
            (Some(min), Some(last)) => last + min,
            _ => now,
        };
        if self.spec.debounce.is_none() && held_until <= now {
            // Neither debouncing nor held back: what is already waiting,
            // up to the sink's batch (one event for most sinks).
            while batch.len() < self.spec.max_batch {
                let ready = tokio::time::timeout(Duration::ZERO, self.next_event()).await;
                let Ok(Some((seq, event))) = ready else { break };
                if self.spec.subscription.matches(&event) {
                    self.outstanding.insert(seq);
                    batch.push((seq, event));
                }
            }
            return;
        }
        let cap = self
            .spec
            .debounce
            .map_or(now, |d| now + d * MAX_DEBOUNCE_PERIODS)
            .max(held_until);
        let mut until = self.spec.debounce.map_or(now, |d| now + d).max(held_until);
        while batch.len() < MAX_BATCH {
            let Ok(next) = tokio::time::timeout_at(until.min(cap), self.next_event()).await else {
                break;
            };
            let Some((seq, event)) = next else { break };
            if self.spec.subscription.matches(&event) {
                self.outstanding.insert(seq);
                batch.push((seq, event));
                if let Some(d) = self.spec.debounce {
                    until = until.max(Instant::now() + d);
                }
            }
        }
    }

    /// The next event in journal order, or `None` once the queue is closed
    /// and everything is read. Cancel-safe: what it takes it keeps until it
    /// returns it, and a journal read it was waiting for is done again.
    async fn next_event(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.backlog.pop_front() {
                self.read = item.0;
                return Some(item);
            }
            if let Some(seq) = self.pending.as_ref().map(|p| p.0) {
                if seq <= self.read {
                    self.pending = None;
                    continue;
                }
                // Anything between what was read and this one (an overflow)?
                if seq - 1 > self.read {
                    match self.load(seq - 1).await {
                        Some(0) => {}
                        Some(_) => continue,
                        // What the gap holds is not known: this one waits.
                        None if self.journal_down().await => return None,
                        None => continue,
                    }
                }
                let item = self.pending.take().expect("looked at above");
                self.read = item.0;
                return Some(item);
            }
            if self.missed.flag.swap(false, Ordering::SeqCst) {
                // Cancelled while reading: the flag is raised again.
                let missed = self.missed.clone();
                let again = Raise(&missed.flag);
                match self.load(i64::MAX).await {
                    Some(n) => {
                        std::mem::forget(again);
                        if n == CHUNK {
                            self.missed.flag.store(true, Ordering::SeqCst);
                        }
                    }
                    None => {
                        drop(again);
                        if self.journal_down().await {
                            return None;
                        }
                    }
                }
                continue;
            }
            if !self.rx_open {
                return None;
            }
            tokio::select! {
                item = self.rx.recv() => match item {
                    Some(item) => self.pending = Some(item),
                    None => self.rx_open = false,
                },
                _ = self.missed.wake.notified() => {}
            }
        }
    }

    /// After a journal read failed: waits before it is tried again, or
    /// says the runner is to end (its queue is closed, or the watch
    /// stops). What it could not read stays in the journal, past its
    /// delivery cursor, for the next start. Meanwhile it counts as
    /// settled: `--once` must not wait for it.
    async fn journal_down(&mut self) -> bool {
        self.settled.send_replace(i64::MAX);
        self.rx.is_closed() || self.stop.wait_timeout(JOURNAL_RETRY).await
    }

    /// Reads journal entries after `read` up to `upto` into the backlog;
    /// returns how many rows it read, or `None` when the read failed.
    async fn load(&mut self, upto: i64) -> Option<usize> {
        let after = self.read;
        let rows = match self
            .store
            .call(move |b| b.events_between(after, upto, CHUNK))
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                if !self.journal_failing {
                    tracing::error!(
                        "{}: cannot read the journal: {e}; trying again every second",
                        self.sink.name()
                    );
                    self.journal_failing = true;
                }
                return None;
            }
        };
        if std::mem::take(&mut self.journal_failing) {
            tracing::info!("{}: the journal is readable again", self.sink.name());
        }
        let n = rows.len();
        for (seq, json) in rows {
            match serde_json::from_str::<Event>(&json) {
                Ok(e) => self.backlog.push_back((seq, Arc::new(e))),
                Err(e) => {
                    tracing::error!(
                        "{}: journal entry {seq} is unreadable ({e}); skipped",
                        self.sink.name()
                    );
                    self.read = self.read.max(seq);
                }
            }
        }
        Some(n)
    }

    async fn finished(
        &mut self,
        done: Result<Outcome, tokio::task::JoinError>,
        dead_in_a_row: &mut u32,
    ) {
        let name = self.sink.name().to_string();
        match done {
            Ok(Outcome::PassedOver(seqs)) => {
                self.metrics.delivered(&name, "passed_over", &seqs);
                for s in seqs {
                    self.outstanding.remove(&s);
                }
            }
            Ok(Outcome::Delivered(seqs)) => {
                self.metrics.delivered(&name, "delivered", &seqs);
                *dead_in_a_row = 0;
                for s in seqs {
                    self.outstanding.remove(&s);
                }
            }
            Ok(Outcome::DeadLettered(items, error, attempts)) => {
                let seqs: Vec<i64> = items.iter().map(|(seq, _)| *seq).collect();
                self.metrics.delivered(&name, "dead_lettered", &seqs);
                *dead_in_a_row += 1;
                for (seq, event) in items {
                    tracing::error!(
                        "{name}: gave up on {} after {attempts} attempts: {error}",
                        event.id
                    );
                    let (sink, id, err) = (name.clone(), event.id.clone(), error.clone());
                    let recorded = self
                        .store
                        .call(move |b| b.dead_letter(&sink, seq, &id, &err, attempts))
                        .await;
                    if let Err(e) = recorded {
                        // Not recorded as dead: leave it undelivered for the next start.
                        tracing::error!("{name}: cannot record the dead letter: {e}");
                        continue;
                    }
                    self.outstanding.remove(&seq);
                    // Given up on a dead letter's notice (its own or another
                    // sink's): recorded, but no notice of a notice, or two
                    // failing sinks would tell each other for ever.
                    if event.kind != EventKind::SinkDeadLettered {
                        let _ = self.emit.send(Event::dead_lettered(
                            &name,
                            &event,
                            error.clone(),
                            attempts,
                        ));
                    }
                }
            }
            Ok(Outcome::Abandoned) | Err(_) => {}
        }
    }

    /// Moves the delivery cursor up to the first unfinished event, and
    /// waits until the store has it: the next delivery starts only then, so
    /// a crash repeats at most the deliveries that were in flight, never
    /// ones that had finished while their cursor update waited its turn.
    async fn flush_ack(&mut self) {
        let upto = self.outstanding.first().map_or(self.read, |s| s - 1);
        if upto > self.acked {
            let name = self.key.clone();
            if let Err(e) = self.store.call(move |b| b.ack(&name, upto)).await {
                tracing::error!("{}: cannot record delivery: {e}", self.key);
            }
            self.acked = upto;
        }
    }
}

/// Raises a flag when dropped (unless forgotten).
struct Raise<'a>(&'a AtomicBool);

impl Drop for Raise<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The Standard Webhooks schedule: the wait before retry `n` (1-based).
const WEBHOOK_SCHEDULE: [u64; 9] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];
/// A peer's Retry-After is honoured up to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86400);

fn webhook_delay(attempt: u32) -> Duration {
    let i = (attempt as usize - 1).min(WEBHOOK_SCHEDULE.len() - 1);
    crate::backoff::jitter(Duration::from_secs(WEBHOOK_SCHEDULE[i]), 0.2)
}

/// One delivery with its retries.
async fn deliver(
    sink: Arc<dyn Sink>,
    batch: Vec<Item>,
    retry: RetryPolicy,
    stop: Shutdown,
    (failing, gone, metrics): (Arc<AtomicBool>, Arc<AtomicBool>, Arc<Metrics>),
) -> Outcome {
    let events: Vec<Arc<Event>> = batch.iter().map(|(_, e)| e.clone()).collect();
    if gone.load(Ordering::Relaxed) {
        let error = format!("{} asked to be sent nothing more (410 Gone)", sink.name());
        return Outcome::DeadLettered(batch, error, 0);
    }
    let mut backoff = Backoff::new(retry.backoff, MAX_BACKOFF);
    for attempt in 1..=retry.max_attempts {
        match sink.deliver(&events).await {
            Ok(()) => {
                if failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("{}: delivering again", sink.name());
                }
                return Outcome::Delivered(batch.iter().map(|(s, _)| *s).collect());
            }
            Err(SinkError::Unavailable(why)) => {
                if !failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "{}: {why}; passing events over until it is back (they are not kept)",
                        sink.name()
                    );
                }
                return Outcome::PassedOver(batch.iter().map(|(s, _)| *s).collect());
            }
            Err(SinkError::Closed) => {
                tracing::debug!("{}: reader went away; stopping", sink.name());
                stop.trigger();
                return Outcome::Abandoned;
            }
            Err(SinkError::Gone(error)) => {
                if !gone.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "{}: {error}; nothing more is sent to it until mailreactor starts again \
                         or reloads (what it does not take is dead-lettered)",
                        sink.name()
                    );
                }
                return Outcome::DeadLettered(batch, error, attempt);
            }
            Err(e @ (SinkError::Failed(_) | SinkError::RetryAfter { .. })) => {
                let (error, asked) = match e {
                    SinkError::RetryAfter { error, after } => (error, Some(after)),
                    SinkError::Failed(error) => (error, None),
                    _ => unreachable!("matched above"),
                };
                if attempt == retry.max_attempts {
                    return Outcome::DeadLettered(batch, error, attempt);
                }
                metrics.retried(sink.name());
                let wait = match asked {
                    Some(after) => after.min(MAX_RETRY_AFTER),
                    None if retry.webhook_schedule => webhook_delay(attempt),
                    None => backoff.next_delay(),
                };
                let msg = format!(
                    "{}: attempt {attempt} of {} failed: {error}; retrying in {:.1} s",
                    sink.name(),
                    retry.max_attempts,
                    wait.as_secs_f64()
                );
                if failing.swap(true, Ordering::Relaxed) {
                    tracing::debug!("{msg}");
                } else {
                    tracing::warn!("{msg}");
                }
                if stop.wait_timeout(wait).await {
                    return Outcome::Abandoned;
                }
            }
        }
    }
    Outcome::Abandoned
}
