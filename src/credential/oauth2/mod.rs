//! OAuth2 access tokens for IMAP: exchanged for a refresh token at the
//! provider's token endpoint (RFC 6749 §6), kept with their expiry in the
//! state directory (mode 0600), refreshed ahead of expiry and after a
//! rejection, with a rotated refresh token saved when the server sends one.
//! `login` holds the authorization-code flow of `mailreactor auth login`.

pub(crate) mod device;
pub(crate) mod login;

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{CredentialError, Secret};
use crate::config::OAuth2Client;

/// A cached access token is refreshed when it has less than this left.
const MARGIN: Duration = Duration::from_secs(120);
/// Assumed lifetime when the token endpoint does not say (`expires_in`).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
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
    #[error("cannot save tokens to {path}: {source}")]
    Save {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    #[error("the answer's state does not match this sign-in: ignored")]
    StateMismatch,
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

    fn load(&self) -> Saved {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes atomically (a temporary file renamed over), mode 0600 in a
    /// 0700 directory.
    fn save(&self, saved: &Saved) -> Result<(), OAuthError> {
        let fail = |source: std::io::Error| OAuthError::Save {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().expect("a token file has a directory");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
        let tmp = self.path.with_extension("json.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(fail)?;
        use std::io::Write;
        f.write_all(&serde_json::to_vec_pretty(saved).expect("plain data serialises"))
            .and_then(|_| f.sync_all())
            .map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)
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
        self.load()
            .expires_at
            .map(|s| UNIX_EPOCH + Duration::from_secs(s))
    }
}

/// An access token with at least [`MARGIN`] left: the saved one, or a new
/// one from the refresh token (`force`: always a new one, because the
/// server rejected the last). Its expiry stays in the file
/// ([`TokenFile::expiry`]).
pub(crate) fn access_token(
    client: &OAuth2Client,
    file: &TokenFile,
    force: bool,
) -> Result<Secret, OAuthError> {
    let mut saved = file.load();
    let now = SystemTime::now();
    if !force && let (Some(access), Some(at)) = (&saved.access_token, saved.expires_at) {
        let expires_at = UNIX_EPOCH + Duration::from_secs(at);
        if expires_at > now + MARGIN {
            return Ok(Secret::new(access.clone()));
        }
    }
    let refresh = match (&saved.refresh_token, &client.refresh_token) {
        (Some(r), _) => r.clone(),
        (None, Some(source)) => super::resolve(source)
            .map_err(|e| OAuthError::RefreshSecret(Box::new(e)))?
            .expose()
            .to_string(),
        (None, None) => return Err(OAuthError::NoRefreshToken),
    };
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh),
    ];
    if !client.scopes.is_empty() {
        form.push(("scope", client.scopes.join(" ")));
    }
    let answer = exchange(client, form)?;
    let lifetime = answer
        .expires_in
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    let expires_at = now + lifetime;
    saved.access_token = Some(answer.access_token.clone());
    saved.expires_at = expires_at
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs());
    if let Some(rotated) = answer.refresh_token {
        saved.refresh_token = Some(rotated);
    }
    file.save(&saved)?;
    tracing::info!(
        "OAuth2: new access token from {}, valid for {}",
        client.token_url,
        humantime::format_duration(lifetime)
    );
    Ok(Secret::new(answer.access_token))
}

/// A token endpoint's answer (RFC 6749 §5.1).
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    pub access_token: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
}

/// POSTs `form` (plus the client's id and secret) to the token endpoint.
pub(crate) fn exchange(
    client: &OAuth2Client,
    form: Vec<(&str, String)>,
) -> Result<TokenAnswer, OAuthError> {
    post(client, "token endpoint", &client.token_url, form)
}

/// POSTs `form` with the client's credentials to `url` (the `endpoint`,
/// for messages) and reads the JSON answer.
pub(crate) fn post<T: serde::de::DeserializeOwned>(
    client: &OAuth2Client,
    endpoint: &'static str,
    url: &str,
    mut form: Vec<(&str, String)>,
) -> Result<T, OAuthError> {
    form.push(("client_id", client.client_id.clone()));
    if let Some(source) = &client.client_secret {
        let s = super::resolve(source).map_err(|e| OAuthError::ClientSecret(Box::new(e)))?;
        form.push(("client_secret", s.expose().to_string()));
    }
    let tls = native_tls::TlsConnector::builder()
        .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
        .build()
        .map_err(|e| OAuthError::Tls(e.to_string()))?;
    let agent = ureq::AgentBuilder::new()
        .timeout(HTTP_TIMEOUT)
        .tls_connector(std::sync::Arc::new(tls))
        .build();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match agent.post(url).send_form(&pairs) {
        Ok(response) => response
            .into_json::<T>()
            .map_err(|e| OAuthError::Unreadable {
                endpoint,
                url: url.to_string(),
                detail: e.to_string(),
            }),
        Err(ureq::Error::Status(status, response)) => {
            let (error, description) = response
                .into_json::<ErrorAnswer>()
                .map(|e| (e.error, e.error_description))
                .unwrap_or_else(|_| ("no OAuth error in the answer".into(), None));
            Err(OAuthError::Refused {
                endpoint,
                url: url.to_string(),
                status,
                error,
                description,
            })
        }
        Err(ureq::Error::Transport(t)) => Err(OAuthError::Unreachable {
            endpoint,
            url: url.to_string(),
            detail: t.kind().to_string(),
        }),
    }
}

/// An error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}
