//! Generated documentation: man pages and shell completions, made from the
//! clap definitions. The generated files are committed under `man/` and
//! `completions/`; a test fails when they differ from what the binary
//! prints.

use clap::CommandFactory;
use clap_complete::Shell;
use roff::{Roff, bold, italic, roman};

use crate::cli::Cli;
use crate::exit;

/// The completion script for `shell`.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mailreactor", &mut out);
    out
}

/// Every man page as (file name, roff): `mailreactor.1` and one per
/// subcommand (`mailreactor-watch.1`, ...).
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = vec![("mailreactor.1".to_string(), main_page(&cmd))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("mailreactor-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub)
            .title(name.to_uppercase())
            .section("1")
            .manual("mailreactor manual")
            .render(&mut page)
            .expect("rendering to memory cannot fail");
        out.push((format!("{name}.1"), page));
    }
    out
}

/// The page named `name` (`mailreactor` or a subcommand such as `watch`).
pub fn page(name: Option<&str>) -> Option<Vec<u8>> {
    let file = match name {
        None | Some("mailreactor") => "mailreactor.1".to_string(),
        Some(sub) => format!("mailreactor-{sub}.1"),
    };
    pages()
        .into_iter()
        .find(|(f, _)| *f == file)
        .map(|(_, p)| p)
}

fn main_page(cmd: &clap::Command) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone()).manual("mailreactor manual");
    let mut out = Vec::new();
    type Render = fn(&clap_mangen::Man, &mut Vec<u8>) -> std::io::Result<()>;
    let sections: [Render; 6] = [
        |m, w| m.render_title(w),
        |m, w| m.render_name_section(w),
        |m, w| m.render_synopsis_section(w),
        |m, w| m.render_description_section(w),
        |m, w| m.render_options_section(w),
        |m, w| m.render_subcommands_section(w),
    ];
    for render in sections {
        render(&man, &mut out).expect("rendering to memory cannot fail");
    }
    extra_sections()
        .to_writer(&mut out)
        .expect("rendering to memory cannot fail");
    man.render_version_section(&mut out)
        .expect("rendering to memory cannot fail");
    out
}

/// A definition list entry: term in bold, then its text.
fn item(r: &mut Roff, term: &str, text: &str) {
    r.control("TP", []).text([bold(term)]).text([roman(text)]);
}

