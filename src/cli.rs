//! The command line, as clap derives it. Doc comments here are the help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Watch IMAP mailboxes and turn new mail into events.
///
/// mailreactor watches every mailbox of an account on one connection where
/// the server has NOTIFY, and otherwise a connection per mailbox (IDLE,
/// polling the rest), and prints one event per new message: a JSON line
/// when stdout is a pipe or with --json, a readable line on a terminal.
/// Logs go to stderr.
#[derive(Debug, Parser)]
#[command(name = "mailreactor", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Read the profile from this file instead of the config directory.
    #[arg(
        short,
        long,
        global = true,
        env = "MAILREACTOR_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,

    /// Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml).
    #[arg(short, long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor.
    #[arg(long, global = true, env = "MAILREACTOR_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Log more (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Log less (-q: warnings and errors only, -qq: errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,

    /// How log lines on stderr look: text for people, json for log shippers.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch the profile's mailboxes and print an event per new message.
    ///
    /// The first start takes a baseline and announces nothing old; later
    /// starts announce every message that arrived while mailreactor was
    /// stopped, once. Stops on SIGINT or SIGTERM.
    Watch(WatchArgs),

    /// Check the profile, log in to every account, and show each mailbox.
    ///
    /// Exits 0 when every account and mailbox is reachable; otherwise names
    /// what failed, why, and what to try (exit code 3).
    Check {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },

    /// Write a commented starter profile (never overwrites one).
    Init,

    /// Send a sample new-mail event through the configured sinks, once.
    ///
    /// Tries hooks, notification templates and stdout without waiting for
    /// mail: each sink gets the sample once (no retries, nothing recorded)
    /// and reports ok or why not on stderr.
    EmitTest {
        /// Only this sink (a hook's name, "notify" or "stdout").
        #[arg(long, value_name = "NAME")]
        sink: Option<String>,
    },

    /// Show or reset what mailreactor remembers per mailbox.
    #[command(subcommand)]
    State(StateCommand),

    /// Print the completion script for a shell.
    ///
    /// For bash: `mailreactor completions bash > ~/.local/share/bash-completion/completions/mailreactor`;
    /// for zsh, save `_mailreactor` in a directory of your $fpath.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Show the instances sharing the accounts through a [store] database:
    /// when each was last seen, the accounts each holds, and each sink's
    /// lag.
    Cluster {
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },

    /// Send journaled events again, to stdout or through one sink.
    ///
    /// Events keep their ids, so consumers that de-duplicate on `id` see
    /// repeats as repeats. With --sink, events the sink does not subscribe
    /// to are skipped, and each is delivered once (no retries).
    Replay(ReplayArgs),

    /// List, retry or drop the deliveries sinks gave up on.
    #[command(subcommand)]
    DeadLetters(DeadLetterCommand),

    /// Sign in to OAuth2 accounts (Gmail, Outlook, ...).
    #[command(subcommand)]
    Auth(AuthCommand),

    /// Print a systemd user unit: one instance per profile.
    ///
    /// `mailreactor systemd-unit > ~/.config/systemd/user/mailreactor@.service`,
    /// then `systemctl --user enable --now mailreactor@default`.
    SystemdUnit {
        /// Hand the service a secret file as a systemd credential:
        /// `--credential imap=/home/me/.secrets/imap` adds
        /// `LoadCredential=imap:/home/me/.secrets/imap`, and the profile reads
        /// it with `password-file = "${CREDENTIALS_DIRECTORY}/imap"`.
        /// Repeatable.
        #[arg(long, value_name = "NAME=PATH", value_parser = parse_credential)]
        credential: Vec<(String, String)>,
    },

    /// Print the JSON Schema of every event (schema 1).
    ///
    /// Consumers can validate events with it or generate types from it.
    Schema,

    /// Print a man page (roff): `mailreactor manual | man -l -`.
    Manual {
        /// A subcommand's page (watch, check, ...); the main page by default.
        page: Option<String>,
        /// List the pages, one file name a line (for the tests that check
        /// the committed pages).
        #[arg(long, hide = true, conflicts_with = "page")]
        list: bool,
    },
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Print events as JSON lines even on a terminal.
    #[arg(long)]
    pub json: bool,

    /// Catch up (announce what is new since the last run), then exit.
    #[arg(long)]
    pub once: bool,

    /// This instance's name among those sharing the accounts through a
    /// [store] database (default: the host name and the process id).
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Only events observed at or after this time: RFC 3339
    /// (2026-11-23T07:00:00Z), a date (2026-11-23), or a duration ago (2h).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only events observed before this time (same forms as --since).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only these event types; patterns such as message.* work. Repeatable.
    #[arg(long = "type", value_name = "PATTERN")]
    pub types: Vec<String>,
    /// Only this account.
    #[arg(long)]
    pub account: Option<String>,
    /// Only this mailbox.
    #[arg(long)]
    pub mailbox: Option<String>,
    /// Deliver through this sink (a hook's name or "notify") instead of
    /// printing to stdout.
    #[arg(long, value_name = "NAME")]
    pub sink: Option<String>,
    /// Print JSON lines even on a terminal.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DeadLetterCommand {
    /// List them, oldest first.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Deliver them again through their sink, once each; the ones that
    /// succeed are removed.
    Retry {
        /// Dead-letter ids (from `list`).
        #[arg(required_unless_present = "all")]
        ids: Vec<i64>,
        /// Every dead letter.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Forget them without delivering.
    Drop {
        /// Dead-letter ids (from `list`).
        #[arg(required_unless_present = "all")]
        ids: Vec<i64>,
        /// Every dead letter.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Sign in with a browser and keep the refresh token.
    ///
    /// The authorization-code flow with PKCE: prints a URL (and opens a
    /// browser when one is at hand), waits on 127.0.0.1 for the provider to
    /// send the browser back, and saves the refresh token in the state
    /// directory (mode 0600), where `watch` finds it. The account needs an
    /// [account.oauth2] table with client-id (and auth-url, or a provider).
    Login {
        /// The account's name in the profile.
        account: String,
        /// Print the refresh token on stdout (for a password manager)
        /// instead of saving it.
        #[arg(long)]
        print: bool,
        /// Only print the URL; do not try to open a browser.
        #[arg(long)]
        no_browser: bool,
        /// Sign in on another device with a short code (RFC 8628), for
        /// machines without a browser; needs a device-url (Outlook has one).
        #[arg(long, conflicts_with = "no_browser")]
        device: bool,
        /// How long to wait for the browser.
        #[arg(long, default_value = "5m", value_parser = crate::config::parse_duration)]
        timeout: std::time::Duration,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Show each mailbox's cursor and last activity, and each sink's lag
    /// and dead letters.
    Show {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Forget cursors, so the next watch takes a new baseline there.
    Reset {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// Only this mailbox (with --account).
        #[arg(long, requires = "account")]
        mailbox: Option<String>,
    },
    /// Copy the profile's SQLite state (cursors, journal, delivery state,
    /// dead letters) into PostgreSQL, to move to a shared store without
    /// announcing old mail again or missing what came in between.
    ///
    /// Stop the watch first. The database must hold no state yet. The
    /// password comes from the profile's [store] (or $PGPASSWORD); then
    /// set [store] url to the same URL and start the watch again.
    Migrate {
        /// The PostgreSQL URL (no password in it); default: the profile's
        /// [store] url.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
    },
}

/// `NAME=PATH` of `systemd-unit --credential`.
fn parse_credential(s: &str) -> Result<(String, String), String> {
    let (name, path) = s
        .split_once('=')
        .ok_or_else(|| "write NAME=PATH, e.g. imap=/home/me/.secrets/imap".to_string())?;
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !name_ok {
        return Err(format!(
            "the credential name \"{name}\" may hold only letters, digits, '-', '_' and '.'"
        ));
    }
    if !path.starts_with('/') || path.contains(char::is_whitespace) {
        return Err(format!(
            "the credential path \"{path}\" must be absolute and without white space"
        ));
    }
    Ok((name.to_string(), path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
