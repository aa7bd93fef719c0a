//! The profile as serde reads it: every key of the file, with the spans
//! `validate` needs to point at a line when a rule is broken.

use super::duration::HumanDuration;
use super::{ChangeTracking, Mechanism, Mode, Provider, Tls};
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawProfile {
    #[serde(default)]
    pub account: Vec<Spanned<RawAccount>>,
    #[serde(default)]
    pub hook: Vec<Spanned<RawHook>>,
    #[serde(default)]
    pub webhook: Vec<Spanned<RawWebhook>>,
    #[serde(default)]
    pub redis: Vec<Spanned<RawRedis>>,
    pub notify: Option<Spanned<RawNotify>>,
    pub journal: Option<RawJournal>,
    pub http: Option<Spanned<RawHttp>>,
    pub store: Option<Spanned<RawStore>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawStore {
    pub url: Spanned<String>,
    pub password: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub password_command: Option<Spanned<Vec<String>>>,
    pub ca_file: Option<Spanned<PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawHttp {
    pub listen: Spanned<String>,
    pub token: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub token_command: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawJournal {
    pub max_age: Option<Spanned<HumanDuration>>,
    pub max_events: Option<Spanned<u64>>,
}

/// What every sink table shares: which events it wants.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawMatch {
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<String>>,
    pub subject: Option<Spanned<String>>,
    pub has_attachments: Option<bool>,
    pub flags: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawHook {
    pub name: Spanned<String>,
    pub on: Option<Spanned<Vec<Spanned<String>>>>,
    pub account: Option<Spanned<String>>,
    pub mailbox: Option<String>,
    #[serde(rename = "match")]
    pub conditions: Option<RawMatch>,
    pub command: Option<Spanned<Vec<String>>>,
    pub shell: Option<Spanned<String>>,
    pub timeout: Option<Spanned<HumanDuration>>,
    pub debounce: Option<Spanned<HumanDuration>>,
    pub min_interval: Option<Spanned<HumanDuration>>,
    pub concurrency: Option<Spanned<u32>>,
    pub max_attempts: Option<Spanned<u32>>,
    pub retry_backoff: Option<Spanned<HumanDuration>>,
    pub cooldown: Option<Spanned<HumanDuration>>,
}

/// One secret, or several (to rotate without downtime).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawWebhook {
    pub name: Option<Spanned<String>>,
    pub url: Spanned<String>,
    pub on: Option<Spanned<Vec<Spanned<String>>>>,
    pub account: Option<Spanned<String>>,
    pub mailbox: Option<String>,
    #[serde(rename = "match")]
    pub conditions: Option<RawMatch>,
    pub secret: Option<Spanned<OneOrMany>>,
    pub secret_env: Option<Spanned<String>>,
    pub secret_command: Option<Spanned<Vec<String>>>,
    pub timeout: Option<Spanned<HumanDuration>>,
    pub concurrency: Option<Spanned<u32>>,
    pub headers: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    pub max_attempts: Option<Spanned<u32>>,
    pub retry_backoff: Option<Spanned<HumanDuration>>,
    pub cooldown: Option<Spanned<HumanDuration>>,
    #[serde(default)]
    pub allow_insecure: bool,
    pub ca_file: Option<Spanned<PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRedis {
    pub name: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub password: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub password_command: Option<Spanned<Vec<String>>>,
    pub stream: Option<Spanned<String>>,
    pub maxlen: Option<Spanned<u64>>,
    pub on: Option<Spanned<Vec<Spanned<String>>>>,
    pub account: Option<Spanned<String>>,
    pub mailbox: Option<String>,
    #[serde(rename = "match")]
    pub conditions: Option<RawMatch>,
    pub max_attempts: Option<Spanned<u32>>,
    pub retry_backoff: Option<Spanned<HumanDuration>>,
    #[serde(default)]
    pub allow_insecure: bool,
    pub ca_file: Option<Spanned<PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawNotify {
    #[serde(default = "yes")]
    pub enabled: bool,
    pub on: Option<Spanned<Vec<Spanned<String>>>>,
    pub account: Option<Spanned<String>>,
    pub mailbox: Option<String>,
    #[serde(rename = "match")]
    pub conditions: Option<RawMatch>,
    pub summary: Option<Spanned<String>>,
    pub body: Option<Spanned<String>>,
    pub urgency: Option<super::Urgency>,
    pub icon: Option<String>,
    pub expire: Option<Spanned<HumanDuration>>,
    pub burst: Option<Spanned<u32>>,
    pub burst_window: Option<Spanned<HumanDuration>>,
    pub max_attempts: Option<Spanned<u32>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAccount {
    pub name: Spanned<String>,
    pub provider: Option<Spanned<Provider>>,
    pub host: Option<Spanned<String>>,
    pub port: Option<Spanned<u16>>,
    pub tls: Option<Spanned<Tls>>,
    pub username: Spanned<String>,
    pub password: Option<Spanned<String>>,
    pub password_command: Option<Spanned<Vec<String>>>,
    pub password_env: Option<Spanned<String>>,
    pub password_file: Option<Spanned<PathBuf>>,
    pub auth: Option<Spanned<Mechanism>>,
    pub token_command: Option<Spanned<Vec<String>>>,
    pub token_file: Option<Spanned<PathBuf>>,
    pub oauth2: Option<Spanned<RawOAuth2>>,
    pub mailboxes: Option<Spanned<Vec<Spanned<String>>>>,
    pub exclude: Option<Spanned<Vec<Spanned<String>>>>,
    pub max_connections: Option<Spanned<u32>>,
    pub mode: Option<Mode>,
    pub changes: Option<ChangeTracking>,
    pub poll_interval: Option<Spanned<HumanDuration>>,
    pub idle_interval: Option<Spanned<HumanDuration>>,
    #[serde(default)]
    pub allow_insecure: bool,
    pub ca_file: Option<Spanned<PathBuf>>,
}

/// `[account.oauth2]`: built-in token refresh (RFC 6749 §6).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawOAuth2 {
    pub token_url: Option<Spanned<String>>,
    pub auth_url: Option<Spanned<String>>,
    pub device_url: Option<Spanned<String>>,
    pub client_id: Option<Spanned<String>>,
    pub client_secret: Option<Spanned<String>>,
    pub client_secret_command: Option<Spanned<Vec<String>>>,
    pub refresh_token: Option<Spanned<String>>,
    pub refresh_token_command: Option<Spanned<Vec<String>>>,
    pub scopes: Option<Spanned<Vec<String>>>,
}

pub const OAUTH2_KEYS: &[&str] = &[
    "token-url",
    "auth-url",
    "device-url",
    "client-id",
    "client-secret",
    "client-secret-command",
    "refresh-token",
    "refresh-token-command",
    "scopes",
];

/// Every key an `[[account]]` accepts, for "did you mean" hints.
pub const ACCOUNT_KEYS: &[&str] = &[
    "name",
    "provider",
    "host",
    "port",
    "tls",
    "username",
    "password",
    "password-command",
    "password-env",
    "password-file",
    "auth",
    "token-command",
    "token-file",
    "oauth2",
    "mailboxes",
    "exclude",
    "max-connections",
    "mode",
    "changes",
    "poll-interval",
    "idle-interval",
    "allow-insecure",
    "ca-file",
];

/// Every top-level key.
pub const TOP_KEYS: &[&str] = &[
    "account", "hook", "webhook", "redis", "notify", "journal", "http", "store",
];

pub const HTTP_KEYS: &[&str] = &["listen", "token", "token-env", "token-command"];

pub const STORE_KEYS: &[&str] = &[
    "url",
    "password",
    "password-env",
    "password-command",
    "ca-file",
];

pub const REDIS_KEYS: &[&str] = &[
    "name",
    "url",
    "password",
    "password-env",
    "password-command",
    "stream",
    "maxlen",
    "on",
    "account",
    "mailbox",
    "match",
    "max-attempts",
    "retry-backoff",
    "allow-insecure",
    "ca-file",
];

pub const WEBHOOK_KEYS: &[&str] = &[
    "name",
    "url",
    "on",
    "account",
    "mailbox",
    "match",
    "secret",
    "secret-env",
    "secret-command",
    "timeout",
    "concurrency",
    "headers",
    "max-attempts",
    "retry-backoff",
    "cooldown",
    "allow-insecure",
    "ca-file",
];

pub const JOURNAL_KEYS: &[&str] = &["max-age", "max-events"];

pub const HOOK_KEYS: &[&str] = &[
    "name",
    "on",
    "account",
    "mailbox",
    "match",
    "command",
    "shell",
    "timeout",
    "debounce",
    "min-interval",
    "concurrency",
    "max-attempts",
    "retry-backoff",
    "cooldown",
];

pub const NOTIFY_KEYS: &[&str] = &[
    "enabled",
    "on",
    "account",
    "mailbox",
    "match",
    "summary",
    "body",
    "urgency",
    "icon",
    "expire",
    "burst",
    "burst-window",
    "max-attempts",
];

pub const MATCH_KEYS: &[&str] = &["from", "to", "subject", "has-attachments", "flags"];

/// The keys allowed in the table at `path` (as `error::table_at` names it).
pub fn keys_of(path: Option<&str>) -> &'static [&'static str] {
    let Some(path) = path else { return TOP_KEYS };
    if path.ends_with(".match") {
        MATCH_KEYS
    } else if path.ends_with(".oauth2") {
        OAUTH2_KEYS
    } else if path.starts_with("account[") {
        ACCOUNT_KEYS
    } else if path.starts_with("hook[") {
        HOOK_KEYS
    } else if path.starts_with("webhook[") {
        WEBHOOK_KEYS
    } else if path.starts_with("redis[") {
        REDIS_KEYS
    } else if path.starts_with("notify") {
        NOTIFY_KEYS
    } else if path == "journal" {
        JOURNAL_KEYS
    } else if path == "store" {
        STORE_KEYS
    } else if path == "http" {
        HTTP_KEYS
    } else {
        TOP_KEYS
    }
}
