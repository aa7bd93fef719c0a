//! Credentials: the [`Secret`] type that never prints, the password sources
//! (the profile, a command, the environment) and the OAuth2 token sources
//! (`token-command`, or a refresh token kept in the state directory), and
//! [`SecretCache`], one account's credential shared by its mailbox threads.
//! Every failure is a [`CredentialError`] that says why without the secret.

// Without the feature only the token file and the errors are used.
#[cfg_attr(not(feature = "oauth2"), allow(dead_code))]
pub(crate) mod oauth2;

use std::time::Duration;

use crate::config::SecretSource;
use crate::process::{self, Run, RunError};
use oauth2::{OAuthError, TokenFile};

/// How long a `password-command` may take (a password manager may unlock).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A password or token. `Debug` shows `<redacted>`; there is no `Display`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    #[cfg_attr(not(feature = "oauth2"), allow(dead_code))]
    pub(crate) fn new(s: String) -> Secret {
        Secret(s)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why no password or token could be had; never contains one.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("environment variable {0} is not set (password-env)")]
    EnvMissing(String),
    #[error("{key} {program:?} {source}")]
    Command {
        key: &'static str,
        program: String,
        #[source]
        source: RunError,
    },
    /// `stderr` is empty, or `: ` and the last line the program wrote there.
    #[error("{key} {program:?} failed ({status}){stderr}")]
    Failed {
        key: &'static str,
        program: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("{key} {program:?} printed nothing")]
    Empty { key: &'static str, program: String },
    /// Getting an OAuth2 token failed.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

/// Gets a password (or a token-command's token) from its source.
pub(crate) fn resolve(source: &SecretSource) -> Result<Secret, CredentialError> {
    match source {
        SecretSource::Inline(p) => Ok(Secret(p.clone())),
        SecretSource::Env(var) => std::env::var(var)
            .map(Secret)
            .map_err(|_| CredentialError::EnvMissing(var.clone())),
        SecretSource::Command(argv) => run(argv, "password-command"),
        SecretSource::TokenCommand(argv) => run(argv, "token-command"),
        SecretSource::OAuth2(_) => Err(OAuthError::NoStateDir.into()),
    }
}

/// Runs `argv` without a shell and takes the first line it prints.
fn run(argv: &[String], key: &'static str) -> Result<Secret, CredentialError> {
    let program = argv[0].clone();
    let output = process::run_blocking(Run::new(argv, COMMAND_TIMEOUT)).map_err(|source| {
        CredentialError::Command {
            key,
            program: program.clone(),
            source,
        }
    })?;
    if !output.status.success() {
        return Err(CredentialError::Failed {
            key,
            program,
            status: output.status,
            stderr: output.stderr_detail(),
        });
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(CredentialError::Empty { key, program });
    }
    Ok(Secret(line.to_string()))
}

/// One account's credential, shared by its mailbox threads.
///
/// A password is resolved once (so `pass` runs once, not once per mailbox)
/// and forgotten after a rejected login, so a changed one is picked up. A
/// `token-command` runs on every connect. An OAuth2 access token is kept
/// until shortly before it expires, then refreshed; after a rejection the
/// next one is refreshed whatever its expiry.
#[derive(Debug)]
pub(crate) struct SecretCache {
    source: SecretSource,
    tokens: Option<TokenFile>,
    cached: std::sync::Mutex<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    secret: Option<Secret>,
    /// The last OAuth2 token was rejected: refresh before the next use.
    rejected: bool,
}

impl SecretCache {
    /// `tokens` is where OAuth2 tokens are kept (needed for `[account.oauth2]`).
    pub(crate) fn new(source: SecretSource, tokens: Option<TokenFile>) -> SecretCache {
        SecretCache {
            source,
            tokens,
            cached: std::sync::Mutex::new(Cached::default()),
        }
    }

    pub(crate) fn get(&self) -> Result<Secret, CredentialError> {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        match &self.source {
            SecretSource::TokenCommand(_) => resolve(&self.source),
            SecretSource::OAuth2(client) => {
                let file = self.tokens.as_ref().ok_or(OAuthError::NoStateDir)?;
                let token = oauth2::access_token(client, file, cached.rejected)?;
                cached.rejected = false;
                Ok(token)
            }
            _ => {
                if let Some(s) = &cached.secret {
                    return Ok(s.clone());
                }
                let s = resolve(&self.source)?;
                cached.secret = Some(s.clone());
                Ok(s)
            }
        }
    }

    /// The server rejected `used`: forget it (once, however many mailbox
    /// threads report the same rejection).
    pub(crate) fn rejected(&self, used: &Secret) {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cached.secret.as_ref().is_none_or(|s| s.0 == used.0) {
            cached.secret = None;
        }
        if let (SecretSource::OAuth2(_), Some(file)) = (&self.source, &self.tokens) {
            // Only if no other thread has refreshed since `used` was had.
            let current = file.current_access();
            cached.rejected = current.is_none_or(|c| c == used.0);
        }
    }

    /// Whether a fresh credential might succeed where the last failed: an
    /// OAuth2 account (one refresh, or one more run of token-command).
    pub(crate) fn is_token(&self) -> bool {
        matches!(
            self.source,
            SecretSource::TokenCommand(_) | SecretSource::OAuth2(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &[&str]) -> SecretSource {
        SecretSource::Command(args.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn command_first_line_without_a_shell() {
        let s = resolve(&cmd(&["printf", "s3cret\\nsecond\\n"])).unwrap();
        assert_eq!(s.expose(), "s3cret");
        // Shell syntax is an argument like any other.
        let s = resolve(&cmd(&["echo", "$(id)"])).unwrap();
        assert_eq!(s.expose(), "$(id)");
    }

    #[test]
    fn failures_explain_without_the_secret() {
        let e = resolve(&cmd(&[
            "sh",
            "-c",
            "echo hunter2; echo 'no such entry' >&2; exit 3",
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("no such entry") && e.contains("exit status: 3"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        let e = resolve(&cmd(&["/nonexistent/pass"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("could not be run"), "{e}");
        let e = resolve(&cmd(&["true"])).unwrap_err().to_string();
        assert!(
            e.contains("password-command \"true\" printed nothing"),
            "{e}"
        );
    }

    #[test]
    fn env_source() {
        let e = resolve(&SecretSource::Env("MR_TEST_SURELY_UNSET_VAR".into())).unwrap_err();
        assert!(e.to_string().contains("MR_TEST_SURELY_UNSET_VAR"));
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret("pw".into())), "<redacted>");
    }
}
