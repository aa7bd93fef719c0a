//! The profile: where it lives, how it is read, and the validated types the
//! rest of mailreactor works with.
//!
//! Reading is two steps: serde turns the TOML into raw, span-carrying
//! structs (`raw`), then `validate` checks what serde cannot (duplicate
//! names, secret sources, TLS rules) and builds [`Profile`]. Every failure
//! is a [`ProfileError`] that names the file, line, column and key.

mod auth;
mod broker;
mod duration;
mod error;
mod http;
mod provider;
mod raw;
mod rules;
mod sinks;
mod store;
mod validate;
mod webhook;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use broker::RedisConfig;
pub use duration::parse_duration;
pub use error::ProfileError;
pub use http::HttpConfig;
#[cfg(test)]
pub(crate) use raw::ACCOUNT_KEYS;
pub use sinks::{HookConfig, HookRun, NotifyConfig, RetryPolicy, Template, Urgency};
pub use store::StoreConfig;
pub(crate) use store::url_problem;
pub use webhook::{WebhookConfig, signing_key};

/// A validated profile: the accounts to watch.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name: it names the state database.
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    pub accounts: Vec<Account>,
    pub hooks: Vec<HookConfig>,
    pub webhooks: Vec<WebhookConfig>,
    /// `[[redis]]` streams.
    pub redis: Vec<RedisConfig>,
    /// Desktop notifications, when a `[notify]` table is present and enabled.
    pub notify: Option<NotifyConfig>,
    pub journal: Journal,
    /// The HTTP face (`[http]`), when configured.
    pub http: Option<HttpConfig>,
    /// A shared PostgreSQL store (`[store]`); `None`: the SQLite file.
    pub store: Option<StoreConfig>,
}

/// `[journal]`: how long delivered events are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Journal {
    /// Delivered events older than this are pruned (default 30 days).
    pub max_age: Duration,
    /// Beyond this many events, the oldest delivered ones are pruned.
    pub max_events: u64,
}

impl Default for Journal {
    fn default() -> Journal {
        Journal {
            max_age: Duration::from_secs(30 * 24 * 3600),
            max_events: 100_000,
        }
    }
}

/// How the connection to the server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tls {
    /// TLS from the first byte (port 993).
    Implicit,
    /// Plain connection upgraded with STARTTLS before login (port 143).
    Starttls,
    /// No encryption: only to loopback, or with `allow-insecure = true`.
    None,
}

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// NOTIFY (RFC 5465): one connection watches every mailbox; an error
    /// where the server lacks it.
    Notify,
    /// IDLE; a server without it is polled, with a warning.
    Idle,
    /// Poll every `poll-interval`.
    Poll,
    /// NOTIFY where the server has it, else IDLE, else polling.
    Auto,
}

/// Which changes besides new mail are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeTracking {
    /// Flag changes and deletions where the server has CONDSTORE/QRESYNC
    /// (RFC 7162); new mail only where it does not.
    Auto,
    /// As `auto`, and deletions also found by comparing the mailbox's UIDs
    /// with the ones known, on every connect and after the server reports
    /// an expunge: for servers without QRESYNC (it costs a UID SEARCH).
    UidSet,
    /// New mail only.
    Off,
}

/// Where the password (or, for OAuth2, the access token) comes from.
/// Exactly one per account.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Written in the profile.
    Inline(String),
    /// The first line printed by this program (argv, run without a shell).
    Command(Vec<String>),
    /// The value of this environment variable.
    Env(String),
    /// The first line of this file, read on every connect; `${VAR}` in the
    /// path is the environment variable (`${CREDENTIALS_DIRECTORY}/imap`).
    File(PathBuf),
    /// An access token: the first line this program prints, run on every
    /// connect (`token-command`).
    TokenCommand(Vec<String>),
    /// An access token: the first line of this file, read on every connect
    /// (`token-file`; `${VAR}` as for `File`).
    TokenFile(PathBuf),
    /// An access token from a refresh token (`[account.oauth2]`).
    OAuth2(Box<OAuth2Client>),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Inline(_) => f.write_str("Inline(<redacted>)"),
            SecretSource::Command(argv) => f.debug_tuple("Command").field(argv).finish(),
            SecretSource::Env(var) => f.debug_tuple("Env").field(var).finish(),
            SecretSource::File(path) => f.debug_tuple("File").field(path).finish(),
            SecretSource::TokenFile(path) => f.debug_tuple("TokenFile").field(path).finish(),
            SecretSource::TokenCommand(argv) => f.debug_tuple("TokenCommand").field(argv).finish(),
            SecretSource::OAuth2(c) => f.debug_tuple("OAuth2").field(c).finish(),
        }
    }
}

