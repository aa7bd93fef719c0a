//! `mailreactor auth login`: signs an OAuth2 account in with a browser and
//! keeps the refresh token where `watch` finds it (or prints it).

use std::io::Write as _;

use anyhow::Context as _;

use super::Context;
use crate::cli::AuthCommand;
use crate::config::SecretSource;
use crate::credential::oauth2::{self, TokenFile};

pub fn run(ctx: &Context, cmd: &AuthCommand) -> anyhow::Result<()> {
    let AuthCommand::Login {
        account,
        print,
        no_browser,
        device,
        timeout,
    } = cmd;
    let profile = ctx.profile()?;
    let Some(a) = profile.accounts.iter().find(|a| &a.name == account) else {
        let names: Vec<&str> = profile.accounts.iter().map(|a| a.name.as_str()).collect();
        crate::exit::usage!(
            "there is no account named \"{account}\" in {}; it has: {}",
            profile.path.display(),
            names.join(", ")
        );
    };
    let SecretSource::OAuth2(client) = &a.secret else {
        crate::exit::usage!(
            "account {account:?} does not use [account.oauth2]: `auth login` is for accounts \
             whose refresh token mailreactor keeps (auth = \"xoauth2\" with an \
             [account.oauth2] table)"
        );
    };
    let refresh = if *device {
        oauth2::device::sign_in(client, |uri, code, complete| {
            // The provider's words, made safe for the terminal.
            let (uri, code) = (crate::text::one_line(uri), crate::text::one_line(code));
            let complete = complete.map(crate::text::one_line);
            eprintln!(
                "To sign in {account} ({}), open {uri} on any device",
                a.username
            );
            eprintln!("and enter the code:\n\n  {code}\n");
            if let Some(c) = complete {
                eprintln!("(or open {c})");
            }
            eprintln!("Waiting for the sign-in ...");
        })?
    } else {
        browser(client, a, *no_browser, *timeout)?
    };
    save(ctx, &profile.name, account, &refresh, *print)
}

/// The authorization-code flow: a URL for a browser, a loopback redirect.
fn browser(
    client: &crate::config::OAuth2Client,
    a: &crate::config::Account,
    no_browser: bool,
    timeout: std::time::Duration,
) -> anyhow::Result<String> {
    let account = &a.name;
    let login = oauth2::login::start(client, &a.username)?;
    eprintln!(
        "To sign in {account} ({}), open this address in a browser:\n",
        a.username
    );
    eprintln!("  {}\n", login.url);
    if !no_browser && has_display() {
        // The URL holds no secret (the PKCE challenge is public).
        let _ = crate::process::spawn_detached("xdg-open", &[&login.url]);
    }
    eprintln!(
        "Waiting up to {} for the browser ...",
        humantime::format_duration(timeout)
    );
    Ok(login.finish(client, timeout)?)
}

/// Keeps the refresh token in the state directory, or prints it.
fn save(
    ctx: &Context,
    profile: &str,
    account: &str,
    refresh: &str,
    print: bool,
) -> anyhow::Result<()> {
    if print {
        writeln!(std::io::stdout(), "{refresh}")?;
        eprintln!("signed in; the refresh token is on stdout (give it to refresh-token-command)");
        return Ok(());
    }
    let (db, _) = ctx.state_paths(profile)?;
    let file = TokenFile::beside(&db, account);
    file.save_refresh_token(refresh)
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
