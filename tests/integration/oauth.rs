//! OAuth2 sign-in against a Dovecot that checks JWTs itself: token-command
//! with XOAUTH2 and OAUTHBEARER, built-in refresh through a token endpoint
//! on loopback (expired and rejected tokens, rotation, reconnects), a
//! refused refresh, `auth login` with the test playing the browser, and no
//! secret anywhere it should not be.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Duration;

use crate::common::dovecot::simple_message;
use crate::common::oauth::{self, TokenEndpoint, jwt};
use crate::common::{Dovecot, Watch, read};

const CLIENT_SECRET: &str = "client-s3cret-never-shown";

/// A profile and state for `server`, with the accounts `accounts` (TOML).
struct Setup {
    dir: tempfile::TempDir,
    profile: std::path::PathBuf,
    state: std::path::PathBuf,
}

impl Setup {
    fn new(accounts: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("test.toml");
        std::fs::write(&profile, accounts).unwrap();
        let state = dir.path().join("state");
        Setup {
            dir,
            profile,
            state,
        }
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = crate::common::mailreactor(&self.profile, &self.state, args);
        c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
        c
    }

    fn watch(&self) -> Watch {
        Watch::spawn(self.command(&["watch", "--json", "-v"]))
    }

    /// `check --json`, which must succeed and show none of `secrets`.
    fn check(&self, secrets: &[&str]) -> serde_json::Value {
        let out = self.command(&["check", "--json"]).output().unwrap();
        crate::common::assert_success(&out);
        clean(&String::from_utf8_lossy(&out.stdout), secrets, "check");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Starts `mailreactor ARGS` with its stderr to read as it goes.
    fn spawn_reading_stderr(
        &self,
        args: &[&str],
    ) -> (std::process::Child, BufReader<std::process::ChildStderr>) {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = BufReader::new(child.stderr.take().unwrap());
        (child, err)
    }

    /// An account refreshing through `endpoint`, with no refresh token
    /// configured (as before `auth login`), and `extra` oauth2 keys.
    fn for_login(endpoint: &TokenEndpoint, port: u16, extra: &str) -> Setup {
        Setup::new(&format!(
            "{}{extra}",
            refresh_account(port, endpoint, "none").replace("refresh-token = \"none\"\n", "")
        ))
    }

    fn token_file(&self, account: &str) -> std::path::PathBuf {
        self.state
            .join("test.oauth2")
            .join(format!("{account}.json"))
    }
}

/// Mail reaches these accounts written into the maildir behind Dovecot's
/// back, which NOTIFY does not tell of (the STATUS sweep would, within a
/// poll-interval) but IDLE does at once.
fn account(name: &str, port: u16, auth: &str, source: &str) -> String {
    format!(
        "[[account]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n\
         username = \"alice\"\nauth = \"{auth}\"\nmode = \"idle\"\n{source}\n"
    )
}

fn refresh_account(port: u16, endpoint: &TokenEndpoint, refresh: &str) -> String {
    account(
        "work",
        port,
        "xoauth2",
        &format!(
            "[account.oauth2]\ntoken-url = \"{}\"\nclient-id = \"mailreactor-test\"\n\
             client-secret = \"{CLIENT_SECRET}\"\nrefresh-token = \"{refresh}\"\n",
            endpoint.url()
        ),
    )
}

/// Asserts that none of `secrets` is in `text`.
fn clean(text: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(
            !text.contains(s),
            "a secret ({}…) is in {what}:\n{text}",
            &s[..8]
        );
    }
}

#[test]
fn token_command_signs_in_with_xoauth2_and_oauthbearer_where_only_oauth2_is_taken() {
    let (server, _keys) = oauth::server(true);
    let token = jwt("alice", 3600);
    let setup = Setup::new("");
    let token_path = setup.dir.path().join("token");
    std::fs::write(&token_path, format!("{token}\n")).unwrap();
    // The hook writes its environment and argv: no token may be there.
    let seen = setup.dir.path().join("hook.seen");
    let cmd = format!("[\"cat\", \"{}\"]", token_path.display());
    std::fs::write(
        &setup.profile,
        format!(
            "{}{}[[hook]]\nname = \"env\"\nshell = 'env > {seen}; cat /proc/$$/cmdline >> {seen}'\n",
            account("x", server.port, "xoauth2", &format!("token-command = {cmd}")),
            account("o", server.port, "oauthbearer", &format!("token-command = {cmd}")),
            seen = seen.display()
        ),
    )
    .unwrap();
    // The server takes nothing but OAuth2: a password login is refused.
    let mut plain = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let mut greeting = String::new();
    let mut r = BufReader::new(plain.try_clone().unwrap());
    r.read_line(&mut greeting).unwrap();
    write!(plain, "a LOGIN alice {}\r\n", crate::common::PASSWORD).unwrap();
    let mut answer = String::new();
    r.read_line(&mut answer).unwrap();
    assert!(
        answer.starts_with("a NO") || answer.starts_with("a BAD"),
        "{answer}"
    );

    let mut watch = setup.watch();
    watch.wait_connected(2);
    server.deliver_to_maildir(&simple_message("over oauth", "x"));
    let mut got = std::collections::HashSet::new();
    while got.len() < 2 {
        let e = watch.wait_for("the message on both accounts", |e| {
            e["type"] == "message.received"
        });
        got.insert(e["account"].as_str().unwrap().to_string());
    }
    crate::common::eventually("the hook to run", || read(&seen).contains("MR_EVENT_ID"));
    let (_, _, stderr) = watch.terminate();
    clean(&stderr, &[&token], "stderr");
    clean(&read(&seen), &[&token], "a hook's environment or argv");
    let report = setup.check(&[&token]);
    assert_eq!(report[0]["auth"], "xoauth2");
    assert_eq!(report[1]["auth"], "oauthbearer");
}