impl SecretSource {
    /// The environment variables this source reads its secret from: they
    /// must never reach a child process.
    pub fn env_vars(&self) -> Vec<String> {
        match self {
            SecretSource::Env(var) => vec![var.clone()],
            SecretSource::OAuth2(c) => [&c.client_secret, &c.refresh_token]
                .into_iter()
                .flatten()
                .flat_map(SecretSource::env_vars)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the secret itself is written in the profile.
    pub fn is_inline(&self) -> bool {
        match self {
            SecretSource::Inline(_) => true,
            SecretSource::OAuth2(c) => [&c.client_secret, &c.refresh_token]
                .into_iter()
                .flatten()
                .any(SecretSource::is_inline),
            _ => false,
        }
    }
}

/// How an account logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    /// IMAP LOGIN with a password.
    Login,
    /// SASL XOAUTH2 (Gmail, Outlook) with an access token.
    Xoauth2,
    /// SASL OAUTHBEARER (RFC 7628) with an access token.
    Oauthbearer,
}

impl Mechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Login => "login",
            Mechanism::Xoauth2 => "xoauth2",
            Mechanism::Oauthbearer => "oauthbearer",
        }
    }
}

/// Well-known providers whose settings a profile need not spell out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Gmail,
    Outlook,
    Fastmail,
    Icloud,
    Yahoo,
}

/// An OAuth2 client that turns a refresh token into access tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuth2Client {
    pub token_url: String,
    /// The authorization endpoint, for `mailreactor auth login`.
    pub auth_url: Option<String>,
    /// The device authorization endpoint (RFC 8628), for `auth login --device`.
    pub device_url: Option<String>,
    pub client_id: String,
    pub client_secret: Option<SecretSource>,
    /// Configured; a refresh token saved by `auth login` (or rotated by
    /// the server) in the state directory takes precedence.
    pub refresh_token: Option<SecretSource>,
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("token_url", &self.token_url)
            .field("auth_url", &self.auth_url)
            .field("device_url", &self.device_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("refresh_token", &self.refresh_token)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// One `[[account]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: String,
    pub auth: Mechanism,
    pub secret: SecretSource,
    /// Names and patterns (`*` any run of characters, `%` any run without
    /// the hierarchy delimiter), in the profile's order; `INBOX` is always
    /// written so.
    pub mailboxes: Vec<String>,
    /// Names and patterns never watched, unless named in `mailboxes`.
    pub exclude: Vec<String>,
    /// Connections per account without NOTIFY: one IDLE per mailbox up to
    /// this many, less one that polls the rest with STATUS.
    pub max_connections: usize,
    pub mode: Mode,
    pub changes: ChangeTracking,
    pub poll_interval: Duration,
    /// How long one IDLE lasts before it is renewed (and the connection
    /// checked); at most 29 minutes (RFC 2177).
    pub idle_interval: Duration,
    pub allow_insecure: bool,
    /// Extra PEM root certificates to trust for this account.
    pub ca_file: Option<PathBuf>,
}

impl Profile {
    /// Every environment variable the profile names as a secret source.
    pub fn secret_env_vars(&self) -> Vec<String> {
        let webhooks = self.webhooks.iter().flat_map(|w| &w.secrets);
        let redis = self.redis.iter().filter_map(|r| r.password.as_ref());
        let http = self.http.iter().filter_map(|h| h.token.as_ref());
        let store = self.store.iter().filter_map(|s| s.password.as_ref());
        self.accounts
            .iter()
            .map(|a| &a.secret)
            .chain(webhooks)
            .chain(redis)
            .chain(http)
            .chain(store)
            .flat_map(SecretSource::env_vars)
            .collect()
    }

