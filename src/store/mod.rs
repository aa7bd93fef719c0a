//! What mailreactor remembers: per mailbox the cursor (UIDVALIDITY, the
//! highest UID announced, HIGHESTMODSEQ), the journal of events, each
//! sink's delivery cursor and the dead letters.
//!
//! [`Backend`] is the one store trait: blocking calls, each one atomic. A
//! backend is a file of its own (`sqlite/` is the embedded default). The
//! daemon never calls a backend on the async runtime: [`Store`] runs it on
//! a thread of its own and hands out futures, so a slow disk or a big
//! catch-up stalls no sink. Commands, which are blocking programs, call a
//! backend directly.

#[cfg(test)]
pub(crate) mod conformance;
mod cursor;
mod postgres;
mod sqlite;
mod thread;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use cursor::{Cursor, Known, MailboxCursor, MailboxState};
pub use thread::Store;

use crate::event::Event;
use crate::lock::StateLock;

/// A place that keeps cursors, the journal and delivery state. Every call
/// is atomic; `record` is one transaction for its events and cursor.
pub trait Backend: Send {
    /// Records `events` (skipping ids already recorded) and moves `cursor`
    /// (never backwards within one UIDVALIDITY), in one transaction.
    /// Returns the new events' sequence numbers with their index in
    /// `events`.
    fn record(
        &mut self,
        events: &[Event],
        cursor: Option<&MailboxCursor>,
    ) -> Result<Vec<(i64, usize)>, StoreError>;
    /// Every mailbox cursor, by (account, mailbox).
    fn cursors(&mut self) -> Result<HashMap<(String, String), Cursor>, StoreError>;
    /// Of `ids`, the Message-IDs the journal holds `message.received`
    /// events of for `account`/`mailbox` (after a reset: announced before).
    fn known_message_ids(
        &mut self,
        account: &str,
        mailbox: &str,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError>;
    /// Every mailbox with its event count, for `state show`.
    fn mailboxes(&mut self) -> Result<Vec<MailboxState>, StoreError>;
    /// Forgets cursors (all, an account's, a mailbox's); returns how many.
    fn reset(&mut self, account: Option<&str>, mailbox: Option<&str>) -> Result<usize, StoreError>;
    /// The last sequence number `sink` finished; a new sink starts at the end.
    fn delivery_cursor(&mut self, sink: &str) -> Result<i64, StoreError>;
    /// Marks everything up to `seq` delivered to `sink` (never backwards).
    fn ack(&mut self, sink: &str, seq: i64) -> Result<(), StoreError>;
    /// Up to `limit` journal entries after `after` and up to `upto`.
    fn events_between(
        &mut self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError>;
    /// Journal entries matching `q`, oldest first, as (seq, JSON).
    fn journal(&mut self, q: &JournalQuery) -> Result<Vec<(i64, String)>, StoreError>;
    /// One journal entry by sequence number.
    fn event(&mut self, seq: i64) -> Result<Option<String>, StoreError>;
    /// The highest sequence number the journal has used (0 when none).
    fn last_seq(&mut self) -> Result<i64, StoreError>;
    /// How many events the journal holds.
    fn journal_len(&mut self) -> Result<u64, StoreError>;
    /// Every sink with a delivery cursor, its lag and dead letters.
    fn sinks(&mut self) -> Result<Vec<SinkState>, StoreError>;
    /// Records a delivery given up on.
    fn dead_letter(
        &mut self,
        sink: &str,
        seq: i64,
        event_id: &str,
        error: &str,
        attempts: u32,
    ) -> Result<(), StoreError>;
    /// Every dead letter, oldest first.
    fn dead_letters(&mut self) -> Result<Vec<DeadLetter>, StoreError>;
    /// Removes dead letters (all when `ids` is empty); returns how many.
    fn drop_dead_letters(&mut self, ids: &[i64]) -> Result<usize, StoreError>;
    /// Notes another failed attempt at a dead letter.
    fn dead_letter_failed_again(&mut self, id: i64, error: &str) -> Result<(), StoreError>;
    /// Removes journal entries older than `before` (RFC 3339) or beyond the
    /// newest `keep`, never one of `sinks` has not delivered nor one a dead
    /// letter refers to; returns how many.
    fn prune(&mut self, sinks: &[&str], before: &str, keep: u64) -> Result<usize, StoreError>;
    /// Account leases, where the backend can share accounts among
    /// instances (PostgreSQL); `None` for one that cannot (SQLite).
    fn leases(&mut self) -> Option<&mut dyn Leases> {
        None
    }
}

/// Sharing a profile's accounts among instances: each account watched by
/// one instance at a time, its writes fenced by the epoch it was taken
/// with.
pub trait Leases {
    /// One round, every few seconds: marks `me` alive, renews what it
    /// holds, notes what it lost, and takes free or expired accounts up to
    /// its fair share of the live instances, or names what is over it. A
    /// `passing` instance (`watch --once`) is not counted among the live
    /// ones and takes every account no live instance holds.
    fn lease_round(
        &mut self,
        me: &str,
        accounts: &[String],
        ttl: std::time::Duration,
        passing: bool,
    ) -> Result<LeaseRound, StoreError>;
    /// Gives `account` back (handed over); its writes are refused from now.
    fn release(&mut self, me: &str, account: &str) -> Result<(), StoreError>;
    /// Gives everything back and stops counting as live (a clean stop).
    fn leave(&mut self, me: &str) -> Result<(), StoreError>;
    /// The live instances and the accounts each holds.
    fn instances(&mut self, ttl: std::time::Duration) -> Result<Vec<InstanceState>, StoreError>;
}

/// What a lease round changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LeaseRound {
    /// Accounts taken now: start watching them.
    pub taken: Vec<String>,
    /// Accounts over the fair share: stop watching, then release them.
    pub surplus: Vec<String>,
    /// Accounts another instance holds now: stop watching at once.
    pub lost: Vec<String>,
}

/// A live instance, for `mailreactor cluster`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstanceState {
    pub name: String,
    #[serde(serialize_with = "secs")]
    pub seen_ago: std::time::Duration,
    #[serde(serialize_with = "secs")]
    pub up_for: std::time::Duration,
    pub accounts: Vec<String>,
}

