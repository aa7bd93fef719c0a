//! Broken profiles: each is refused with exit code 2 and a message that
//! names the file, line, column and key, and says what to write instead.
//! No server is needed: nothing is contacted before the profile is valid.

use std::process::Command;

const BASE: &str = "[[account]]\nname = \"work\"\nhost = \"imap.example.com\"\n\
                    username = \"me\"\npassword = \"x\"\n";

/// Runs `check` on `text`; returns stderr after asserting exit code 2.
fn refused(text: &str) -> String {
    refused_bytes(text.as_bytes())
}

/// [`refused`] for any bytes.
fn refused_bytes(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]);
    let out = Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .arg("check")
        .arg("-c")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{text}\n{stderr}");
    assert!(out.stdout.is_empty(), "stdout is for data only");
    assert!(
        stderr.contains(&path.display().to_string()),
        "no file name: {stderr}"
    );
    stderr
}

fn assert_has(stderr: &str, parts: &[&str]) {
    for p in parts {
        assert!(stderr.contains(p), "missing {p:?} in:\n{stderr}");
    }
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    let e = refused(&format!("{BASE}pasword = \"y\"\n"));
    assert_has(
        &e,
        &[
            "bad.toml:6:1:",
            "account[0].pasword",
            "unknown key",
            "did you mean `password`?",
        ],
    );
    let e = refused(&format!("{BASE}mailbox = [\"INBOX\"]\n"));
    assert_has(&e, &[":6:1:", "did you mean `mailboxes`?"]);
    let e = refused("[acount]\nx = 1\n");
    assert_has(&e, &[":1:2:", "did you mean `account`?"]);
}

#[test]
fn wrong_types_say_what_is_expected() {
    let e = refused(&format!("{BASE}port = \"993\"\n"));
    assert_has(
        &e,
        &[
            ":6:8:",
            "account[0].port",
            "expected a whole number from 1 to 65535",
        ],
    );
    let e = refused(&format!("{BASE}mailboxes = [\"INBOX\", 3]\n"));
    assert_has(&e, &[":6:23:", "account[0].mailboxes", "expected a string"]);
    let e = refused(&format!("{BASE}allow-insecure = \"yes\"\n"));
    assert_has(
        &e,
        &[
            ":6:18:",
            "account[0].allow-insecure",
            "expected true or false",
        ],
    );
    let e = refused(&format!("{BASE}tls = \"plain\"\n"));
    assert_has(
        &e,
        &[
            ":6:7:",
            "account[0].tls",
            "\"plain\"",
            "`implicit`, `starttls`, `none`",
        ],
    );
    let e = refused(&format!("{BASE}poll-interval = \"60\"\n"));
    assert_has(&e, &[":6:17:", "account[0].poll-interval", "\"60s\""]);
    let e = refused(&format!("{BASE}idle-interval = \"45m\"\n"));
    assert_has(&e, &[":6:17:", "between 10s and 29m"]);
}

#[test]
fn secret_sources_must_be_exactly_one() {
    let e = refused(&format!("{BASE}password-env = \"X\"\n"));
    assert_has(
        &e,
        &[
            ":6:16:",
            "account[0].password-env",
            "password and password-env are both given",
        ],
    );
    let none = BASE.replace("password = \"x\"\n", "");
    let e = refused(&none);
    assert_has(&e, &[":1:1:", "no password source", "password-command"]);
    let e = refused(&none.replace("[[account]]", "[[account]]\npassword-command = []"));
    assert_has(&e, &[":2:20:", "password-command is empty"]);
}

#[test]
fn account_rules() {
    let two = format!(
        "{BASE}\n[[account]]\nname = \"work\"\nhost = \"b\"\nusername = \"u\"\npassword = \"p\"\n"
    );
    let e = refused(&two);
    assert_has(
        &e,
        &[
            ":8:8:",
            "account[1].name",
            "duplicate account name \"work\"",
        ],
    );
    let e = refused(&BASE.replace("host = \"imap.example.com\"\n", ""));
    assert_has(
        &e,
        &[":1:1:", "account[0].host", "has no host", "provider = "],
    );
    let e = refused(&format!("{BASE}mailboxes = [\"INBOX\", \"inbox\"]\n"));
    assert_has(&e, &["listed twice"]);
    let e = refused("# nothing here\n");
    assert_has(&e, &["no [[account]]"]);
}

