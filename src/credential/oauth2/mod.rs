//! OAuth2 access tokens for IMAP: exchanged for a refresh token at the
//! provider's token endpoint (RFC 6749 §6), kept with their expiry in the
//! state directory (mode 0600), refreshed ahead of expiry and after a
//! rejection, with a rotated refresh token saved when the server sends one.
//! `login` holds the authorization-code flow of `mailreactor auth login`.

#[cfg(feature = "oauth2")]
pub(crate) mod device;
#[cfg(feature = "oauth2")]
mod http;
#[cfg(feature = "oauth2")]
pub(crate) mod login;

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{CredentialError, Secret};
use crate::config::OAuth2Client;

/// A cached access token is refreshed when it has less than this left.
const MARGIN: Duration = Duration::from_secs(120);
/// Assumed lifetime when the token endpoint does not say (`expires_in`).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// Lifetimes beyond this, from an endpoint or a token file, are taken as
/// this: a peer's number must never overflow a clock.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// `UNIX_EPOCH + secs`, for a time a peer or a file gave: never past a year
/// from now, so it cannot overflow.
pub(crate) fn unix_time(secs: u64) -> SystemTime {
    let latest = SystemTime::now() + MAX_LIFETIME;
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .map_or(latest, |t| t.min(latest))
}

/// A token endpoint gets this long to answer.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an OAuth2 step failed; says which endpoint and what it answered,
/// never a token.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// An endpoint answered with an error (RFC 6749 §5.2).
    #[error(
        "the {endpoint} {url} refused ({status}): {error}{}",
        describe(description)
    )]
    Refused {
        endpoint: &'static str,
        url: String,
        status: u16,
        error: String,
        description: Option<String>,
    },
    #[error("cannot reach the {endpoint} {url}: {detail}")]
    Unreachable {
        endpoint: &'static str,
        url: String,
        detail: String,
    },
    #[error("the {endpoint} {url} answered something unreadable: {detail}")]
    Unreadable {
        endpoint: &'static str,
        url: String,
        detail: String,
    },
    #[error("cannot set up TLS for the token endpoint: {0}")]
    Tls(String),
    #[error("the client secret: {0}")]
    ClientSecret(Box<CredentialError>),
    #[error("the refresh token: {0}")]
    RefreshSecret(Box<CredentialError>),
    #[error("cannot save the tokens: {0}")]
    Save(#[from] crate::private::PrivateError),
    #[error("no state directory for OAuth2 tokens")]
    NoStateDir,
    #[error("no refresh token: none is configured and none was saved by `mailreactor auth login`")]
    NoRefreshToken,
    #[error("the provider sent no refresh token{0}")]
    NoRefreshTokenSent(&'static str),
    /// Something the profile must say first (an auth-url, a device-url).
    #[error("{0}")]
    Profile(String),
    #[error("cannot listen on 127.0.0.1 for the browser: {0}")]
    Listener(#[source] std::io::Error),
    #[error("no answer from the browser within {}", humantime::format_duration(*.0))]
    NoAnswer(Duration),
    #[error("the provider refused the sign-in: {error}{}", describe(description))]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("the code expired before the sign-in was completed")]
    CodeExpired,
    #[cfg(not(feature = "oauth2"))]
    #[error("this mailreactor was built without OAuth2 support (cargo feature \"oauth2\")")]
    NotBuiltIn,
}

/// `: description`, cut to 200 characters, or nothing.
fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(": {}", d.chars().take(200).collect::<String>()))
        .unwrap_or_default()
}

/// One account's saved tokens: `STATE_DIR/PROFILE.oauth2/ACCOUNT.json`.
#[derive(Debug, Clone)]
pub struct TokenFile {
    path: PathBuf,
}

/// What the file holds. Never logged.
#[derive(Default, Serialize, Deserialize)]
struct Saved {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

impl TokenFile {
    /// The token file of `account` beside the state database `db`.
    pub fn beside(db: &Path, account: &str) -> TokenFile {
        TokenFile {
            path: db.with_extension("oauth2").join(format!("{account}.json")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds (never read through a link); nothing when it is
    /// missing or unreadable.
    fn load(&self) -> Saved {
        use std::io::Read;
        let mut bytes = Vec::new();
        let read = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.path)
            .and_then(|f| f.take(64 * 1024).read_to_end(&mut bytes));
        read.ok()
            .and_then(|_| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes through a fresh file of a random name, created exclusively
    /// (never through a link), 0600, renamed over the old one, in a 0700
    /// directory that no other user owns or may write to.
    fn save(&self, saved: &Saved) -> Result<(), OAuthError> {
        crate::private::parent(&self.path)?;
        let bytes = serde_json::to_vec_pretty(saved).expect("plain data serialises");
        Ok(crate::private::replace(&self.path, &bytes)?)
    }

    /// Saves a refresh token from `auth login`, dropping any access token.
    pub(crate) fn save_refresh_token(&self, refresh_token: &str) -> Result<(), OAuthError> {
        self.save(&Saved {
            refresh_token: Some(refresh_token.to_string()),
            ..Saved::default()
        })
    }

    /// The saved access token, if any.
    pub(crate) fn current_access(&self) -> Option<String> {
        self.load().access_token
    }

    /// When the saved access token expires, if there is one.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.load().expires_at.map(unix_time)
    }
}

/// An access token with at least [`MARGIN`] left: the saved one, or a new
/// one from the refresh token (`force`: always a new one, because the
/// server rejected the last).
pub(crate) fn access_token(
    client: &OAuth2Client,
    file: &TokenFile,
    force: bool,
) -> Result<Secret, OAuthError> {
    #[cfg(feature = "oauth2")]
    return http::access_token(client, file, force);
    #[cfg(not(feature = "oauth2"))]
    {
        let _ = (client, file, force);
        Err(OAuthError::NotBuiltIn)
    }
}
