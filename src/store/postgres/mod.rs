//! The shared store: a PostgreSQL database holding what the SQLite store
//! holds (cursors, journal, delivery cursors, dead letters), for several
//! instances or a state that must outlive one machine.
//!
//! Each call is one transaction. Journal writes take a transaction-scoped
//! advisory lock first, so sequence numbers are committed in order and a
//! reader that has seen `seq` never finds a smaller one later. A lost
//! connection (a restart, a fail-over) is reopened and the call tried
//! again, for up to [`RECONNECT_FOR`]: every write is idempotent (event
//! ids are unique, cursors only move forwards), so nothing is lost or
//! doubled when a commit's answer was what got lost.

mod import;
mod lease;
mod schema;
#[cfg(test)]
pub(crate) mod testdb;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use postgres::{Client, Row};
use postgres_native_tls::MakeTlsConnector;

use super::{
    Backend, Cursor, DeadLetter, JournalQuery, Known, MailboxCursor, MailboxState, SinkState,
    StoreError,
};
use crate::credential::Secret;
use crate::event::Event;

/// How long a call keeps trying to reach the database before it fails.
pub(crate) const RECONNECT_FOR: Duration = Duration::from_secs(600);
/// Connecting (TCP, TLS, login) takes at most this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A statement that runs longer than this is cancelled by the server.
const STATEMENT_TIMEOUT: &str = "60s";
/// The advisory lock key that orders journal writes ("mr-journ").
const JOURNAL_LOCK: i64 = 0x6d72_2d6a_6f75_726e;

pub(crate) use import::Imported;

pub(crate) struct Postgres {
    config: postgres::Config,
    tls: MakeTlsConnector,
    client: Option<Client>,
    /// Where, for messages: `user@host:port/database`, never a password.
    label: String,
    /// Sharing accounts (after a first lease round): this instance's name.
    me: Option<String>,
    /// The accounts held, with the epoch each was taken with.
    fences: HashMap<String, i64>,
}

impl Postgres {
    /// Connects to `url` (which holds no password) with `password`,
    /// trusting `ca_file` beside the system's roots for TLS, and brings the
    /// schema up to date.
    pub(crate) fn open(
        url: &str,
        password: Option<&Secret>,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Postgres, StoreError> {
        let mut config: postgres::Config = url.parse().map_err(|e| StoreError::Postgres {
            at: "[store] url".into(),
            source: e,
        })?;
        let label = label(&config);
        if let Some(p) = password {
            config.password(p.expose());
        }
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(30))
            .options(&format!("-c statement_timeout={STATEMENT_TIMEOUT}"))
            .application_name("mailreactor");
        let tls = crate::tls::connector(ca_file).map_err(|e| StoreError::Tls {
            at: label.clone(),
            source: e,
        })?;
        let mut pg = Postgres {
            config,
            tls: MakeTlsConnector::new(tls),
            client: None,
            label,
            me: None,
            fences: HashMap::new(),
        };
        // The first connection fails at once: a wrong address or password
        // is a start-up error, not something to wait out.
        let mut client = pg.connect().map_err(|e| pg.error(e))?;
        match schema::migrate(&mut client) {
            Ok(()) => {}
            Err(schema::SchemaError::Sql(e)) => return Err(pg.error(e)),
            Err(schema::SchemaError::Newer(v)) => {
                return Err(StoreError::NewerSchema {
                    at: pg.label.clone(),
                    found: v,
                    known: schema::VERSION,
                });
            }
        }
        pg.client = Some(client);
        Ok(pg)
    }

