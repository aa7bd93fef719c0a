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
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(bad(
            "url must be a postgres:// URL".into(),
            "write it as url = \"postgres://mr@db.example.com/mailreactor\"; without [store], \
             the state is a SQLite file beside the profile's state",
        ));
    }
    let parsed: postgres::Config = url.parse().map_err(|e| {
        bad(
            format!("url is not a PostgreSQL connection URL: {e}"),
            "write it as url = \"postgres://USER@HOST[:PORT]/DATABASE[?sslmode=require]\"",
        )
    })?;
    if parsed.get_password().is_some() {
        return Err(bad(
            "url holds a password, which would show wherever the URL does".into(),
            "take it out of the URL and set password-env = \"MR_PG_PASSWORD\" (or \
             password-command)",
        ));
    }
    if parsed.get_user().is_none() {
        return Err(bad(
            "url names no user".into(),
            "write the user before the host: postgres://mr@db.example.com/mailreactor",
        ));
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
