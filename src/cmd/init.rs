//! `mailreactor init`: write a commented starter profile.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

use anyhow::Context as _;

use super::Context;

/// The starter profile: every account key, explained.
pub const STARTER: &str = include_str!("starter.toml");

pub fn run(ctx: &Context) -> anyhow::Result<()> {
    let (path, _) = ctx.locate()?;
    if path.exists() {
        crate::exit::usage!(
            "{} already exists; mailreactor init never overwrites a profile (edit it, or move it \
             away first)",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // create_new: no race with another writer; 0600 since it may hold a password.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(STARTER.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(std::io::stdout(), "{}", path.display())?;
    eprintln!(
        "wrote a starter profile to {}; edit the account, then run `mailreactor check`",
        path.display()
    );
    Ok(())
}
