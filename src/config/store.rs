//! `[store]`: where the state lives when it is not the profile's own
//! SQLite file: a PostgreSQL database that several instances share.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::raw::RawStore;
use super::{ProfileError, SecretSource};

/// `[store]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// `postgres://user@host[:port]/database[?sslmode=...]`, without a
    /// password (that comes from `password*`).
    pub url: String,
    pub password: Option<SecretSource>,
    /// Trust this CA (PEM) for the database's TLS, beside the system's.
    pub ca_file: Option<PathBuf>,
}

pub(super) fn store(
    raw: Option<Spanned<RawStore>>,
    text: &str,
    path: &Path,
) -> Result<Option<StoreConfig>, ProfileError> {
    let Some(spanned) = raw else { return Ok(None) };
    let table = spanned.span();
    let s = spanned.into_inner();
    let err = super::rules::errors_in(path, text);
    let url = s.url.get_ref().trim().to_string();
    let bad =
        |message: String, help: &str| err(s.url.span(), "url", message, Some(help.to_string()));
    if let Some((message, help)) = url_problem(&url) {
        return Err(bad(message, help));
    }
    let password = super::rules::secret_source(
        "password",
        &s.password,
        &s.password_env,
        &s.password_command,
        table,
        &err,
    )?;
    let ca_file = super::rules::ca_file(s.ca_file, &err)?;
    Ok(Some(StoreConfig {
        url,
        password,
        ca_file,
    }))
}

/// What is wrong with a `[store]` URL (or `state migrate --to`), and how
/// to fix it; `None` when it will do.
pub(crate) fn url_problem(url: &str) -> Option<(String, &'static str)> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Some((
            "the store URL must be a postgres:// URL".into(),
            "write it as postgres://mr@db.example.com/mailreactor; without [store], the state \
             is a SQLite file in the state directory",
        ));
    }
    let parsed: postgres::Config = match url.parse() {
        Ok(p) => p,
        Err(e) => {
            return Some((
                format!("the store URL is not a PostgreSQL connection URL: {e}"),
                "write it as postgres://USER@HOST[:PORT]/DATABASE[?sslmode=require]",
            ));
        }
    };
    if parsed.get_password().is_some() {
        return Some((
            "the store URL holds a password, which would show wherever the URL does".into(),
            "take it out of the URL and set password-env = \"MR_PG_PASSWORD\" (or \
             password-command)",
        ));
    }
    if parsed.get_user().is_none() {
        return Some((
            "the store URL names no user".into(),
            "write the user before the host: postgres://mr@db.example.com/mailreactor",
        ));
    }
    None
}
