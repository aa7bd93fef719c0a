//! `mailreactor check`: a doctor for the profile. Logs in to every account
//! (in parallel), looks at each mailbox without changing anything
//! (EXAMINE), and says what works, what does not, and what to do about it.

use std::io::Write as _;
use std::time::Instant;

use serde::Serialize;

use super::Context;
use crate::config::{Account, Tls};
use crate::credential::SecretCache;
use crate::exit::ConnectFailure;
use crate::imap::{Connection, ImapError, Peer};
use crate::shutdown::Shutdown;

/// The capabilities worth showing a user.
const NOTABLE: &[&str] = &["IDLE", "CONDSTORE", "QRESYNC", "UIDPLUS", "MOVE", "NOTIFY"];

#[derive(Debug, Serialize)]
pub struct AccountReport {
    pub account: String,
    pub host: String,
    pub port: u16,
    pub tls: &'static str,
    /// The sign-in mechanism: login, xoauth2 or oauthbearer.
    pub auth: &'static str,
    /// When the OAuth2 access token used expires (refresh-token accounts).
    pub token_expires: Option<String>,
    pub ok: bool,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub login_ms: Option<u128>,
    pub certificate: Option<Peer>,
    pub capabilities: Vec<String>,
    pub mailboxes: Vec<MailboxReport>,
}

#[derive(Debug, Serialize)]
pub struct MailboxReport {
    pub name: String,
    pub ok: bool,
    pub error: Option<String>,
    pub exists: Option<u32>,
    pub uidnext: Option<u32>,
    pub uidvalidity: Option<u32>,
    /// How `watch` would watch it: notify, idle, poll (a connection of its
    /// own) or status (polled with STATUS on the account's connection).
    pub watched_by: Option<&'static str>,
}

pub fn run(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let (db, _) = ctx.state_paths(&profile.name)?;
    let db = &db;
    let reports: Vec<AccountReport> = std::thread::scope(|s| {
        let handles: Vec<_> = profile
            .accounts
            .iter()
            .map(|a| s.spawn(move || check(a, db)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("check threads do not panic"))
            .collect()
    });
    let mut out = std::io::stdout();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&reports)?)?;
    } else {
        for r in &reports {
            // What the servers said, made safe for the terminal.
            write!(out, "{}", crate::text::terminal_safe(&text(r)))?;
        }
    }
    let failures: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            let account = r.error.iter().map(move |e| format!("{}: {e}", r.account));
            let boxes = r.mailboxes.iter().filter_map(move |m| {
                m.error
                    .as_ref()
                    .map(|e| format!("{}/{}: {e}", r.account, m.name))
            });
            account.chain(boxes)
        })
        .collect();
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

fn check(a: &Account, db: &std::path::Path) -> AccountReport {
    let mut r = AccountReport {
        account: a.name.clone(),
        host: a.host.clone(),
        port: a.port,
        tls: tls_name(a.tls),
        auth: a.auth.as_str(),
        token_expires: None,
        ok: false,
        error: None,
        hint: None,
        login_ms: None,
        certificate: None,
        capabilities: Vec::new(),
        mailboxes: Vec::new(),
    };
    let started = Instant::now();
    // An OAuth2 refresh here saves what it gets (a rotated refresh token
    // must not be lost); a password account leaves the state alone.
    let tokens = crate::credential::oauth2::TokenFile::beside(db, &a.name);
    let credential = SecretCache::new(a.secret.clone(), Some(tokens.clone())).get();
    if matches!(a.secret, crate::config::SecretSource::OAuth2(_)) {
        r.token_expires = tokens
            .expiry()
            .map(|t| humantime::format_rfc3339_seconds(t).to_string());
    }
    let conn = match credential {
        Err(e) => Err((e.to_string(), None)),
        Ok(pw) => Connection::open(a, &pw, &Shutdown::new()).map_err(|e| {
            let hint = hint(a, &e);
            (e.to_string(), hint)
        }),
    };
    let mut conn = match conn {
        Ok(c) => c,
        Err((error, hint)) => {
            r.error = Some(error);
            r.hint = hint;
            return r;
        }
    };
    r.ok = true;
    r.login_ms = Some(started.elapsed().as_millis());
    r.certificate = conn.peer();
    r.capabilities = NOTABLE
        .iter()
        .filter(|n| {
            conn.capabilities()
                .iter()
                .any(|c| c.eq_ignore_ascii_case(n))
        })
        .map(|n| n.to_string())
        .collect();
    let plan = match crate::watcher::Plan::for_account(a, &mut conn) {
        Ok(p) => p,
        Err(e) => {
            r.ok = false;
            r.error = Some(e.to_string());
            conn.logout();
            return r;
        }
    };
    if plan.own.is_empty() && plan.shared.is_empty() {
        r.ok = false;
        r.error = Some(format!(
            "no mailbox on the server matches {}",
            a.mailboxes.join(", ")
        ));
    }
    for m in plan.own.iter().chain(&plan.shared) {
        let report = match conn.examine(m) {
            Ok(s) => MailboxReport {
                name: m.clone(),
                ok: true,
                error: None,
                exists: Some(s.exists),
                uidnext: s.uid_next,
                uidvalidity: Some(s.uidvalidity),
                watched_by: Some(plan.how(m)),
            },
            Err(e) => {
                let fatal = !matches!(e, ImapError::MailboxMissing(..));
                r.mailboxes.push(MailboxReport {
                    name: m.clone(),
                    ok: false,
                    error: Some(e.to_string()),
                    exists: None,
                    uidnext: None,
                    uidvalidity: None,
                    watched_by: None,
                });
                if fatal {
                    break;
                }
                continue;
            }
        };
        r.mailboxes.push(report);
    }
    conn.logout();
    r
}