fn extra_sections() -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["PROFILE"]).text([
        roman("A profile is one TOML file: "),
        italic("$XDG_CONFIG_HOME/mailreactor/config.toml"),
        roman(" is the profile "),
        bold("default"),
        roman("; "),
        bold("--profile NAME"),
        roman(" reads "),
        italic("NAME.toml"),
        roman(" beside it; "),
        bold("--config PATH"),
        roman(" reads any file. Each "),
        bold("[[account]]"),
        roman(" table takes these keys:"),
    ]);
    for (k, v) in [
        ("name", "unique account name; appears in events and state"),
        (
            "host, port",
            "the server; port defaults to 993 with implicit TLS, 143 otherwise",
        ),
        (
            "tls",
            "\"implicit\" (default), \"starttls\", or \"none\" (loopback only, unless allow-insecure = true)",
        ),
        ("username", "the login name"),
        (
            "password | password-command | password-env",
            "exactly one: the password, an argv whose first output line is it (run without a shell), or an environment variable",
        ),
        (
            "mailboxes",
            "mailboxes to watch, default [\"INBOX\"]; LIST patterns (\"*\" for every folder, \"Lists/%\") are resolved on the server",
        ),
        (
            "exclude",
            "names and patterns never watched; \\Junk and \\Trash mailboxes are left out unless named",
        ),
        (
            "mode",
            "\"auto\" (NOTIFY, else IDLE, else polling; default), \"notify\", \"idle\" or \"poll\"",
        ),
        (
            "max-connections",
            "without NOTIFY, IDLE connections per account, default 8; the rest are polled with STATUS on one of them",
        ),
        (
            "poll-interval",
            "how often to look when polling, default \"60s\"",
        ),
        (
            "idle-interval",
            "renew IDLE and check the connection this often, default \"5m\", at most \"29m\"",
        ),
        ("ca-file", "PEM file of extra root certificates to trust"),
        (
            "allow-insecure",
            "allow tls = \"none\" to a host that is not loopback",
        ),
    ] {
        item(&mut r, k, v);
    }
    r.control("SH", ["HOOKS AND NOTIFICATIONS"]).text([
        bold("[[hook]]"),
        roman(" tables run a program per event: "),
        bold("name"),
        roman(", "),
        bold("command"),
        roman(" (argv, no shell) or "),
        bold("shell"),
        roman(" (sh -c), "),
        bold("on"),
        roman(", "),
        bold("account"),
        roman(", "),
        bold("mailbox"),
        roman(", "),
        bold("[hook.match]"),
        roman(" (from, to, subject, has-attachments, flags), "),
        bold("timeout"),
        roman(", "),
        bold("debounce"),
        roman(", "),
        bold("min-interval"),
        roman(", "),
        bold("concurrency"),
        roman(", "),
        bold("max-attempts"),
        roman(", "),
        bold("retry-backoff"),
        roman(", "),
        bold("cooldown"),
        roman(
            ". The event arrives as JSON on stdin; MR_EVENT_ID, MR_TYPE, MR_ACCOUNT, MR_MAILBOX, \
               MR_UID, MR_FROM, MR_SUBJECT and MR_EVENT_COUNT are set. ",
        ),
        bold("[notify]"),
        roman(
            " shows desktop notifications with summary and body templates ({from}, {from_address}, \
               {subject}, {preview}, {account}, {mailbox}, {attachments}), urgency, icon, expire, \
               burst and burst-window. ",
        ),
        bold("[[webhook]]"),
        roman(
            " POSTs each event to url, signed the Standard Webhooks way (webhook-id, \
               webhook-timestamp, webhook-signature) with secret, secret-env or secret-command; \
               also name, on, account, mailbox, [webhook.match], timeout, concurrency, headers, \
               max-attempts, retry-backoff, cooldown, ca-file and allow-insecure. ",
        ),
        bold("[[redis]]"),
        roman(
            " writes each event into a Redis stream (XADD with fields id, type, account, mailbox \
               and event) at url, with password, password-env or password-command, stream \
               ({account} and {mailbox} may appear), maxlen, on, account, mailbox, [redis.match], \
               max-attempts, retry-backoff, ca-file and allow-insecure. ",
        ),
        bold("[http]"),
        roman(
            " serves a status page (/, with its data at /status), /healthz, /readyz, Prometheus \
               /metrics and /events (Server-Sent Events, resumed with Last-Event-ID) at listen, \
               guarded by token, token-env or token-command (required when listen is not \
               loopback). ",
        ),
        bold("[store]"),
        roman(
            " keeps the state in PostgreSQL at url (no password in it; password, password-env \
               or password-command; ca-file; sslmode from the URL) instead of the SQLite file. \
               Any number of watch processes with the same profile then share its accounts, \
               each held by one at a time (see mailreactor cluster and --instance).",
        ),
    ]);
    r.control("SH", ["EVENTS"]).text([roman(
        "One JSON object per line, schema 1 (see mailreactor schema). A message event's id is \
         account/mailbox/uidvalidity/uid/received (or .../deleted, .../flags/MODSEQ), the same \
         after a restart, so consumers can de-duplicate on it. Types:",
    )]);
    for kind in crate::event::EventKind::ALL {
        item(&mut r, kind.as_str(), kind.description());
    }
    r.control("SH", ["ENVIRONMENT"]);
    for (k, v) in [
        ("MAILREACTOR_CONFIG", "the profile file, as --config"),
        (
            "MAILREACTOR_STATE_DIR",
            "the state directory, as --state-dir",
        ),
        (
            "MAILREACTOR_LOG",
            "a tracing filter for the log, e.g. mailreactor=debug",
        ),
        (
            "JOURNAL_STREAM",
            "set by systemd: log lines carry no timestamp or colour",
        ),
        (
            "NOTIFY_SOCKET",
            "set by systemd for Type=notify: readiness and status are reported there",
        ),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "the session bus desktop notifications go to",
        ),
    ] {
        item(&mut r, k, v);
    }
    r.control("SH", ["EXIT STATUS"]);
    for (code, v) in [
        (
            exit::SUCCESS,
            "success, also when the reader of stdout went away",
        ),
        (
            exit::FAILURE,
            "runtime failure: state database, I/O, another watch running",
        ),
        (exit::USAGE, "usage or profile error"),
        (
            exit::CONNECT,
            "connection or authentication failure (check, watch --once)",
        ),
    ] {
        item(&mut r, &code.to_string(), v);
    }
    r.control("SH", ["FILES"]);
    item(
        &mut r,
        "$XDG_CONFIG_HOME/mailreactor/",
        "profiles (config.toml is the default)",
    );
    item(
        &mut r,
        "$XDG_STATE_HOME/mailreactor/PROFILE.sqlite",
        "cursors, event journal, sink delivery cursors, dead letters (mode 0600)",
    );
    r
}
