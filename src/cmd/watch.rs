//! `mailreactor watch`: the library's [`Watcher`] with stdout as a sink.

use std::io::IsTerminal;

use anyhow::Context as _;

use super::Context;
use crate::cli::WatchArgs;
use crate::exit::ConnectFailure;
use crate::sink::{Format, StdoutSink};
use crate::watch::Watcher;

pub fn run(ctx: &Context, args: &WatchArgs) -> anyhow::Result<()> {
    crate::footprint::steady_heap();
    let profile = ctx.profile()?;
    let format = if args.json || !std::io::stdout().is_terminal() {
        Format::Json
    } else {
        Format::Human
    };
    let mailboxes: usize = profile.accounts.iter().map(|a| a.mailboxes.len()).sum();
    let (db, _) = ctx.state_paths(&profile.name)?;
    let location = ctx.location(&profile)?;
    tracing::info!(
        "profile {} ({}): {}, {}, {}; state in {}",
        profile.name,
        profile.path.display(),
        plural(profile.accounts.len(), "account"),
        plural(mailboxes, "mailbox"),
        plural(
            profile.hooks.len() + profile.webhooks.len() + usize::from(profile.notify.is_some()),
            "sink"
        ),
        location.describe()
    );
    let watcher = Watcher::new(profile)
        .state_dir(db.parent().expect("the state file is in a directory"))
        .sink(Box::new(StdoutSink::new(format)), StdoutSink::spec())
        .once(args.once);
    let watcher = match &args.instance {
        Some(name) => watcher.instance(name.clone()),
        None => watcher,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let once = args.once;
    let outcome = runtime.block_on(async move {
        if !once {
            // Start-up is long over by then: give back the code it touched.
            tokio::spawn(async {
                tokio::time::sleep(TRIM_AFTER).await;
                let n = crate::footprint::trim_code();
                tracing::debug!("gave back up to {} kB of start-up code", n / 1024);
            });
        }
        watcher.run().await
    });
    // A request still blocked on a hanging endpoint holds no exit up.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    let outcome = outcome?;
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

/// When an idle watch gives back the code pages start-up touched.
const TRIM_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

fn plural(n: usize, word: &str) -> String {
    match (n, word.ends_with('x')) {
        (1, _) => format!("1 {word}"),
        (_, true) => format!("{n} {word}es"),
        _ => format!("{n} {word}s"),
    }
}