fn secs<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Every mailbox's cursor row with when it last had an event and how many
/// it has, for `state show`: the same SQL in every backend.
const MAILBOX_ROWS: &str = "
SELECT m.account, m.mailbox, m.uidvalidity, m.last_uid, m.modseq, m.updated,
       (SELECT MAX(time) FROM event e WHERE e.account = m.account AND e.mailbox = m.mailbox),
       (SELECT COUNT(*) FROM event e WHERE e.account = m.account AND e.mailbox = m.mailbox)
FROM mailbox m ORDER BY m.account, m.mailbox";

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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Private(#[from] crate::private::PrivateError),
    #[error("the state database's thread has stopped")]
    Closed,
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
    #[error("state database {at}: {}{}", pg_text(source), pg_hint(source))]
    Postgres {
        at: String,
        source: ::postgres::Error,
    },
    #[error("state database {at}: {source}")]
    Tls {
        at: String,
        source: crate::tls::TlsSetupError,
    },
    #[error(
        "state database {at}: its schema is version {found}, newer than this mailreactor knows \
         ({known})\n  = help: run the newer mailreactor, or upgrade this one"
    )]
    NewerSchema { at: String, found: i32, known: i32 },
    #[error("state database {at} already holds state ({held}); migrate into an empty database")]
    NotEmpty { at: String, held: String },
    /// Another instance holds the account now: this one must stop watching
    /// it and write nothing more for it.
    #[error("account {account} is held by another instance now")]
    LeaseLost { account: String },
}

/// A PostgreSQL error with its causes (the TLS library's reason is a
/// cause), said once.
fn pg_text(e: &::postgres::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let said = c.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = c.source();
    }
    text
}

fn pg_hint(e: &::postgres::Error) -> &'static str {
    let text = pg_text(e);
    if text.contains("TLS handshake") && text.contains("certificate") {
        "\n  = help: if the database's certificate comes from a private CA (or is \
         self-signed), name that certificate in [store] ca-file"
    } else if text.contains("password authentication failed") {
        "\n  = help: check the [store] password (password-env, password-command)"
    } else {
        ""
    }
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

/// Creates the directory `path` lives in (mode 0700) when it is missing,
/// and refuses one that another user owns or may write to.
fn private_parent(path: &Path) -> Result<(), StoreError> {
    crate::private::parent(path).map_err(|e| match e {
        crate::private::PrivateError::Create { path, source } => StoreError::Dir { path, source },
        other => StoreError::Private(other),
    })
}

