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
    #[error("{key} {}: {source}", path.display())]
    File {
        key: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{key} {} is empty", path.display())]
    FileEmpty {
        key: &'static str,
        path: std::path::PathBuf,
    },
    #[error(
        "{key}: ${{{var}}} is not set{}",
        if var == "CREDENTIALS_DIRECTORY" {
            " (systemd sets it for a service with LoadCredential=; see `mailreactor systemd-unit --help`)"
        } else {
            ""
        }
    )]
    FileVariable { key: &'static str, var: String },
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
        SecretSource::File(path) => read_file(path, "password-file"),
        SecretSource::TokenFile(path) => read_file(path, "token-file"),
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

/// A secret file holds one line; anything past this is not read.
const FILE_MAX: u64 = 64 * 1024;

/// The first line of the file at `path` (with `${VAR}` expanded).
fn read_file(path: &std::path::Path, key: &'static str) -> Result<Secret, CredentialError> {
    use std::io::Read;
    let path = expand(path, key)?;
    let fail = |source| CredentialError::File {
        key,
        path: path.clone(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(FILE_MAX).read_to_end(&mut bytes))
        .map_err(fail)?;
    let text = String::from_utf8_lossy(&bytes);
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(CredentialError::FileEmpty { key, path });
    }
    Ok(Secret(line.to_string()))
}

/// `path` with every `${VAR}` replaced by the variable's value.
fn expand(
    path: &std::path::Path,
    key: &'static str,
) -> Result<std::path::PathBuf, CredentialError> {
    let text = path.to_string_lossy();
    let mut out = String::new();
    let mut rest = &*text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let var = &rest[start + 2..start + 2 + len];
        let value = std::env::var(var).map_err(|_| CredentialError::FileVariable {
            key,
            var: var.to_string(),
        })?;
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out.into())
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
            // Run or read on every connect: a token changes, and so may a
            // file that systemd or a secret manager renews.
            SecretSource::TokenCommand(_) | SecretSource::TokenFile(_) | SecretSource::File(_) => {
                resolve(&self.source)
            }
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
            SecretSource::TokenCommand(_) | SecretSource::TokenFile(_) | SecretSource::OAuth2(_)
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
    fn files_are_read_with_variables_expanded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("imap"), "s3cret\nmore\n").unwrap();
        // SAFETY: unit tests that read MR_TEST_CRED_DIR are this one only.
        unsafe { std::env::set_var("MR_TEST_CRED_DIR", dir.path()) };
        let s = resolve(&SecretSource::File("${MR_TEST_CRED_DIR}/imap".into())).unwrap();
        assert_eq!(s.expose(), "s3cret");
        let e = resolve(&SecretSource::File("${MR_TEST_NO_SUCH_DIR}/imap".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "password-file: ${MR_TEST_NO_SUCH_DIR} is not set");
        let e = resolve(&SecretSource::TokenFile(
            "${CREDENTIALS_DIRECTORY}/x".into(),
        ));
        if std::env::var_os("CREDENTIALS_DIRECTORY").is_none() {
            assert!(e.unwrap_err().to_string().contains("LoadCredential="));
        }
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let e = resolve(&SecretSource::File(dir.path().join("empty")))
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("is empty"), "{e}");
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret("pw".into())), "<redacted>");
    }
}
