//! mailreactor watches IMAP mailboxes and turns what happens in them into
//! events for other programs: JSON lines, hooks, notifications.
//!
//! The binary is a thin client of this library. The pieces, one concern
//! each:
//!
//! - [`config`]: the TOML profile, validated, with precise errors;
//! - [`imap`]: one blocking connection watching one mailbox;
//! - [`watcher`]: the thread that drives a connection and reconnects;
//! - [`message`]: fetched bytes to decoded event fields;
//! - [`event`]: the schema-1 events;
//! - [`store`]: cursors, journal and delivery cursors in SQLite;
//! - [`daemon`]: the loop that records events and feeds the sinks;
//! - [`dispatch`]: fan-out to sinks, each isolated in its own task;
//! - [`sink`]: where events go (stdout, hooks, notifications, handlers);
//! - [`watch`]: the library entry point, [`Watcher`].

pub mod backoff;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod credential;
pub mod daemon;
pub mod dispatch;
pub mod event;
pub mod exit;
pub mod imap;
pub mod lock;
pub mod logging;
pub mod manual;
pub mod message;
pub mod process;
pub mod shutdown;
pub mod sink;
pub mod store;
pub mod subscription;
pub mod systemd;
pub mod utf7;
pub mod watch;
pub mod watcher;

pub use config::Profile;
pub use event::{Event, EventKind};
pub use shutdown::Shutdown;
pub use watch::Watcher;
