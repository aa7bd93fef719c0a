//! The device authorization grant (RFC 8628), for machines without a
//! browser: the user enters a short code on any other device, while
//! mailreactor polls the token endpoint for the outcome.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::OAuthError;
use super::http::{TokenAnswer, post};
use crate::config::OAuth2Client;

/// The device authorization answer (RFC 8628 §3.2). Google says
/// `verification_url`.
#[derive(Deserialize)]
struct DeviceAnswer {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: u64,
    interval: Option<u64>,
}

/// Runs the flow: `show` is told where to go and which code to enter;
/// returns the refresh token.
pub(crate) fn sign_in(
    client: &OAuth2Client,
    show: impl FnOnce(&str, &str, Option<&str>),
) -> Result<String, OAuthError> {
    let url = client.device_url.as_deref().ok_or_else(|| {
        OAuthError::Profile(
            "[account.oauth2] has no device-url: this provider (or this profile) offers no \
             device sign-in; use `auth login --print` on a machine with a browser"
                .into(),
        )
    })?;
    let device: DeviceAnswer = post(
        client,
        "device endpoint",
        url,
        vec![("scope", client.scopes.join(" "))],
    )?;
    show(
        &device.verification_uri,
        &device.user_code,
        device.verification_uri_complete.as_deref(),
    );
    // The provider's numbers, kept within reason (and from overflowing).
    let deadline = Instant::now() + Duration::from_secs(device.expires_in.min(3600));
    let mut interval = Duration::from_secs(device.interval.unwrap_or(5).clamp(1, 60));
    loop {
        std::thread::sleep(interval);
        if Instant::now() > deadline {
            return Err(OAuthError::CodeExpired);
        }
        let form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:device_code".to_string(),
            ),
            ("device_code", device.device_code.clone()),
        ];
        match post::<TokenAnswer>(client, "token endpoint", &client.token_url, form) {
            Ok(answer) => {
                return answer
                    .refresh_token
                    .ok_or(OAuthError::NoRefreshTokenSent(""));
            }
            Err(OAuthError::Refused { error, .. }) if error == "authorization_pending" => {}
            Err(OAuthError::Refused { error, .. }) if error == "slow_down" => {
                interval = (interval + Duration::from_secs(5)).min(Duration::from_secs(60));
            }
            Err(e) => return Err(e),
        }
    }
}
