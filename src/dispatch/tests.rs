//! The runner against a real SQLite store, with a sink whose deliveries
//! finish when the test says so.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

use super::Dispatcher;
use crate::config::RetryPolicy;
use crate::event::Event;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::sink::{Delivery, Sink, SinkSpec};
use crate::store::Store;
use crate::store::conformance::msg;
use crate::subscription::Subscription;

/// Tells which UID it was given, then waits for a permit.
struct Gate {
    started: mpsc::UnboundedSender<u32>,
    release: Arc<Semaphore>,
}

impl Sink for Gate {
    fn name(&self) -> &str {
        "gate"
    }

    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        Box::pin(async move {
            let uid = events[0].message().map_or(0, |m| m.uid);
            let _ = self.started.send(uid);
            self.release.acquire().await.expect("never closed").forget();
            Ok(())
        })
    }
}

/// One event a delivery, of those `subscription` takes, retried as
/// `retry` says.
fn spec(subscription: Subscription, retry: RetryPolicy) -> SinkSpec {
    SinkSpec {
        subscription,
        debounce: None,
        min_interval: None,
        concurrency: 1,
        retry,
        max_batch: 1,
    }
}

/// A store in `dir` (at the returned path) and a dispatcher for `sinks`
/// on it; the receiver gets what the runners hand back to the daemon.
async fn start(
    dir: &tempfile::TempDir,
    sinks: Vec<(Arc<dyn Sink>, SinkSpec)>,
) -> (
    Store,
    std::path::PathBuf,
    Dispatcher,
    mpsc::UnboundedReceiver<Event>,
) {
    let path = dir.path().join("state.sqlite");
    let store = Store::spawn(crate::store::open(&path).unwrap(), &path).unwrap();
    let (emit, emitted) = mpsc::unbounded_channel();
    let metrics = Arc::new(Metrics::default());
    let dispatcher = Dispatcher::start(sinks, &store, emit, Shutdown::new(), metrics)
        .await
        .unwrap();
    (store, path, dispatcher, emitted)
}

/// Records `event` and hands it to the dispatcher.
async fn record_and_dispatch(store: &Store, dispatcher: &Dispatcher, event: Event) -> i64 {
    let e = event.clone();
    let fresh = store.call(move |b| b.record(&[e], None)).await.unwrap();
    dispatcher.dispatch(fresh[0].0, Arc::new(event));
    fresh[0].0
}

#[tokio::test]
async fn a_finished_delivery_is_recorded_before_the_next_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (started, mut starts) = mpsc::unbounded_channel();
    let release = Arc::new(Semaphore::new(0));
    let gate = Gate {
        started,
        release: release.clone(),
    };
    let spec = spec(Subscription::default(), RetryPolicy::default());
    let (store, _, dispatcher, _emitted) = start(&dir, vec![(Arc::new(gate), spec)]).await;

    let first = record_and_dispatch(&store, &dispatcher, msg(1)).await;
    assert_eq!(starts.recv().await, Some(1));
    // The second waits behind the first, which is still being delivered.
    record_and_dispatch(&store, &dispatcher, msg(2)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The store is busy (as with a burst's records) when the first ends.
    let (unblock, blocked) = std::sync::mpsc::channel::<()>();
    store.send(move |_| {
        let _ = blocked.recv();
    });
    release.add_permits(1);
    let early = tokio::time::timeout(Duration::from_millis(300), starts.recv()).await;
    assert!(
        early.is_err(),
        "the second delivery started before the first was on record"
    );
    unblock.send(()).unwrap();
    assert_eq!(starts.recv().await, Some(2));
    // A crash now must repeat only the second: the first is on record.
    let cursor = store.call(|b| b.delivery_cursor("gate")).await.unwrap();
    assert_eq!(cursor, first, "the first delivery's cursor update");

    release.add_permits(1);
    dispatcher.finish(Duration::from_secs(5)).await;
}

/// Fails every delivery.
struct Broken(&'static str);

impl Sink for Broken {
    fn name(&self) -> &str {
        self.0
    }

    fn deliver<'a>(&'a self, _: &'a [Arc<Event>]) -> Delivery<'a> {
        Box::pin(async { Err(crate::sink::SinkError::Failed("down".into())) })
    }
}

/// Two sinks that fail everything and take every event: each gives up on
/// a message and says so once; each gives up on the other's notice too,
/// and says nothing more, so they never tell each other for ever.
#[tokio::test]
async fn a_given_up_notice_makes_no_notice_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let retry = RetryPolicy {
        max_attempts: 1,
        breaker_threshold: 100,
        ..RetryPolicy::default()
    };
    let spec = spec(Subscription::all(&["*"]), retry);
    let sinks: Vec<(Arc<dyn Sink>, SinkSpec)> = vec![
        (Arc::new(Broken("a")), spec.clone()),
        (Arc::new(Broken("b")), spec),
    ];
    let (store, _, dispatcher, mut emitted) = start(&dir, sinks).await;
    let settle = Duration::from_secs(10);

    record_and_dispatch(&store, &dispatcher, msg(1)).await;
    tokio::time::timeout(settle, dispatcher.settled())
        .await
        .expect("both sinks settle the message");
    let mut notices = Vec::new();
    while let Ok(e) = emitted.try_recv() {
        notices.push(e);
    }
    let mut ids: Vec<&str> = notices.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    let message = msg(1).id;
    assert_eq!(
        ids,
        [
            format!("{message}/dead-lettered/a"),
            format!("{message}/dead-lettered/b")
        ]
    );

    // The daemon records and dispatches the notices, as any event.
    for e in notices {
        record_and_dispatch(&store, &dispatcher, e).await;
    }
    tokio::time::timeout(settle, dispatcher.settled())
        .await
        .expect("both sinks settle the notices");
    assert!(emitted.try_recv().is_err(), "a notice of a notice");
    let letters = store.call(|b| b.dead_letters()).await.unwrap();
    assert_eq!(letters.len(), 6, "each sink's three given-up events");
    dispatcher.finish(Duration::from_secs(5)).await;
}

/// Tells each UID it is given.
struct Recorder(mpsc::UnboundedSender<u32>);

impl Sink for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        Box::pin(async move {
            for e in events {
                let _ = self.0.send(e.message().map_or(0, |m| m.uid));
            }
            Ok(())
        })
    }
}

