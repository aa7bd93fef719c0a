//! `[[hook]]` and `[notify]`: validated sink settings, templates, and the
//! retry policy every sink shares.

use std::path::Path;
use std::time::Duration;

use regex::{Regex, RegexBuilder};
use toml::Spanned;

use super::ProfileError;
use super::duration::HumanDuration;
use super::raw::{RawHook, RawMatch, RawNotify};
use super::rules::{ErrFn, interval};
use crate::event::{Event, EventKind};
use crate::subscription::{Conditions, Subscription};

/// How a failing delivery is retried, dead-lettered and paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per delivery before it is dead-lettered (at least 1).
    pub max_attempts: u32,
    /// First retry delay; it doubles per attempt (with jitter), to 5 minutes.
    pub backoff: Duration,
    /// Retry on the Standard Webhooks schedule (5 s, 5 min, 30 min, 2 h,
    /// 5 h, 10 h, 14 h, 20 h, 24 h, with jitter) instead of `backoff`.
    pub webhook_schedule: bool,
    /// After this many dead letters in a row the sink pauses ...
    pub breaker_threshold: u32,
    /// ... for this long, then is tried again.
    pub cooldown: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            backoff: Duration::from_secs(2),
            webhook_schedule: false,
            breaker_threshold: 3,
            cooldown: Duration::from_secs(300),
        }
    }
}

/// What a hook runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookRun {
    /// A program and its arguments, run without a shell.
    Argv(Vec<String>),
    /// A script for `sh -c` (explicit opt-in). Event data reaches it only
    /// through stdin and `MR_*` variables, never inside the script text.
    Shell(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct HookConfig {
    pub name: String,
    pub subscription: Subscription,
    pub run: HookRun,
    /// The whole process group is killed after this.
    pub timeout: Duration,
    /// Wait this long after an event for more, and run once for all.
    pub debounce: Option<Duration>,
    /// At least this long between the starts of two runs.
    pub min_interval: Option<Duration>,
    /// Runs at the same time (1: one after another, in event order).
    pub concurrency: u32,
    pub retry: RetryPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    pub subscription: Subscription,
    pub summary: Template,
    pub body: Template,
    pub urgency: Urgency,
    pub icon: String,
    /// How long the notification stays; `None`: the server decides.
    pub expire: Option<Duration>,
    /// More than this many events in one window become one summary.
    pub burst: u32,
    pub burst_window: Duration,
    pub retry: RetryPolicy,
}

/// A text with `{placeholders}` filled from an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(String),
}

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "from",
    "from_address",
    "subject",
    "preview",
    "account",
    "mailbox",
    "attachments",
];

