//! The daemon's HTTP face, on its own tokio runtime task (axum):
//! `/healthz` (the process answers), `/readyz` (every mailbox connected and
//! no sink dead-lettering lately; 503 with what is wrong otherwise),
//! `/metrics` (Prometheus, OpenMetrics text) and `/events` (Server-Sent
//! Events: each journaled event, resumed from the journal after a
//! reconnect with `Last-Event-ID` or `?since=SEQ`). With a token, every endpoint
//! but `/healthz` wants `Authorization: Bearer TOKEN`, compared in constant
//! time. A client that is slow or stuck holds only its own connection.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::HttpConfig;
use crate::credential::Secret;
use crate::event::Event;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::subscription::Subscription;

/// Why the HTTP face could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot listen on {addr} ([http] listen): {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot get the [http] token: {0}")]
    Token(#[source] crate::credential::CredentialError),
}

struct Face {
    metrics: Arc<Metrics>,
    store: Store,
    live: Live,
    token: Option<Secret>,
}

/// Journaled events as they are recorded, for `/events`.
pub(crate) type Live = tokio::sync::broadcast::Sender<(i64, Arc<Event>)>;

/// How many live events wait for an `/events` client before it counts as
/// too slow and is dropped.
pub(crate) const LIVE_BUFFER: usize = 1024;

/// Binds `config.listen` and serves until `stop`; returns at once (the
/// server runs as a task). A taken address is an error here, at start.
pub(crate) async fn start(
    config: &HttpConfig,
    (metrics, store, live): (Arc<Metrics>, Store, Live),
    stop: Shutdown,
) -> Result<SocketAddr, HttpError> {
    let token = config
        .token
        .as_ref()
        .map(crate::credential::resolve)
        .transpose()
        .map_err(HttpError::Token)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| HttpError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(config.listen);
    let face = Arc::new(Face {
        metrics,
        store,
        live,
        token,
    });
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
        .route("/events", get(events))
        .with_state(face);
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            stop.wait().await;
        });
        if let Err(e) = serve.await {
            tracing::error!("[http]: the server stopped: {e}");
        }
    });
    tracing::info!("[http]: listening on http://{addr}/ (metrics, healthz, readyz, events)");
    Ok(addr)
}

/// `None` when the request may pass; the 401 otherwise.
fn refused(face: &Face, headers: &HeaderMap) -> Option<Response> {
    let want = face.token.as_ref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let ok = given.len() == want.expose().len()
        && openssl::memcmp::eq(given.as_bytes(), want.expose().as_bytes());
    if ok {
        return None;
    }
    Some(
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid bearer token is needed\n",
        )
            .into_response(),
    )
}

async fn ready(State(face): State<Arc<Face>>, headers: HeaderMap) -> Response {
    if let Some(no) = refused(&face, &headers) {
        return no;
    }
    let problems = face.metrics.not_ready();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": problems.is_empty(), "problems": problems });
    (status, axum::Json(body)).into_response()
}

async fn metrics_text(State(face): State<Arc<Face>>, headers: HeaderMap) -> Response {
    if let Some(no) = refused(&face, &headers) {
        return no;
    }
    let now = face
        .store
        .call(|b| Ok((b.sinks()?, b.journal_len()?)))
        .await;
    match now {
        Ok((sinks, journal)) => face.metrics.store(&sinks, journal),
        Err(e) => tracing::warn!("[http]: cannot read the state for /metrics: {e}"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        face.metrics.encode(),
    )
        .into_response()
}

/// What `/events` takes: where to resume, and which events.
#[derive(Debug, Default, serde::Deserialize)]
struct EventsQuery {
    since: Option<i64>,
    /// Type patterns, comma-separated (`message.*,account.*`).
    on: Option<String>,
    account: Option<String>,
    mailbox: Option<String>,
}

/// Server-Sent Events: `id:` the journal sequence, `event:` the type,
/// `data:` the schema-1 JSON. With `Last-Event-ID` (or `?since=`), what the
/// client missed comes from the journal first, then the live stream, none
/// twice. A client that falls [`LIVE_BUFFER`] events behind is dropped.
async fn events(
    State(face): State<Arc<Face>>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Response {
    if let Some(no) = refused(&face, &headers) {
        return no;
    }
    let since = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok()?.trim().parse().ok())
        .or(q.since);
    let patterns: Vec<String> =
        q.on.as_deref()
            .unwrap_or("*")
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
    let mut wanted = Subscription::all(&patterns.iter().map(String::as_str).collect::<Vec<_>>());
    wanted.account = q.account;
    wanted.mailbox = q.mailbox;
    // Subscribed before the journal is read: nothing falls in between.
    let live = face.live.subscribe();
    let (tx, rx) = tokio::sync::mpsc::channel::<SseEvent>(64);
    tokio::spawn(feed(face.store.clone(), live, since, wanted, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|e| (Ok::<_, std::convert::Infallible>(e), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn sse(seq: i64, e: &Event) -> SseEvent {
    SseEvent::default()
        .id(seq.to_string())
        .event(e.kind.as_str())
        .data(e.to_json())
}

/// Feeds one `/events` client: the journal after `since`, then the live
/// events; ends when the client goes or falls behind.
async fn feed(
    store: Store,
    mut live: tokio::sync::broadcast::Receiver<(i64, Arc<Event>)>,
    since: Option<i64>,
    wanted: Subscription,
    tx: tokio::sync::mpsc::Sender<SseEvent>,
) {
    const CHUNK: usize = 500;
    let mut last = since;
    if let Some(mut after) = since {
        loop {
            let from = after;
            let rows = match store
                .call(move |b| b.events_between(from, i64::MAX, CHUNK))
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!("[http] /events: cannot read the journal: {e}");
                    return;
                }
            };
            let n = rows.len();
            for (seq, json) in rows {
                after = seq;
                let Ok(e) = serde_json::from_str::<Event>(&json) else {
                    continue;
                };
                if wanted.matches(&e) && tx.send(sse(seq, &e)).await.is_err() {
                    return;
                }
            }
            if n < CHUNK {
                break;
            }
        }
        last = Some(after);
    }
    loop {
        match live.recv().await {
            Ok((seq, e)) => {
                if last.is_some_and(|l| seq <= l) {
                    continue;
                }
                last = Some(seq);
                if wanted.matches(&e) && tx.send(sse(seq, &e)).await.is_err() {
                    return;
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::info!(
                    "[http] /events: a client fell {n} events behind and was dropped; it can \
                     resume with Last-Event-ID"
                );
                return;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
