//! Embedding mailreactor: watch a profile's mailboxes and handle events in
//! Rust, on your own tokio runtime.
//!
//!     cargo run --example handlers -- PROFILE.toml [STATE_DIR]
//!
//! Prints one line per new message and counts connection events; stops on
//! Ctrl-C or SIGTERM.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mailreactor::{Profile, Watcher};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: handlers PROFILE.toml [STATE_DIR]"))?;
    let profile = Profile::load(path.as_ref(), "handlers-example")?;
    let mut watcher = Watcher::new(profile);
    if let Some(dir) = args.next() {
        watcher = watcher.state_dir(dir);
    }
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    watcher
        .on("message.received", |event| async move {
            let m = event.message().expect("message events carry a message");
            let from = m
                .from
                .first()
                .and_then(|a| a.address.clone())
                .unwrap_or_default();
            println!(
                "handler: {} from {from}: {}",
                event.id,
                m.subject.as_deref().unwrap_or("")
            );
            Ok(())
        })
        .on("account.*", move |event| {
            let counter = counter.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                println!(
                    "handler: {} ({n} connection events so far)",
                    event.kind.as_str()
                );
                Ok(())
            }
        })
        .run()
        .await?;
    eprintln!(
        "stopped after {} connection events",
        connections.load(Ordering::SeqCst)
    );
    Ok(())
}