    fn connect(&self) -> Result<Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }

    fn error(&self, source: postgres::Error) -> StoreError {
        StoreError::Postgres {
            at: self.label.clone(),
            source,
        }
    }

    /// Runs `op` on a live connection; when the connection is lost, opens
    /// another and runs `op` again, for up to [`RECONNECT_FOR`].
    fn run<T>(
        &mut self,
        mut op: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let deadline = Instant::now() + RECONNECT_FOR;
        let mut delay = Duration::from_millis(100);
        let mut warned = false;
        loop {
            let failure = match self.client.take().map_or_else(|| self.connect(), Ok) {
                Ok(mut client) => match op(&mut client) {
                    Ok(v) => {
                        self.client = Some(client);
                        if warned {
                            tracing::info!("the state database {} is back", self.label);
                        }
                        return Ok(v);
                    }
                    Err(e) if !lost(&e, &client) => {
                        self.client = Some(client);
                        return Err(self.error(e));
                    }
                    Err(e) => e,
                },
                Err(e) => e,
            };
            if Instant::now() + delay > deadline {
                return Err(self.error(failure));
            }
            if !warned {
                tracing::warn!(
                    "the state database {} cannot be reached ({failure}); trying again for up \
                     to {}",
                    self.label,
                    humantime::format_duration(RECONNECT_FOR)
                );
                warned = true;
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

/// Whether `e` means the connection is gone (try again on a new one)
/// rather than that the statement failed.
fn lost(e: &postgres::Error, client: &Client) -> bool {
    if e.is_closed() || client.is_closed() {
        return true;
    }
    match e.code() {
        // Connection exceptions, and the server shutting down or starting.
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P")
        }
        // Not from the server: the socket, TLS, a timeout.
        None => true,
    }
}

fn label(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// Who writes a profile's state: any number of watches (they share the
/// accounts through leases), or one command that rewrites it (`state
/// reset`, `state migrate`), never both. A session advisory lock on a
/// connection of its own, shared or exclusive, held while this lives; a
/// holder that dies, or whose connection does, lets go at once.
pub struct Writer {
    _client: Client,
}

/// The first half of the writer lock's key ("mr-w").
const WRITER_LOCK: i32 = 0x6d72_2d77;

impl Postgres {
    /// Takes the writer lock of `profile` on a connection of its own
    /// (`what`: "watch", "state reset"; `shared` for watches).
    pub(crate) fn writer(
        &self,
        profile: &str,
        what: &str,
        shared: bool,
    ) -> Result<Writer, super::OpenError> {
        let me = format!(
            "mailreactor {what} on {}, pid {}",
            crate::lock::host_name(),
            std::process::id()
        );
        let mut config = self.config.clone();
        config.application_name(&me);
        let mut client = config
            .connect(self.tls.clone())
            .map_err(|e| self.error(e))?;
        let key = profile_key(profile);
        let take = if shared {
            "SELECT pg_try_advisory_lock_shared($1, $2)"
        } else {
            "SELECT pg_try_advisory_lock($1, $2)"
        };
        // A holder that has just let go (its connection closed) keeps the
        // lock until its server process has exited, a moment later: while
        // no holder shows, it is asked again for a while.
        let deadline = Instant::now() + RELEASE_WAIT;
        let holder = loop {
            let taken: bool = client
                .query_one(take, &[&WRITER_LOCK, &key])
                .map_err(|e| self.error(e))?
                .get(0);
            if taken {
                return Ok(Writer { _client: client });
            }
            match lock_holder(&mut client, key) {
                Some(holder) => break holder,
                None if Instant::now() >= deadline => break "holder unknown".to_string(),
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        Err(super::OpenError::Busy {
            at: self.label.clone(),
            profile: profile.to_string(),
            holder,
        })
    }
}

/// How long a writer lock with no holder to be seen is asked for again.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// Who holds the writer lock of profile `key` (the oldest holder's
/// application name), if anyone can be seen to.
fn lock_holder(client: &mut Client, key: i32) -> Option<String> {
    client
        .query(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
             WHERE l.locktype = 'advisory' AND l.classid = $1::oid AND l.objid = $2::oid
               AND l.objsubid = 2 AND l.granted
             ORDER BY a.backend_start",
            &[&(WRITER_LOCK as u32), &(key as u32)],
        )
        .ok()
        .and_then(|rows| rows.first().map(|r| r.get::<_, String>(0)))
}

/// A stable 32-bit key for a profile's name (FNV-1a).
fn profile_key(profile: &str) -> i32 {
    let hash = profile.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash as i32
}

fn cursor_of(r: &Row) -> Cursor {
    let known = match (r.get::<_, Option<String>>(6), r.get::<_, Option<i64>>(7)) {
        (Some(set), Some(upto)) => Some(Known {
            upto: upto as u32,
            uids: crate::imap::parse_uid_set(&set),
        }),
        _ => None,
    };
    Cursor {
        uidvalidity: r.get::<_, i64>(2) as u32,
        last_uid: r.get::<_, i64>(3) as u32,
        modseq: r.get::<_, i64>(4) as u64,
        modseq_uid: r.get::<_, i64>(5) as u32,
        known,
        seen: humantime::parse_rfc3339_weak(&r.get::<_, String>(8))
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
    }
}

/// Moves a cursor, never backwards within one UIDVALIDITY.
const UPSERT_CURSOR: &str = "
INSERT INTO mailbox AS m (account, mailbox, uidvalidity, last_uid, modseq, modseq_uid,
                          known, known_upto, updated)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (account, mailbox) DO UPDATE SET
  last_uid = CASE WHEN m.uidvalidity = EXCLUDED.uidvalidity
                  THEN GREATEST(m.last_uid, EXCLUDED.last_uid) ELSE EXCLUDED.last_uid END,
  modseq = CASE WHEN m.uidvalidity = EXCLUDED.uidvalidity
                THEN GREATEST(m.modseq, EXCLUDED.modseq) ELSE EXCLUDED.modseq END,
  modseq_uid = CASE WHEN m.uidvalidity = EXCLUDED.uidvalidity
                    THEN GREATEST(m.modseq_uid, EXCLUDED.modseq_uid)
                    ELSE EXCLUDED.modseq_uid END,
  known = CASE WHEN m.uidvalidity = EXCLUDED.uidvalidity AND EXCLUDED.known IS NULL
               THEN m.known ELSE EXCLUDED.known END,
  known_upto = CASE WHEN m.uidvalidity = EXCLUDED.uidvalidity AND EXCLUDED.known_upto IS NULL
                    THEN m.known_upto ELSE EXCLUDED.known_upto END,
  uidvalidity = EXCLUDED.uidvalidity,
  updated = EXCLUDED.updated";

impl Backend for Postgres {
    fn record(
        &mut self,
        events: &[Event],
        cursor: Option<&MailboxCursor>,
    ) -> Result<Vec<(i64, usize)>, StoreError> {
        // Column-wise, for one INSERT per batch (one round trip, not one
        // per event).
        let mut cols: [Vec<Option<String>>; 7] = Default::default();
        for e in events {
            cols[0].push(Some(e.id.clone()));
            cols[1].push(Some(e.kind.as_str().to_string()));
            cols[2].push(Some(e.time.clone()));
            cols[3].push(Some(e.account.clone()));
            cols[4].push(e.mailbox.clone());
            cols[5].push(e.message().and_then(|m| m.message_id.clone()));
            cols[6].push(Some(e.to_json()));
        }
        // An id twice in one batch is recorded once, as its first.
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            index.entry(e.id.as_str()).or_insert(i);
        }
        let now = crate::event::now_rfc3339();
        // Sharing accounts: the write must come from the account's holder,
        // at the epoch it took it with.
        let account = cursor
            .map(|c| c.account.as_str())
            .or_else(|| events.first().map(|e| e.account.as_str()));
        // A notice that an account's watching ended (handed over, lease
        // lost) moves no cursor and may come from its last holder.
        let notice_only = cursor.is_none()
            && events
                .iter()
                .all(|e| e.kind == crate::event::EventKind::AccountDisconnected);
        let fence = match (&self.me, account) {
            _ if notice_only => None,
            (Some(me), Some(account)) => match self.fences.get(account) {
                Some(epoch) => Some((me.clone(), account.to_string(), *epoch)),
                None => {
                    return Err(StoreError::LeaseLost {
                        account: account.to_string(),
                    });
                }
            },
            _ => None,
        };
        let recorded = self.run(|client| {
            let mut tx = client.transaction()?;
            if let Some((me, account, epoch)) = &fence {
                let holds = tx.query_opt(
                    "SELECT 1 FROM lease WHERE account = $1 AND holder = $2 AND epoch = $3
                     FOR SHARE",
                    &[account, me, epoch],
                )?;
                if holds.is_none() {
                    return Ok(None);
                }
            }
            let mut fresh = Vec::with_capacity(events.len());
            if !events.is_empty() {
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&JOURNAL_LOCK])?;
                let rows = tx.query(
                    "INSERT INTO event (id, type, time, account, mailbox, message_id, json)
                     SELECT id, type, time, account, mailbox, message_id, json
                     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::text[], $7::text[])
                          WITH ORDINALITY
                          AS u(id, type, time, account, mailbox, message_id, json, n)
                     ORDER BY n
                     ON CONFLICT (id) DO NOTHING RETURNING seq, id",
                    &[
                        &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6],
                    ],
                )?;
                for row in rows {
                    let id: &str = row.get(1);
                    if let Some(&i) = index.get(id) {
                        fresh.push((row.get::<_, i64>(0), i));
                    }
                }
                fresh.sort_unstable();
            }
            if let Some(c) = cursor {
                let known = c.cursor.known.as_ref();
                tx.execute(
                    UPSERT_CURSOR,
                    &[
                        &c.account,
                        &c.mailbox,
                        &i64::from(c.cursor.uidvalidity),
                        &i64::from(c.cursor.last_uid),
                        &(c.cursor.modseq as i64),
                        &i64::from(c.cursor.modseq_uid),
                        &known.map(|k| crate::imap::uid_set(&k.uids)),
                        &known.map(|k| i64::from(k.upto)),
                        &now,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(Some(fresh))
        })?;
        recorded.ok_or_else(|| {
            let account = fence.map(|f| f.1).unwrap_or_default();
            self.fences.remove(&account);
            StoreError::LeaseLost { account }
        })
    }

    fn cursors(&mut self) -> Result<HashMap<(String, String), Cursor>, StoreError> {
        let rows = self.run(|c| {
            c.query(
                "SELECT account, mailbox, uidvalidity, last_uid, modseq, modseq_uid, known,
                        known_upto, updated
                 FROM mailbox",
                &[],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| ((r.get(0), r.get(1)), cursor_of(r)))
            .collect())
    }

    fn known_message_ids(
        &mut self,
        account: &str,
        mailbox: &str,
        ids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let rows = self.run(|c| {
            c.query(
                "SELECT DISTINCT message_id FROM event
                 WHERE account = $1 AND mailbox = $2 AND type = 'message.received'
                   AND message_id = ANY($3)",
                &[&account, &mailbox, &ids],
            )
        })?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn mailboxes(&mut self) -> Result<Vec<MailboxState>, StoreError> {
        let rows = self.run(|c| c.query(super::MAILBOX_ROWS, &[]))?;
        Ok(rows
            .iter()
            .map(|r| MailboxState {
                account: r.get(0),
                mailbox: r.get(1),
                uidvalidity: r.get::<_, i64>(2) as u32,
                last_uid: r.get::<_, i64>(3) as u32,
                modseq: r.get::<_, i64>(4) as u64,
                updated: r.get(5),
                last_event: r.get(6),
                events: r.get::<_, i64>(7) as u64,
            })
            .collect())
    }

    fn reset(&mut self, account: Option<&str>, mailbox: Option<&str>) -> Result<usize, StoreError> {
        let n = self.run(|c| {
            c.execute(
                "DELETE FROM mailbox WHERE ($1::text IS NULL OR account = $1)
                                       AND ($2::text IS NULL OR mailbox = $2)",
                &[&account, &mailbox],
            )
        })?;
        Ok(n as usize)
    }

    fn delivery_cursor(&mut self, sink: &str) -> Result<i64, StoreError> {
        // A sink seen for the first time starts at the end.
        self.run(|c| {
            c.execute(
                "INSERT INTO delivery (sink, seq)
                 SELECT $1, COALESCE(MAX(seq), 0) FROM event
                 ON CONFLICT (sink) DO NOTHING",
                &[&sink],
            )?;
            let row = c.query_one("SELECT seq FROM delivery WHERE sink = $1", &[&sink])?;
            Ok(row.get(0))
        })
    }

    fn ack(&mut self, sink: &str, seq: i64) -> Result<(), StoreError> {
        self.run(|c| {
            c.execute(
                "INSERT INTO delivery AS d (sink, seq) VALUES ($1, $2)
                 ON CONFLICT (sink) DO UPDATE SET seq = GREATEST(d.seq, EXCLUDED.seq)",
                &[&sink, &seq],
            )
        })?;
        Ok(())
    }

    fn events_between(
        &mut self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.run(|c| {
            c.query(
                "SELECT seq, json FROM event WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                &[&after, &upto, &limit],
            )
        })?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn journal(&mut self, q: &JournalQuery) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = self.run(|c| {
            c.query(
                "SELECT seq, json FROM event
                 WHERE ($1::text IS NULL OR time >= $1) AND ($2::text IS NULL OR time < $2)
                   AND ($3::text IS NULL OR account = $3) AND ($4::text IS NULL OR mailbox = $4)
                 ORDER BY seq",
                &[&q.since, &q.until, &q.account, &q.mailbox],
            )
        })?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn event(&mut self, seq: i64) -> Result<Option<String>, StoreError> {
        let row = self.run(|c| c.query_opt("SELECT json FROM event WHERE seq = $1", &[&seq]))?;
        Ok(row.map(|r| r.get(0)))
    }

    fn last_seq(&mut self) -> Result<i64, StoreError> {
        let row = self.run(|c| c.query_one("SELECT COALESCE(MAX(seq), 0) FROM event", &[]))?;
        Ok(row.get(0))
    }

    fn journal_len(&mut self) -> Result<u64, StoreError> {
        let row = self.run(|c| c.query_one("SELECT COUNT(*) FROM event", &[]))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn sinks(&mut self) -> Result<Vec<SinkState>, StoreError> {
        // A cursor `SINK@ACCOUNT` (accounts shared among instances) lags by
        // that account's events after it; a sink's own cursor, by all.
        let rows = self.run(|c| {
            c.query(
                "SELECT d.sink, d.seq,
                        (SELECT COUNT(*) FROM dead_letter l WHERE l.sink = d.sink),
                        CASE WHEN strpos(d.sink, '@') > 0
                             THEN (SELECT COUNT(*) FROM event e WHERE e.seq > d.seq
                                     AND e.account = substr(d.sink, strpos(d.sink, '@') + 1))
                             ELSE (SELECT COUNT(*) FROM event e WHERE e.seq > d.seq) END
                 FROM delivery d ORDER BY d.sink",
                &[],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| SinkState {
                sink: r.get(0),
                delivered: r.get(1),
                lag: r.get(3),
                dead_letters: r.get::<_, i64>(2) as u64,
            })
            .collect())
    }

    fn dead_letter(
        &mut self,
        sink: &str,
        seq: i64,
        event_id: &str,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError> {
        let (attempts, now) = (attempts as i32, crate::event::now_rfc3339());
        self.run(|c| {
            c.execute(
                "INSERT INTO dead_letter (sink, seq, event_id, error, attempts, time)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&sink, &seq, &event_id, &error, &attempts, &now],
            )
        })?;
        Ok(())
    }

    fn dead_letters(&mut self) -> Result<Vec<DeadLetter>, StoreError> {
        let rows = self.run(|c| {
            c.query(
                "SELECT id, sink, seq, event_id, error, attempts, time FROM dead_letter
                 ORDER BY id",
                &[],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| DeadLetter {
                id: r.get(0),
                sink: r.get(1),
                seq: r.get(2),
                event_id: r.get(3),
                error: r.get(4),
                attempts: r.get::<_, i32>(5) as u32,
                time: r.get(6),
            })
            .collect())
    }

    fn drop_dead_letters(&mut self, ids: &[i64]) -> Result<usize, StoreError> {
        let n = self.run(|c| {
            if ids.is_empty() {
                c.execute("DELETE FROM dead_letter", &[])
            } else {
                c.execute("DELETE FROM dead_letter WHERE id = ANY($1)", &[&ids])
            }
        })?;
        Ok(n as usize)
    }

    fn dead_letter_failed_again(&mut self, id: i64, error: &str) -> Result<(), StoreError> {
        let now = crate::event::now_rfc3339();
        self.run(|c| {
            c.execute(
                "UPDATE dead_letter SET attempts = attempts + 1, error = $2, time = $3
                 WHERE id = $1",
                &[&id, &error, &now],
            )
        })?;
        Ok(())
    }

    fn leases(&mut self) -> Option<&mut dyn crate::store::Leases> {
        Some(self)
    }

    fn prune(&mut self, sinks: &[&str], before: &str, keep: u64) -> Result<usize, StoreError> {
        let mut low = self.last_seq()?;
        for sink in sinks {
            low = low.min(self.delivery_cursor(sink)?);
        }
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let n = self.run(|c| {
            c.execute(
                "DELETE FROM event
                 WHERE seq <= $1
                   AND (time < $2 OR seq <= (SELECT MAX(seq) FROM event) - $3)
                   AND seq NOT IN (SELECT seq FROM dead_letter)",
                &[&low, &before, &keep],
            )
        })?;
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests;
