//! `mailreactor state show|reset`: what is remembered per mailbox.

use std::io::Write as _;

use super::Context;
use crate::cli::StateCommand;

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