#[test]
fn clear_text_only_to_loopback_or_when_allowed() {
    let e = refused(&format!("{BASE}tls = \"none\"\n"));
    assert_has(
        &e,
        &[
            ":6:7:",
            "account[0].tls",
            "clear text",
            "allow-insecure = true",
        ],
    );
    // Allowed: loopback, or an explicit opt-in. `check` then fails to
    // connect (exit 3), not to parse (exit 2).
    for ok in [
        BASE.replace("imap.example.com", "127.0.0.1") + "tls = \"none\"\nport = 1\n",
        BASE.replace("imap.example.com", "localhost") + "tls = \"none\"\nport = 1\n",
        BASE.replace("imap.example.com", "127.0.0.1")
            + "tls = \"none\"\nallow-insecure = true\nport = 1\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ok.toml");
        std::fs::write(&path, &ok).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_mailreactor"))
            .args(["check", "-c"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{ok}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn syntax_errors_and_missing_files() {
    let e = refused("[[account]\nname = 1\n");
    assert_has(&e, &[":1:11:"]);
    let out = Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .args(["check", "-c", "/nonexistent/mailreactor.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_has(
        &String::from_utf8_lossy(&out.stderr),
        &["/nonexistent/mailreactor.toml", "mailreactor init"],
    );
}

#[test]
fn init_writes_a_starter_that_loads_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf/mailreactor.toml");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mailreactor"))
            .args(args)
            .arg("-c")
            .arg(&path)
            .output()
            .unwrap()
    };
    let out = run(&["init"]);
    crate::common::assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        path.display().to_string()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let written = std::fs::read_to_string(&path).unwrap();

    let again = run(&["init"]);
    // A usage error, as the README's exit-code table says.
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);

    // The starter is a valid profile: check gets past it and fails only at
    // the network (exit 3), with the starter's example host named.
    let out = run(&["check"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_2_and_help_needs_no_profile() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mailreactor"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["watch", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
    let out = run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    // Help and completions touch neither a profile nor the network.
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: mailreactor"));
    let out = run(&["-c", "/nonexistent.toml", "completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn huge_or_binary_profiles_are_refused_at_once() {
    let started = std::time::Instant::now();
    let mut huge = BASE.as_bytes().to_vec();
    huge.extend(std::iter::repeat_n(b'#', 90 * 1024 * 1024));
    let e = refused_bytes(&huge);
    assert_has(&e, &["larger than 1 MiB"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let mut garbage = BASE.as_bytes().to_vec();
    garbage.extend_from_slice(b"mailboxes = [\"\xff\xfe\"]\n");
    let e = refused_bytes(&garbage);
    assert_has(
        &e,
        &["not UTF-8 text (line 6, column 15)", "save it as UTF-8"],
    );
}

#[test]
fn ca_files_are_checked_when_the_profile_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(&format!("{BASE}ca-file = \"/nonexistent/ca.pem\"\n"));
    assert_has(
        &e,
        &[
            "bad.toml:6:11:",
            "account[0].ca-file",
            "cannot read ca-file /nonexistent/ca.pem",
        ],
    );
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let e = refused(&format!("{BASE}ca-file = \"{}\"\n", not_pem.display()));
    assert_has(
        &e,
        &[
            ":6:11:",
            "holds no PEM certificate",
            "openssl x509 -inform der",
        ],
    );
}

#[test]
fn a_secret_never_shows_in_a_profile_error() {
    let secret = "Hunter2-Do-Not-Show";
    for text in [
        format!("{BASE}pasword = \"{secret}\"\n"),
        format!("{BASE}port = 1\npassword = \"{secret}\n"),
        format!("{BASE}[account.oauth2]\nclient-secret = {{ x = \"{secret}\" }}\n"),
    ] {
        let e = refused(&text);
        assert!(!e.contains(secret), "{e}");
    }
    let e = refused(&format!("{BASE}pasword = \"{secret}\"\n"));
    assert_has(
        &e,
        &["pasword = \"<redacted>\"", "did you mean `password`?"],
    );
}

#[test]
fn webhook_tables_are_checked() {
    let e = refused(&format!(
        "{BASE}[[webhook]]\nurl = \"http://hooks.example.com/mail\"\n"
    ));
    assert_has(
        &e,
        &[
            "bad.toml:7:7:",
            "webhook[0].url",
            "in clear text",
            "allow-insecure = true",
        ],
    );
    let e = refused(&format!(
        "{BASE}[[webhook]]\nurl = \"https://h.example\"\nsecret = \"hunter2\"\n"
    ));
    assert_has(
        &e,
        &["webhook[0].secret", "whsec_", "head -c 32 /dev/urandom"],
    );
    assert!(!e.contains("hunter2"), "{e}");
    let e = refused(&format!(
        "{BASE}[[webhook]]\nurl = \"https://h.example\"\nheaders = {{ webhook-id = \"x\" }}\n"
    ));
    assert_has(&e, &["webhook[0].headers", "\"webhook-id\" cannot be set"]);
    let e = refused(&format!(
        "{BASE}[[hook]]\nname = \"n8n\"\ncommand = [\"true\"]\n[[webhook]]\nname = \"n8n\"\nurl = \"https://h.example\"\n"
    ));
    assert_has(&e, &["the name \"n8n\" is taken"]);
    let e = refused(&format!(
        "{BASE}[[webhook]]\nurl = \"https://h.example\"\nsecrt = \"x\"\n"
    ));
    assert_has(&e, &["did you mean `secret`?"]);
}

#[test]
fn redis_tables_are_checked() {
    let e = refused(&format!(
        "{BASE}[[redis]]\nurl = \"redis://cache.example.com:6379/0\"\n"
    ));
    assert_has(&e, &["redis[0].url", "in clear text", "rediss://"]);
    let e = refused(&format!(
        "{BASE}[[redis]]\nurl = \"rediss://:hunter2@cache.example.com/0\"\n"
    ));
    assert_has(&e, &["redis[0].url", "holds a password", "password-env"]);
    assert!(!e.contains("hunter2"), "{e}");
    let e = refused(&format!("{BASE}[[redis]]\nstream = \"mr:{{subject}}\"\n"));
    assert_has(&e, &["redis[0].stream", "{subject} is not a field"]);
    let e = refused(&format!("{BASE}[[redis]]\nstreem = \"x\"\n"));
    assert_has(&e, &["did you mean `stream`?"]);
}