/// Where a profile's state lives: the SQLite file in the state directory
/// (the default), or the PostgreSQL database `[store]` names.
#[derive(Debug, Clone)]
pub enum Location {
    Sqlite {
        db: PathBuf,
        /// Held by a writer, so that a second one is refused.
        lock: PathBuf,
    },
    Postgres {
        config: crate::config::StoreConfig,
        /// The profile's name: one writer per profile and database.
        profile: String,
    },
}

impl Location {
    /// Where profile `name` keeps its state: `store`, or files in `dir`.
    pub fn of(store: Option<&crate::config::StoreConfig>, dir: &Path, name: &str) -> Location {
        match store {
            Some(config) => Location::Postgres {
                config: config.clone(),
                profile: name.to_string(),
            },
            None => Location::Sqlite {
                db: dir.join(format!("{name}.sqlite")),
                lock: dir.join(format!("{name}.lock")),
            },
        }
    }

    /// Whether there can be state to read (a database always may).
    pub fn exists(&self) -> bool {
        match self {
            Location::Sqlite { db, .. } => db.exists(),
            Location::Postgres { .. } => true,
        }
    }

    /// The file, or the database's URL (which holds no password).
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite { db, .. } => db.display().to_string(),
            Location::Postgres { config, .. } => config.url.clone(),
        }
    }

    /// Opens the store for reading (creating it when missing).
    pub fn open(&self) -> Result<Box<dyn Backend>, OpenError> {
        match self {
            Location::Sqlite { db, .. } => Ok(open(db)?),
            Location::Postgres { config, .. } => Ok(Box::new(open_postgres(config)?)),
        }
    }

    /// Opens the store for a watch. A file is held as by any writer; a
    /// database is shared with the other watches (they share the accounts
    /// through leases) and kept from commands that rewrite it.
    pub fn open_watch(&self) -> Result<(Box<dyn Backend>, Holder), OpenError> {
        match self {
            Location::Sqlite { .. } => self.open_writer("watch"),
            Location::Postgres { config, profile } => {
                let pg = open_postgres(config)?;
                let holder = Holder {
                    _file: None,
                    _database: Some(Box::new(pg.writer(profile, "watch", true)?)),
                };
                Ok((Box::new(pg), holder))
            }
        }
    }

    /// Opens the store for a writer (`what`: "state reset"),
    /// which holds it for as long as the [`Holder`] lives: a second writer
    /// is refused, naming the first.
    pub fn open_writer(&self, what: &str) -> Result<(Box<dyn Backend>, Holder), OpenError> {
        match self {
            Location::Sqlite { db, lock } => {
                private_parent(db)?;
                let held = crate::lock::acquire(lock, what)?;
                let holder = Holder {
                    _file: Some(held),
                    _database: None,
                };
                Ok((open(db)?, holder))
            }
            Location::Postgres { config, profile } => {
                let pg = open_postgres(config)?;
                let holder = Holder {
                    _file: None,
                    _database: Some(Box::new(pg.writer(profile, what, false)?)),
                };
                Ok((Box::new(pg), holder))
            }
        }
    }
}

/// Copies the state `from` holds (the SQLite file, opened by a writer)
/// into the empty PostgreSQL database `to`, holding it as a writer of
/// `profile` meanwhile.
pub fn migrate(
    from: &mut dyn Backend,
    to: &crate::config::StoreConfig,
    profile: &str,
) -> Result<postgres::Imported, OpenError> {
    let mut pg = open_postgres(to)?;
    let _held = pg.writer(profile, "state migrate", false)?;
    Ok(pg.import(from)?)
}

/// Connects to the database `[store]` names, its password had once.
fn open_postgres(config: &crate::config::StoreConfig) -> Result<postgres::Postgres, OpenError> {
    let password = config
        .password
        .as_ref()
        .map(crate::credential::resolve)
        .transpose()?;
    Ok(postgres::Postgres::open(
        &config.url,
        password.as_ref(),
        config.ca_file.as_deref(),
    )?)
}

/// A writer's hold on the state; let go when dropped.
pub struct Holder {
    _file: Option<StateLock>,
    _database: Option<Box<postgres::Writer>>,
}

/// Why the state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error("cannot get the [store] password: {0}")]
    Password(#[from] crate::credential::CredentialError),
    #[error("another mailreactor is using profile {profile} in {at} ({holder}); stop it first")]
    Busy {
        at: String,
        profile: String,
        holder: String,
    },
}

/// Opens the SQLite store at `db` (creating it when missing).
pub fn open(db: &Path) -> Result<Box<dyn Backend>, StoreError> {
    Ok(Box::new(sqlite::Sqlite::open(db)?))
}
