//! A Redis stream sink: every event an `XADD` with fields `id`, `type`,
//! `account`, `mailbox` and `event` (the schema-1 JSON line), for consumer
//! groups on other machines.
//!
//! Events go in order, a batch pipelined in one round trip. Delivery goes
//! through the journal like every sink's, so a Redis that is down gets
//! everything when it is back; and after every (re)connect the stream's
//! tail is read first and what it already holds is not written again, so a
//! restart or a lost answer does not repeat entries (a consumer can still
//! de-duplicate on `id`). The `redis` crate's calls block: each batch runs
//! on tokio's blocking pool.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Delivery, Sink, SinkError, SinkSpec};
use crate::config::RedisConfig;
use crate::event::Event;

/// How long connecting, and each command, may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Entries read from a stream's tail after a connect, to skip repeats.
const TAIL: usize = 1000;
/// Events pipelined in one round trip.
pub const BATCH: usize = 500;

pub struct RedisSink {
    config: Arc<RedisConfig>,
    conn: Arc<Mutex<Option<redis::Connection>>>,
    last: Arc<Mutex<Option<String>>>,
}

impl RedisSink {
    pub fn new(config: RedisConfig) -> RedisSink {
        RedisSink {
            config: Arc::new(config),
            conn: Arc::default(),
            last: Arc::default(),
        }
    }

    /// The dispatcher settings: in order, in batches of what is waiting.
    pub fn spec(&self) -> SinkSpec {
        SinkSpec {
            subscription: self.config.subscription.clone(),
            debounce: None,
            min_interval: None,
            concurrency: 1,
            retry: self.config.retry,
            max_batch: BATCH,
        }
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> SinkError {
    SinkError::Failed(format!(
        "redis: {what}: {}",
        crate::text::one_line(&e.to_string())
    ))
}

/// A connection, authenticated when the profile gives a password.
fn connect(config: &RedisConfig) -> Result<redis::Connection, SinkError> {
    let client = match &config.ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| failed("cannot read ca-file", e))?;
            redis::Client::build_with_tls(
                config.url.as_str(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem),
                },
            )
        }
        None => redis::Client::open(config.url.as_str()),
    }
    .map_err(|e| failed("bad URL", e))?;
    let mut conn = client
        .get_connection_with_timeout(TIMEOUT)
        .map_err(|e| failed(&format!("cannot connect to {}", config.url), e))?;
    conn.set_read_timeout(Some(TIMEOUT))
        .and_then(|()| conn.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| failed("cannot set timeouts", e))?;
    if let Some(source) = &config.password {
        let password = crate::credential::resolve(source)
            .map_err(|e| SinkError::Failed(format!("redis: cannot get the password: {e}")))?;
        redis::cmd("AUTH")
            .arg(password.expose())
            .query::<()>(&mut conn)
            .map_err(|e| failed("the server refused the password", e))?;
    }
    Ok(conn)
}

/// The stream key for `event`.
fn key(template: &str, event: &Event) -> String {
    template
        .replace("{account}", &event.account)
        .replace("{mailbox}", event.mailbox.as_deref().unwrap_or(""))
}

/// The `id` fields of the newest entries of `key`.
fn tail(conn: &mut redis::Connection, key: &str) -> Result<HashSet<String>, SinkError> {
    let reply: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(TAIL)
        .query(conn)
        .map_err(|e| failed("cannot read the stream's tail", e))?;
    Ok(reply
        .ids
        .into_iter()
        .filter_map(|entry| entry.get::<String>("id"))
        .collect())
}

/// Writes `events` in one round trip; returns the last entry's id.
fn write(
    config: &RedisConfig,
    slot: &Mutex<Option<redis::Connection>>,
    events: &[Arc<Event>],
) -> Result<Option<String>, SinkError> {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    let fresh = slot.is_none();
    if fresh {
        *slot = Some(connect(config)?);
    }
    let conn = slot.as_mut().expect("connected above");
    let keys: Vec<String> = events.iter().map(|e| key(&config.stream, e)).collect();
    // What a stream already holds (written before a crash, or before an
    // answer was lost) is not written again.
    let mut present: HashMap<&str, HashSet<String>> = HashMap::new();
    if fresh {
        for k in &keys {
            if !present.contains_key(k.as_str()) {
                let held = tail(conn, k);
                match held {
                    Ok(h) => {
                        present.insert(k, h);
                    }
                    Err(e) => {
                        *slot = None;
                        return Err(e);
                    }
                }
            }
        }
    }
    let mut pipe = redis::pipe();
    let mut n = 0;
    for (e, k) in events.iter().zip(&keys) {
        if present.get(k.as_str()).is_some_and(|p| p.contains(&e.id)) {
            continue;
        }
        let mut xadd = redis::cmd("XADD");
        xadd.arg(k);
        if let Some(max) = config.maxlen {
            xadd.arg("MAXLEN").arg("~").arg(max);
        }
        xadd.arg("*")
            .arg("id")
            .arg(&e.id)
            .arg("type")
            .arg(e.kind.as_str())
            .arg("account")
            .arg(&e.account)
            .arg("mailbox")
            .arg(e.mailbox.as_deref().unwrap_or(""))
            .arg("event")
            .arg(e.to_json());
        pipe.add_command(xadd);
        n += 1;
    }
    if n == 0 {
        return Ok(None);
    }
    match pipe.query::<Vec<String>>(conn) {
        Ok(ids) => Ok(ids.last().cloned()),
        Err(e) => {
            // Anything may have happened to the connection: a new one reads
            // the tail again before it writes.
            *slot = None;
            Err(failed("XADD failed", e))
        }
    }
}

impl Sink for RedisSink {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        let (config, slot, last) = (self.config.clone(), self.conn.clone(), self.last.clone());
        let events = events.to_vec();
        Box::pin(async move {
            let started = Instant::now();
            let written = tokio::task::spawn_blocking(move || {
                let r = write(&config, &slot, &events);
                if let Ok(id) = &r {
                    let key = events
                        .last()
                        .map(|e| key(&config.stream, e))
                        .unwrap_or_default();
                    *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(match id {
                        Some(id) => {
                            format!("entry {id} in {key} ({} ms)", started.elapsed().as_millis())
                        }
                        None => format!("already in {key}"),
                    });
                }
                r
            })
            .await
            .map_err(|e| SinkError::Failed(format!("redis: the write failed inside: {e}")))?;
            written.map(|_| ())
        })
    }

    fn last_outcome(&self) -> Option<String> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
