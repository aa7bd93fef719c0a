//! Events: what mailreactor tells the world, as flat schema-1 JSON objects.
//!
//! A message event's id is built from what was observed (account, mailbox,
//! UIDVALIDITY, UID, kind), so a repeat after a crash or a replay carries
//! the same id and consumers can de-duplicate. Connection events get an id
//! that is unique when they happen.

use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// The schema version every event carries.
pub const SCHEMA: u32 = 1;

/// The JSON Schema of every event of this schema version (also committed
/// as `schema/events-1.json`; `mailreactor schema` prints it).
pub const JSON_SCHEMA: &str = include_str!("../schema/events-1.json");

/// One event, as written to stdout and the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub schema: u32,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// When mailreactor observed it, RFC 3339 UTC with milliseconds.
    pub time: String,
    pub account: String,
    pub mailbox: Option<String>,
    #[serde(flatten)]
    pub data: EventData,
}

/// The event types of schema 1 that this version emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "message.deleted")]
    MessageDeleted,
    #[serde(rename = "message.flags-changed")]
    MessageFlagsChanged,
    #[serde(rename = "mailbox.reset")]
    MailboxReset,
    #[serde(rename = "account.connected")]
    AccountConnected,
    #[serde(rename = "account.disconnected")]
    AccountDisconnected,
    #[serde(rename = "account.auth-failed")]
    AccountAuthFailed,
    #[serde(rename = "sink.dead-lettered")]
    SinkDeadLettered,
}

impl EventKind {
    /// Every event type of this schema.
    pub const ALL: [EventKind; 8] = [
        EventKind::MessageReceived,
        EventKind::MessageDeleted,
        EventKind::MessageFlagsChanged,
        EventKind::MailboxReset,
        EventKind::AccountConnected,
        EventKind::AccountDisconnected,
        EventKind::AccountAuthFailed,
        EventKind::SinkDeadLettered,
    ];

    /// When an event of this type happens, in one line: the one text the
    /// man page, the JSON Schema and the README's table are checked against.
    pub fn description(self) -> &'static str {
        match self {
            EventKind::MessageReceived => "a new message is in a watched mailbox",
            EventKind::MessageDeleted => "a message was expunged",
            EventKind::MessageFlagsChanged => "a message's flags changed, by any client",
            EventKind::MailboxReset => {
                "the mailbox's UIDVALIDITY changed (deleted and re-created, or rebuilt by the \
                 server): a new baseline is taken, and only mail that arrived since the mailbox \
                 was last seen is announced"
            }
            EventKind::AccountConnected => "a mailbox's connection is up and watching",
            EventKind::AccountDisconnected => {
                "a watching connection was lost (mailreactor reconnects with backoff)"
            }
            EventKind::AccountAuthFailed => {
                "the login was rejected or no password could be had; once per outage, retried \
                 every ~5 minutes"
            }
            EventKind::SinkDeadLettered => "a sink gave up on an event after its retries",
        }
    }

    /// The name used in the `type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MessageReceived => "message.received",
            EventKind::MessageDeleted => "message.deleted",
            EventKind::MessageFlagsChanged => "message.flags-changed",
            EventKind::MailboxReset => "mailbox.reset",
            EventKind::AccountConnected => "account.connected",
            EventKind::AccountDisconnected => "account.disconnected",
            EventKind::AccountAuthFailed => "account.auth-failed",
            EventKind::SinkDeadLettered => "sink.dead-lettered",
        }
    }
}

/// The fields that depend on the event type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventData {
    Message(Box<MessageInfo>),
    Reset {
        uidvalidity: u32,
        previous_uidvalidity: u32,
        /// Messages of the new UIDVALIDITY that arrived after the mailbox
        /// was last seen, announced before this event. (Absent in events
        /// journaled by versions before it: 0.)
        #[serde(default)]
        announced: u32,
    },
    FlagsChanged {
        uidvalidity: u32,
        uid: u32,
        /// The flags now (`\Recent` left out).
        flags: Vec<String>,
        /// The message's MODSEQ after the change (RFC 7162).
        modseq: u64,
    },
    Deleted {
        uidvalidity: u32,
        uid: u32,
    },
    Connected {
        /// "notify", "idle" or "poll": how this connection watches.
        watch_mode: String,
    },
    DeadLettered {
        sink: String,
        event_id: String,
        event_type: String,
        error: String,
        attempts: u32,
    },
    Problem {
        reason: String,
    },
}

