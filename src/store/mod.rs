//! What mailreactor remembers, in one SQLite database per profile: per
//! mailbox the cursor (UIDVALIDITY and highest UID announced), the events
//! recorded, and how far each sink has been delivered.
//!
//! Recording events and moving a cursor happen in one transaction, so a
//! crash can make mailreactor look at a message again but never skip one,
//! and the event id (unique in the table) keeps a repeat from being
//! recorded twice.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::event::Event;

mod mailbox;
pub use mailbox::{Cursor, Known, MailboxCursor, MailboxState};

/// A sink's row, for `state show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SinkState {
    pub sink: String,
    /// The last journal entry it finished.
    pub delivered: i64,
    /// Journal entries after that.
    pub lag: i64,
    pub dead_letters: u64,
}

/// Which journal entries `replay` wants.
#[derive(Debug, Clone, Default)]
pub struct JournalQuery {
    /// RFC 3339, inclusive.
    pub since: Option<String>,
    /// RFC 3339, exclusive.
    pub until: Option<String>,
    pub account: Option<String>,
    pub mailbox: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the state directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot open the state database {path}: {source}{hint}",
        hint = corrupt_hint(source)
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("state database {path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

fn corrupt_hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            "\n  = help: the file is damaged; move it aside and start again: mailreactor then \
             takes a new baseline (mail that arrived while it was broken is not announced)"
        }
        _ => "",
    }
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Creates the directory `path` lives in (mode 0700) when it is missing.
fn private_parent(path: &Path) -> Result<(), StoreError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| StoreError::Dir {
            path: dir.to_path_buf(),
            source,
        })
}

