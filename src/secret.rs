//! Credentials: passwords from the profile, a command or the environment,
//! and OAuth2 access tokens from a `token-command` or a refresh token, kept
//! in a type that never prints them.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::SecretSource;
use crate::oauth2::TokenFile;

/// How long a `password-command` may take (a password manager may unlock).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A password. `Debug` and `Display` show `<redacted>`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(s: String) -> Secret {
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why no password could be had; never contains the password.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set (password-env)")]
    EnvMissing(String),
    #[error("{key} {program:?} could not be run: {error}")]
    Spawn {
        key: &'static str,
        program: String,
        error: std::io::Error,
    },
    #[error("{key} {program:?} failed ({status}){stderr}")]
    Failed {
        key: &'static str,
        program: String,
        status: String,
        stderr: String,
    },
    #[error("{key} {program:?} did not finish within {secs} s")]
    Timeout {
        key: &'static str,
        program: String,
        secs: u64,
    },
    #[error("{key} {program:?} printed nothing")]
    Empty { key: &'static str, program: String },
    /// Getting an OAuth2 token failed; says why, never a token.
    #[error("{0}")]
    OAuth(String),
    #[error("no refresh token: none is configured and none was saved by `mailreactor auth login`")]
    NoRefreshToken,
}

/// Gets the password from its source.
pub fn resolve(source: &SecretSource) -> Result<Secret, SecretError> {
    match source {
        SecretSource::Inline(p) => Ok(Secret(p.clone())),
        SecretSource::Env(var) => std::env::var(var)
            .map(Secret)
            .map_err(|_| SecretError::EnvMissing(var.clone())),
        SecretSource::Command(argv) => run(argv, "password-command"),
        SecretSource::TokenCommand(argv) => run(argv, "token-command"),
        SecretSource::OAuth2(_) => Err(SecretError::OAuth(
            "an OAuth2 refresh needs the state directory (SecretCache)".into(),
        )),
    }
}

/// Runs `argv` without a shell and takes the first line it prints.
fn run(argv: &[String], key: &'static str) -> Result<Secret, SecretError> {
    let program = argv[0].clone();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| SecretError::Spawn {
            key,
            program: program.clone(),
            error,
        })?;
    // Read both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.take(4096).read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SecretError::Timeout {
                key,
                program,
                secs: COMMAND_TIMEOUT.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let first = String::from_utf8_lossy(&stderr);
        let first = first.lines().next().unwrap_or("").trim();
        let stderr = if first.is_empty() {
            String::new()
        } else {
            format!(": {}", first.chars().take(200).collect::<String>())
        };
        return Err(SecretError::Failed {
            key,
            program,
            status: status.to_string(),
            stderr,
        });
    }
    let text = String::from_utf8_lossy(&stdout);
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(SecretError::Empty { key, program });
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
pub struct SecretCache {
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
    pub fn new(source: SecretSource, tokens: Option<TokenFile>) -> SecretCache {
        SecretCache {
            source,
            tokens,
            cached: std::sync::Mutex::new(Cached::default()),
        }
    }

    pub fn get(&self) -> Result<Secret, SecretError> {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        match &self.source {
            SecretSource::TokenCommand(_) => resolve(&self.source),
            SecretSource::OAuth2(client) => {
                let file = self.tokens.as_ref().ok_or_else(|| {
                    SecretError::OAuth("no state directory for OAuth2 tokens".into())
                })?;
                let token = crate::oauth2::access_token(client, file, cached.rejected)?;
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
    pub fn rejected(&self, used: &Secret) {
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
    pub fn is_token(&self) -> bool {
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