#[test]
fn rejected_and_expired_tokens_are_refreshed_and_the_watch_goes_on() {
    let (mut server, _keys) = oauth::server(false);
    // Tokens good for 15 s: ample for a login, however slow the machine
    // (Dovecot delays the answer to a refused login by seconds), and short
    // enough to outlive below; and under mailreactor's two-minute margin,
    // so a reconnect always refreshes.
    let endpoint = TokenEndpoint::start(&["rt-1"], 15);
    endpoint.provider.lock().unwrap().rotate = true;
    let setup = Setup::new(&refresh_account(server.port, &endpoint, "rt-1"));
    // A cached token that looks valid to us but that the server refuses
    // (its JWT has expired): one refresh, one retry, no auth-failed.
    let stale = jwt("alice", -60);
    let file = setup.token_file("work");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let far = 4_000_000_000u64;
    std::fs::write(
        &file,
        format!(r#"{{"access_token":"{stale}","expires_at":{far}}}"#),
    )
    .unwrap();
    let mut watch = setup.watch();
    watch.wait_type("account.connected");
    let first = endpoint.requests();
    assert_eq!(first.len(), 1, "one refresh after the rejection");
    assert_eq!(first[0]["grant_type"], "refresh_token");
    assert_eq!(first[0]["refresh_token"], "rt-1");
    assert_eq!(first[0]["client_secret"], CLIENT_SECRET);
    // The rotated refresh token is kept, 0600.
    let saved: serde_json::Value = serde_json::from_str(&read(&file)).unwrap();
    let rotated = saved["refresh_token"].as_str().unwrap().to_string();
    assert!(rotated.starts_with("rt-rotated-"), "{saved}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The IDLE connection outlives its token: wait until the token the
    // connection logged in with has expired (by its own expiry, not a guess).
    let expires_at = saved["expires_at"]
        .as_u64()
        .expect("the token's expiry is kept");
    loop {
        let now = std::time::UNIX_EPOCH.elapsed().unwrap().as_secs();
        if now > expires_at + 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    server.deliver_to_maildir(&simple_message("after expiry", "x"));
    watch.wait_for("mail on the old connection", |e| {
        e["type"] == "message.received" && e["subject"] == "after expiry"
    });
    assert_eq!(endpoint.requests().len(), 1, "no refresh while connected");

    // A reconnect needs a token: the cached one has expired, so a new one
    // comes from the rotated refresh token.
    server.stop();
    watch.wait_type("account.disconnected");
    server.start_again();
    watch.wait_type("account.connected");
    let all = endpoint.requests();
    assert!(all.len() >= 2, "{} requests", all.len());
    assert_eq!(all.last().unwrap()["refresh_token"], rotated);
    server.deliver_to_maildir(&simple_message("after reconnect", "x"));
    watch.wait_for("mail after the reconnect", |e| {
        e["type"] == "message.received" && e["subject"] == "after reconnect"
    });
    assert!(
        !watch
            .seen
            .iter()
            .any(|e| e["type"] == "account.auth-failed"),
        "{:#?}",
        watch.seen
    );
    let events: String = watch.seen.iter().map(|e| e.to_string()).collect();
    let (_, _, stderr) = watch.terminate();
    assert!(
        stderr.contains("the server refused the access token"),
        "the stale token was not tried first:\n{stderr}"
    );
    let saved = read(&file);
    let secrets = [stale.as_str(), "rt-1", rotated.as_str(), CLIENT_SECRET];
    clean(&stderr, &secrets, "stderr");
    clean(&events, &secrets, "events");
    assert!(saved.contains("access_token"));
    // check says how it signed in and until when the token is good.
    let report = setup.check(&secrets);
    assert_eq!(report[0]["auth"], "xoauth2");
    assert!(
        report[0]["token_expires"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{report}"
    );
}

#[test]
fn a_refused_refresh_is_a_clear_auth_failed() {
    let (server, _keys) = oauth::server(false);
    let endpoint = TokenEndpoint::start(&["rt-good"], 3600);
    let setup = Setup::new(&refresh_account(server.port, &endpoint, "rt-revoked"));
    let mut watch = setup.watch();
    let failed = watch.wait_type("account.auth-failed");
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.contains("invalid_grant"), "{reason}");
    assert!(reason.contains("mailreactor auth login work"), "{reason}");
    let (_, _, stderr) = watch.terminate();
    clean(&stderr, &["rt-revoked", CLIENT_SECRET], "stderr");
    clean(
        &failed.to_string(),
        &["rt-revoked", CLIENT_SECRET],
        "the event",
    );
}

/// The sign-in address `auth login` prints on stderr, read as a user
/// would copy it into a browser.
fn authorization_url(stderr: &mut impl BufRead) -> url::Url {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no URL printed");
        if let Some(u) = line.trim().strip_prefix("https://auth.example.test/") {
            return url::Url::parse(&format!("https://auth.example.test/{u}")).unwrap();
        }
    }
}

#[test]
fn auth_login_completes_against_a_loopback_authorization_server() {
    let (server, _keys) = oauth::server(true);
    let endpoint = TokenEndpoint::start(&[], 3600);
    let setup = Setup::for_login(
        &endpoint,
        server.port,
        "auth-url = \"https://auth.example.test/authorize\"\nscopes = [\"imap\", \"offline\"]\n",
    );
    let (mut child, mut err) =
        setup.spawn_reading_stderr(&["auth", "login", "work", "--timeout", "60s"]);
    // Play the browser: read the address, "sign in", follow the redirect.
    let url = authorization_url(&mut err);
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "mailreactor-test");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scope"], "imap offline");
    assert_eq!(q["login_hint"], "alice");
    assert!(!url.as_str().contains(CLIENT_SECRET));
    endpoint
        .provider
        .lock()
        .unwrap()
        .codes
        .insert("code-1".into(), q["code_challenge"].clone());
    let redirect = url::Url::parse(&q["redirect_uri"]).unwrap();
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    let port = redirect.port().unwrap();
    // Any local process can reach the listener: without this sign-in's
    // state, an error, a code or a huge request line is a 404 (or 400) and
    // the wait goes on; nothing it sent is echoed live.
    let ask = |request: &[u8]| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = s.write_all(request);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut page = String::new();
        let _ = s.read_to_string(&mut page);
        page
    };
    let page = ask(b"GET /?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C/script%3E&state=guess HTTP/1.1\r\n\r\n");
    assert!(page.starts_with("HTTP/1.1 404"), "{page}");
    assert!(!page.contains("<script>"), "{page}");
    let page = ask(b"GET /?code=stolen&state=guess HTTP/1.1\r\n\r\n");
    assert!(page.starts_with("HTTP/1.1 404"), "{page}");
    let page = ask(&[b'A'; 8192]);
    assert!(
        page.starts_with("HTTP/1.1 400"),
        "{}",
        &page[..page.len().min(100)]
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the sign-in ended early"
    );
    let mut browser = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        browser,
        "GET /?code=code-1&state={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        q["state"]
    )
    .unwrap();
    let mut page = String::new();
    browser.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("signed in"), "{page}");
    let status = child.wait().unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "{rest}");
    let exchange = endpoint.requests().pop().unwrap();
    assert_eq!(exchange["grant_type"], "authorization_code");
    assert_eq!(exchange["redirect_uri"], q["redirect_uri"]);
    let file = setup.token_file("work");
    let saved: serde_json::Value = serde_json::from_str(&read(&file)).unwrap();
    let refresh = saved["refresh_token"].as_str().unwrap().to_string();
    assert!(refresh.starts_with("rt-login-"));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    clean(&rest, &[&refresh, CLIENT_SECRET], "auth login's stderr");

    // The saved refresh token is what the watch signs in with.
    let out = setup.command(&["watch", "--once"]).output().unwrap();
    crate::common::assert_success(&out);
    assert_eq!(
        endpoint.requests().last().unwrap()["refresh_token"],
        refresh.as_str()
    );
    let _ = server;
}

