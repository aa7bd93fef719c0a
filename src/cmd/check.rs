//! `mailreactor check`: log in to every account and look at each mailbox,
//! without changing anything (EXAMINE only).

use std::fmt::Write as _;
use std::time::Instant;

use std::io::Write as _;

use super::{ConnectFailure, Context};
use crate::config::{Account, Tls};
use crate::imap::{Connection, ImapError};
use crate::secret;
use crate::shutdown::Shutdown;

/// The capabilities worth showing a user.
const NOTABLE: &[&str] = &["IDLE", "CONDSTORE", "QRESYNC", "UIDPLUS", "MOVE", "NOTIFY"];

pub fn run(ctx: &Context) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    // Accounts are checked in parallel; reports are printed in profile order.
    let reports: Vec<(String, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = profile
            .accounts
            .iter()
            .map(|a| s.spawn(move || check_account(a)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| ("check panicked".into(), vec!["panic".into()]))
            })
            .collect()
    });
    let mut failures = Vec::new();
    for (report, failed) in reports {
        write!(std::io::stdout(), "{report}")?;
        failures.extend(failed);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ConnectFailure(format!("check failed:\n  {}", failures.join("\n  "))).into())
    }
}

fn tls_name(tls: Tls) -> &'static str {
    match tls {
        Tls::Implicit => "implicit TLS",
        Tls::Starttls => "STARTTLS",
        Tls::None => "no TLS",
    }
}

/// Returns the text to print and the failures, each naming the account.
fn check_account(a: &Account) -> (String, Vec<String>) {
    let mut out = format!("{}  {}:{} ({})", a.name, a.host, a.port, tls_name(a.tls));
    let started = Instant::now();
    let conn = secret::resolve(&a.secret)
        .map_err(|e| e.to_string())
        .and_then(|pw| Connection::open(a, &pw, &Shutdown::new()).map_err(|e| e.to_string()));
    let mut conn = match conn {
        Ok(c) => c,
        Err(reason) => {
            let _ = writeln!(out, "  FAILED: {reason}");
            return (out, vec![format!("{}: {reason}", a.name)]);
        }
    };
    let caps: Vec<&str> = NOTABLE
        .iter()
        .copied()
        .filter(|n| {
            conn.capabilities()
                .iter()
                .any(|c| c.eq_ignore_ascii_case(n))
        })
        .collect();
    let _ = writeln!(
        out,
        "  ok, logged in in {} ms; {}",
        started.elapsed().as_millis(),
        if caps.is_empty() {
            "no IDLE: will poll".to_string()
        } else {
            caps.join(" ")
        }
    );
    let mut failures = Vec::new();
    for m in &a.mailboxes {
        match conn.examine(m) {
            Ok(s) => {
                let next = s.uid_next.map_or("?".into(), |n| n.to_string());
                let _ = writeln!(
                    out,
                    "  {m:<20} exists {:<6} uidnext {next:<8} uidvalidity {}",
                    s.exists, s.uidvalidity
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  {m:<20} FAILED: {e}");
                failures.push(format!("{}/{m}: {e}", a.name));
                if !matches!(e, ImapError::MailboxMissing(..)) {
                    break;
                }
            }
        }
    }
    conn.logout();
    (out, failures)
}
