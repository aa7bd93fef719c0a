//! `mailreactor init`: write a commented starter profile.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

use anyhow::Context as _;

use super::Context;

/// The starter profile: every account key, explained (the tests hold it to
/// that).
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

#[cfg(test)]
mod tests {
    use super::STARTER;
    use crate::config::{ACCOUNT_KEYS, Profile};

    const OAUTH2: &str = "# [account.oauth2]";

    /// The key a line sets, written out or commented.
    fn key_of(line: &str) -> Option<&str> {
        let line = line.strip_prefix("# ").unwrap_or(line);
        let (key, _) = line.split_once(" = ")?;
        Some(key.trim()).filter(|k| !k.contains(' '))
    }

    /// The starter's lines: the account's own, and its `[account.oauth2]`
    /// table (from its header on).
    fn parts() -> (Vec<&'static str>, Vec<&'static str>) {
        let lines: Vec<&str> = STARTER.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == OAUTH2)
            .expect("an oauth2 table");
        (lines[..at].to_vec(), lines[at..].to_vec())
    }

    fn load(text: &str) -> Result<Profile, crate::config::ProfileError> {
        Profile::parse(text, "starter.toml".as_ref(), "starter")
    }

    #[test]
    fn the_starter_shows_every_account_key() {
        let (account, _) = parts();
        let mut shown: Vec<&str> = account.iter().copied().filter_map(key_of).collect();
        shown.push("oauth2");
        for key in ACCOUNT_KEYS {
            assert!(
                shown.contains(key),
                "the starter profile does not show `{key}`"
            );
        }
        for key in &shown {
            assert!(
                ACCOUNT_KEYS.contains(key),
                "the starter shows an unknown key `{key}`"
            );
        }
    }

    /// Each commented example, written out instead, is a valid profile:
    /// a secret source in place of the password command, `auth` with a
    /// token command, the oauth2 table whole.
    #[test]
    fn every_commented_example_loads_when_written_out() {
        load(STARTER).expect("the starter loads");
        let (account, oauth2) = parts();
        let uncomment = |l: &str| l.strip_prefix("# ").unwrap_or(l).to_string();
        let without_password = |l: &str| match key_of(l) {
            Some("password-command") if !l.starts_with('#') => format!("# {l}"),
            _ => l.to_string(),
        };
        for (i, line) in account.iter().enumerate() {
            let Some(key) = line.strip_prefix("# ").and_then(|_| key_of(line)) else {
                continue;
            };
            let secret = key.starts_with("password") || key.starts_with("token") || key == "auth";
            let text: Vec<String> = account
                .iter()
                .enumerate()
                .map(|(j, l)| {
                    if j == i || (key == "auth" && key_of(l) == Some("token-command")) {
                        uncomment(l)
                    } else if secret {
                        without_password(l)
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            match load(&text.join("\n")) {
                Ok(_) => {}
                // Read when loaded: the example path is not there.
                Err(e) if key == "ca-file" && e.to_string().contains("cannot read ca-file") => {}
                Err(e) => panic!("`{line}` written out does not load: {e}"),
            }
        }
        let text: Vec<String> = account
            .iter()
            .map(|l| without_password(l))
            .chain(oauth2.iter().map(|l| {
                if *l == OAUTH2 || key_of(l).is_some() {
                    uncomment(l)
                } else {
                    l.to_string()
                }
            }))
            .collect();
        if let Err(e) = load(&text.join("\n")) {
            panic!("the [account.oauth2] example written out does not load: {e}");
        }
    }
}
