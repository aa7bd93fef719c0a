//! The daemon's HTTP face, on its own tokio runtime task (axum):
//! `/healthz` (the process answers), `/readyz` (every mailbox connected and
//! no sink dead-lettering lately; 503 with what is wrong otherwise),
//! `/metrics` (Prometheus, OpenMetrics text), `/events` (Server-Sent
//! Events, in `events`) and the status page `/` with its data, `/status`
//! (in `status`). With a token, every endpoint but `/healthz` and the page
//! (static, holding no data) wants `Authorization: Bearer TOKEN`, compared
//! in constant time. A client that is slow or stuck holds only its own
//! connection.

mod events;
mod status;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::HttpConfig;
use crate::credential::Secret;
use crate::event::Event;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::Store;

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
        .route("/events", get(events::events))
        .route("/status", get(status::status))
        .route("/", get(status::page))
        .with_state(face);
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            stop.wait().await;
        });
        if let Err(e) = serve.await {
            tracing::error!("[http]: the server stopped: {e}");
        }
    });
    tracing::info!(
        "[http]: listening on http://{addr}/ (the status page; /metrics, /healthz, /readyz, \
         /events, /status)"
    );
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
