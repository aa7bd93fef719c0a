//! The `mailbox` table of the SQLite store: one cursor per (account,
//! mailbox), moved only forwards within one UIDVALIDITY.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, params};

use crate::store::{Cursor, Known, MailboxCursor, MailboxState};

/// Columns added after the first release, for databases made before.
const ADDED: &[(&str, &str)] = &[
    ("modseq", "INTEGER NOT NULL DEFAULT 0"),
    ("modseq_uid", "INTEGER NOT NULL DEFAULT 0"),
    ("known", "TEXT"),
    ("known_upto", "INTEGER"),
];

/// Brings an older `mailbox` table up to date.
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('mailbox')")?;
    let have: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for (name, decl) in ADDED {
        if !have.iter().any(|h| h == name) {
            conn.execute_batch(&format!("ALTER TABLE mailbox ADD COLUMN {name} {decl}"))?;
        }
    }
    Ok(())
}

/// Moves a cursor, never backwards within one UIDVALIDITY (two watchers
/// overlapping for a moment during a reload cannot rewind it).
pub(super) fn upsert(tx: &Transaction, c: &MailboxCursor) -> rusqlite::Result<()> {
    let known = c.cursor.known.as_ref();
    tx.prepare_cached(
        "INSERT INTO mailbox (account, mailbox, uidvalidity, last_uid, modseq, modseq_uid,
                              known, known_upto, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (account, mailbox) DO UPDATE SET
           last_uid = CASE WHEN uidvalidity = excluded.uidvalidity
                           THEN MAX(last_uid, excluded.last_uid) ELSE excluded.last_uid END,
           modseq = CASE WHEN uidvalidity = excluded.uidvalidity
                         THEN MAX(modseq, excluded.modseq) ELSE excluded.modseq END,
           modseq_uid = CASE WHEN uidvalidity = excluded.uidvalidity
                             THEN MAX(modseq_uid, excluded.modseq_uid)
                             ELSE excluded.modseq_uid END,
           known = CASE WHEN uidvalidity = excluded.uidvalidity AND excluded.known IS NULL
                        THEN known ELSE excluded.known END,
           known_upto = CASE WHEN uidvalidity = excluded.uidvalidity
                                  AND excluded.known_upto IS NULL
                             THEN known_upto ELSE excluded.known_upto END,
           uidvalidity = excluded.uidvalidity,
           updated = excluded.updated",
    )?
    .execute(params![
        c.account,
        c.mailbox,
        c.cursor.uidvalidity,
        c.cursor.last_uid,
        c.cursor.modseq as i64,
        c.cursor.modseq_uid,
        known.map(|k| crate::imap::uid_set(&k.uids)),
        known.map(|k| k.upto),
        crate::event::now_rfc3339()
    ])?;
    Ok(())
}

/// Every mailbox cursor, by (account, mailbox).
pub(super) fn cursors(conn: &Connection) -> rusqlite::Result<HashMap<(String, String), Cursor>> {
    let rows = super::rows(
        conn,
        "SELECT account, mailbox, uidvalidity, last_uid, modseq, modseq_uid, known, known_upto,
                updated
         FROM mailbox",
        [],
        |r| {
            let known = match (r.get::<_, Option<String>>(6)?, r.get(7)?) {
                (Some(set), Some(upto)) => Some(Known {
                    upto,
                    uids: crate::imap::parse_uid_set(&set),
                }),
                _ => None,
            };
            let cursor = Cursor {
                uidvalidity: r.get(2)?,
                last_uid: r.get(3)?,
                modseq: r.get::<_, i64>(4)? as u64,
                modseq_uid: r.get(5)?,
                known,
                seen: humantime::parse_rfc3339_weak(&r.get::<_, String>(8)?)
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs()),
            };
            Ok(((r.get(0)?, r.get(1)?), cursor))
        },
    )?;
    Ok(rows.into_iter().collect())
}

/// Of `ids`, the Message-IDs of `message.received` events the journal holds
/// for `account`/`mailbox`.
pub(super) fn known_message_ids(
    conn: &Connection,
    account: &str,
    mailbox: &str,
    ids: &[String],
) -> rusqlite::Result<std::collections::HashSet<String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let wanted = serde_json::to_string(ids).expect("strings serialise");
    let rows = super::rows(
        conn,
        "SELECT DISTINCT json_extract(json, '$.message_id') FROM event
         WHERE account = ?1 AND mailbox = ?2 AND type = 'message.received'
           AND json_extract(json, '$.message_id') IN (SELECT value FROM json_each(?3))",
        params![account, mailbox, wanted],
        |r| r.get::<_, String>(0),
    )?;
    Ok(rows.into_iter().collect())
}

/// Every mailbox row with its event count, for `state show`.
pub(super) fn mailboxes(conn: &Connection) -> rusqlite::Result<Vec<MailboxState>> {
    super::rows(conn, crate::store::MAILBOX_ROWS, [], |r| {
        Ok(MailboxState {
            account: r.get(0)?,
            mailbox: r.get(1)?,
            uidvalidity: r.get(2)?,
            last_uid: r.get(3)?,
            modseq: r.get::<_, i64>(4)? as u64,
            updated: r.get(5)?,
            last_event: r.get(6)?,
            events: r.get(7)?,
        })
    })
}

/// Forgets cursors (all, one account's, or one mailbox's): the next
/// watch takes a new baseline there. Returns how many were forgotten.
pub(super) fn reset(
    conn: &Connection,
    account: Option<&str>,
    mailbox: Option<&str>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM mailbox WHERE (?1 IS NULL OR account = ?1)
                                   AND (?2 IS NULL OR mailbox = ?2)",
        params![account, mailbox],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Backend;
    use crate::store::sqlite::Sqlite;

    #[test]
    fn an_old_database_gains_the_new_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE mailbox (account TEXT NOT NULL, mailbox TEXT NOT NULL,
               uidvalidity INTEGER NOT NULL, last_uid INTEGER NOT NULL, updated TEXT NOT NULL,
               PRIMARY KEY (account, mailbox));
             INSERT INTO mailbox VALUES ('a', 'INBOX', 5, 9, 'then');",
        )
        .unwrap();
        drop(old);
        let mut s = Sqlite::open(&path).unwrap();
        let c = &s.cursors().unwrap()[&("a".into(), "INBOX".into())];
        assert_eq!((c.uidvalidity, c.last_uid, c.modseq), (5, 9, 0));
    }
}