/// Opens the database at `db` for a writer, holding the lock at `lock`
/// (creating the directory, 0700, when missing). A second writer is
/// refused with the first one named.
pub fn open_locked(
    db: &Path,
    lock: &Path,
    what: &str,
) -> anyhow::Result<(Store, crate::lock::StateLock)> {
    private_parent(db)?;
    let held = crate::lock::acquire(lock, what)?;
    Ok((Store::open(db)?, held))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mailbox (
    account     TEXT NOT NULL,
    mailbox     TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    updated     TEXT NOT NULL,
    PRIMARY KEY (account, mailbox)
);
CREATE TABLE IF NOT EXISTS event (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    type    TEXT NOT NULL,
    time    TEXT NOT NULL,
    account TEXT NOT NULL,
    mailbox TEXT,
    json    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS delivery (
    sink TEXT PRIMARY KEY,
    seq  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letter (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    sink     TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    error    TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    time     TEXT NOT NULL
);
";

/// A delivery given up on, for the user to see and retry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub sink: String,
    pub seq: i64,
    pub event_id: String,
    pub error: String,
    pub attempts: u32,
    pub time: String,
}

impl Store {
    /// Opens (creating when missing) the database at `path`, mode 0600 in a
    /// 0700 directory.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        private_parent(path)?;
        // Create the file ourselves so it is never world-readable; SQLite
        // gives its -wal and -shm files the same mode. Only when missing:
        // SQLite's locks are POSIX locks, which closing *any* descriptor of
        // the file drops for the whole process. Opening and closing an open
        // database here once let another process's reader take itself for
        // the last user and delete the WAL under the running watch.
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(StoreError::Dir {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .and_then(|_| conn.execute_batch(SCHEMA))
            .and_then(|_| mailbox::migrate(&conn))
            .map_err(open_err)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs a query and maps every row.
    fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.sql(e))?;
        stmt.query_map(params, map)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))
    }

    /// In one transaction: records `events` (skipping ids already recorded)
    /// and moves `cursor` (never backwards within one UIDVALIDITY, so two
    /// watchers overlapping for a moment during a reload cannot rewind it). Returns the events that were new, with their
    /// sequence numbers.
    pub fn record<'e>(
        &mut self,
        events: &'e [Event],
        cursor: Option<&MailboxCursor>,
    ) -> Result<Vec<(i64, &'e Event)>, StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        let mut fresh = Vec::with_capacity(events.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO event (id, type, time, account, mailbox, json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            for e in events {
                let n = insert
                    .execute(params![
                        e.id,
                        e.kind.as_str(),
                        e.time,
                        e.account,
                        e.mailbox,
                        e.to_json()
                    ])
                    .map_err(sql)?;
                if n == 1 {
                    fresh.push((tx.last_insert_rowid(), e));
                }
            }
            if let Some(c) = cursor {
                mailbox::upsert(&tx, c).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(fresh)
    }

    /// Where `sink` stands: the last sequence number it finished. A sink
    /// seen for the first time starts at the end (it gets new events only).
    pub fn delivery_cursor(&self, sink: &str) -> Result<i64, StoreError> {
        let known: Option<i64> = self
            .conn
            .query_row("SELECT seq FROM delivery WHERE sink = ?1", [sink], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.sql(e))?;
        match known {
            Some(seq) => Ok(seq),
            None => {
                let last = self.last_seq()?;
                self.ack(sink, last)?;
                Ok(last)
            }
        }
    }

    /// Up to `limit` journal entries after `after` and up to `upto`.
    pub fn events_between(
        &self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        self.rows(
            "SELECT seq, json FROM event WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
            params![after, upto, limit as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    fn last_seq(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM event", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    /// Records a delivery given up on.
    pub fn dead_letter(
        &self,
        sink: &str,
        seq: i64,
        event_id: &str,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO dead_letter (sink, seq, event_id, error, attempts, time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    sink,
                    seq,
                    event_id,
                    error,
                    attempts,
                    crate::event::now_rfc3339()
                ],
            )
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    /// Every dead letter, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, StoreError> {
        self.rows(
            "SELECT id, sink, seq, event_id, error, attempts, time FROM dead_letter ORDER BY id",
            [],
            |r| {
                Ok(DeadLetter {
                    id: r.get(0)?,
                    sink: r.get(1)?,
                    seq: r.get(2)?,
                    event_id: r.get(3)?,
                    error: r.get(4)?,
                    attempts: r.get(5)?,
                    time: r.get(6)?,
                })
            },
        )
    }

    /// Marks everything up to `seq` as delivered to `sink`.
    pub fn ack(&self, sink: &str, seq: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO delivery (sink, seq) VALUES (?1, ?2)
                 ON CONFLICT (sink) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                params![sink, seq],
            )
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    /// Every sink that has a delivery cursor, with its lag and dead letters.
    pub fn sinks(&self) -> Result<Vec<SinkState>, StoreError> {
        let last = self.last_seq()?;
        self.rows(
            "SELECT d.sink, d.seq, (SELECT COUNT(*) FROM dead_letter l WHERE l.sink = d.sink)
             FROM delivery d ORDER BY d.sink",
            [],
            |r| {
                let delivered: i64 = r.get(1)?;
                Ok(SinkState {
                    sink: r.get(0)?,
                    delivered,
                    lag: (last - delivered).max(0),
                    dead_letters: r.get(2)?,
                })
            },
        )
    }

    /// Journal entries matching `q`, oldest first, as (seq, JSON).
    pub fn journal(&self, q: &JournalQuery) -> Result<Vec<(i64, String)>, StoreError> {
        self.rows(
            "SELECT seq, json FROM event
             WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR time < ?2)
               AND (?3 IS NULL OR account = ?3) AND (?4 IS NULL OR mailbox = ?4)
             ORDER BY seq",
            params![q.since, q.until, q.account, q.mailbox],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// One journal entry by sequence number.
    pub fn event(&self, seq: i64) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT json FROM event WHERE seq = ?1", [seq], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Removes dead letters (all when `ids` is empty); returns how many.
    pub fn drop_dead_letters(&self, ids: &[i64]) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return self
                .conn
                .execute("DELETE FROM dead_letter", [])
                .map_err(|e| self.sql(e));
        }
        let mut n = 0;
        for id in ids {
            n += self
                .conn
                .execute("DELETE FROM dead_letter WHERE id = ?1", [id])
                .map_err(|e| self.sql(e))?;
        }
        Ok(n)
    }

    /// Notes another failed attempt at a dead letter.
    pub fn dead_letter_failed_again(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE dead_letter SET attempts = attempts + 1, error = ?2, time = ?3 WHERE id = ?1",
                params![id, error, crate::event::now_rfc3339()],
            )
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    /// Removes journal entries older than `before` (RFC 3339) or beyond the
    /// newest `keep`, but never one that one of `sinks` has not delivered,
    /// nor one a dead letter refers to. Returns how many were removed.
    pub fn prune(&self, sinks: &[&str], before: &str, keep: u64) -> Result<usize, StoreError> {
        let mut low = self.last_seq()?;
        for sink in sinks {
            low = low.min(self.delivery_cursor(sink)?);
        }
        self.conn
            .execute(
                "DELETE FROM event
                 WHERE seq <= ?1
                   AND (time < ?2 OR seq <= (SELECT MAX(seq) FROM event) - ?3)
                   AND seq NOT IN (SELECT seq FROM dead_letter)",
                params![low, before, keep as i64],
            )
            .map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, MessageInfo};

    fn msg(uid: u32) -> Event {
        let info = MessageInfo {
            uidvalidity: 1,
            uid,
            ..Default::default()
        };
        Event::received("a", "INBOX", info)
    }

    fn cursor(last_uid: u32) -> MailboxCursor {
        MailboxCursor {
            account: "a".into(),
            mailbox: "INBOX".into(),
            cursor: Cursor {
                uidvalidity: 1,
                last_uid,
                ..Cursor::default()
            },
        }
    }

    #[test]
    fn records_once_and_moves_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s/db.sqlite");
        let mut s = Store::open(&path).unwrap();
        let events = vec![msg(1), msg(2)];
        assert_eq!(s.record(&events, Some(&cursor(2))).unwrap().len(), 2);
        // A repeat (after a crash, say) records nothing new.
        assert_eq!(s.record(&events, Some(&cursor(2))).unwrap().len(), 0);
        let c = s.cursors().unwrap();
        assert_eq!(c[&("a".into(), "INBOX".into())].last_uid, 2);
        let mode = std::fs::metadata(&path).unwrap().permissions();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.mode() & 0o777, 0o600);
    }

    #[test]
    fn delivery_cursor_starts_at_the_end_and_ranges_read_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("db")).unwrap();
        s.record(&[msg(1)], None).unwrap();
        // A new sink starts at the end.
        assert_eq!(s.delivery_cursor("stdout").unwrap(), 1);
        s.record(&[msg(2), msg(3)], None).unwrap();
        s.ack("stdout", 2).unwrap();
        assert_eq!(s.delivery_cursor("stdout").unwrap(), 2);
        let left = s.events_between(2, i64::MAX, 10).unwrap();
        assert_eq!(left.len(), 1);
        assert!(left[0].1.contains("\"uid\":3"));
        assert_eq!(s.events_between(0, 2, 1).unwrap().len(), 1);
        s.dead_letter("hook", 3, "id", "exit 1", 5).unwrap();
        assert_eq!(s.dead_letters().unwrap()[0].attempts, 5);
    }

    #[test]
    fn pruning_keeps_the_undelivered_and_the_dead_lettered() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("db")).unwrap();
        let events: Vec<Event> = (1..=10).map(msg).collect();
        s.record(&events, None).unwrap();
        s.ack("fast", 10).unwrap();
        s.ack("slow", 4).unwrap();
        s.dead_letter("fast", 2, "id", "boom", 1).unwrap();
        // Keep only the newest 1 by count: still nothing past the slow sink's 4,
        // and not entry 2.
        let n = s.prune(&["fast", "slow"], "0000", 1).unwrap();
        assert_eq!(n, 3, "1, 3 and 4 go");
        let left: Vec<i64> = s
            .events_between(0, i64::MAX, 100)
            .unwrap()
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(left, [2, 5, 6, 7, 8, 9, 10]);
        // By age: everything is newer than the year 2000.
        assert_eq!(
            s.prune(&["fast"], "2000-01-01T00:00:00.000Z", 1000)
                .unwrap(),
            0
        );
        let sinks = s.sinks().unwrap();
        assert_eq!((sinks[1].sink.as_str(), sinks[1].lag), ("slow", 6));
        assert_eq!(sinks[0].dead_letters, 1);
    }

    #[test]
    fn reset_forgets_cursors() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("db")).unwrap();
        s.record(&[], Some(&cursor(5))).unwrap();
        assert_eq!(s.reset(Some("other"), None).unwrap(), 0);
        assert_eq!(s.reset(Some("a"), None).unwrap(), 1);
        assert!(s.cursors().unwrap().is_empty());
    }

    #[test]
    fn garbage_file_gives_a_recovery_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let e = Store::open(&path).err().unwrap().to_string();
        assert!(e.contains("move it aside"), "{e}");
    }
}
