//! The PostgreSQL schema, versioned: each migration runs once, in order,
//! under a transaction-scoped advisory lock, so instances that start at
//! once on an empty database take turns instead of tripping over each
//! other's `CREATE TABLE`.

/// The advisory lock key for migrations ("mr-schema").
const MIGRATION_LOCK: i64 = 0x6d72_2d73_6368_656d;

/// Migration `n` is `MIGRATIONS[n - 1]`. Never edit one that shipped; add
/// the next.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE mailbox (
    account     TEXT NOT NULL,
    mailbox     TEXT NOT NULL,
    uidvalidity BIGINT NOT NULL,
    last_uid    BIGINT NOT NULL,
    modseq      BIGINT NOT NULL DEFAULT 0,
    modseq_uid  BIGINT NOT NULL DEFAULT 0,
    known       TEXT,
    known_upto  BIGINT,
    updated     TEXT NOT NULL,
    PRIMARY KEY (account, mailbox)
);
CREATE TABLE event (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    time       TEXT NOT NULL,
    account    TEXT NOT NULL,
    mailbox    TEXT,
    message_id TEXT,
    json       TEXT NOT NULL
);
CREATE INDEX event_message_id ON event (account, mailbox, message_id);
CREATE INDEX event_time ON event (time);
CREATE TABLE delivery (
    sink TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);
CREATE TABLE dead_letter (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sink     TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    error    TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    time     TEXT NOT NULL
);
",
    "
CREATE TABLE instance (
    name    TEXT PRIMARY KEY,
    started TIMESTAMPTZ NOT NULL,
    seen    TIMESTAMPTZ NOT NULL
);
CREATE TABLE lease (
    account TEXT PRIMARY KEY,
    holder  TEXT,
    epoch   BIGINT NOT NULL DEFAULT 0,
    expires TIMESTAMPTZ
);
",
];

/// The newest schema this build knows.
pub(super) const VERSION: i32 = MIGRATIONS.len() as i32;

/// Why the schema could not be brought up to date.
pub(super) enum SchemaError {
    Sql(postgres::Error),
    /// The database was migrated by a newer mailreactor.
    Newer(i32),
}

impl From<postgres::Error> for SchemaError {
    fn from(e: postgres::Error) -> SchemaError {
        SchemaError::Sql(e)
    }
}

/// Brings the schema up to [`VERSION`], one transaction per call.
pub(super) fn migrate(client: &mut postgres::Client) -> Result<(), SchemaError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS mailreactor_schema (version INTEGER NOT NULL);")?;
    let row = tx.query_opt("SELECT version FROM mailreactor_schema", &[])?;
    let have: i32 = match row {
        Some(r) => r.get(0),
        None => {
            tx.execute("INSERT INTO mailreactor_schema (version) VALUES (0)", &[])?;
            0
        }
    };
    if have > VERSION {
        return Err(SchemaError::Newer(have));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(have as usize) {
        tx.batch_execute(sql)?;
        tx.execute(
            "UPDATE mailreactor_schema SET version = $1",
            &[&(i as i32 + 1)],
        )?;
    }
    tx.commit()?;
    Ok(())
}
