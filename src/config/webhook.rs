//! `[[webhook]]`: an HTTP endpoint that gets every event it subscribes to
//! as a signed POST (Standard Webhooks).

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::raw::{OneOrMany, RawWebhook};
use super::rules::{ca_file, interval, is_loopback};
use super::sinks::{at_least_one, retry, subscription};
use super::{ProfileError, RetryPolicy, SecretSource};
use crate::subscription::Subscription;

/// One `[[webhook]]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Keys the delivery cursor; from the URL when not given.
    pub name: String,
    pub url: String,
    pub subscription: Subscription,
    /// Signing secrets (`whsec_...`): each signs every request, so one can
    /// be rotated without downtime. None: requests are not signed.
    pub secrets: Vec<SecretSource>,
    /// One request may take this long.
    pub timeout: Duration,
    pub concurrency: u32,
    /// Extra headers on every request.
    pub headers: Vec<(String, String)>,
    pub retry: RetryPolicy,
    /// Extra PEM roots to trust for this endpoint.
    pub ca_file: Option<PathBuf>,
}

/// Headers a profile may not set: the ones that make the request what it is.
const RESERVED: &[&str] = &[
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "transfer-encoding",
    "connection",
];

pub(super) fn webhooks(
    raw: Vec<Spanned<RawWebhook>>,
    accounts: &[&str],
    taken: &[String],
    text: &str,
    path: &Path,
) -> Result<Vec<WebhookConfig>, ProfileError> {
    let mut out: Vec<WebhookConfig> = Vec::new();
    for spanned in raw {
        let table = spanned.span();
        let w = spanned.into_inner();
        let err = super::rules::errors_in(path, text);
        let url = url::Url::parse(w.url.get_ref().trim()).map_err(|e| {
            err(
                w.url.span(),
                "url",
                format!("not a URL: {e}"),
                Some("write it in full: url = \"https://hooks.example.com/mail\"".into()),
            )
        })?;
        let host = url.host_str().unwrap_or("").to_string();
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) || w.allow_insecure => {}
            "http" => {
                return Err(err(
                    w.url.span(),
                    "url",
                    format!("http:// would send every event to {host} in clear text"),
                    Some(
                        "use https://; plain http is allowed only to a loopback address, or with \
                         allow-insecure = true"
                            .into(),
                    ),
                ));
            }
            other => {
                return Err(err(
                    w.url.span(),
                    "url",
                    format!("a webhook URL is http(s)://, not {other}://"),
                    None,
                ));
            }
        }
        let name = match &w.name {
            Some(n) => n.get_ref().trim().to_string(),
            None => default_name(&url),
        };
        let name_span = w.name.as_ref().map_or(table.clone(), |n| n.span());
        if name.is_empty()
            || name.contains(['/', ':'])
            || ["stdout", "notify"].contains(&name.as_str())
        {
            return Err(err(
                name_span,
                "name",
                format!("\"{name}\" cannot name a webhook"),
                Some("use a short word such as \"n8n\"".into()),
            ));
        }
        if taken.contains(&name) || out.iter().any(|o| o.name == name) {
            return Err(err(
                name_span,
                "name",
                format!("the name \"{name}\" is taken by another sink"),
                Some("give each [[webhook]] (and [[hook]]) a name of its own".into()),
            ));
        }
        let secrets = secrets(&w, &err)?;
        let headers = match &w.headers {
            None => Vec::new(),
            Some(h) => {
                for (k, v) in h.get_ref() {
                    let bad_name = k.is_empty()
                        || !k
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
                    if bad_name || RESERVED.contains(&k.to_ascii_lowercase().as_str()) {
                        return Err(err(
                            h.span(),
                            "headers",
                            format!("\"{k}\" cannot be set as a header here"),
                            Some(format!(
                                "mailreactor sets these itself: {}",
                                RESERVED.join(", ")
                            )),
                        ));
                    }
                    if v.contains(['\r', '\n']) {
                        return Err(err(
                            h.span(),
                            "headers",
                            format!("the value of header \"{k}\" has a line break"),
                            None,
                        ));
                    }
                }
                h.get_ref()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }
        };
        let dur = |v: &Option<Spanned<super::duration::HumanDuration>>,
                   key: &str,
                   min: Duration| { interval(v, key, min, None, &err) };
        let defaults = RetryPolicy {
            max_attempts: 10,
            webhook_schedule: true,
            ..RetryPolicy::default()
        };
        let retry = retry(
            defaults,
            &w.retry_backoff,
            &w.max_attempts,
            &w.cooldown,
            &err,
        )?;
        out.push(WebhookConfig {
            name,
            url: url.to_string(),
            subscription: subscription(w.on, w.account, w.mailbox, w.conditions, accounts, &err)?,
            secrets,
            timeout: dur(&w.timeout, "timeout", Duration::from_millis(100))?
                .unwrap_or(Duration::from_secs(15)),
            concurrency: at_least_one(&w.concurrency, "concurrency", 1, &err)?,
            headers,
            retry,
            ca_file: ca_file(w.ca_file, &err)?,
        });
    }
    Ok(out)
}

/// `hooks.example.com-mail` for `https://hooks.example.com/mail`.
fn default_name(url: &url::Url) -> String {
    let mut name = url.host_str().unwrap_or("webhook").to_string();
    if let Some(port) = url.port() {
        name += &format!("-{port}");
    }
    for part in url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
    {
        name.push('-');
        name.push_str(part);
    }
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The signing secrets: `secret` (one or a list), `secret-env` or
/// `secret-command`, at most one of them. Written ones must be `whsec_`
/// and base64.
fn secrets(w: &RawWebhook, err: &super::rules::ErrFn) -> Result<Vec<SecretSource>, ProfileError> {
    let given = [
        w.secret.is_some(),
        w.secret_env.is_some(),
        w.secret_command.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        let span = [
            w.secret.as_ref().map(|s| s.span()),
            w.secret_env.as_ref().map(|s| s.span()),
            w.secret_command.as_ref().map(|s| s.span()),
        ]
        .into_iter()
        .flatten()
        .nth(1)
        .expect("two are given");
        return Err(err(
            span,
            "secret",
            "give one of secret, secret-env or secret-command".into(),
            None,
        ));
    }
    if let Some(s) = &w.secret {
        let list = match s.get_ref() {
            OneOrMany::One(one) => vec![one.clone()],
            OneOrMany::Many(many) => many.clone(),
        };
        if list.is_empty() {
            return Err(err(
                s.span(),
                "secret",
                "no secret in the list".into(),
                None,
            ));
        }
        for one in &list {
            if signing_key(one).is_none() {
                return Err(err(
                    s.span(),
                    "secret",
                    "a webhook secret is whsec_ and base64 (of 24 to 64 random bytes)".into(),
                    Some(
                        "make one with: echo \"whsec_$(head -c 32 /dev/urandom | base64)\"".into(),
                    ),
                ));
            }
        }
        return Ok(list.into_iter().map(SecretSource::Inline).collect());
    }
    if let Some(v) = &w.secret_env {
        return Ok(vec![SecretSource::Env(v.get_ref().clone())]);
    }
    if let Some(c) = &w.secret_command {
        let argv = super::rules::argv(c, "secret-command", None, err)?;
        return Ok(vec![SecretSource::Command(argv)]);
    }
    Ok(Vec::new())
}

/// The HMAC key of a `whsec_...` secret: the bytes its base64 part
/// encodes.
pub fn signing_key(secret: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let b64 = secret.trim().strip_prefix("whsec_")?;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .filter(|k| !k.is_empty())
}
