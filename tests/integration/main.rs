//! The integration tests: one binary (as ripgrep and just do), a module
//! per area, sharing `common` (private Dovecots, profiles, the binary under
//! test, fault-injecting proxies). Run one area with
//! `cargo test --test integration watch::`.

mod common;

mod changes;
mod cluster;
mod commands;
mod faults;
mod generated;
mod hooks;
mod hostile;
mod hostile_local;
mod http_face;
mod journal;
mod library;
mod mailboxes;
mod notify;
mod oauth;
mod profile;
mod redis;
mod resilience;
mod schema;
mod secrets;
mod shared_store;
mod systemd;
mod watch;
mod webhooks;
