//! The checks every part of the profile shares: how an error is made at a
//! span, duration ranges, and what counts as a loopback host.

use std::net::IpAddr;
use std::time::Duration;

use super::ProfileError;
use super::duration::HumanDuration;

/// Makes a [`ProfileError`] at a span of the file, naming a key.
pub(super) type ErrFn<'a> =
    dyn Fn(std::ops::Range<usize>, &str, String, Option<String>) -> ProfileError + 'a;

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

/// `localhost` or a loopback IP literal; no DNS lookup.
pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
