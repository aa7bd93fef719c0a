//! Logs go to stderr, never stdout (that is for events and data).
//!
//! Level: info by default, `-v` debug, `-vv` trace, `-q` warn, `-qq` error;
//! `MAILREACTOR_LOG` (a tracing filter such as `mailreactor=debug`)
//! overrides. `--log-format json` writes one JSON object per line. Under
//! systemd (`JOURNAL_STREAM` set) text lines carry no timestamp or colour:
//! the journal adds its own.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt as _;

use crate::cli::LogFormat;

pub fn init(verbose: u8, quiet: u8, format: LogFormat) {
    let level = match (verbose, quiet) {
        (0, 0) => "info",
        (1, _) => "debug",
        (v, _) if v >= 2 => "trace",
        (_, 1) => "warn",
        _ => "error",
    };
    let filter = EnvFilter::try_from_env("MAILREACTOR_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("mailreactor={level},warn")));
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    // Messages carry what servers, endpoints, hooks and mail said: no
    // control character of theirs reaches the terminal or the journal.
    let fields = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let text = format!("{value:?}");
        let text = crate::text::terminal_safe(&text);
        if field.name() == "message" {
            write!(w, "{text}")
        } else {
            write!(w, "{}={text}", field.name())
        }
    })
    .delimited(" ");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(!journal && std::io::stderr().is_terminal());
    match (format, journal) {
        (LogFormat::Json, _) => builder.json().flatten_event(true).init(),
        (LogFormat::Text, true) => builder.fmt_fields(fields).without_time().init(),
        (LogFormat::Text, false) => builder.fmt_fields(fields).init(),
    }
}
