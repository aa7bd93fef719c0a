//! The device authorization grant (RFC 8628), for machines without a
//! browser: the user enters a short code on any other device, while
//! mailreactor polls the token endpoint for the outcome.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{PostError, TokenAnswer, post};
use crate::config::OAuth2Client;
use crate::secret::SecretError;

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
pub fn sign_in(
    client: &OAuth2Client,
    show: impl FnOnce(&str, &str, Option<&str>),
) -> Result<String, SecretError> {
    let url = client.device_url.as_deref().ok_or_else(|| {
        SecretError::OAuth(
            "[account.oauth2] has no device-url: this provider (or this profile) offers no \
             device sign-in; use `auth login --print` on a machine with a browser"
                .into(),
        )
    })?;
    let fail = |e: PostError| match e {
        PostError::Refused {
            error, description, ..
        } => SecretError::OAuth(format!(
            "the device endpoint {url} refused: {error}{}",
            description.map(|d| format!(": {d}")).unwrap_or_default()
        )),
        PostError::Other(e) => SecretError::OAuth(format!("device endpoint: {e}")),
    };
    let device: DeviceAnswer =
        post(client, url, vec![("scope", client.scopes.join(" "))]).map_err(fail)?;
    show(
        &device.verification_uri,
        &device.user_code,
        device.verification_uri_complete.as_deref(),
    );
    let deadline = Instant::now() + Duration::from_secs(device.expires_in);
    let mut interval = Duration::from_secs(device.interval.unwrap_or(5).max(1));
    loop {
        std::thread::sleep(interval);
        if Instant::now() > deadline {
            return Err(SecretError::OAuth(
                "the code expired before the sign-in was completed".into(),
            ));
        }
        let form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:device_code".to_string(),
            ),
            ("device_code", device.device_code.clone()),
        ];
        match post::<TokenAnswer>(client, &client.token_url, form) {
            Ok(answer) => {
                return answer.refresh_token.ok_or_else(|| {
                    SecretError::OAuth("the provider sent no refresh token".into())
                });
            }
            Err(PostError::Refused { error, .. }) if error == "authorization_pending" => {}
            Err(PostError::Refused { error, .. }) if error == "slow_down" => {
                interval += Duration::from_secs(5);
            }
            Err(e) => return Err(e.into_secret_error(&client.token_url)),
        }
    }
}
