//! The profile as serde reads it: every key of the file, with the spans
//! `validate` needs to point at a line when a rule is broken.

use super::duration::HumanDuration;
use super::{Mode, Tls};
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawProfile {
    #[serde(default)]
    pub account: Vec<Spanned<RawAccount>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAccount {
    pub name: Spanned<String>,
    pub host: Spanned<String>,
    pub port: Option<Spanned<u16>>,
    pub tls: Option<Spanned<Tls>>,
    pub username: Spanned<String>,
    pub password: Option<Spanned<String>>,
    pub password_command: Option<Spanned<Vec<String>>>,
    pub password_env: Option<Spanned<String>>,
    pub mailboxes: Option<Spanned<Vec<Spanned<String>>>>,
    pub mode: Option<Mode>,
    pub poll_interval: Option<Spanned<HumanDuration>>,
    pub idle_interval: Option<Spanned<HumanDuration>>,
    #[serde(default)]
    pub allow_insecure: bool,
    pub ca_file: Option<Spanned<PathBuf>>,
}

/// Every key an `[[account]]` accepts, for "did you mean" hints.
pub const ACCOUNT_KEYS: &[&str] = &[
    "name",
    "host",
    "port",
    "tls",
    "username",
    "password",
    "password-command",
    "password-env",
    "mailboxes",
    "mode",
    "poll-interval",
    "idle-interval",
    "allow-insecure",
    "ca-file",
];

/// Every top-level key.
pub const TOP_KEYS: &[&str] = &["account"];
