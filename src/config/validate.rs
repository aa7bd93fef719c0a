//! The rules serde cannot express: one secret source, unique names, TLS
//! only off on loopback, sane intervals. Turns raw accounts into [`Account`].

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use super::raw::RawAccount;
use super::rules::{ErrFn, ca_file, interval, is_loopback};
use super::{Account, ChangeTracking, Mode, ProfileError, Tls};
use super::{auth, provider};
use toml::Spanned;

const MIN_POLL: Duration = Duration::from_secs(1);
const DEFAULT_POLL: Duration = Duration::from_secs(60);
const MIN_IDLE: Duration = Duration::from_secs(10);
const MAX_IDLE: Duration = Duration::from_secs(29 * 60);
const DEFAULT_IDLE: Duration = Duration::from_secs(5 * 60);

pub(super) fn accounts(
    raw: Vec<toml::Spanned<RawAccount>>,
    text: &str,
    path: &Path,
) -> Result<Vec<Account>, ProfileError> {
    if raw.is_empty() {
        return Err(ProfileError::plain(
            path,
            "the profile has no [[account]]".into(),
            Some("add an [[account]] table; `mailreactor init` writes an example".into()),
        ));
    }
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for spanned in raw {
        let table_span = spanned.span();
        let a = spanned.into_inner();
        let err = super::rules::errors_in(path, text);
        let name = a.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains('/') {
            return Err(err(
                a.name.span(),
                "name",
                "an account name must be non-empty and contain no `/`".into(),
                Some("it appears in event ids as account/mailbox/...".into()),
            ));
        }
        if !names.insert(name.clone()) {
            return Err(err(
                a.name.span(),
                "name",
                format!("duplicate account name \"{name}\""),
                Some("every [[account]] needs its own name".into()),
            ));
        }
        let preset = a.provider.as_ref().map(|p| provider::preset(*p.get_ref()));
        let (mechanism, secret) = auth::credentials(&a, table_span.clone(), preset.as_ref(), &err)?;
        let tls = match (&a.tls, &preset) {
            (Some(t), _) => *t.get_ref(),
            (None, Some(p)) => p.tls,
            (None, None) => Tls::Implicit,
        };
        let host = match (&a.host, &preset) {
            (Some(h), _) if h.get_ref().trim().is_empty() => {
                return Err(err(h.span(), "host", "the host is empty".into(), None));
            }
            (Some(h), _) => h.get_ref().trim().to_string(),
            (None, Some(p)) => p.host.to_string(),
            (None, None) => {
                return Err(err(
                    table_span,
                    "host",
                    format!("account \"{name}\" has no host"),
                    Some(
                        "write host = \"imap.example.com\", or a provider = \"gmail\" | \
                         \"outlook\" | \"fastmail\" | \"icloud\" | \"yahoo\""
                            .into(),
                    ),
                ));
            }
        };
        if tls == Tls::None && !a.allow_insecure && !is_loopback(&host) {
            let span = a.tls.as_ref().map(|t| t.span()).unwrap_or(table_span);
            return Err(err(
                span,
                "tls",
                format!("tls = \"none\" would send the password to {host} in clear text"),
                Some(
                    "use tls = \"implicit\" or \"starttls\"; plain IMAP is allowed only to a \
                     loopback address, or with allow-insecure = true"
                        .into(),
                ),
            ));
        }
        let port = match &a.port {
            Some(p) if *p.get_ref() == 0 => {
                return Err(err(p.span(), "port", "port 0 is not a port".into(), None));
            }
            Some(p) => *p.get_ref(),
            None if a.tls.is_none() && preset.is_some() => preset.as_ref().map_or(993, |p| p.port),
            None if tls == Tls::Implicit => 993,
            None => 143,
        };
        let mailboxes = mailbox_names(a.mailboxes.as_ref(), "mailboxes", &err)?
            .unwrap_or_else(|| vec!["INBOX".into()]);
        let exclude = mailbox_names(a.exclude.as_ref(), "exclude", &err)?.unwrap_or_default();
        let max_connections = match &a.max_connections {
            Some(n) if *n.get_ref() == 0 => {
                return Err(err(
                    n.span(),
                    "max-connections",
                    "max-connections must be at least 1".into(),
                    Some("Dovecot allows 10 per user and address by default".into()),
                ));
            }
            Some(n) => *n.get_ref() as usize,
            None => DEFAULT_MAX_CONNECTIONS,
        };
        let poll_interval = interval(&a.poll_interval, "poll-interval", MIN_POLL, None, &err)?
            .unwrap_or(DEFAULT_POLL);
        let idle_interval = interval(
            &a.idle_interval,
            "idle-interval",
            MIN_IDLE,
            Some(MAX_IDLE),
            &err,
        )?
        .unwrap_or(DEFAULT_IDLE);
        let ca_file = ca_file(a.ca_file, &err)?;
        out.push(Account {
            name,
            host,
            port,
            tls,
            username: a.username.into_inner(),
            auth: mechanism,
            secret,
            mailboxes,
            exclude,
            max_connections,
            mode: a.mode.unwrap_or(Mode::Auto),
            changes: a.changes.unwrap_or(ChangeTracking::Auto),
            poll_interval,
            idle_interval,
            allow_insecure: a.allow_insecure,
            ca_file,
        });
    }
    Ok(out)
}

/// Connections per account when the server has no NOTIFY.
const DEFAULT_MAX_CONNECTIONS: usize = 8;

/// `mailboxes` or `exclude`: names or patterns, each once.
fn mailbox_names(
    list: Option<&Spanned<Vec<Spanned<String>>>>,
    key: &str,
    err: &ErrFn,
) -> Result<Option<Vec<String>>, ProfileError> {
    let Some(list) = list else {
        return Ok(None);
    };
    if list.get_ref().is_empty() && key == "mailboxes" {
        return Err(err(
            list.span(),
            key,
            "no mailbox to watch".into(),
            Some("write at least one, e.g. mailboxes = [\"INBOX\"], or [\"*\"] for all".into()),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for m in list.get_ref() {
        let name = m.get_ref().trim();
        if name.is_empty() || name.contains(['\r', '\n', '\0']) {
            return Err(err(m.span(), key, "invalid mailbox name".into(), None));
        }
        // INBOX is case-insensitive in IMAP; every other name is not.
        let key_name = if name.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_string()
        } else {
            name.to_string()
        };
        if !seen.insert(key_name.clone()) {
            return Err(err(
                m.span(),
                key,
                format!("mailbox \"{name}\" is listed twice"),
                None,
            ));
        }
        out.push(key_name);
    }
    Ok(Some(out))
}

pub(super) fn journal(
    raw: Option<super::raw::RawJournal>,
    text: &str,
    path: &Path,
) -> Result<super::Journal, ProfileError> {
    let mut j = super::Journal::default();
    let Some(raw) = raw else { return Ok(j) };
    let err = super::rules::errors_in(path, text);
    if let Some(age) = interval(&raw.max_age, "max-age", Duration::from_secs(60), None, &err)? {
        j.max_age = age;
    }
    if let Some(n) = raw.max_events {
        if *n.get_ref() == 0 {
            return Err(err(
                n.span(),
                "max-events",
                "max-events must be at least 1".into(),
                None,
            ));
        }
        j.max_events = *n.get_ref();
    }
    Ok(j)
}
