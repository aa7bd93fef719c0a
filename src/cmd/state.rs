//! `mailreactor state show|reset`: what is remembered per mailbox.

use std::io::Write as _;

use super::Context;
use crate::cli::StateCommand;
use crate::config::{Profile, SecretSource, StoreConfig};
use crate::store::Location;

pub fn run(ctx: &Context, cmd: &StateCommand) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let name = &profile.name;
    match cmd {
        StateCommand::Show { json } => {
            let location = ctx.location(&profile)?;
            if !location.exists() {
                eprintln!("no state yet for profile {name} ({})", location.describe());
                if *json {
                    writeln!(std::io::stdout(), "{{\"mailboxes\": [], \"sinks\": []}}")?;
                }
                return Ok(());
            }
            let mut store = location.open()?;
            let (mailboxes, sinks) = (store.mailboxes()?, store.sinks()?);
            let mut out = std::io::stdout();
            if *json {
                let v = serde_json::json!({ "mailboxes": mailboxes, "sinks": sinks });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
                return Ok(());
            }
            writeln!(
                out,
                "{:<16} {:<20} {:>12} {:>10} {:>8}  last event",
                "account", "mailbox", "uidvalidity", "last uid", "events"
            )?;
            for r in mailboxes {
                let last = r.last_event.as_deref().unwrap_or("-");
                writeln!(
                    out,
                    "{:<16} {:<20} {:>12} {:>10} {:>8}  {last}",
                    r.account, r.mailbox, r.uidvalidity, r.last_uid, r.events
                )?;
            }
            writeln!(out)?;
            writeln!(
                out,
                "{:<24} {:>10} {:>8} {:>13}",
                "sink", "delivered", "lag", "dead letters"
            )?;
            for s in sinks {
                writeln!(
                    out,
                    "{:<24} {:>10} {:>8} {:>13}",
                    s.sink, s.delivered, s.lag, s.dead_letters
                )?;
            }
            Ok(())
        }
        StateCommand::Migrate { to } => migrate(ctx, &profile, to.as_deref()),
        StateCommand::Reset { account, mailbox } => {
            let (mut store, _lock) = ctx.open_state(&profile, "state reset")?;
            let n = store.reset(account.as_deref(), mailbox.as_deref())?;
            eprintln!(
                "forgot {n} mailbox cursor(s); the next watch takes a new baseline there \
                 (nothing old is announced)"
            );
            Ok(())
        }
    }
}

/// `state migrate`: the SQLite state copied into PostgreSQL.
fn migrate(ctx: &Context, profile: &Profile, to: Option<&str>) -> anyhow::Result<()> {
    let target = match (to, &profile.store) {
        (Some(url), store) => {
            if let Some((problem, help)) = crate::config::url_problem(url) {
                crate::exit::usage!("--to: {problem}\n  = help: {help}");
            }
            // The password: the profile's [store] settings, else $PGPASSWORD.
            let password = store.as_ref().and_then(|s| s.password.clone()).or_else(|| {
                std::env::var_os("PGPASSWORD").map(|_| SecretSource::Env("PGPASSWORD".into()))
            });
            StoreConfig {
                url: url.to_string(),
                password,
                ca_file: store.as_ref().and_then(|s| s.ca_file.clone()),
            }
        }
        (None, Some(store)) => store.clone(),
        (None, None) => crate::exit::usage!(
            "state migrate: say where to: --to postgres://USER@HOST/DATABASE, or a [store] url \
             in the profile"
        ),
    };
    let (db, lock) = ctx.state_paths(&profile.name)?;
    anyhow::ensure!(
        db.exists(),
        "no SQLite state to migrate for profile {} ({})",
        profile.name,
        db.display()
    );
    // Held while copying: no watch writes the file meanwhile.
    let (mut from, _held) = Location::Sqlite { db, lock }.open_writer("state migrate")?;
    let done = crate::store::migrate(from.as_mut(), &target, &profile.name)?;
    eprintln!(
        "copied {} mailbox cursors, {} journal events, {} sink cursors and {} dead letters \
         into {}",
        done.mailboxes, done.events, done.sinks, done.dead_letters, target.url
    );
    if profile.store.as_ref().is_none_or(|s| s.url != target.url) {
        eprintln!(
            "next: add this to the profile, then start the watch again:\n\n[store]\nurl = \"{}\"",
            target.url
        );
    }
    Ok(())
}
