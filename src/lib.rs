//! mailreactor watches IMAP mailboxes and turns what happens in them into
//! events for other programs: JSON lines, hooks, notifications, and the
//! async handlers of a Rust program that embeds it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mailreactor::{Profile, Watcher};
//!
//! let profile = Profile::load("mail.toml".as_ref(), "mail")?;
//! Watcher::new(profile)
//!     .on("message.received", |event| async move {
//!         println!("{:?}", event.message().and_then(|m| m.subject.clone()));
//!         Ok(())
//!     })
//!     .run()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The public surface is small: [`Watcher`] runs a [`Profile`] (read from
//! a file, or built in code from the types in [`profile`]) and hands
//! [`Event`]s to [`Sink`]s and handlers chosen by a [`Subscription`];
//! [`Shutdown`] stops it; [`Error`] says why it could not. Everything else
//! is private. ARCHITECTURE.md walks through the modules.

mod backoff;
mod config;
mod credential;
mod daemon;
mod dispatch;
mod error;
mod event;
mod footprint;
mod http;
mod imap;
mod lock;
mod message;
mod metrics;
mod private;
mod process;
mod shutdown;
mod sink;
mod store;
mod subscription;
mod systemd;
mod text;
mod tls;
mod utf7;
mod watch;
mod watcher;

// The command-line program: private, reached only through `cli_main`.
mod cli;
mod cmd;
mod exit;
mod logging;
mod manual;

pub use config::{Profile, ProfileError};
pub use daemon::Outcome;
pub use error::Error;
pub use event::{Address, Attachment, Event, EventData, EventKind, MessageInfo};
pub use shutdown::Shutdown;
pub use sink::{Delivery, Sink, SinkError, SinkSpec};
pub use subscription::{Conditions, Subscription};
pub use watch::Watcher;

/// The parts of a [`Profile`], for building one in code.
pub mod profile {
    pub use crate::config::{
        Account, ChangeTracking, HookConfig, HookRun, HttpConfig, Journal, Mechanism, Mode,
        NotifyConfig, OAuth2Client, RedisConfig, RetryPolicy, SecretSource, StoreConfig, Template,
        Tls, Urgency, WebhookConfig,
    };
}

/// Decodes a whole raw message (RFC 5322 bytes) the way a fetch sees it:
/// the fields of a `message.received` event. Never fails: what cannot be
/// decoded is `None` or empty.
pub fn decode_message(uidvalidity: u32, uid: u32, raw: &[u8]) -> MessageInfo {
    message::decode_raw(uidvalidity, uid, raw)
}

/// The JSON Schema (draft 2020-12) of every event of schema 1.
pub const EVENT_SCHEMA: &str = event::JSON_SCHEMA;

/// The `mailreactor` program: parses the command line, runs the command,
/// and returns its exit code. For `src/main.rs` only.
#[doc(hidden)]
pub fn cli_main() -> std::process::ExitCode {
    cmd::main()
}

/// The core-cost benchmark reaches past the public API (the journal and the
/// dispatcher without IMAP); only with the `bench` feature.
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod bench {
    pub use crate::dispatch::Dispatcher;
    pub use crate::metrics::Metrics;
    pub use crate::sink::broker::RedisSink;
    pub use crate::store::{Backend, Location, Store, open};
}
