//! `mailreactor replay` and `mailreactor dead-letters`: events from the
//! journal, sent again.

use std::io::{IsTerminal, Write as _};
use std::sync::Arc;

use anyhow::Context as _;

use super::{Context, sink_named};
use crate::cli::{DeadLetterCommand, ReplayArgs};
use crate::config::Profile;
use crate::event::Event;
use crate::sink::human;
use crate::store::{Backend, JournalQuery};
use crate::subscription::type_matches;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The journal of the profile, which must exist.
fn journal(ctx: &Context, profile: &Profile) -> anyhow::Result<Box<dyn Backend>> {
    let location = ctx.location(profile)?;
    anyhow::ensure!(
        location.exists(),
        "no journal yet for profile {} ({})",
        profile.name,
        location.describe()
    );
    Ok(location.open()?)
}

/// RFC 3339, a date, or a duration ago, as the journal writes times.
pub fn parse_when(s: &str) -> anyhow::Result<String> {
    let s = s.trim();
    let t = if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        t
    } else if let Ok(t) = humantime::parse_rfc3339_weak(&format!("{s}T00:00:00Z")) {
        t
    } else if let Ok(d) = crate::config::parse_duration(s) {
        std::time::SystemTime::now()
            .checked_sub(d)
            .unwrap_or(std::time::UNIX_EPOCH)
    } else {
        crate::exit::usage!(
            "\"{s}\" is not a time: write 2026-11-23T07:00:00Z, 2026-11-23, or a duration ago \
             such as 2h"
        );
    };
    Ok(humantime::format_rfc3339_millis(t).to_string())
}

pub fn replay(ctx: &Context, args: &ReplayArgs) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let mut store = journal(ctx, &profile)?;
    let query = JournalQuery {
        since: args.since.as_deref().map(parse_when).transpose()?,
        until: args.until.as_deref().map(parse_when).transpose()?,
        account: args.account.clone(),
        mailbox: args.mailbox.clone(),
    };
    let rows = store.journal(&query)?;
    let mut events = Vec::new();
    for (seq, json) in rows {
        let e: Event = serde_json::from_str(&json)
            .with_context(|| format!("journal entry {seq} is unreadable"))?;
        if args.types.is_empty() || args.types.iter().any(|p| type_matches(p, e.kind.as_str())) {
            events.push(Arc::new(e));
        }
    }
    let Some(name) = &args.sink else {
        let json = args.json || !std::io::stdout().is_terminal();
        let mut out = std::io::stdout().lock();
        for e in &events {
            let line = if json {
                e.to_json()
            } else {
                crate::text::terminal_safe(&human(e)).into_owned()
            };
            writeln!(out, "{line}")?;
        }
        eprintln!("replayed {} events", events.len());
        return Ok(());
    };
    let (sink, spec) = sink_named(&profile, name)?;
    let rt = runtime()?;
    let (mut sent, mut skipped, mut failed) = (0, 0, Vec::new());
    for e in &events {
        if !spec.subscription.matches(e) {
            skipped += 1;
            continue;
        }
        match rt.block_on(sink.deliver(std::slice::from_ref(e))) {
            Ok(()) => sent += 1,
            Err(err) => {
                eprintln!("{name}: {}: {err}", e.id);
                failed.push(e.id.clone());
            }
        }
    }
    eprintln!(
        "{name}: replayed {sent}, skipped {skipped} it does not subscribe to, {} failed",
        failed.len()
    );
    anyhow::ensure!(
        failed.is_empty(),
        "{} events failed at {name}",
        failed.len()
    );
    Ok(())
}

pub fn dead_letters(ctx: &Context, cmd: &DeadLetterCommand) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let mut store = journal(ctx, &profile)?;
    let mut out = std::io::stdout();
    match cmd {
        DeadLetterCommand::List { json } => {
            let rows = store.dead_letters()?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else if rows.is_empty() {
                eprintln!("no dead letters");
            } else {
                for d in rows {
                    writeln!(
                        out,
                        "{:>5}  {}  {}  {}  after {} attempts: {}",
                        d.id,
                        d.time,
                        d.sink,
                        d.event_id,
                        d.attempts,
                        crate::text::one_line(&d.error)
                    )?;
                }
            }
            Ok(())
        }
        DeadLetterCommand::Drop { ids, .. } => {
            known_ids(store.as_mut(), ids)?;
            let n = store.drop_dead_letters(ids)?;
            eprintln!("dropped {n} dead letters");
            Ok(())
        }
        DeadLetterCommand::Retry { ids, .. } => {
            known_ids(store.as_mut(), ids)?;
            let rows: Vec<_> = store
                .dead_letters()?
                .into_iter()
                .filter(|d| ids.is_empty() || ids.contains(&d.id))
                .collect();
            let rt = runtime()?;
            let mut failed = 0;
            for d in &rows {
                let result = (|| {
                    let json = store
                        .event(d.seq)?
                        .ok_or_else(|| anyhow::anyhow!("its event is no longer in the journal"))?;
                    let event = Arc::new(serde_json::from_str::<Event>(&json)?);
                    let (sink, _) = sink_named(&profile, &d.sink)?;
                    rt.block_on(sink.deliver(std::slice::from_ref(&event)))?;
                    anyhow::Ok(())
                })();
                match result {
                    Ok(()) => {
                        store.drop_dead_letters(&[d.id])?;
                        eprintln!("{} {}: delivered", d.sink, d.event_id);
                    }
                    Err(e) => {
                        failed += 1;
                        store.dead_letter_failed_again(d.id, &format!("{e:#}"))?;
                        eprintln!("{} {}: failed again: {e:#}", d.sink, d.event_id);
                    }
                }
            }
            anyhow::ensure!(
                failed == 0,
                "{failed} of {} dead letters failed again",
                rows.len()
            );
            Ok(())
        }
    }
}

/// Refuses ids that are not dead letters (before anything is done).
fn known_ids(store: &mut dyn Backend, ids: &[i64]) -> anyhow::Result<()> {
    let known: Vec<i64> = store.dead_letters()?.iter().map(|d| d.id).collect();
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !known.contains(id))
        .map(|id| id.to_string())
        .collect();
    if !missing.is_empty() {
        crate::exit::usage!(
            "there is no dead letter {}; nothing was done (`mailreactor dead-letters list` shows \
             them)",
            missing.join(", ")
        );
    }
    Ok(())
}