/// A refusal that carries this sign-in's state ends it, and the page shows
/// the provider's words as text, not markup.
#[test]
fn auth_login_refused_in_the_browser_is_escaped() {
    let (server, _keys) = oauth::server(true);
    let endpoint = TokenEndpoint::start(&[], 3600);
    let setup = Setup::for_login(
        &endpoint,
        server.port,
        "auth-url = \"https://auth.example.test/authorize\"\n",
    );
    let (mut child, mut err) =
        setup.spawn_reading_stderr(&["auth", "login", "work", "--timeout", "60s"]);
    let url = authorization_url(&mut err);
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let port = url::Url::parse(&q["redirect_uri"]).unwrap().port().unwrap();
    let mut browser = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        browser,
        "GET /?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C/script%3E&state={} HTTP/1.1\r\n\r\n",
        q["state"]
    )
    .unwrap();
    let mut page = String::new();
    browser.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 400"), "{page}");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    let status = child.wait().unwrap();
    assert!(!status.success());
    let _ = server;
}

#[test]
fn auth_login_device_signs_in_with_a_code_entered_elsewhere() {
    let endpoint = TokenEndpoint::start(&[], 3600);
    let setup = Setup::for_login(
        &endpoint,
        1,
        &format!(
            "device-url = \"http://127.0.0.1:{}/device\"\n",
            endpoint.port
        ),
    );
    let (child, mut err) =
        setup.spawn_reading_stderr(&["auth", "login", "work", "--device", "--print"]);
    let mut told = String::new();
    while !told.contains("WDJB-MJHT") {
        assert!(
            err.read_line(&mut told).unwrap() > 0,
            "no code shown: {told}"
        );
    }
    assert!(told.contains("https://auth.example.test/device"), "{told}");
    // The user has not said yes yet: mailreactor keeps asking.
    crate::common::eventually("a pending poll", || {
        endpoint
            .requests()
            .iter()
            .any(|r| r.get("device_code").is_some_and(|c| c == "dc-1"))
    });
    endpoint.provider.lock().unwrap().device_approved = true;
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(out.status.success(), "{told}{rest}");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.trim().starts_with("rt-device-"), "{printed}");
    // --print keeps nothing in the state directory.
    assert!(!setup.token_file("work").exists());
}