/// What a `message.received` says about the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageInfo {
    pub uidvalidity: u32,
    pub uid: u32,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// The Date header, normalised to UTC.
    pub date: Option<String>,
    /// RFC822.SIZE: the whole message in octets.
    pub size: Option<u32>,
    pub flags: Vec<String>,
    pub preview: Option<String>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: Option<String>,
    pub content_type: String,
    /// Size of the part as stored in the message (transfer-encoded octets).
    pub size: u32,
}

/// RFC 3339 with milliseconds, UTC: `2026-11-23T07:40:00.123Z`.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

impl Event {
    fn new(
        kind: EventKind,
        id: String,
        account: &str,
        mailbox: Option<&str>,
        data: EventData,
    ) -> Event {
        Event {
            schema: SCHEMA,
            id,
            kind,
            time: now_rfc3339(),
            account: account.to_string(),
            mailbox: mailbox.map(str::to_string),
            data,
        }
    }

    /// A new message; the id is `account/mailbox/uidvalidity/uid/received`.
    pub fn received(account: &str, mailbox: &str, info: MessageInfo) -> Event {
        let id = format!(
            "{account}/{mailbox}/{}/{}/received",
            info.uidvalidity, info.uid
        );
        let data = EventData::Message(Box::new(info));
        Event::new(EventKind::MessageReceived, id, account, Some(mailbox), data)
    }

    /// A message was expunged; the id is `account/mailbox/uidvalidity/uid/deleted`.
    pub(crate) fn deleted(account: &str, mailbox: &str, uidvalidity: u32, uid: u32) -> Event {
        let id = format!("{account}/{mailbox}/{uidvalidity}/{uid}/deleted");
        let data = EventData::Deleted { uidvalidity, uid };
        Event::new(EventKind::MessageDeleted, id, account, Some(mailbox), data)
    }

    /// A message's flags changed; the id names the MODSEQ of the change,
    /// so the same change seen twice has one id, and a later one another.
    pub(crate) fn flags_changed(
        account: &str,
        mailbox: &str,
        uidvalidity: u32,
        uid: u32,
        flags: Vec<String>,
        modseq: u64,
    ) -> Event {
        let id = format!("{account}/{mailbox}/{uidvalidity}/{uid}/flags/{modseq}");
        let data = EventData::FlagsChanged {
            uidvalidity,
            uid,
            flags,
            modseq,
        };
        Event::new(
            EventKind::MessageFlagsChanged,
            id,
            account,
            Some(mailbox),
            data,
        )
    }

    /// UIDVALIDITY changed: every remembered UID is void. The id names the
    /// new UIDVALIDITY, which a server never reuses for the mailbox.
    pub(crate) fn reset(
        account: &str,
        mailbox: &str,
        previous: u32,
        uidvalidity: u32,
        announced: u32,
    ) -> Event {
        let id = format!("{account}/{mailbox}/{uidvalidity}/reset");
        let data = EventData::Reset {
            uidvalidity,
            previous_uidvalidity: previous,
            announced,
        };
        Event::new(EventKind::MailboxReset, id, account, Some(mailbox), data)
    }

    pub(crate) fn connected(account: &str, mailbox: &str, watch_mode: &str) -> Event {
        let data = EventData::Connected {
            watch_mode: watch_mode.to_string(),
        };
        let id = unique_id(account, Some(mailbox), "connected");
        Event::new(
            EventKind::AccountConnected,
            id,
            account,
            Some(mailbox),
            data,
        )
    }

