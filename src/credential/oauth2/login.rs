//! `mailreactor auth login`: the authorization-code flow with PKCE
//! (RFC 7636) and a loopback redirect (RFC 8252). The browser comes back
//! to `http://127.0.0.1:PORT/` with a code, which is exchanged at the token
//! endpoint, with the verifier, for a refresh token.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::OAuthError;
use crate::config::OAuth2Client;

/// A sign-in waiting for the browser.
pub(crate) struct Login {
    /// Where to send the user.
    pub url: String,
    listener: TcpListener,
    redirect: String,
    verifier: String,
    state: String,
}

fn random(n: usize) -> String {
    let mut bytes = vec![0; n];
    openssl::rand::rand_bytes(&mut bytes).expect("the system has randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Starts a sign-in for `client`, with `login_hint` (the username) for
/// providers that take one.
pub(crate) fn start(client: &OAuth2Client, login_hint: &str) -> Result<Login, OAuthError> {
    let auth_url = client.auth_url.as_deref().ok_or_else(|| {
        OAuthError::Profile(
            "[account.oauth2] has no auth-url (set it, or provider = \"gmail\" / \"outlook\")"
                .into(),
        )
    })?;
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(OAuthError::Listener)?;
    let port = listener.local_addr().expect("bound").port();
    let redirect = format!("http://127.0.0.1:{port}/");
    let verifier = random(32);
    let challenge = URL_SAFE_NO_PAD.encode(openssl::sha::sha256(verifier.as_bytes()));
    let state = random(16);
    let mut url = url::Url::parse(auth_url)
        .map_err(|e| OAuthError::Profile(format!("auth-url {auth_url:?} is not a URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", &client.scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        // Google hands out a refresh token only for offline access.
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent")
        .append_pair("login_hint", login_hint);
    Ok(Login {
        url: url.into(),
        listener,
        redirect,
        verifier,
        state,
    })
}

impl Login {
    /// Waits (at most `patience`) for the browser to come back, exchanges
    /// the code and returns the refresh token.
    pub(crate) fn finish(
        self,
        client: &OAuth2Client,
        patience: Duration,
    ) -> Result<String, OAuthError> {
        let deadline = Instant::now() + patience;
        self.listener
            .set_nonblocking(true)
            .map_err(OAuthError::Listener)?;
        loop {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        return Err(OAuthError::NoAnswer(patience));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                Err(e) => return Err(OAuthError::Listener(e)),
            };
            if let Some(result) = self.answer(stream, client) {
                return result;
            }
        }
    }

    /// Handles one request to the redirect address; `None` when it was not
    /// this sign-in's answer (a favicon, a request without this sign-in's
    /// `state`, a local process trying to end or abort it): that gets a
    /// 404 and the wait goes on. The request line is read with a cap and a
    /// deadline; what the page says is escaped.
    fn answer(
        &self,
        mut stream: TcpStream,
        client: &OAuth2Client,
    ) -> Option<Result<String, OAuthError>> {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut line = Vec::new();
        let read = BufReader::new((&stream).take(REQUEST_MAX)).read_until(b'\n', &mut line);
        if read.is_err() || !line.ends_with(b"\n") {
            reply(&mut stream, "400 Bad Request", "Bad request.");
            return None;
        }
        let line = String::from_utf8_lossy(&line);
        let url = line
            .split_whitespace()
            .nth(1)
            .and_then(|target| url::Url::parse(&format!("http://127.0.0.1{target}")).ok());
        let Some(url) = url.filter(|u| u.path() == "/") else {
            reply(&mut stream, "404 Not Found", "Not here.");
            return None;
        };
        let get = |k: &str| {
            url.query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
        };
        // Nothing counts without this sign-in's state.
        if get("state").as_deref() != Some(self.state.as_str()) {
            reply(&mut stream, "404 Not Found", "Not here.");
            return None;
        }
        let result = match (get("code"), get("error")) {
            (_, Some(error)) => Err(OAuthError::Denied {
                error,
                description: get("error_description"),
            }),
            (Some(code), None) => self.exchange(client, code),
            (None, None) => {
                reply(&mut stream, "404 Not Found", "Not here.");
                return None;
            }
        };
        match &result {
            Ok(_) => reply(
                &mut stream,
                "200 OK",
                "mailreactor is signed in. You can close this window.",
            ),
            Err(e) => reply(
                &mut stream,
                "400 Bad Request",
                &format!("Sign-in failed: {e}"),
            ),
        }
        Some(result)
    }

    fn exchange(&self, client: &OAuth2Client, code: String) -> Result<String, OAuthError> {
        let answer = super::http::exchange(
            client,
            vec![
                ("grant_type", "authorization_code".into()),
                ("code", code),
                ("redirect_uri", self.redirect.clone()),
                ("code_verifier", self.verifier.clone()),
            ],
        )?;
        answer.refresh_token.ok_or(OAuthError::NoRefreshTokenSent(
            ": the client must ask for offline access (for Outlook, the offline_access scope)",
        ))
    }
}

/// The longest request line taken from the browser.
const REQUEST_MAX: u64 = 8 * 1024;

/// Answers with a small page saying `text` (escaped).
fn reply(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><title>mailreactor</title><p>{}</p>\n",
        crate::text::markup_escape(text)
    );
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
