//! `[[redis]]`: a Redis stream that gets every event it subscribes to, for
//! consumers on other machines.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::raw::RawRedis;
use super::rules::{ca_file, is_loopback};
use super::sinks::{retry, subscription};
use super::{ProfileError, RetryPolicy, SecretSource};
use crate::subscription::Subscription;

/// One `[[redis]]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisConfig {
    /// Keys the delivery cursor.
    pub name: String,
    /// `redis://` or `rediss://` (TLS), without a password.
    pub url: String,
    pub password: Option<SecretSource>,
    /// The stream's key; `{account}` and `{mailbox}` are the event's.
    pub stream: String,
    /// Approximate trimming (`MAXLEN ~ n`).
    pub maxlen: Option<u64>,
    pub subscription: Subscription,
    pub retry: RetryPolicy,
    pub ca_file: Option<PathBuf>,
}

pub(super) fn redis(
    raw: Vec<Spanned<RawRedis>>,
    accounts: &[&str],
    taken: &[String],
    text: &str,
    path: &Path,
) -> Result<Vec<RedisConfig>, ProfileError> {
    let mut out: Vec<RedisConfig> = Vec::new();
    for spanned in raw {
        let table = spanned.span();
        let r = spanned.into_inner();
        let err = super::rules::errors_in(path, text);
        let (url_text, url_span) = match &r.url {
            Some(u) => (u.get_ref().trim().to_string(), u.span()),
            None => ("redis://127.0.0.1:6379/0".to_string(), table.clone()),
        };
        let url = url::Url::parse(&url_text)
            .map_err(|e| err(url_span.clone(), "url", format!("not a URL: {e}"), None))?;
        let host = url.host_str().unwrap_or("").to_string();
        match url.scheme() {
            "rediss" => {}
            "redis" if is_loopback(&host) || r.allow_insecure => {}
            "redis" => {
                return Err(err(
                    url_span,
                    "url",
                    format!(
                        "redis:// would send every event (and the password) to {host} in clear text"
                    ),
                    Some(
                        "use rediss:// (TLS); redis:// is allowed only to a loopback address, or \
                         with allow-insecure = true"
                            .into(),
                    ),
                ));
            }
            other => {
                return Err(err(
                    url_span,
                    "url",
                    format!("a Redis URL is redis:// or rediss://, not {other}://"),
                    None,
                ));
            }
        }
        if url.password().is_some() {
            return Err(err(
                url_span,
                "url",
                "the URL holds a password, which would show wherever the URL does".into(),
                Some("take it out of the URL and give password-env or password-command".into()),
            ));
        }
        let name = match &r.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => "redis".to_string(),
        };
        let name_span = r.name.as_ref().map_or(table.clone(), |n| n.span());
        if name.is_empty()
            || name.contains(['/', ':'])
            || taken.contains(&name)
            || out.iter().any(|o| o.name == name)
        {
            return Err(err(
                name_span,
                "name",
                format!(
                    "\"{name}\" cannot name this [[redis]]: it is empty, has / or :, or is taken"
                ),
                Some("give each sink a name of its own: name = \"bus\"".into()),
            ));
        }
        let password = super::rules::secret_source(
            "password",
            &r.password,
            &r.password_env,
            &r.password_command,
            table.clone(),
            &err,
        )?;
        let stream = r
            .stream
            .as_ref()
            .map_or("mailreactor:events".to_string(), |s| s.get_ref().clone());
        let unknown = stream
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(f, _)| f))
            .find(|f| !["account", "mailbox"].contains(f));
        if let (Some(field), Some(s)) = (unknown, &r.stream) {
            return Err(err(
                s.span(),
                "stream",
                format!("{{{field}}} is not a field a stream key can hold"),
                Some("{account} and {mailbox} can".into()),
            ));
        }
        let maxlen = match &r.maxlen {
            Some(m) if *m.get_ref() == 0 => {
                return Err(err(
                    m.span(),
                    "maxlen",
                    "maxlen must be at least 1".into(),
                    None,
                ));
            }
            m => m.as_ref().map(|m| *m.get_ref()),
        };
        let defaults = RetryPolicy {
            max_attempts: 10,
            backoff: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let retry = retry(defaults, &r.retry_backoff, &r.max_attempts, &None, &err)?;
        out.push(RedisConfig {
            name,
            url: url.to_string(),
            password,
            stream,
            maxlen,
            subscription: subscription(r.on, r.account, r.mailbox, r.conditions, accounts, &err)?,
            retry,
            ca_file: ca_file(r.ca_file, &err)?,
        });
    }
    Ok(out)
}
