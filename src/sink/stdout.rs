//! Events on standard output: a JSON line each (for pipes and `--json`),
//! or one readable line each on a terminal.

use std::io;
use std::sync::Arc;

use super::{Delivery, Sink, SinkError, SinkSpec};
use crate::event::{Event, EventData};
use crate::subscription::Subscription;

/// At most this many events that are already waiting go out in one write.
/// A reader that keeps up still gets each event as it comes; a backlog (a
/// catch-up) costs one write and one delivery-cursor update per batch
/// rather than per event.
pub const BATCH: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Human,
}

pub struct StdoutSink {
    format: Format,
}

impl StdoutSink {
    pub fn new(format: Format) -> StdoutSink {
        StdoutSink { format }
    }

    /// The dispatcher settings: every event, in order, in batches of what
    /// is waiting.
    pub fn spec() -> SinkSpec {
        SinkSpec {
            max_batch: BATCH,
            ..SinkSpec::new(Subscription::all(&["*"]))
        }
    }

    /// Async, so that a reader who does not keep up stalls this sink's
    /// task only, never the daemon or the other sinks.
    async fn write(&self, events: &[Arc<Event>]) -> Result<(), SinkError> {
        use tokio::io::AsyncWriteExt;
        let mut text = Vec::with_capacity(events.len() * 1024);
        for event in events {
            match self.format {
                Format::Json => event.write_json(&mut text),
                Format::Human => {
                    text.extend_from_slice(crate::text::terminal_safe(&human(event)).as_bytes())
                }
            }
            text.push(b'\n');
        }
        let mut out = tokio::io::stdout();
        out.write_all(&text).await.map_err(map_io)?;
        out.flush().await.map_err(map_io)
    }
}

fn map_io(e: io::Error) -> SinkError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        SinkError::Closed
    } else {
        SinkError::Failed(format!("cannot write to stdout: {e}"))
    }
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        "stdout"
    }

    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        Box::pin(self.write(events))
    }
}

/// `07:40:00 work/INBOX  new  Ann <ann@example.com>: Hello [1 attachment]`
pub fn human(e: &Event) -> String {
    let clock = e.time.get(11..19).unwrap_or(&e.time);
    let place = match &e.mailbox {
        Some(m) => format!("{}/{m}", e.account),
        None => e.account.clone(),
    };
    let what = match &e.data {
        EventData::Message(m) => {
            let from = m
                .from
                .first()
                .map(|a| match (&a.name, &a.address) {
                    (Some(n), Some(ad)) => format!("{n} <{ad}>"),
                    (Some(n), None) => n.clone(),
                    (None, Some(ad)) => ad.clone(),
                    (None, None) => "(unknown sender)".into(),
                })
                .unwrap_or_else(|| "(no sender)".into());
            let subject = m.subject.as_deref().unwrap_or("(no subject)");
            let att = match m.attachments.len() {
                0 => String::new(),
                1 => " [1 attachment]".into(),
                n => format!(" [{n} attachments]"),
            };
            format!("new mail  {from}: {subject}{att}")
        }
        EventData::Reset {
            uidvalidity,
            previous_uidvalidity,
            announced,
        } => format!(
            "mailbox reset (UIDVALIDITY {previous_uidvalidity} → {uidvalidity}): new baseline, \
             {announced} new since last seen"
        ),
        EventData::FlagsChanged { uid, flags, .. } => {
            let flags = if flags.is_empty() {
                "(none)".to_string()
            } else {
                flags.join(" ")
            };
            format!("flags     UID {uid}: {flags}")
        }
        EventData::Deleted { uid, .. } => format!("deleted   UID {uid}"),
        EventData::Connected { watch_mode } => format!("connected ({watch_mode})"),
        EventData::DeadLettered {
            sink,
            event_id,
            error,
            attempts,
            ..
        } => format!("{sink} gave up on {event_id} after {attempts} attempts: {error}"),
        EventData::Problem { reason } => format!("{}: {reason}", e.kind.as_str()),
    };
    format!("{clock} {place}  {what}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Address, MessageInfo};

    #[test]
    fn human_line_for_mail() {
        let info = MessageInfo {
            uid: 3,
            subject: Some("Hello".into()),
            from: vec![Address {
                name: Some("Ann".into()),
                address: Some("ann@example.com".into()),
            }],
            ..Default::default()
        };
        let line = human(&Event::received("work", "INBOX", info));
        assert!(
            line.ends_with("work/INBOX  new mail  Ann <ann@example.com>: Hello"),
            "{line}"
        );
    }
}
