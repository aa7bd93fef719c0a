//! The checks every part of the profile shares: how an error is made at a
//! span, duration ranges, secrets given three ways, and what counts as a
//! loopback host.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;

use super::duration::HumanDuration;
use super::{ProfileError, SecretSource};

/// Makes a [`ProfileError`] at a span of the file, naming a key.
pub(super) type ErrFn<'a> =
    dyn Fn(std::ops::Range<usize>, &str, String, Option<String>) -> ProfileError + 'a;

/// The [`ErrFn`] for a profile at `path` whose text is `text`.
pub(super) fn errors_in<'a>(
    path: &'a std::path::Path,
    text: &'a str,
) -> impl Fn(std::ops::Range<usize>, &str, String, Option<String>) -> ProfileError + 'a {
    move |span, key, msg, help| ProfileError::at(path, text, span, Some(key), msg, help)
}

/// A duration key's value, checked against its range.
pub(super) fn interval(
    value: &Option<toml::Spanned<HumanDuration>>,
    key: &str,
    min: Duration,
    max: Option<Duration>,
    err: &ErrFn,
) -> Result<Option<Duration>, ProfileError> {
    let Some(v) = value else { return Ok(None) };
    let d = v.get_ref().0;
    let fmt = |d: Duration| humantime::format_duration(d).to_string();
    if d < min || max.is_some_and(|m| d > m) {
        let range = match max {
            Some(m) => format!("between {} and {}", fmt(min), fmt(m)),
            None => format!("at least {}", fmt(min)),
        };
        return Err(err(
            v.span(),
            key,
            format!("{key} must be {range}, not {}", fmt(d)),
            None,
        ));
    }
    Ok(Some(d))
}

/// An argv key's value (`command`, `KEY-command`): the program and its
/// arguments. One without a program, or with a blank one, is refused.
pub(super) fn argv(
    value: &Spanned<Vec<String>>,
    key: &str,
    help: Option<&str>,
    err: &ErrFn,
) -> Result<Vec<String>, ProfileError> {
    let argv = value.get_ref();
    if argv.first().is_none_or(|p| p.trim().is_empty()) {
        return Err(err(
            value.span(),
            key,
            format!("{key} is empty"),
            help.map(str::to_string),
        ));
    }
    Ok(argv.clone())
}

/// A secret given as `KEY`, `KEY-env` or `KEY-command`, at most one of
/// them (the error then points at `table`); an empty command is refused.
pub(super) fn secret_source(
    key: &str,
    inline: &Option<Spanned<String>>,
    env: &Option<Spanned<String>>,
    command: &Option<Spanned<Vec<String>>>,
    table: std::ops::Range<usize>,
    err: &ErrFn,
) -> Result<Option<SecretSource>, ProfileError> {
    match (inline, env, command) {
        (None, None, None) => Ok(None),
        (Some(s), None, None) => Ok(Some(SecretSource::Inline(s.get_ref().clone()))),
        (None, Some(v), None) => Ok(Some(SecretSource::Env(v.get_ref().clone()))),
        (None, None, Some(c)) => Ok(Some(SecretSource::Command(argv(
            c,
            &format!("{key}-command"),
            None,
            err,
        )?))),
        _ => Err(err(
            table,
            key,
            format!("give one of {key}, {key}-env or {key}-command"),
            None,
        )),
    }
}

/// `localhost` or a loopback IP literal; no DNS lookup.
pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A `ca-file`: it must be readable and hold at least one PEM certificate,
/// which is checked now rather than at the first connection.
pub(super) fn ca_file(
    value: Option<toml::Spanned<PathBuf>>,
    err: &ErrFn,
) -> Result<Option<PathBuf>, ProfileError> {
    let Some(v) = value else { return Ok(None) };
    let (span, path) = (v.span(), v.into_inner());
    let fail =
        |message: String, help: &str| err(span.clone(), "ca-file", message, Some(help.into()));
    let pem = std::fs::read(&path).map_err(|e| {
        fail(
            format!("cannot read ca-file {}: {e}", path.display()),
            "give the path of a PEM file with the certificate (or CA) the server uses",
        )
    })?;
    let found = native_tls::Certificate::stack_from_pem(&pem).map_or(0, |c| c.len());
    if found == 0 || !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(fail(
            format!("ca-file {} holds no PEM certificate", path.display()),
            "it must contain -----BEGIN CERTIFICATE----- blocks; convert a DER file with \
             `openssl x509 -inform der -in FILE -out FILE.pem`",
        ));
    }
    Ok(Some(path))
}
