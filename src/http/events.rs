//! `GET /events`: Server-Sent Events, one per journaled event, resumed
//! from the journal after a reconnect, filtered by type, account, mailbox.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::{Face, refused};
use crate::event::Event;
use crate::store::Store;
use crate::subscription::Subscription;

/// What `/events` takes: where to resume, and which events.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct EventsQuery {
    since: Option<i64>,
    /// Type patterns, comma-separated (`message.*,account.*`).
    on: Option<String>,
    account: Option<String>,
    mailbox: Option<String>,
}

/// Server-Sent Events: `id:` the journal sequence, `event:` the type,
/// `data:` the schema-1 JSON. With `Last-Event-ID` (or `?since=`), what the
/// client missed comes from the journal first, then the live stream, none
/// twice. A client that falls [`super::LIVE_BUFFER`] events behind is dropped.
pub(super) async fn events(
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
