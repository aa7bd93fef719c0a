//! Webhooks: each event as a signed HTTP POST, the way receivers verify
//! them (Standard Webhooks): the body is the event's JSON line,
//! `webhook-id` its id (the same on every retry and replay, so receivers
//! can drop repeats), `webhook-timestamp` the attempt's time, and
//! `webhook-signature` a `v1,<base64 HMAC-SHA256>` of `id.timestamp.body`
//! per secret.
//!
//! The HTTP client is `ureq`, already used for OAuth2: it keeps connections
//! alive and reuses them, follows no redirect when told, and bounds every
//! request by a timeout. Its calls block, so each runs on tokio's blocking
//! pool: a slow or hanging endpoint holds a pool thread, never the runtime.
//! What an endpoint answers decides the outcome: 2xx delivered; 410 Gone
//! disables the endpoint; 429 and 503 are retried when `Retry-After` says;
//! anything else (a redirect too) is retried on the schedule.

use std::io::Read as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{Delivery, Sink, SinkError, SinkSpec};
use crate::config::{WebhookConfig, signing_key};
use crate::event::Event;

/// How much of an error answer's body is kept for the message.
const ERROR_BODY_KEPT: u64 = 4096;

pub struct WebhookSink {
    config: WebhookConfig,
    agent: OnceLock<Result<ureq::Agent, String>>,
    /// The HMAC keys, resolved from their sources on first use.
    keys: OnceLock<Vec<Vec<u8>>>,
    last: Mutex<Option<String>>,
}

impl WebhookSink {
    pub fn new(config: WebhookConfig) -> WebhookSink {
        WebhookSink {
            config,
            agent: OnceLock::new(),
            keys: OnceLock::new(),
            last: Mutex::new(None),
        }
    }

    /// The dispatcher settings this endpoint asks for.
    pub fn spec(&self) -> SinkSpec {
        SinkSpec {
            subscription: self.config.subscription.clone(),
            debounce: None,
            min_interval: None,
            concurrency: self.config.concurrency,
            retry: self.config.retry,
            max_batch: 1,
        }
    }

    /// One HTTP client for the endpoint: its connections are kept alive.
    fn agent(&self) -> Result<ureq::Agent, SinkError> {
        let made = self.agent.get_or_init(|| {
            let tls =
                crate::tls::connector(self.config.ca_file.as_deref()).map_err(|e| e.to_string())?;
            Ok(ureq::AgentBuilder::new()
                .timeout(self.config.timeout)
                .redirects(0)
                .max_idle_connections_per_host(self.config.concurrency as usize + 1)
                .user_agent(&format!("mailreactor/{}", env!("CARGO_PKG_VERSION")))
                .tls_connector(Arc::new(tls))
                .build())
        });
        made.clone().map_err(SinkError::Failed)
    }

    /// The signing keys, from their sources (once).
    fn keys(&self) -> Result<&[Vec<u8>], SinkError> {
        if let Some(k) = self.keys.get() {
            return Ok(k);
        }
        let mut keys = Vec::new();
        for source in &self.config.secrets {
            let secret = crate::credential::resolve(source)
                .map_err(|e| SinkError::Failed(format!("cannot get the signing secret: {e}")))?;
            keys.push(signing_key(secret.expose()).ok_or_else(|| {
                SinkError::Failed(
                    "the signing secret is not whsec_ and base64 (of 24 to 64 random bytes)".into(),
                )
            })?);
        }
        Ok(self.keys.get_or_init(|| keys))
    }

    async fn post(&self, event: &Event) -> Result<(), SinkError> {
        let agent = self.agent()?;
        let body = event.to_json();
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signature = signature(self.keys()?, &event.id, timestamp, &body);
        let mut request = agent
            .post(&self.config.url)
            .set("Content-Type", "application/json")
            .set("webhook-id", &event.id)
            .set("webhook-timestamp", &timestamp.to_string());
        if !signature.is_empty() {
            request = request.set("webhook-signature", &signature);
        }
        for (k, v) in &self.config.headers {
            request = request.set(k, v);
        }
        let started = Instant::now();
        let sent = tokio::task::spawn_blocking(move || answer(request.send_string(&body)))
            .await
            .map_err(|e| SinkError::Failed(format!("the request failed inside: {e}")))?;
        let took = started.elapsed().as_millis();
        let (status, outcome) = sent;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(match status {
            Some(s) => format!("{s} in {took} ms"),
            None => format!("no answer after {took} ms"),
        });
        outcome
    }
}

/// The `webhook-signature` header: `v1,<base64>` per key, space-separated;
/// empty without keys.
pub(crate) fn signature(keys: &[Vec<u8>], id: &str, timestamp: u64, body: &str) -> String {
    keys.iter()
        .map(|key| {
            let pkey = openssl::pkey::PKey::hmac(key).expect("any key makes an HMAC key");
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)
                    .expect("HMAC-SHA256 is available");
            signer
                .update(format!("{id}.{timestamp}.{body}").as_bytes())
                .expect("signing in memory cannot fail");
            let mac = signer.sign_to_vec().expect("signing in memory cannot fail");
            format!("v1,{}", BASE64.encode(mac))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What an answer means: (its status line, the outcome).
fn answer(result: Result<ureq::Response, ureq::Error>) -> (Option<String>, Result<(), SinkError>) {
    match result {
        Ok(r) if (200..300).contains(&r.status()) => {
            let status = format!("{} {}", r.status(), r.status_text());
            // Read the (ignored) body so the connection can be reused.
            let _ = std::io::copy(
                &mut r.into_reader().take(ERROR_BODY_KEPT),
                &mut std::io::sink(),
            );
            (Some(status), Ok(()))
        }
        // 1xx and 3xx arrive as Ok: redirects are not followed.
        Ok(r) => {
            let status = format!("{} {}", r.status(), r.status_text());
            let error = if (300..400).contains(&r.status()) {
                format!(
                    "the endpoint answered {status}, a redirect, which is not followed; give the \
                     URL it points to"
                )
            } else {
                format!("the endpoint answered {status}")
            };
            (Some(status), Err(SinkError::Failed(error)))
        }
        Err(ureq::Error::Status(code, r)) => {
            let status = format!("{code} {}", r.status_text());
            let retry_after = r
                .header("Retry-After")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let mut body = String::new();
            let _ = r
                .into_reader()
                .take(ERROR_BODY_KEPT)
                .read_to_string(&mut body);
            let said = crate::text::one_line(body.trim());
            let said: String = said.chars().take(200).collect();
            let error = if said.is_empty() {
                format!("the endpoint answered {status}")
            } else {
                format!("the endpoint answered {status}: {said}")
            };
            let outcome = match (code, retry_after) {
                (410, _) => SinkError::Gone(format!(
                    "the endpoint answered {status}: it asks to be sent nothing more"
                )),
                (429 | 503, Some(after)) => SinkError::RetryAfter { error, after },
                _ => SinkError::Failed(error),
            };
            (Some(status), Err(outcome))
        }
        Err(ureq::Error::Transport(t)) => (
            None,
            Err(SinkError::Failed(format!(
                "cannot reach the endpoint: {}",
                crate::text::one_line(&t.to_string())
            ))),
        ),
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        Box::pin(async move {
            for e in events {
                self.post(e).await?;
            }
            Ok(())
        })
    }

    fn last_outcome(&self) -> Option<String> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_test_vector() {
        let key = signing_key("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let sig = signature(
            &[key],
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(sig, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
        assert_eq!(signature(&[], "id", 1, "{}"), "");
    }
}
