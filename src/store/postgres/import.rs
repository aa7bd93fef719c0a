//! `state migrate`: another store's state (the SQLite file) copied into an
//! empty PostgreSQL database in one transaction, keeping sequence numbers,
//! so that delivery cursors and dead letters mean the same there and the
//! next watch goes on from exactly where the last one stopped.

use postgres::Transaction;

use super::{Postgres, UPSERT_CURSOR};
use crate::event::Event;
use crate::store::{Backend, StoreError};

/// Journal rows copied per read.
const CHUNK: usize = 1000;

/// What was copied.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub mailboxes: usize,
    pub events: usize,
    pub sinks: usize,
    pub dead_letters: usize,
}

impl Postgres {
    /// Copies everything `from` holds. Refuses a database that already
    /// holds state: two histories cannot be merged.
    pub(crate) fn import(&mut self, from: &mut dyn Backend) -> Result<Imported, StoreError> {
        let label = self.label.clone();
        let client = match self.client.as_mut() {
            Some(c) => c,
            None => {
                return Err(StoreError::NotEmpty {
                    at: label,
                    held: "no connection".into(),
                });
            }
        };
        let err = |source| StoreError::Postgres {
            at: label.clone(),
            source,
        };
        let mut tx = client.transaction().map_err(err)?;
        let held: (i64, i64, i64) = tx
            .query_one(
                "SELECT (SELECT COUNT(*) FROM event), (SELECT COUNT(*) FROM mailbox),
                        (SELECT COUNT(*) FROM delivery)",
                &[],
            )
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .map_err(err)?;
        if held != (0, 0, 0) {
            return Err(StoreError::NotEmpty {
                at: label.clone(),
                held: format!(
                    "{} events, {} mailbox cursors, {} sink cursors",
                    held.0, held.1, held.2
                ),
            });
        }
        let mut done = Imported::default();
        let mut high = from.last_seq()?;
        for ((account, mailbox), cursor) in from.cursors()? {
            let known = cursor.known.as_ref();
            let seen = cursor
                .seen
                .map(|s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s))
                .unwrap_or_else(std::time::SystemTime::now);
            let seen = humantime::format_rfc3339_millis(seen).to_string();
            tx.execute(
                UPSERT_CURSOR,
                &[
                    &account,
                    &mailbox,
                    &i64::from(cursor.uidvalidity),
                    &i64::from(cursor.last_uid),
                    &(cursor.modseq as i64),
                    &i64::from(cursor.modseq_uid),
                    &known.map(|k| crate::imap::uid_set(&k.uids)),
                    &known.map(|k| i64::from(k.upto)),
                    &seen,
                ],
            )
            .map_err(err)?;
            done.mailboxes += 1;
        }
        let mut after = 0;
        loop {
            let rows = from.events_between(after, i64::MAX, CHUNK)?;
            for (seq, json) in &rows {
                copy_event(&mut tx, *seq, json).map_err(err)?;
                after = *seq;
            }
            done.events += rows.len();
            if rows.len() < CHUNK {
                break;
            }
        }
        for s in from.sinks()? {
            tx.execute(
                "INSERT INTO delivery (sink, seq) VALUES ($1, $2)",
                &[&s.sink, &s.delivered],
            )
            .map_err(err)?;
            high = high.max(s.delivered);
            done.sinks += 1;
        }
        for d in from.dead_letters()? {
            tx.execute(
                "INSERT INTO dead_letter (id, sink, seq, event_id, error, attempts, time)
                 OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &d.id,
                    &d.sink,
                    &d.seq,
                    &d.event_id,
                    &d.error,
                    &(d.attempts as i32),
                    &d.time,
                ],
            )
            .map_err(err)?;
            done.dead_letters += 1;
        }
        // New events are numbered after everything any cursor points at.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('event', 'seq'), GREATEST($1::bigint, 1))",
            &[&high],
        )
        .map_err(err)?;
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('dead_letter', 'id'),
                           GREATEST((SELECT MAX(id) FROM dead_letter), 1))",
            &[],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(done)
    }
}

fn copy_event(tx: &mut Transaction, seq: i64, json: &str) -> Result<(), postgres::Error> {
    // What the JSON says; an entry that no longer reads as an event keeps
    // its id-less place (replay skips it, as it does in SQLite).
    let e: Option<Event> = serde_json::from_str(json).ok();
    let (id, kind, time, account, mailbox, message_id) = match &e {
        Some(e) => (
            e.id.clone(),
            e.kind.as_str().to_string(),
            e.time.clone(),
            e.account.clone(),
            e.mailbox.clone(),
            e.message().and_then(|m| m.message_id.clone()),
        ),
        None => (
            format!("unreadable/{seq}"),
            String::new(),
            String::new(),
            String::new(),
            None,
            None,
        ),
    };
    tx.execute(
        "INSERT INTO event (seq, id, type, time, account, mailbox, message_id, json)
         OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &seq,
            &id,
            &kind,
            &time,
            &account,
            &mailbox,
            &message_id,
            &json,
        ],
    )?;
    Ok(())
}
