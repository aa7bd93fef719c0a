//! The commands behind the CLI, one file each, plus what they share:
//! finding the profile and the state files, and the exit-code errors.

#[cfg(feature = "oauth2")]
mod auth;
mod check;
mod cluster;
mod emit_test;
mod init;
mod replay;
mod state;
mod unit;
mod watch;

use std::io::Write as _;
use std::path::PathBuf;

use crate::cli::{Cli, Command};
use crate::config::{self, Profile};
use crate::store::{Backend, Holder, Location};

/// The sink of `profile` named `name`: a hook, "notify" or "stdout".
pub(crate) fn sink_named(
    profile: &Profile,
    name: &str,
) -> anyhow::Result<(Box<dyn crate::sink::Sink>, crate::sink::SinkSpec)> {
    let mut sinks = all_sinks(profile);
    let names: Vec<String> = sinks.iter().map(|(s, _)| s.name().to_string()).collect();
    let Some(i) = sinks.iter().position(|(s, _)| s.name() == name) else {
        crate::exit::usage!(
            "there is no sink named \"{name}\"; this profile has: {}",
            names.join(", ")
        );
    };
    Ok(sinks.swap_remove(i))
}

/// The profile's sinks and stdout (as JSON lines), as `watch` runs them.
pub(crate) fn all_sinks(
    profile: &Profile,
) -> Vec<(Box<dyn crate::sink::Sink>, crate::sink::SinkSpec)> {
    use crate::sink::{Format, StdoutSink};
    let mut sinks = crate::sink::from_profile(profile);
    sinks.push((Box::new(StdoutSink::new(Format::Json)), StdoutSink::spec()));
    sinks
}

/// The program: parse, set up logging, run, map the outcome to an exit code.
pub fn main() -> std::process::ExitCode {
    use clap::Parser;
    let cli = Cli::parse();
    crate::logging::init(cli.global.verbose, cli.global.quiet, cli.global.log_format);
    // A panic is a bug: logged as an error where the logs go, with where it
    // happened, instead of Rust's own text on stderr.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let thread = std::thread::current();
        tracing::error!(
            "internal error in thread {}: {what}{at}; please report it",
            thread.name().unwrap_or("unnamed")
        );
    }));
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let code = crate::exit::code(&e);
            if !crate::exit::is_broken_pipe(&e) {
                eprintln!("error: {}", crate::text::terminal_safe(&sentence(&e)));
            }
            std::process::ExitCode::from(code)
        }
    }
}

/// The error and its causes, each said once: a cause whose text its
/// error already quotes is not repeated.
fn sentence(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
    }
    text
}

/// Runs the parsed command line.
fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context { cli: &cli };
    match &cli.command {
        Command::Watch(args) => watch::run(&ctx, args),
        Command::Check { json } => check::run(&ctx, *json),
        Command::Init => init::run(&ctx),
        Command::EmitTest { sink } => emit_test::run(&ctx, sink.as_deref()),
        Command::State(cmd) => state::run(&ctx, cmd),
        Command::Completions { shell } => {
            std::io::Write::write_all(&mut std::io::stdout(), &crate::manual::completion(*shell))?;
            Ok(())
        }
        Command::SystemdUnit { credential } => unit::run(credential),
        #[cfg(feature = "oauth2")]
        Command::Auth(cmd) => auth::run(&ctx, cmd),
        #[cfg(not(feature = "oauth2"))]
        Command::Auth(_) => Err(crate::credential::oauth2::OAuthError::NotBuiltIn.into()),
        Command::Replay(args) => replay::replay(&ctx, args),
        Command::Cluster { json } => cluster::run(&ctx, *json),
        Command::DeadLetters(cmd) => replay::dead_letters(&ctx, cmd),
        Command::Schema => {
            std::io::Write::write_all(
                &mut std::io::stdout(),
                crate::event::JSON_SCHEMA.as_bytes(),
            )?;
            Ok(())
        }
        Command::Manual { list: true, .. } => {
            let mut out = std::io::stdout().lock();
            for (file, _) in crate::manual::pages() {
                writeln!(out, "{file}")?;
            }
            Ok(())
        }
        Command::Manual { page, .. } => {
            let Some(text) = crate::manual::page(page.as_deref()) else {
                let pages: Vec<String> = crate::manual::pages()
                    .into_iter()
                    .filter_map(|(f, _)| {
                        f.strip_prefix("mailreactor-")?
                            .strip_suffix(".1")
                            .map(str::to_string)
                    })
                    .collect();
                crate::exit::usage!(
                    "there is no manual page \"{}\"; the pages are: {}",
                    page.as_deref().unwrap_or_default(),
                    pages.join(", ")
                );
            };
            std::io::Write::write_all(&mut std::io::stdout(), &text)?;
            Ok(())
        }
    }
}

/// What every command needs to find its files.
pub(crate) struct Context<'a> {
    cli: &'a Cli,
}

impl Context<'_> {
    fn locate(&self) -> anyhow::Result<(PathBuf, String)> {
        let g = &self.cli.global;
        config::locate(g.config.as_deref(), g.profile.as_deref())
    }

    /// The profile; its secret variables are kept from every child from
    /// now on (hooks, emit-test, password commands).
    fn profile(&self) -> anyhow::Result<Profile> {
        let (path, name) = self.locate()?;
        let profile = Profile::load(&path, &name)?;
        crate::process::hide_from_children(profile.secret_env_vars());
        Ok(profile)
    }

    /// The state directory: `--state-dir`, or the user's.
    fn state_dir(&self) -> anyhow::Result<PathBuf> {
        Ok(match &self.cli.global.state_dir {
            Some(d) => d.clone(),
            None => config::state_dir()?,
        })
    }

    /// The SQLite state file of profile `name`, and its lock file (OAuth2
    /// tokens are kept beside them, whatever `[store]` says).
    fn state_paths(&self, name: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
        let dir = self.state_dir()?;
        Ok((
            dir.join(format!("{name}.sqlite")),
            dir.join(format!("{name}.lock")),
        ))
    }

    /// Where `profile` keeps its state: its `[store]`, or the state
    /// directory.
    fn location(&self, profile: &Profile) -> anyhow::Result<Location> {
        Ok(Location::of(
            profile.store.as_ref(),
            &self.state_dir()?,
            &profile.name,
        ))
    }

    /// Opens `profile`'s state, holding it for `what` (commands that
    /// write it hold it; readers do not need to).
    fn open_state(
        &self,
        profile: &Profile,
        what: &str,
    ) -> anyhow::Result<(Box<dyn Backend>, Holder)> {
        Ok(self.location(profile)?.open_writer(what)?)
    }
}
