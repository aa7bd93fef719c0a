//! How an account signs in: `auth`, and its one credential source: a
//! password source for `login`; `token-command` or `[account.oauth2]` for
//! `xoauth2` and `oauthbearer`.

use std::ops::Range;

use super::provider::Preset;
use super::raw::{RawAccount, RawOAuth2};
use super::rules::{ErrFn, argv, is_loopback};
use super::{Mechanism, OAuth2Client, ProfileError, SecretSource};

const OAUTH_HELP: &str = "give one of token-command = [\"program\", \"args\"] (it prints an \
                          access token), token-file = \"PATH\", or an [account.oauth2] table with \
                          token-url and client-id";

pub(super) fn credentials(
    a: &RawAccount,
    table: Range<usize>,
    preset: Option<&Preset>,
    err: &ErrFn,
) -> Result<(Mechanism, SecretSource), ProfileError> {
    let oauth_given = a.token_command.is_some() || a.token_file.is_some() || a.oauth2.is_some();
    let mechanism = match &a.auth {
        Some(m) => *m.get_ref(),
        None if oauth_given => Mechanism::Xoauth2,
        None => Mechanism::Login,
    };
    let auth_span = a.auth.as_ref().map_or(table.clone(), |m| m.span());
    if mechanism == Mechanism::Login {
        for (key, span) in [
            ("token-command", a.token_command.as_ref().map(|t| t.span())),
            ("token-file", a.token_file.as_ref().map(|t| t.span())),
        ] {
            if let Some(span) = span {
                return Err(err(
                    span,
                    key,
                    format!("{key} is for OAuth2 sign-in"),
                    Some(
                        "add auth = \"xoauth2\" (or \"oauthbearer\"), or use a password source"
                            .into(),
                    ),
                ));
            }
        }
        if let Some(o) = &a.oauth2 {
            return Err(err(
                o.span(),
                "oauth2",
                "[account.oauth2] is for OAuth2 sign-in".into(),
                Some("add auth = \"xoauth2\" (or \"oauthbearer\")".into()),
            ));
        }
        return Ok((mechanism, password(a, table, err)?));
    }
    for (key, span) in [
        ("password", a.password.as_ref().map(|p| p.span())),
        (
            "password-command",
            a.password_command.as_ref().map(|p| p.span()),
        ),
        ("password-env", a.password_env.as_ref().map(|p| p.span())),
        ("password-file", a.password_file.as_ref().map(|p| p.span())),
    ] {
        if let Some(span) = span {
            return Err(err(
                span,
                key,
                format!(
                    "{key} is for auth = \"login\"; this account uses {}",
                    mechanism.as_str()
                ),
                Some(OAUTH_HELP.into()),
            ));
        }
    }
    let mut found = Vec::new();
    if let Some(t) = &a.token_command {
        let help = "write the program and its arguments, e.g. [\"oama\", \"access\", \
                    \"me@example.com\"]";
        found.push((
            "token-command",
            t.span(),
            SecretSource::TokenCommand(argv(t, "token-command", Some(help), &err)?),
        ));
    }
    if let Some(f) = &a.token_file {
        found.push((
            "token-file",
            f.span(),
            SecretSource::TokenFile(file_path(f, "token-file", err)?),
        ));
    }
    if let Some(o) = &a.oauth2 {
        let client = oauth2(o.get_ref(), o.span(), preset, err)?;
        found.push(("oauth2", o.span(), SecretSource::OAuth2(Box::new(client))));
    }
    match found.len() {
        1 => Ok((mechanism, found.pop().expect("one").2)),
        0 => Err(err(
            auth_span,
            "auth",
            format!("auth = \"{}\" needs a token source", mechanism.as_str()),
            Some(OAUTH_HELP.into()),
        )),
        _ => {
            let name = |k: &str| {
                if k == "oauth2" {
                    "[account.oauth2]".to_string()
                } else {
                    k.to_string()
                }
            };
            let (first, (second, span, _)) = (found[0].0, &found[1]);
            Err(err(
                span.clone(),
                second,
                format!("{} and {} are both given", name(first), name(second)),
                Some(OAUTH_HELP.into()),
            ))
        }
    }
}

/// A secret file's path: not empty. `${VAR}` in it is left for when the
/// file is read (systemd sets `CREDENTIALS_DIRECTORY` only for the service).
fn file_path(
    value: &toml::Spanned<std::path::PathBuf>,
    key: &str,
    err: &ErrFn,
) -> Result<std::path::PathBuf, ProfileError> {
    if value.get_ref().as_os_str().is_empty() {
        return Err(err(
            value.span(),
            key,
            format!("{key} is empty"),
            Some("write the path of a file whose first line is the secret".into()),
        ));
    }
    Ok(value.get_ref().clone())
}

