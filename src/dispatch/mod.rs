//! Fan-out of recorded events to the sinks, each isolated in its own task.
//!
//! The journal is the queue of record: the daemon records an event before
//! it dispatches it. Each sink's runner also gets events through a bounded
//! in-memory queue (the fast path); when that queue is full the event is
//! not waited for, the runner is told, and it reads what it missed from
//! the journal. So a sink that hangs for ten minutes costs a little memory
//! for its queue, delays no watcher and no other sink, and loses nothing.

mod runner;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;

use crate::event::Event;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::sink::{Sink, SinkSpec};
use crate::store::{Store, StoreError};

/// Events a runner may hold in memory before it falls back to the journal.
const QUEUE: usize = 1024;

/// What runners ask of the daemon: record and dispatch these events
/// (`sink.dead-lettered`).
pub type Emit = mpsc::UnboundedSender<Event>;

pub struct Dispatcher {
    names: Vec<String>,
    lanes: Vec<Lane>,
    tasks: JoinSet<()>,
    /// How far each runner has settled (see [`Dispatcher::settled`]).
    settled: Vec<watch::Receiver<i64>>,
    /// The highest sequence number dispatched.
    head: AtomicI64,
}

/// The daemon's end of one runner.
struct Lane {
    tx: mpsc::Sender<(i64, Arc<Event>)>,
    missed: Arc<Missed>,
}

/// Set when the queue was full: the runner must read the journal.
#[derive(Default)]
pub(crate) struct Missed {
    flag: AtomicBool,
    wake: Notify,
}

impl Dispatcher {
    /// Starts a runner per sink, each from its delivery cursor in `store`.
    pub async fn start(
        sinks: Vec<(Arc<dyn Sink>, SinkSpec)>,
        store: &Store,
        emit: Emit,
        stop: Shutdown,
        metrics: Arc<Metrics>,
    ) -> Result<Dispatcher, StoreError> {
        Dispatcher::start_for(None, sinks, store, emit, stop, metrics).await
    }

    /// As [`Dispatcher::start`], for the events of one account only when
    /// `account` is given (instances sharing accounts each deliver those
    /// they hold): each sink's delivery cursor is then `SINK@ACCOUNT`,
    /// begun from the sink's own cursor the first time.
    pub async fn start_for(
        account: Option<&str>,
        sinks: Vec<(Arc<dyn Sink>, SinkSpec)>,
        store: &Store,
        emit: Emit,
        stop: Shutdown,
        metrics: Arc<Metrics>,
    ) -> Result<Dispatcher, StoreError> {
        let mut lanes = Vec::new();
        let mut tasks = JoinSet::new();
        let mut names = Vec::new();
        let mut settled = Vec::new();
        // What the journal holds already is for the runners to settle too.
        let head = store.call(|b| b.last_seq()).await?;
        for (sink, mut spec) in sinks {
            let name = sink.name().to_string();
            let key = match account {
                Some(a) => {
                    // Only this account's events; a sink that wants
                    // another account's gets none here.
                    if spec.subscription.account.is_none() {
                        spec.subscription.account = Some(a.to_string());
                    } else if spec.subscription.account.as_deref() != Some(a) {
                        continue;
                    }
                    format!("{name}@{a}")
                }
                None => name.clone(),
            };
            let k = key.clone();
            let cursor = store
                .call(move |b| {
                    let known = b.sinks()?;
                    if k != name
                        && !known.iter().any(|s| s.sink == k)
                        && let Some(own) = known.iter().find(|s| s.sink == name)
                    {
                        b.ack(&k, own.delivered)?;
                    }
                    b.delivery_cursor(&k)
                })
                .await?;
            let (tx, rx) = mpsc::channel(QUEUE);
            let missed = Arc::new(Missed::default());
            let (settles, settled_rx) = watch::channel(cursor);
            settled.push(settled_rx);
            let runner = runner::Runner::new(
                (sink, key.clone()),
                spec,
                (store.clone(), cursor),
                rx,
                (missed.clone(), settles),
                (emit.clone(), stop.clone(), metrics.clone()),
            );
            tasks.spawn(runner.run());
            lanes.push(Lane { tx, missed });
            names.push(key);
        }
        Ok(Dispatcher {
            names,
            lanes,
            tasks,
            settled,
            head: AtomicI64::new(head),
        })
    }

    /// The sinks' names (their delivery cursors' keys).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Hands a recorded event to every sink; never waits.
    pub fn dispatch(&self, seq: i64, event: Arc<Event>) {
        self.head.fetch_max(seq, Ordering::SeqCst);
        for lane in &self.lanes {
            if lane.tx.try_send((seq, event.clone())).is_err() {
                lane.missed.flag.store(true, Ordering::SeqCst);
                lane.missed.wake.notify_one();
            }
        }
    }

    /// Completes once every runner has finished (delivered, dead-lettered
    /// or passed over) each event dispatched so far, and any the journal
    /// held before; a runner that ended counts as settled. What runners
    /// report meanwhile (a `sink.dead-lettered`) is on the emit channel
    /// before this completes.
    pub fn settled(&self) -> impl Future<Output = ()> + Send + 'static {
        let head = self.head.load(Ordering::SeqCst);
        let mut runners = self.settled.clone();
        async move {
            for r in &mut runners {
                // Err: the runner ended.
                let _ = r.wait_for(|&at| at >= head).await;
            }
        }
    }

    /// No more events will come: runners deliver what they have, then end.
    pub fn close(&mut self) {
        self.lanes.clear();
    }

    /// Waits for every runner to end, at most `grace`; the rest are
    /// cancelled (what they had not delivered stays in the journal).
    pub async fn finish(mut self, grace: Duration) {
        self.lanes.clear();
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            self.tasks.abort_all();
        }
    }

    /// Completes when every runner has ended (pending forever with none
    /// running is fine: callers select on it).
    pub async fn ended(&mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}
