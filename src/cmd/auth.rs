//! `mailreactor auth login`: signs an OAuth2 account in with a browser and
//! keeps the refresh token where `watch` finds it (or prints it).

use std::io::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use super::Context;
use crate::cli::AuthCommand;
use crate::config::SecretSource;
use crate::oauth2::{self, TokenFile};

pub fn run(ctx: &Context, cmd: &AuthCommand) -> anyhow::Result<()> {
    let AuthCommand::Login {
        account,
        print,
        no_browser,
        timeout,
    } = cmd;
    let profile = ctx.profile()?;
    let Some(a) = profile.accounts.iter().find(|a| &a.name == account) else {
        let names: Vec<&str> = profile.accounts.iter().map(|a| a.name.as_str()).collect();
        bail!(
            "no account named {account:?} in {}; it has: {}",
            profile.path.display(),
            names.join(", ")
        );
    };
    let SecretSource::OAuth2(client) = &a.secret else {
        bail!(
            "account {account:?} does not use [account.oauth2]: `auth login` is for accounts \
             whose refresh token mailreactor keeps (auth = \"xoauth2\" with an \
             [account.oauth2] table)"
        );
    };
    let login = oauth2::login::start(client, &a.username)?;
    eprintln!(
        "To sign in {account} ({}), open this address in a browser:\n",
        a.username
    );
    eprintln!("  {}\n", login.url);
    if !no_browser && has_display() {
        // The URL holds no secret (the PKCE challenge is public).
        let _ = Command::new("xdg-open")
            .arg(&login.url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
    eprintln!(
        "Waiting up to {} for the browser ...",
        humantime::format_duration(*timeout)
    );
    let refresh = login.finish(client, *timeout)?;
    if *print {
        writeln!(std::io::stdout(), "{refresh}")?;
        eprintln!("signed in; the refresh token is on stdout (give it to refresh-token-command)");
        return Ok(());
    }
    let (db, _) = ctx.state_paths(&profile.name)?;
    let file = TokenFile::beside(&db, account);
    file.save_refresh_token(&refresh)
        .context("signed in, but the refresh token could not be saved")?;
    eprintln!(
        "signed in; the refresh token is in {} (mode 0600)",
        file.path().display()
    );
    Ok(())
}

fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}