/// An event comes after a gap the runner has not read (its queue had
/// overflowed) while the journal cannot be read: it waits until the gap
/// is read, and nothing in the gap is skipped. The fault is real SQLite:
/// another connection renames the journal's table away, then back.
#[tokio::test]
async fn an_unreadable_journal_skips_nothing_in_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut delivered) = mpsc::unbounded_channel();
    let spec = spec(Subscription::default(), RetryPolicy::default());
    let (store, path, mut dispatcher, _emitted) =
        start(&dir, vec![(Arc::new(Recorder(tx)), spec)]).await;
    let patience = Duration::from_secs(10);
    // The runner is up and waiting on its queue.
    record_and_dispatch(&store, &dispatcher, msg(1)).await;
    let first = tokio::time::timeout(patience, delivered.recv()).await;
    assert_eq!(first.unwrap(), Some(1));

    // 2, 3 and 4 are recorded; only 4 reaches the queue, once the journal
    // is unreadable.
    let events = vec![msg(2), msg(3), msg(4)];
    let fresh = store.call(move |b| b.record(&events, None)).await.unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("ALTER TABLE event RENAME TO event_away")
        .unwrap();
    dispatcher.dispatch(fresh[2].0, Arc::new(msg(4)));
    let early = tokio::time::timeout(Duration::from_millis(1500), delivered.recv()).await;
    assert!(early.is_err(), "delivered {early:?} past an unread gap");

    other
        .execute_batch("ALTER TABLE event_away RENAME TO event")
        .unwrap();
    let mut uids = Vec::new();
    while uids.len() < 3 {
        let next = tokio::time::timeout(patience, delivered.recv()).await;
        uids.push(next.expect("the gap delivered").unwrap());
    }
    assert_eq!(uids, [2, 3, 4]);

    // Unreadable again, with a gap, as the sinks close (`--once`): the
    // runner ends, and leaves the gap to the next start.
    let events = vec![msg(5), msg(6)];
    let fresh = store.call(move |b| b.record(&events, None)).await.unwrap();
    other
        .execute_batch("ALTER TABLE event RENAME TO event_away")
        .unwrap();
    dispatcher.dispatch(fresh[1].0, Arc::new(msg(6)));
    tokio::time::timeout(patience, dispatcher.settled())
        .await
        .expect("settled while the journal is unreadable");
    dispatcher.close();
    tokio::time::timeout(patience, dispatcher.ended())
        .await
        .expect("the runner ends once its queue is closed");
    assert!(delivered.try_recv().is_err(), "delivered past the gap");
    other
        .execute_batch("ALTER TABLE event_away RENAME TO event")
        .unwrap();
    let cursor = store.call(|b| b.delivery_cursor("recorder")).await.unwrap();
    assert_eq!(cursor, fresh[0].0 - 1, "the gap is left for the next start");
}
