//! `mailreactor watch`: run the daemon in the foreground.

use std::io::IsTerminal;

use anyhow::Context as _;

use super::{ConnectFailure, Context};
use crate::cli::WatchArgs;
use crate::daemon;
use crate::shutdown::Shutdown;
use crate::sink::{self, Format, SinkSpec, StdoutSink};
use crate::subscription::Subscription;

pub fn run(ctx: &Context, args: &WatchArgs) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let (store, _lock) = ctx.open_state(&profile.name, "watch")?;
    let format = if args.json || !std::io::stdout().is_terminal() {
        Format::Json
    } else {
        Format::Human
    };
    let mut sinks = sink::from_profile(&profile);
    sinks.insert(
        0,
        (
            Box::new(StdoutSink::new(format)),
            SinkSpec::new(Subscription::all(&["*"])),
        ),
    );
    let mailboxes: usize = profile.accounts.iter().map(|a| a.mailboxes.len()).sum();
    tracing::info!(
        "profile {} ({}): {}, {}; state in {}",
        profile.name,
        profile.path.display(),
        plural(profile.accounts.len(), "account"),
        plural(mailboxes, "mailbox"),
        store.path().display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(daemon::run(
        &profile,
        store,
        sinks,
        args.once,
        Shutdown::new(),
    ))?;
    if !outcome.failures.is_empty() {
        return Err(ConnectFailure(format!(
            "could not catch up {} of {}:\n  {}",
            outcome.failures.len(),
            plural(mailboxes, "mailbox"),
            outcome.failures.join("\n  ")
        ))
        .into());
    }
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.ends_with('x')) {
        (1, _) => format!("1 {word}"),
        (_, true) => format!("{n} {word}es"),
        _ => format!("{n} {word}s"),
    }
}
