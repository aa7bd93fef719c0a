//! The status page (`GET /`): one self-contained HTML file with no
//! external assets, and the JSON it reads (`GET /status`): accounts and
//! their mailboxes, sinks with lag and dead letters, the journal. The
//! page follows `/events` for the live list. It shows mail content only
//! as text (`textContent`), never as markup.

use std::sync::{Arc, LazyLock};

use base64::Engine as _;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{Face, refused};

const PAGE: &str = include_str!("page.html");

/// What the page may do: run its own script (by hash: no other script,
/// and no inline handler, even if markup got in), use its inline style,
/// talk to this server; nothing else (no frames, no remote assets).
static POLICY: LazyLock<String> = LazyLock::new(|| {
    let script = PAGE
        .split_once("<script>")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map_or("", |(script, _)| script);
    let hash = openssl::sha::sha256(script.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(hash);
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
         connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
});

pub(super) async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY.as_str()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
        .into_response()
}

#[derive(Serialize)]
struct Status {
    version: &'static str,
    ready: bool,
    problems: Vec<String>,
    accounts: Vec<Account>,
    sinks: Vec<Sink>,
    journal: Journal,
}

#[derive(Serialize)]
struct Account {
    name: String,
    connected: bool,
    mailboxes: Vec<Mailbox>,
}

#[derive(Serialize)]
struct Mailbox {
    name: String,
    connected: bool,
}

#[derive(Serialize)]
struct Sink {
    name: String,
    /// The last journal entry it finished.
    delivered: i64,
    lag: i64,
    dead_letters: u64,
}

#[derive(Serialize)]
struct Journal {
    events: u64,
    /// The highest sequence number: where `/events?since=` starts for
    /// what comes next.
    last: i64,
}

pub(super) async fn status(State(face): State<Arc<Face>>, headers: HeaderMap) -> Response {
    if let Some(no) = refused(&face, &headers) {
        return no;
    }
    let stored = face
        .store
        .call(|b| Ok((b.sinks()?, b.journal_len()?, b.last_seq()?)))
        .await;
    let (sinks, events, last) = match stored {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("[http]: cannot read the state for /status: {e}");
            let body = serde_json::json!({ "error": "the state cannot be read now" });
            return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
        }
    };
    let problems = face.metrics.not_ready();
    let accounts = face
        .metrics
        .mailboxes()
        .into_iter()
        .map(|(name, boxes)| Account {
            name,
            connected: boxes.iter().all(|(_, ok)| *ok),
            mailboxes: boxes
                .into_iter()
                .map(|(name, connected)| Mailbox { name, connected })
                .collect(),
        })
        .collect();
    let status = Status {
        version: env!("CARGO_PKG_VERSION"),
        ready: problems.is_empty(),
        problems,
        accounts,
        sinks: sinks
            .into_iter()
            .map(|s| Sink {
                name: s.sink,
                delivered: s.delivered,
                lag: s.lag,
                dead_letters: s.dead_letters,
            })
            .collect(),
        journal: Journal { events, last },
    };
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(status)).into_response()
}
