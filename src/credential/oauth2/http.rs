//! The token endpoint over HTTPS (RFC 6749): refreshing an access token,
//! and the POST that the sign-in flows share.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::{DEFAULT_LIFETIME, HTTP_TIMEOUT, MARGIN, MAX_LIFETIME, OAuthError, TokenFile};
use crate::config::OAuth2Client;
use crate::credential::Secret;

/// See [`super::access_token`]. The expiry stays in the file
/// ([`TokenFile::expiry`]).
pub(super) fn access_token(
    client: &OAuth2Client,
    file: &TokenFile,
    force: bool,
) -> Result<Secret, OAuthError> {
    let mut saved = file.load();
    let now = SystemTime::now();
    if !force && let (Some(access), Some(at)) = (&saved.access_token, saved.expires_at) {
        let expires_at = super::unix_time(at);
        if expires_at > now + MARGIN {
            return Ok(Secret::new(access.clone()));
        }
    }
    let refresh = match (&saved.refresh_token, &client.refresh_token) {
        (Some(r), _) => r.clone(),
        (None, Some(source)) => crate::credential::resolve(source)
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
    let lifetime = answer.expires_in.map_or(DEFAULT_LIFETIME, |s| {
        Duration::from_secs(s).min(MAX_LIFETIME)
    });
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
        let s = crate::credential::resolve(source)
            .map_err(|e| OAuthError::ClientSecret(Box::new(e)))?;
        form.push(("client_secret", s.expose().to_string()));
    }
    let tls = crate::tls::builder()
        .build()
        .map_err(|e| OAuthError::Tls(e.to_string()))?;
    let agent = ureq::AgentBuilder::new()
        .timeout(HTTP_TIMEOUT)
        .tls_connector(std::sync::Arc::new(tls))
        .build();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match agent.post(url).send_form(&pairs) {
        Ok(response) => {
            serde_json::from_reader(bounded(response)).map_err(|e| OAuthError::Unreadable {
                endpoint,
                url: url.to_string(),
                detail: e.to_string(),
            })
        }
        Err(ureq::Error::Status(status, response)) => {
            let (error, description) = serde_json::from_reader::<_, ErrorAnswer>(bounded(response))
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

/// An endpoint's answer, read no further than [`ANSWER_MAX`]: an answer
/// that goes on is cut, and then fails to parse.
fn bounded(response: ureq::Response) -> impl std::io::Read {
    std::io::Read::take(response.into_reader(), ANSWER_MAX)
}

/// The most of an endpoint's answer that is read (a token answer is a few
/// KiB).
const ANSWER_MAX: u64 = 64 * 1024;

/// An error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}