    /// Reads and validates the profile at `path`, naming it `name`.
    /// A file over 1 MiB, or one that is not UTF-8, is refused at once.
    /// A profile that holds a secret and is readable by others gets a
    /// warning that says how to fix it.
    pub fn load(path: &Path, name: &str) -> Result<Profile, ProfileError> {
        let text = read_profile(path)?;
        let profile = Profile::parse(&text, path, name)?;
        warn_if_exposed(&profile);
        Ok(profile)
    }

    /// Validates profile `text` as if read from `path`.
    pub fn parse(text: &str, path: &Path, name: &str) -> Result<Profile, ProfileError> {
        let raw: raw::RawProfile =
            toml::from_str(text).map_err(|e| ProfileError::from_toml(path, text, &e))?;
        let (hooks, webhooks, redis, notify) = (raw.hook, raw.webhook, raw.redis, raw.notify);
        let journal = validate::journal(raw.journal, text, path)?;
        let http = http::http(raw.http, text, path)?;
        let store = store::store(raw.store, text, path)?;
        let accounts = validate::accounts(raw.account, text, path)?;
        let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        let hooks = sinks::hooks(hooks, &names, text, path)?;
        let hook_names: Vec<String> = hooks.iter().map(|h| h.name.clone()).collect();
        let webhooks = webhook::webhooks(webhooks, &names, &hook_names, text, path)?;
        let taken: Vec<String> = hook_names
            .into_iter()
            .chain(webhooks.iter().map(|w| w.name.clone()))
            .collect();
        let redis = broker::redis(redis, &names, &taken, text, path)?;
        let notify = sinks::notify(notify, &names, text, path)?;
        Ok(Profile {
            name: name.to_string(),
            path: path.to_path_buf(),
            accounts,
            hooks,
            webhooks,
            redis,
            notify,
            journal,
            http,
            store,
        })
    }
}

/// Warns when the profile holds a secret and group or others may read it.
fn warn_if_exposed(profile: &Profile) {
    use std::os::unix::fs::PermissionsExt;
    if !profile.accounts.iter().any(|a| a.secret.is_inline()) {
        return;
    }
    let Ok(meta) = std::fs::metadata(&profile.path) else {
        return;
    };
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(
            "{} holds a password or secret and other users may read it; run `chmod 600 {}` \
             (or move the secret to password-command, password-env or password-file)",
            profile.path.display(),
            profile.path.display()
        );
    }
}

/// A profile is a small text file; anything larger is not one.
const MAX_PROFILE: u64 = 1024 * 1024;

/// Reads the profile's text: at most [`MAX_PROFILE`] bytes, UTF-8.
fn read_profile(path: &Path) -> Result<String, ProfileError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| ProfileError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_PROFILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ProfileError::io(path, e))?;
    if bytes.len() as u64 > MAX_PROFILE {
        return Err(ProfileError::plain(
            path,
            "the profile is larger than 1 MiB; a profile is a short TOML file".into(),
            Some("is --config pointing at the right file?".into()),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = at
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        ProfileError::plain(
            path,
            format!("the profile is not UTF-8 text (line {line}, column {column})"),
            Some("save it as UTF-8; is --config pointing at the right file?".into()),
        )
    })
}

/// Which profile to read: `--config PATH` wins, then `--profile NAME`, then
/// the default profile. Returns the path and the profile's name.
pub fn locate(config: Option<&Path>, profile: Option<&str>) -> anyhow::Result<(PathBuf, String)> {
    if let Some(path) = config {
        let name = match profile {
            Some(p) => p.to_string(),
            None => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| s != "config")
                .unwrap_or_else(|| "default".into()),
        };
        return Ok((path.to_path_buf(), name));
    }
    let dir = config_dir()?;
    Ok(match profile {
        None | Some("default") => (dir.join("config.toml"), "default".into()),
        Some(name) => (dir.join(format!("{name}.toml")), name.into()),
    })
}

fn project_dirs() -> anyhow::Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mailreactor")
        .ok_or_else(|| anyhow::anyhow!("cannot tell the home directory (is $HOME set?)"))
}

/// `$XDG_CONFIG_HOME/mailreactor`.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    Ok(project_dirs()?.config_dir().to_path_buf())
}

/// `$XDG_STATE_HOME/mailreactor`.
pub fn state_dir() -> anyhow::Result<PathBuf> {
    let dirs = project_dirs()?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}
