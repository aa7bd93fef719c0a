//! `mailreactor watch`: run the daemon in the foreground.

use std::io::IsTerminal;

use anyhow::Context as _;

use super::{ConnectFailure, Context};
use crate::cli::WatchArgs;
use crate::daemon;
use crate::shutdown::Shutdown;
use crate::sink::{Format, Sink, StdoutSink};

pub fn run(ctx: &Context, args: &WatchArgs) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let (store, _lock) = ctx.open_state(&profile.name, "watch")?;
    let format = if args.json || !std::io::stdout().is_terminal() {
        Format::Json
    } else {
        Format::Human
    };
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(StdoutSink::new(format))];
    let mailboxes: usize = profile.accounts.iter().map(|a| a.mailboxes.len()).sum();
    tracing::info!(
        "profile {} ({}): {} accounts, {mailboxes} mailboxes; state in {}",
        profile.name,
        profile.path.display(),
        profile.accounts.len(),
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
            "could not catch up {} of {mailboxes} mailboxes:\n  {}",
            outcome.failures.len(),
            outcome.failures.join("\n  ")
        ))
        .into());
    }
    Ok(())
}