    pub(crate) fn disconnected(account: &str, mailbox: &str, reason: String) -> Event {
        let id = unique_id(account, Some(mailbox), "disconnected");
        let data = EventData::Problem { reason };
        Event::new(
            EventKind::AccountDisconnected,
            id,
            account,
            Some(mailbox),
            data,
        )
    }

    pub(crate) fn auth_failed(account: &str, reason: String) -> Event {
        let id = unique_id(account, None, "auth-failed");
        let data = EventData::Problem { reason };
        Event::new(EventKind::AccountAuthFailed, id, account, None, data)
    }

    /// A sink gave up on `event` after `attempts`; the id names both, so a
    /// repeat is recognised.
    pub(crate) fn dead_lettered(sink: &str, event: &Event, error: String, attempts: u32) -> Event {
        let id = format!("{}/dead-lettered/{sink}", event.id);
        let data = EventData::DeadLettered {
            sink: sink.to_string(),
            event_id: event.id.clone(),
            event_type: event.kind.as_str().to_string(),
            error,
            attempts,
        };
        let mailbox = event.mailbox.as_deref();
        Event::new(
            EventKind::SinkDeadLettered,
            id,
            &event.account,
            mailbox,
            data,
        )
    }

    /// The message fields, for a message event.
    pub fn message(&self) -> Option<&MessageInfo> {
        match &self.data {
            EventData::Message(m) => Some(m),
            _ => None,
        }
    }

    /// One JSON line, without the newline.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        self.write_json(&mut out);
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// [`Event::to_json`] appended to `out`, which can be reused from one
    /// event to the next (a batch costs one buffer, not one per event).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("events always serialise");
    }
}

/// `account[/mailbox]/kind/<unix ms>-<random>`: unique, and sorts by time.
fn unique_id(account: &str, mailbox: Option<&str>, kind: &str) -> String {
    let ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let rand = fastrand::u32(..);
    match mailbox {
        Some(m) => format!("{account}/{m}/{kind}/{ms}-{rand:08x}"),
        None => format!("{account}/{kind}/{ms}-{rand:08x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_event_is_flat_and_deterministic() {
        let info = MessageInfo {
            uidvalidity: 7,
            uid: 42,
            subject: Some("Hi".into()),
            ..Default::default()
        };
        let e = Event::received("work", "INBOX", info.clone());
        assert_eq!(e.id, "work/INBOX/7/42/received");
        assert_eq!(Event::received("work", "INBOX", info).id, e.id);
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["schema"], 1);
        assert_eq!(v["type"], "message.received");
        assert_eq!(v["uid"], 42);
        assert_eq!(v["subject"], "Hi");
        assert!(v["message_id"].is_null());
        assert_eq!(v["attachments"], serde_json::json!([]));
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn connection_ids_are_unique() {
        let a = Event::connected("w", "INBOX", "idle");
        let b = Event::connected("w", "INBOX", "idle");
        assert_ne!(a.id, b.id);
        assert!(a.id.starts_with("w/INBOX/connected/"));
    }

    #[test]
    fn round_trips_through_json() {
        let e = Event::reset("w", "INBOX", 1, 2, 3);
        let back: Event = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(back, e);
        // Journaled before `announced` existed: read as 0.
        let old = e.to_json().replace(",\"announced\":3", "");
        let back: Event = serde_json::from_str(&old).unwrap();
        assert!(
            matches!(back.data, EventData::Reset { announced: 0, .. }),
            "{old}"
        );
        let e = Event::auth_failed("w", "bad password".into());
        let back: Event = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(back, e);
        let e = Event::deleted("w", "INBOX", 3, 9);
        assert_eq!(e.id, "w/INBOX/3/9/deleted");
        let back: Event = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(back, e);
        let e = Event::flags_changed("w", "INBOX", 3, 9, vec!["\\Seen".into()], 77);
        assert_eq!(e.id, "w/INBOX/3/9/flags/77");
        let back: Event = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(back, e);
    }
}