fn oauth2(
    o: &RawOAuth2,
    table: Range<usize>,
    preset: Option<&Preset>,
    err: &ErrFn,
) -> Result<OAuth2Client, ProfileError> {
    let endpoints = preset.and_then(|p| p.oauth2.as_ref());
    let url = |key: &str, given: &Option<toml::Spanned<String>>, preset: Option<&str>| {
        let (value, span) = match given {
            Some(u) => (u.get_ref().trim().to_string(), u.span()),
            None => match preset {
                Some(p) => return Ok(Some(p.to_string())),
                None => return Ok(None),
            },
        };
        if !url_is_safe(&value) {
            return Err(err(
                span,
                key,
                format!("{key} must be an https:// URL (http:// only to a loopback address)"),
                None,
            ));
        }
        Ok(Some(value))
    };
    let token_url = url("token-url", &o.token_url, endpoints.map(|e| e.token_url))?
        .ok_or_else(|| {
            err(
                table.clone(),
                "token-url",
                "[account.oauth2] has no token-url".into(),
                Some("write the provider's token endpoint, or set provider = \"gmail\" / \"outlook\"".into()),
            )
        })?;
    let auth_url = url("auth-url", &o.auth_url, endpoints.map(|e| e.auth_url))?;
    let device_url = url(
        "device-url",
        &o.device_url,
        endpoints.and_then(|e| e.device_url),
    )?;
    let client_id = match &o.client_id {
        Some(c) if !c.get_ref().trim().is_empty() => c.get_ref().trim().to_string(),
        Some(c) => {
            return Err(err(
                c.span(),
                "client-id",
                "client-id is empty".into(),
                None,
            ));
        }
        None => {
            return Err(err(
                table,
                "client-id",
                "[account.oauth2] has no client-id".into(),
                Some(
                    "register an OAuth client with the provider (see the README's recipes)".into(),
                ),
            ));
        }
    };
    let one_of = |key: &str,
                  inline: &Option<toml::Spanned<String>>,
                  command: &Option<toml::Spanned<Vec<String>>>|
     -> Result<Option<SecretSource>, ProfileError> {
        match (inline, command) {
            (Some(_), Some(c)) => Err(err(
                c.span(),
                &format!("{key}-command"),
                format!("{key} and {key}-command are both given"),
                Some("give one of them".into()),
            )),
            (Some(v), None) => Ok(Some(SecretSource::Inline(v.get_ref().clone()))),
            (None, Some(c)) => Ok(Some(SecretSource::Command(argv(
                c,
                &format!("{key}-command"),
                None,
                &err,
            )?))),
            (None, None) => Ok(None),
        }
    };
    let scopes = match &o.scopes {
        Some(s) => s.get_ref().clone(),
        None => endpoints
            .map(|e| e.scopes.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    };
    Ok(OAuth2Client {
        token_url,
        auth_url,
        device_url,
        client_id,
        client_secret: one_of("client-secret", &o.client_secret, &o.client_secret_command)?,
        refresh_token: one_of("refresh-token", &o.refresh_token, &o.refresh_token_command)?,
        scopes,
    })
}

/// https://, or http:// to a loopback host (a local token helper, tests).
fn url_is_safe(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    is_loopback(host)
}

/// The one password source of an `auth = "login"` account.
fn password(
    a: &RawAccount,
    table: std::ops::Range<usize>,
    err: &ErrFn,
) -> Result<SecretSource, ProfileError> {
    let help = "give exactly one of password, password-command (argv, e.g. \
                [\"pass\", \"show\", \"mail/work\"]), password-env or password-file";
    let mut found = Vec::new();
    if let Some(p) = &a.password {
        found.push((
            "password",
            p.span(),
            SecretSource::Inline(p.get_ref().clone()),
        ));
    }
    if let Some(c) = &a.password_command {
        let help = "write the program and its arguments: [\"pass\", \"show\", \"mail\"]";
        found.push((
            "password-command",
            c.span(),
            SecretSource::Command(argv(c, "password-command", Some(help), &err)?),
        ));
    }
    if let Some(v) = &a.password_env {
        found.push((
            "password-env",
            v.span(),
            SecretSource::Env(v.get_ref().clone()),
        ));
    }
    if let Some(f) = &a.password_file {
        found.push((
            "password-file",
            f.span(),
            SecretSource::File(file_path(f, "password-file", err)?),
        ));
    }
    match found.len() {
        1 => Ok(found.pop().unwrap().2),
        0 => Err(err(
            table,
            "password",
            format!("account \"{}\" has no password source", a.name.get_ref()),
            Some(help.into()),
        )),
        _ => {
            let (second, span, _) = &found[1];
            Err(err(
                span.clone(),
                second,
                format!("{} and {} are both given", found[0].0, second),
                Some(help.into()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_is_safe;

    #[test]
    fn token_urls_are_https_or_loopback() {
        assert!(url_is_safe("https://oauth2.googleapis.com/token"));
        assert!(url_is_safe("http://127.0.0.1:8080/token"));
        assert!(url_is_safe("http://localhost/token"));
        assert!(!url_is_safe("http://example.com/token"));
        assert!(!url_is_safe("ftp://x"));
        assert!(!url_is_safe("https://"));
    }
}
