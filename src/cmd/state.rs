//! `mailreactor state show|reset`: what is remembered per mailbox.

use std::io::Write as _;

use super::Context;
use crate::cli::StateCommand;
use crate::store::Store;

pub fn run(ctx: &Context, cmd: &StateCommand) -> anyhow::Result<()> {
    let (_, name) = ctx.locate()?;
    match cmd {
        StateCommand::Show { json } => {
            let (db, _) = ctx.state_paths(&name)?;
            if !db.exists() {
                eprintln!("no state yet for profile {name} ({})", db.display());
                if *json {
                    writeln!(std::io::stdout(), "[]")?;
                }
                return Ok(());
            }
            let rows = Store::open(&db)?.mailboxes()?;
            if *json {
                writeln!(
                    std::io::stdout(),
                    "{}",
                    serde_json::to_string_pretty(&rows)?
                )?;
                return Ok(());
            }
            writeln!(
                std::io::stdout(),
                "{:<16} {:<20} {:>12} {:>10} {:>8}  updated",
                "account",
                "mailbox",
                "uidvalidity",
                "last uid",
                "events"
            )?;
            for r in rows {
                writeln!(
                    std::io::stdout(),
                    "{:<16} {:<20} {:>12} {:>10} {:>8}  {}",
                    r.account,
                    r.mailbox,
                    r.uidvalidity,
                    r.last_uid,
                    r.events,
                    r.updated
                )?;
            }
            Ok(())
        }
        StateCommand::DeadLetters { json } => {
            let (db, _) = ctx.state_paths(&name)?;
            let rows = if db.exists() {
                Store::open(&db)?.dead_letters()?
            } else {
                Vec::new()
            };
            let mut out = std::io::stdout();
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
                return Ok(());
            }
            if rows.is_empty() {
                eprintln!("no dead letters");
            }
            for d in rows {
                writeln!(
                    out,
                    "{}  {}  {}  after {} attempts: {}",
                    d.time, d.sink, d.event_id, d.attempts, d.error
                )?;
            }
            Ok(())
        }
        StateCommand::Reset { account, mailbox } => {
            let (store, _lock) = ctx.open_state(&name, "state reset")?;
            let n = store.reset(account.as_deref(), mailbox.as_deref())?;
            eprintln!(
                "forgot {n} mailbox cursor(s); the next watch takes a new baseline there \
                 (nothing old is announced)"
            );
            Ok(())
        }
    }
}