/// What to do about the usual failures.
fn hint(a: &Account, e: &ImapError) -> Option<String> {
    let host = a.host.to_ascii_lowercase();
    let provider = if host.contains("gmail") || host.contains("google") {
        Some(
            "Gmail needs an app password (Google account → Security → App passwords, with 2-step verification on) or OAuth2",
        )
    } else if ["outlook", "office365", "hotmail", "live.com"]
        .iter()
        .any(|p| host.contains(p))
    {
        Some("Outlook and Office 365 accept only OAuth2 for IMAP; basic passwords are refused")
    } else {
        None
    };
    match e {
        ImapError::Auth(_) => Some(provider.map(str::to_string).unwrap_or_else(|| {
            "check the username and the password source of this account".into()
        })),
        ImapError::Unreachable {
            source: Some(e), ..
        } if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(format!(
            "nothing listens on {}:{}; implicit TLS is usually port 993, STARTTLS and plain IMAP port 143",
            a.host, a.port
        )),
        ImapError::Resolve { .. } => Some(format!("is \"{}\" the right host name?", a.host)),
        _ => None,
    }
}

fn text(r: &AccountReport) -> String {
    let mut s = format!("{}  {}:{} ({})", r.account, r.host, r.port, r.tls);
    match &r.error {
        Some(e) => {
            s += &format!("  FAILED: {e}\n");
            if let Some(h) = &r.hint {
                s += &format!("  hint: {h}\n");
            }
            return s;
        }
        None => {
            let caps = if r.capabilities.iter().any(|c| c == "IDLE") {
                r.capabilities.join(" ")
            } else {
                format!("{} (no IDLE: will poll)", r.capabilities.join(" "))
            };
            s += &format!(
                "  ok, logged in ({}) in {} ms; {caps}\n",
                r.auth,
                r.login_ms.unwrap_or(0)
            );
            if let Some(t) = &r.token_expires {
                s += &format!("  access token valid until {t}\n");
            }
        }
    }
    if let Some(c) = &r.certificate {
        s += &format!(
            "  certificate: {} (issuer {}; valid until {})\n",
            c.subject, c.issuer, c.not_after
        );
    }
    for m in &r.mailboxes {
        match &m.error {
            Some(e) => s += &format!("  {:<20} FAILED: {e}\n", m.name),
            None => {
                let next = m.uidnext.map_or("?".into(), |n| n.to_string());
                s += &format!(
                    "  {:<20} exists {:<6} uidnext {next:<8} uidvalidity {:<11} watched by {}\n",
                    m.name,
                    m.exists.unwrap_or(0),
                    m.uidvalidity.unwrap_or(0),
                    match m.watched_by.unwrap_or("?") {
                        "notify" => "NOTIFY (one connection for the account)",
                        "idle" => "IDLE (a connection of its own)",
                        "poll" => "polling (a connection of its own)",
                        "status" => "STATUS polling (on the account's connection)",
                        other => other,
                    }
                );
            }
        }
    }
    s
}
