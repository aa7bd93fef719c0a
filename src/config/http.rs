//! `[http]`: the daemon's HTTP face (metrics and health probes), off unless
//! configured.

use std::net::SocketAddr;
use std::path::Path;

use toml::Spanned;

use super::raw::RawHttp;
use super::{ProfileError, SecretSource};

/// `[http]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Every endpoint but `/healthz` wants `Authorization: Bearer` this.
    pub token: Option<SecretSource>,
}

pub(super) fn http(
    raw: Option<Spanned<RawHttp>>,
    text: &str,
    path: &Path,
) -> Result<Option<HttpConfig>, ProfileError> {
    let Some(spanned) = raw else { return Ok(None) };
    let table = spanned.span();
    let h = spanned.into_inner();
    let err = super::rules::errors_in(path, text);
    let listen: SocketAddr = h.listen.get_ref().trim().parse().map_err(|_| {
        err(
            h.listen.span(),
            "listen",
            format!("\"{}\" is not an address and port", h.listen.get_ref()),
            Some("write it as listen = \"127.0.0.1:9847\" (or \"[::1]:9847\")".into()),
        )
    })?;
    let token = super::rules::secret_source(
        "token",
        &h.token,
        &h.token_env,
        &h.token_command,
        table,
        &err,
    )?;
    if token.is_none() && !listen.ip().is_loopback() {
        return Err(err(
            h.listen.span(),
            "listen",
            format!("{listen} is reachable from other machines, and no token guards it"),
            Some(
                "add token-env = \"MR_HTTP_TOKEN\" (or token-command), or listen on 127.0.0.1"
                    .into(),
            ),
        ));
    }
    Ok(Some(HttpConfig { listen, token }))
}