#[test]
fn profiles_say_what_is_wrong_with_oauth2_settings() {
    let (server, _keys) = oauth::server(false);
    let cases = [
        (
            "auth = \"xoauth2\"\npassword = \"x\"\n",
            "password is for auth = \"login\"",
        ),
        ("auth = \"xoauth2\"\n", "needs a token source"),
        (
            "token-command = [\"t\"]\n[account.oauth2]\nclient-id = \"c\"\ntoken-url = \"https://x/t\"\n",
            "token-command and [account.oauth2] are both given",
        ),
        (
            "auth = \"xoauth2\"\n[account.oauth2]\nclient-id = \"c\"\ntoken-url = \"http://example.com/t\"\n",
            "token-url must be an https:// URL",
        ),
        (
            "auth = \"xoauth2\"\n[account.oauth2]\nclient-id = \"c\"\ntoken-ur = \"https://x/t\"\n",
            "did you mean `token-url`",
        ),
    ];
    for (extra, expected) in cases {
        let setup = Setup::new(&format!(
            "[[account]]\nname = \"a\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"alice\"\n{extra}",
            server.port
        ));
        let out = setup.command(&["check"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{extra}: {err}");
        assert!(err.contains("test.toml:"), "{err}");
    }
    // A preset fills host, port and TLS; explicit keys win.
    let setup = Setup::new(
        "[[account]]\nname = \"g\"\nprovider = \"gmail\"\nusername = \"me@gmail.com\"\n\
         [account.oauth2]\nclient-id = \"c\"\nrefresh-token-command = [\"false\"]\n",
    );
    let out = setup.command(&["check", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["host"], "imap.gmail.com");
    assert_eq!(report[0]["port"], 993);
    assert_eq!(report[0]["auth"], "xoauth2");
    let _: &Dovecot = &server;
}

/// Lifetimes no clock can hold, from a token endpoint or in the token file,
/// panic nothing: the watch signs in and announces mail, and check reads
/// the file.
#[test]
fn huge_token_lifetimes_panic_nothing() {
    let (mut server, _keys) = oauth::server(false);
    let endpoint = TokenEndpoint::start(&["rt-1"], 3600);
    endpoint.provider.lock().unwrap().expires_in = Some("18446744073709551615".into());
    let setup = Setup::new(&refresh_account(server.port, &endpoint, "rt-1"));
    let mut watch = setup.watch();
    watch.wait_type("account.connected");
    server.deliver_to_maildir(&simple_message("after a huge lifetime", "x"));
    watch.wait_for("the mail", |e| e["subject"] == "after a huge lifetime");
    let (_, _, stderr) = watch.terminate();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    // A token file that says it expires at the end of time.
    let file = setup.token_file("work");
    let token = jwt("alice", 3600);
    std::fs::write(
        &file,
        format!(r#"{{"access_token":"{token}","expires_at":18446744073709551615}}"#),
    )
    .unwrap();
    let report = setup.check(&[token.as_str()]);
    assert_eq!(report[0]["ok"], true, "{report}");
    server.stop();
}