impl Template {
    /// Parses `{name}` placeholders; `{{` and `}}` are literal braces.
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    if !PLACEHOLDERS.contains(&name.as_str()) {
                        return Err(format!(
                            "unknown placeholder {{{name}}}; known: {}",
                            PLACEHOLDERS
                                .iter()
                                .map(|p| format!("{{{p}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Field(name));
                }
                '}' => return Err("a lone `}`; write `}}` for a brace".into()),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// The template with the event's fields, as plain text.
    pub fn render(&self, e: &Event) -> String {
        self.render_with(e, |s| s)
    }

    /// The template with the event's fields made safe to put in markup
    /// (`<`, `&` ... escaped): notification servers render bodies as markup,
    /// and mail must not become a link or fake content there.
    pub fn render_markup(&self, e: &Event) -> String {
        self.render_with(e, |s| crate::text::markup_escape(&s).into_owned())
    }

    fn render_with(&self, e: &Event, field: impl Fn(String) -> String) -> String {
        let m = e.message();
        let from = m.and_then(|m| m.from.first());
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Field(f) => field(match f.as_str() {
                    "from" => from
                        .and_then(|a| a.name.clone().or_else(|| a.address.clone()))
                        .unwrap_or_default(),
                    "from_address" => from.and_then(|a| a.address.clone()).unwrap_or_default(),
                    "subject" => m.and_then(|m| m.subject.clone()).unwrap_or_default(),
                    "preview" => m.and_then(|m| m.preview.clone()).unwrap_or_default(),
                    "account" => e.account.clone(),
                    "mailbox" => e.mailbox.clone().unwrap_or_default(),
                    "attachments" => m
                        .map(|m| {
                            m.attachments
                                .iter()
                                .map(|a| {
                                    a.filename.clone().unwrap_or_else(|| a.content_type.clone())
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default(),
                    _ => String::new(),
                }),
            })
            .collect()
    }
}

pub(super) fn hooks(
    raw: Vec<Spanned<RawHook>>,
    accounts: &[&str],
    text: &str,
    path: &Path,
) -> Result<Vec<HookConfig>, ProfileError> {
    let mut out: Vec<HookConfig> = Vec::new();
    for spanned in raw {
        let table = spanned.span();
        let h = spanned.into_inner();
        let err = super::rules::errors_in(path, text);
        let name = h.name.get_ref().trim().to_string();
        if name.is_empty() || name == "stdout" || name == "notify" || name.contains(['/', ':']) {
            return Err(err(
                h.name.span(),
                "name",
                format!("\"{name}\" cannot name a hook"),
                Some("use a short word such as \"sync\"; stdout and notify are taken".into()),
            ));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(err(
                h.name.span(),
                "name",
                format!("duplicate hook name \"{name}\""),
                None,
            ));
        }
        let run = match (&h.command, &h.shell) {
            (Some(c), None) => HookRun::Argv(super::rules::argv(c, "command", None, &err)?),
            (None, Some(s)) if !s.get_ref().trim().is_empty() => {
                HookRun::Shell(s.get_ref().clone())
            }
            (None, Some(s)) => return Err(err(s.span(), "shell", "shell is empty".into(), None)),
            (Some(_), Some(s)) => {
                return Err(err(
                    s.span(),
                    "shell",
                    "command and shell are both given".into(),
                    Some(
                        "command is an argv run without a shell; shell is a script for sh -c"
                            .into(),
                    ),
                ));
            }
            (None, None) => {
                return Err(err(
                    table,
                    "command",
                    format!("hook \"{name}\" has nothing to run"),
                    Some(
                        "add command = [\"program\", \"arg\"] (or shell = \"...\" for sh -c)"
                            .into(),
                    ),
                ));
            }
        };
        let subscription = subscription(h.on, h.account, h.mailbox, h.conditions, accounts, &err)?;
        let dur = |v: &Option<Spanned<HumanDuration>>, key: &str, min: Duration| {
            interval(v, key, min, None, &err)
        };
        let timeout = dur(&h.timeout, "timeout", Duration::from_millis(100))?
            .unwrap_or(Duration::from_secs(60));
        let retry = retry(
            RetryPolicy::default(),
            &h.retry_backoff,
            &h.max_attempts,
            &h.cooldown,
            &err,
        )?;
        out.push(HookConfig {
            name,
            subscription,
            run,
            timeout,
            debounce: dur(&h.debounce, "debounce", Duration::from_millis(1))?,
            min_interval: dur(&h.min_interval, "min-interval", Duration::from_millis(1))?,
            concurrency: at_least_one(&h.concurrency, "concurrency", 1, &err)?,
            retry,
        });
    }
    Ok(out)
}

pub(super) fn notify(
    raw: Option<Spanned<RawNotify>>,
    accounts: &[&str],
    text: &str,
    path: &Path,
) -> Result<Option<NotifyConfig>, ProfileError> {
    let Some(n) = raw.map(Spanned::into_inner) else {
        return Ok(None);
    };
    let err = super::rules::errors_in(path, text);
    let template = |v: &Option<Spanned<String>>, key: &str, default: &str| match v {
        None => Ok(Template::parse(default).expect("default templates parse")),
        Some(s) => Template::parse(s.get_ref()).map_err(|m| err(s.span(), key, m, None)),
    };
    let summary = template(&n.summary, "summary", "{from}")?;
    let body = template(&n.body, "body", "{subject}")?;
    let subscription = subscription(n.on, n.account, n.mailbox, n.conditions, accounts, &err)?;
    let mut retry = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    retry.max_attempts = at_least_one(&n.max_attempts, "max-attempts", retry.max_attempts, &err)?;
    let config = NotifyConfig {
        subscription,
        summary,
        body,
        urgency: n.urgency.unwrap_or(Urgency::Normal),
        icon: n.icon.unwrap_or_else(|| "mail-unread".into()),
        expire: interval(&n.expire, "expire", Duration::from_millis(100), None, &err)?,
        burst: at_least_one(&n.burst, "burst", 3, &err)?,
        burst_window: interval(
            &n.burst_window,
            "burst-window",
            Duration::from_millis(10),
            None,
            &err,
        )?
        .unwrap_or(Duration::from_secs(1)),
        retry,
    };
    Ok(n.enabled.then_some(config))
}

/// A sink's retry keys over its defaults `policy`: `retry-backoff` (at
/// least 10 ms; giving it sets aside the webhook schedule), `max-attempts`
/// (at least 1) and `cooldown` (at least 10 ms).
pub(super) fn retry(
    mut policy: RetryPolicy,
    backoff: &Option<Spanned<HumanDuration>>,
    max_attempts: &Option<Spanned<u32>>,
    cooldown: &Option<Spanned<HumanDuration>>,
    err: &ErrFn,
) -> Result<RetryPolicy, ProfileError> {
    let min = Duration::from_millis(10);
    if let Some(b) = interval(backoff, "retry-backoff", min, None, err)? {
        policy.backoff = b;
        policy.webhook_schedule = false;
    }
    policy.max_attempts = at_least_one(max_attempts, "max-attempts", policy.max_attempts, err)?;
    if let Some(c) = interval(cooldown, "cooldown", min, None, err)? {
        policy.cooldown = c;
    }
    Ok(policy)
}

pub(super) fn at_least_one(
    v: &Option<Spanned<u32>>,
    key: &str,
    default: u32,
    err: &ErrFn,
) -> Result<u32, ProfileError> {
    match v {
        None => Ok(default),
        Some(n) if *n.get_ref() >= 1 => Ok(*n.get_ref()),
        Some(n) => Err(err(
            n.span(),
            key,
            format!("{key} must be at least 1"),
            None,
        )),
    }
}

pub(super) fn subscription(
    on: Option<Spanned<Vec<Spanned<String>>>>,
    account: Option<Spanned<String>>,
    mailbox: Option<String>,
    conditions: Option<RawMatch>,
    accounts: &[&str],
    err: &ErrFn,
) -> Result<Subscription, ProfileError> {
    let mut sub = Subscription::default();
    if let Some(on) = on {
        if on.get_ref().is_empty() {
            return Err(err(
                on.span(),
                "on",
                "no event type to subscribe to".into(),
                None,
            ));
        }
        sub.types.clear();
        for p in on.get_ref() {
            let pat = p.get_ref().trim();
            let known = EventKind::ALL
                .iter()
                .any(|t| crate::subscription::type_matches(pat, t.as_str()));
            if !known {
                return Err(err(
                    p.span(),
                    "on",
                    format!("\"{pat}\" matches no event type"),
                    Some(format!(
                        "event types: {}; patterns like \"message.*\" and \"*\" work",
                        EventKind::ALL.map(EventKind::as_str).join(", ")
                    )),
                ));
            }
            sub.types.push(pat.to_string());
        }
    }
    if let Some(a) = account {
        if !accounts.contains(&a.get_ref().as_str()) {
            return Err(err(
                a.span(),
                "account",
                format!("no account is named \"{}\"", a.get_ref()),
                Some(format!("accounts in this profile: {}", accounts.join(", "))),
            ));
        }
        sub.account = Some(a.into_inner());
    }
    sub.mailbox = mailbox;
    if let Some(m) = conditions {
        let re = |v: &Option<Spanned<String>>, key: &str| -> Result<Option<Regex>, ProfileError> {
            let Some(v) = v else { return Ok(None) };
            RegexBuilder::new(v.get_ref())
                .case_insensitive(true)
                .build()
                .map(Some)
                .map_err(|e| {
                    err(
                        v.span(),
                        key,
                        format!("not a valid regular expression: {e}"),
                        None,
                    )
                })
        };
        sub.conditions = Conditions {
            from: re(&m.from, "from")?,
            to: re(&m.to, "to")?,
            subject: re(&m.subject, "subject")?,
            has_attachments: m.has_attachments,
            flags: m.flags.unwrap_or_default(),
        };
    }
    Ok(sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Address, MessageInfo};

    #[test]
    fn templates_fill_fields_and_keep_braces() {
        let t = Template::parse("{from} <{from_address}>: {subject} {{literal}}").unwrap();
        let info = MessageInfo {
            subject: Some("Hi".into()),
            from: vec![Address {
                name: Some("Ann".into()),
                address: Some("a@x".into()),
            }],
            ..Default::default()
        };
        let e = Event::received("w", "INBOX", info);
        assert_eq!(t.render(&e), "Ann <a@x>: Hi {literal}");
        assert!(Template::parse("{nope}").unwrap_err().contains("{subject}"));
        assert!(Template::parse("a } b").is_err());
    }
}
