//! (f) of BENCHMARKS.md: the cost of one event inside mailreactor, with
//! no network: decode a raw message (mail-parser), record it in the SQLite
//! journal in batches of 100 as the watcher does, and dispatch it through
//! the real dispatcher to a sink that counts.
//!
//! (h): the same journal and dispatcher feeding a Redis stream (a private
//! `redis-server` on loopback), beside a counting sink in the same run.
//!
//! (i): the journal alone (events recorded in batches of 100, as the
//! watcher sends them) in SQLite and in PostgreSQL (a private cluster on
//! loopback), in the same run.
//!
//! `cargo bench --features bench --bench core`

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mailreactor::bench::{Dispatcher, Location, Metrics, RedisSink, Store, open};
use mailreactor::profile::{RedisConfig, RetryPolicy, StoreConfig};
use mailreactor::{Delivery, Event, Shutdown, Sink, SinkSpec, Subscription, decode_message};

const EVENTS: usize = 20_000;
const BATCH: usize = 100;

struct Count(Arc<AtomicUsize>);

impl Sink for Count {
    fn name(&self) -> &str {
        "count"
    }
    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        self.0.fetch_add(events.len(), Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

/// The daemon's path for an event without the watchers: the journal on its
/// store thread and the real dispatcher, on a two-thread runtime.
struct Pipeline {
    rt: tokio::runtime::Runtime,
    store: Store,
    dispatcher: Dispatcher,
    /// Events the dispatcher emits about itself; kept open, unread.
    _emitted: tokio::sync::mpsc::UnboundedReceiver<Event>,
}

impl Pipeline {
    fn start(db: &Path, sinks: Vec<(Arc<dyn Sink>, SinkSpec)>) -> Pipeline {
        let store = Store::spawn(open(db).unwrap(), db).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (emit, emitted) = tokio::sync::mpsc::unbounded_channel();
        let dispatcher = rt.block_on(async {
            Dispatcher::start(
                sinks,
                &store,
                emit,
                Shutdown::new(),
                Arc::new(Metrics::default()),
            )
            .await
            .unwrap()
        });
        Pipeline {
            rt,
            store,
            dispatcher,
            _emitted: emitted,
        }
    }

    /// Decodes `n` messages from the corpus and, as the watcher does,
    /// records them in batches of [`BATCH`] through the store thread, then
    /// dispatches the fresh ones.
    fn feed(&self, corpus: &[Vec<u8>], n: usize) {
        let _guard = self.rt.enter();
        for batch in 0..n / BATCH {
            let events: Vec<Event> = (0..BATCH)
                .map(|j| {
                    let uid = (batch * BATCH + j + 1) as u32;
                    let info = decode_message(1, uid, &corpus[uid as usize % 4]);
                    Event::received("bench", "INBOX", info)
                })
                .collect();
            let (events, fresh) = self
                .rt
                .block_on(self.store.call(move |b| {
                    let fresh = b.record(&events, None)?;
                    Ok((events, fresh))
                }))
                .unwrap();
            let mut events: Vec<Option<Event>> = events.into_iter().map(Some).collect();
            for (seq, i) in fresh {
                let e = events[i].take().expect("each index once");
                self.dispatcher.dispatch(seq, Arc::new(e));
            }
        }
    }
}

/// Four kinds of everyday mail, rotated.
fn corpus() -> Vec<Vec<u8>> {
    let plain = b"From: Ann Example <ann@example.com>\r\nTo: me@example.com\r\n\
        Subject: Lunch on Thursday?\r\nDate: Mon, 23 Nov 2026 07:39:58 +0000\r\n\
        Message-ID: <a1@example.com>\r\n\r\nShall we meet at noon? I booked a table.\r\n"
        .to_vec();
    let encoded = "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\n\
        To: =?utf-8?b?5bGx55Sw?= <yamada@example.jp>, b@example.com\r\n\
        Cc: c@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=\r\n\
        Date: Sun, 22 Nov 2026 18:00:00 +0100\r\nMessage-ID: <b2@example.de>\r\n\
        Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
        Sch=F6ne Gr=FC=DFe, bis bald.\r\n"
        .as_bytes()
        .to_vec();
    let mut with_attachment = b"From: billing@example.com\r\nTo: me@example.com\r\n\
        Subject: Your invoice\r\nMIME-Version: 1.0\r\nMessage-ID: <c3@example.com>\r\n\
        Content-Type: multipart/mixed; boundary=xyz\r\n\r\n--xyz\r\n\
        Content-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\n\
        Content-Type: text/plain\r\n\r\nYour invoice is attached.\r\n--alt\r\n\
        Content-Type: text/html\r\n\r\n<p>Your invoice is <b>attached</b>.</p>\r\n--alt--\r\n\
        --xyz\r\nContent-Type: application/pdf; name=invoice.pdf\r\n\
        Content-Disposition: attachment; filename=invoice.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    for _ in 0..200 {
        with_attachment.extend_from_slice(&[b'Q'; 76]);
        with_attachment.extend_from_slice(b"\r\n");
    }
    with_attachment.extend_from_slice(b"--xyz--\r\n");
    let mut newsletter = b"From: News <news@lists.example.org>\r\nTo: me@example.com\r\n\
        Subject: This week: 12 links\r\nList-Id: <news.lists.example.org>\r\n\
        List-Unsubscribe: <mailto:unsub@lists.example.org>\r\nMessage-ID: <d4@lists.example.org>\r\n"
        .to_vec();
    for i in 0..30 {
        newsletter
            .extend(format!("Received: from relay{i}.example.net by mx.example.com\r\n").bytes());
    }
    newsletter.extend_from_slice(b"Content-Type: text/html; charset=utf-8\r\n\r\n");
    for i in 0..200 {
        newsletter.extend(
            format!("<p>Item {i}: <a href=\"https://example.org/{i}\">read</a></p>\r\n").bytes(),
        );
    }
    vec![plain, encoded, with_attachment, newsletter]
}

fn main() {
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let delivered = Arc::new(AtomicUsize::new(0));
    let sink: Arc<dyn Sink> = Arc::new(Count(delivered.clone()));
    let pipeline = Pipeline::start(
        &dir.path().join("core.sqlite"),
        vec![(sink, SinkSpec::new(Subscription::all(&["*"])))],
    );

    // Decoding alone, for the breakdown.
    let start = Instant::now();
    for i in 0..EVENTS {
        std::hint::black_box(decode_message(1, i as u32, &corpus[i % 4]));
    }
    let decode = start.elapsed();

    let start = Instant::now();
    pipeline.feed(&corpus, EVENTS);
    let recorded = start.elapsed();
    while delivered.load(Ordering::SeqCst) < EVENTS {
        std::thread::sleep(Duration::from_micros(200));
    }
    let total = start.elapsed();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / EVENTS as f64;
    eprintln!(
        "decode {:.1} µs, decode+journal+dispatch {:.1} µs, to the sink {:.1} µs per event",
        per(decode),
        per(recorded),
        per(total)
    );
    println!("| row | result | notes | command |");
    println!("|---|---|---|---|");
    println!(
        "| (f) core cost per event, {EVENTS} events | {:.1} µs | decode alone {:.1} µs; decode + journal (batches of {BATCH}) + dispatch {:.1} µs; delivered to a counting sink {:.1} µs | `cargo bench --features bench --bench core` |",
        per(total),
        per(decode),
        per(recorded),
        per(total)
    );
    redis_row(&corpus);
    journal_row(&corpus);
}

#[path = "../src/store/postgres/testdb.rs"]
mod testdb;

/// (i) 20,000 events into the journal in batches of 100, SQLite beside
/// PostgreSQL; the events are decoded beforehand, so only the journal
/// counts.
fn journal_row(corpus: &[Vec<u8>]) {
    let batches: Vec<Vec<Event>> = (0..EVENTS / BATCH)
        .map(|b| {
            (0..BATCH)
                .map(|j| {
                    let uid = (b * BATCH + j + 1) as u32;
                    let info = decode_message(1, uid, &corpus[uid as usize % 4]);
                    Event::received("bench", "INBOX", info)
                })
                .collect()
        })
        .collect();
    let rate = |backend: &mut dyn mailreactor::bench::Backend| {
        let start = Instant::now();
        for batch in &batches {
            let fresh = backend.record(batch, None).unwrap();
            assert_eq!(fresh.len(), batch.len());
        }
        EVENTS as f64 / start.elapsed().as_secs_f64()
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = rate(open(&dir.path().join("journal.sqlite")).unwrap().as_mut());
    let postgres = Location::Postgres {
        config: StoreConfig {
            url: testdb::database(),
            password: None,
            ca_file: None,
        },
        profile: "bench".into(),
    };
    let postgres = rate(postgres.open().unwrap().as_mut());
    println!(
        "| (i) journal: {EVENTS} events in batches of {BATCH} | PostgreSQL {postgres:.0} events/s | SQLite in the same run: {sqlite:.0} events/s (PostgreSQL/SQLite {:.2}); PostgreSQL on loopback with fsync off, as SQLite's WAL with synchronous=NORMAL does not sync each commit either | `cargo bench --features bench --bench core` |",
        postgres / sqlite
    );
}

/// (h) 10,000 journaled events into a Redis stream, pipelined, beside a
/// counting sink fed by the same dispatcher (the floor).
fn redis_row(corpus: &[Vec<u8>]) {
    const N: usize = 10_000;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Ok(mut server) = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
    else {
        eprintln!("(h) left out: redis-server is not installed (apt-get install redis-server)");
        return;
    };
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let xlen = || -> usize {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "XLEN", "mailreactor:events"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    };
    let config = RedisConfig {
        name: "bus".into(),
        url: format!("redis://127.0.0.1:{port}/0"),
        password: None,
        stream: "mailreactor:events".into(),
        maxlen: None,
        subscription: Subscription::all(&["*"]),
        retry: RetryPolicy::default(),
        ca_file: None,
    };
    let redis = RedisSink::new(config);
    let spec = redis.spec();
    let counted = Arc::new(AtomicUsize::new(0));
    let count: Arc<dyn Sink> = Arc::new(Count(counted.clone()));
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::start(
        &dir.path().join("redis.sqlite"),
        vec![
            (Arc::new(redis), spec),
            (count, SinkSpec::new(Subscription::all(&["*"]))),
        ],
    );
    let start = Instant::now();
    pipeline.feed(corpus, N);
    let mut floor = None;
    while xlen() < N {
        if floor.is_none() && counted.load(Ordering::SeqCst) >= N {
            floor = Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = start.elapsed();
    while counted.load(Ordering::SeqCst) < N {
        std::thread::sleep(Duration::from_millis(1));
    }
    let floor = floor.unwrap_or_else(|| start.elapsed());
    let peak = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<f64>().ok())
        .unwrap_or(0.0);
    println!(
        "| (h) Redis stream: {N} journaled events, pipelined | {:.0} events/s | the floor, the same journal and dispatcher to a counting sink: {:.0} events/s; peak RSS of the whole benchmark {:.1} MB | `cargo bench --features bench --bench core` |",
        N as f64 / took.as_secs_f64(),
        N as f64 / floor.as_secs_f64(),
        peak / 1024.0
    );
    let _ = server.kill();
    let _ = server.wait();
}
