//! The embedded store: one SQLite database per profile (WAL, mode 0600 in
//! a 0700 directory) holding the mailbox cursors, the journal, the
//! delivery cursors and the dead letters.
//!
//! Recording events and moving a cursor happen in one transaction, and the
//! event id is unique in the table, so a repeat is never recorded twice.
//! The write-ahead log is copied back into the database beside the writes,
//! not inside them (`checkpoint.rs`).

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Backend, Cursor, DeadLetter, JournalQuery, MailboxCursor, MailboxState, SinkState, StoreError,
    private_parent,
};
use crate::event::Event;

mod checkpoint;
mod mailbox;

use checkpoint::Checkpointer;

/// The SQLite store.
pub(crate) struct Sqlite {
    /// Before `conn`, so that it lets go of the database first.
    checkpoints: Checkpointer,
    conn: Connection,
    path: PathBuf,
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

impl Sqlite {
    /// Opens (creating when missing) the database at `path`, mode 0600 in a
    /// 0700 directory.
    pub(crate) fn open(path: &Path) -> Result<Sqlite, StoreError> {
        private_parent(path)?;
        // Never through a link: another user's file would get our events,
        // or hand us rows of theirs.
        crate::private::no_link(path)?;
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
            .custom_flags(libc::O_NOFOLLOW)
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
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .and_then(|_| conn.execute_batch(SCHEMA))
            .and_then(|_| mailbox::migrate(&conn))
            .map_err(open_err)?;
        Ok(Sqlite {
            checkpoints: Checkpointer::new(&conn, path),
            conn,
            path: path.to_path_buf(),
        })
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
        rows(&self.conn, sql, params, map).map_err(|e| self.sql(e))
    }

    fn max_seq(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM event", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }
}

/// Runs a query and maps every row.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    stmt.query_map(params, map).and_then(|rows| rows.collect())
}

impl Backend for Sqlite {
    /// In one transaction: records `events` (skipping ids already recorded)
    /// and moves `cursor` (never backwards within one UIDVALIDITY, so two
    /// watchers overlapping for a moment during a reload cannot rewind it). Returns the events that were new, with their
    /// sequence numbers.
    fn record(
        &mut self,
        events: &[Event],
        cursor: Option<&MailboxCursor>,
    ) -> Result<Vec<(i64, usize)>, StoreError> {
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
            // One buffer for the batch's JSON, not one string per event.
            let mut json = Vec::with_capacity(1024);
            for (i, e) in events.iter().enumerate() {
                json.clear();
                e.write_json(&mut json);
                let json = std::str::from_utf8(&json).expect("JSON is UTF-8");
                let n = insert
                    .execute(params![
                        e.id,
                        e.kind.as_str(),
                        e.time,
                        e.account,
                        e.mailbox,
                        json
                    ])
                    .map_err(sql)?;
                if n == 1 {
                    fresh.push((tx.last_insert_rowid(), i));
                }
            }
            if let Some(c) = cursor {
                mailbox::upsert(&tx, c).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        self.checkpoints.committed(&self.conn);
        Ok(fresh)
    }

    /// Where `sink` stands: the last sequence number it finished. A sink
    /// seen for the first time starts at the end (it gets new events only).
    fn delivery_cursor(&mut self, sink: &str) -> Result<i64, StoreError> {
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
                let last = self.max_seq()?;
                Backend::ack(self, sink, last)?;
                Ok(last)
            }
        }
    }

    /// Up to `limit` journal entries after `after` and up to `upto`.
    fn events_between(
        &mut self,
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

    /// Records a delivery given up on.
    fn dead_letter(
        &mut self,
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
    fn dead_letters(&mut self) -> Result<Vec<DeadLetter>, StoreError> {
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
    fn ack(&mut self, sink: &str, seq: i64) -> Result<(), StoreError> {
        // Once per delivery: the statement is prepared once.
        self.conn
            .prepare_cached(
                "INSERT INTO delivery (sink, seq) VALUES (?1, ?2)
                 ON CONFLICT (sink) DO UPDATE SET seq = MAX(seq, excluded.seq)",
            )
            .and_then(|mut s| s.execute(params![sink, seq]))
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    /// Every sink that has a delivery cursor, with its lag and dead letters.
    fn last_seq(&mut self) -> Result<i64, StoreError> {
        self.max_seq()
    }

    fn journal_len(&mut self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM event", [], |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    fn sinks(&mut self) -> Result<Vec<SinkState>, StoreError> {
        let last = self.max_seq()?;
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
    fn journal(&mut self, q: &JournalQuery) -> Result<Vec<(i64, String)>, StoreError> {
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
    fn event(&mut self, seq: i64) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT json FROM event WHERE seq = ?1", [seq], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Removes dead letters (all when `ids` is empty); returns how many.
    fn drop_dead_letters(&mut self, ids: &[i64]) -> Result<usize, StoreError> {
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
    fn dead_letter_failed_again(&mut self, id: i64, error: &str) -> Result<(), StoreError> {
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
    fn prune(&mut self, sinks: &[&str], before: &str, keep: u64) -> Result<usize, StoreError> {
        let last = self.max_seq()?;
        let mut low = last;
        for sink in sinks {
            low = low.min(self.delivery_cursor(sink)?);
        }
        // Entries are journaled as they are observed, so the old ones are
        // the journal's start: the first newer entry is found by looking at
        // them alone, and the delete is a range. Asking for `time < ?` of
        // every delivered entry read the whole journal at every start (up
        // to 100,000 entries by default) while the first catch-up waited.
        // An entry journaled out of order by a few milliseconds across the
        // cut goes at the next prune.
        let first_new: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM event WHERE seq <= ?1 AND time >= ?2 ORDER BY seq LIMIT 1",
                params![low, before],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let old = first_new.map_or(low, |seq| seq - 1);
        let beyond_keep = last.saturating_sub(i64::try_from(keep).unwrap_or(i64::MAX));
        let upto = low.min(old.max(beyond_keep));
        let pruned = self
            .conn
            .execute(
                "DELETE FROM event WHERE seq <= ?1 AND seq NOT IN (SELECT seq FROM dead_letter)",
                params![upto],
            )
            .map_err(|e| self.sql(e))?;
        // A large prune is the other long write: its log is checkpointed
        // now, not at the next journal write, which may be hours away.
        self.checkpoints.committed(&self.conn);
        Ok(pruned)
    }

    fn cursors(&mut self) -> Result<HashMap<(String, String), Cursor>, StoreError> {
        mailbox::cursors(&self.conn).map_err(|e| self.sql(e))
    }

    fn known_message_ids(
        &mut self,
        account: &str,
        mailbox: &str,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        mailbox::known_message_ids(&self.conn, account, mailbox, ids).map_err(|e| self.sql(e))
    }

    fn mailboxes(&mut self) -> Result<Vec<MailboxState>, StoreError> {
        mailbox::mailboxes(&self.conn).map_err(|e| self.sql(e))
    }

    fn reset(&mut self, account: Option<&str>, mailbox: Option<&str>) -> Result<usize, StoreError> {
        mailbox::reset(&self.conn, account, mailbox).map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests;
