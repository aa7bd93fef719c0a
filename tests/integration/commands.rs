//! `check`, `state` and TLS, against a real Dovecot.

use crate::common::dovecot::simple_message;
use crate::common::{Env, received};

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_shows_capabilities_and_mailboxes_and_names_failures() {
    let env = Env::new(&["INBOX", "Nope"], "");
    env.dovecot.append("INBOX", &simple_message("one", "x"));
    env.dovecot.append("INBOX", &simple_message("two", "x"));
    let out = env.run(&["check"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stdout.contains("test  127.0.0.1:"), "{stdout}");
    assert!(
        stdout.contains("IDLE") && stdout.contains("CONDSTORE") && stdout.contains("QRESYNC"),
        "{stdout}"
    );
    let inbox = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("INBOX"))
        .unwrap();
    assert!(
        inbox.contains("exists 2") && inbox.contains("uidnext 3") && inbox.contains("uidvalidity"),
        "{inbox}"
    );
    assert!(
        stderr.contains("test/Nope") && stderr.contains("does not exist"),
        "{stderr}"
    );

    env.write_profile(&["INBOX"], "");
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // check never touches the state.
    assert!(!env.state.exists());
}

#[test]
fn state_show_and_reset() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    env.dovecot.append("INBOX", &simple_message("a", "x"));
    assert_eq!(received(&env.once()).len(), 1);

    let out = env.run(&["state", "show", "--json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = &state["mailboxes"];
    assert_eq!(rows[0]["account"], "test");
    assert_eq!(rows[0]["mailbox"], "INBOX");
    assert_eq!(rows[0]["last_uid"], 1);
    assert_eq!(rows[0]["events"], 1);
    assert!(rows[0]["last_event"].as_str().is_some());
    assert_eq!(state["sinks"][0]["sink"], "stdout");
    assert_eq!(state["sinks"][0]["lag"], 0);
    let out = env.run(&["state", "show"]);
    assert!(
        text(&out).0.lines().nth(1).unwrap().starts_with("test"),
        "{:?}",
        text(&out)
    );

    let out = env.run(&["state", "reset", "--account", "test"]);
    assert!(out.status.success());
    assert!(text(&out).1.contains("forgot 1"), "{:?}", text(&out));
    // After a reset: a new baseline, nothing old announced.
    env.dovecot.append("INBOX", &simple_message("b", "x"));
    assert!(received(&env.once()).is_empty());
}

#[test]
fn tls_implicit_and_starttls_verify_the_certificate() {
    let env = Env::new(&["INBOX"], "");
    let ca = env.dovecot.cert.display().to_string();
    let account = |tls: &str, port: u16, extra: &str| {
        format!(
            "[[account]]\nname = \"tls\"\nhost = \"localhost\"\nport = {port}\ntls = \"{tls}\"\n\
             username = \"{}\"\npassword = \"{}\"\n{extra}\n",
            crate::common::USER,
            crate::common::PASSWORD
        )
    };
    let ca_line = format!("ca-file = \"{ca}\"");
    // A certificate of no concern to this server.
    let (other, _) = crate::common::self_signed(env.dir.path(), "other");
    let other_ca = format!("ca-file = \"{}\"", other.display());
    for (tls, port) in [
        ("implicit", env.dovecot.tls_port),
        ("starttls", env.dovecot.port),
    ] {
        std::fs::write(&env.profile, account(tls, port, &ca_line)).unwrap();
        let out = env.run(&["check"]);
        assert_eq!(out.status.code(), Some(0), "{tls}: {:?}", text(&out));
        assert!(text(&out).0.contains(if tls == "implicit" {
            "implicit TLS"
        } else {
            "STARTTLS"
        }));

        // Without the CA the self-signed certificate is refused.
        std::fs::write(&env.profile, account(tls, port, "")).unwrap();
        let out = env.run(&["check"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(3), "{tls}: {stdout}{stderr}");
        assert!(
            stdout.contains("certificate verify failed"),
            "{tls}: {stdout}"
        );
        assert!(stdout.contains("set ca-file"), "{tls}: {stdout}");
        assert!(
            stdout.contains(&format!(
                "FAILED: the certificate of localhost:{port} is not trusted"
            )),
            "leads with what is wrong: {stdout}"
        );

        // With a ca-file that is not the server's, the hint says so instead.
        std::fs::write(&env.profile, account(tls, port, &other_ca)).unwrap();
        let out = env.run(&["check"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(3), "{tls}: {stdout}{stderr}");
        assert!(
            stdout.contains("is not signed by ca-file"),
            "{tls}: {stdout}"
        );
        assert!(!stdout.contains("set ca-file"), "{tls}: {stdout}");
    }

    // A watch over TLS announces mail like any other.
    std::fs::write(
        &env.profile,
        account("implicit", env.dovecot.tls_port, &ca_line),
    )
    .unwrap();
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot
        .append("INBOX", &simple_message("over tls", "x"));
    assert_eq!(watch.wait_type("message.received")["subject"], "over tls");
}

#[test]
fn implicit_tls_to_a_plain_port_fails_clearly() {
    let env = Env::new(&["INBOX"], "");
    std::fs::write(
        &env.profile,
        format!(
            "[[account]]\nname = \"x\"\nhost = \"localhost\"\nport = {}\n\
             username = \"u\"\npassword = \"p\"\n",
            env.dovecot.port
        ),
    )
    .unwrap();
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(3));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!(
            "FAILED: localhost:{} does not speak TLS from the first byte; try tls = \"starttls\"",
            env.dovecot.port
        )),
        "{stdout}"
    );
    assert!(stdout.contains("(OpenSSL: "), "{stdout}");
}

#[test]
fn check_json_and_hints() {
    let env = Env::new(&["INBOX"], "");
    env.dovecot.append("INBOX", &simple_message("one", "x"));
    let out = env.run(&["check", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r[0]["account"], "test");
    assert_eq!(r[0]["ok"], true);
    assert_eq!(r[0]["tls"], "no TLS");
    assert!(r[0]["certificate"].is_null());
    assert!(r[0]["login_ms"].as_u64().is_some());
    let caps: Vec<&str> = r[0]["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        caps.contains(&"IDLE") && caps.contains(&"CONDSTORE") && caps.contains(&"QRESYNC"),
        "{caps:?}"
    );
    assert_eq!(r[0]["mailboxes"][0]["name"], "INBOX");
    assert_eq!(r[0]["mailboxes"][0]["exists"], 1);
    assert_eq!(r[0]["mailboxes"][0]["uidnext"], 2);

    // Nothing listens there: say so, and which ports are usual.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::write(
        &env.profile,
        format!("[[account]]\nname = \"x\"\nhost = \"127.0.0.1\"\nport = {port}\nusername = \"u\"\npassword = \"p\"\n"),
    )
    .unwrap();
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out).0.contains("hint: nothing listens on 127.0.0.1:"),
        "{:?}",
        text(&out)
    );
    let out = env.run(&["check", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r[0]["ok"], false);
    assert!(r[0]["hint"].as_str().unwrap().contains("port 993"));
}

#[test]
fn logs_can_be_json_and_never_reach_stdout() {
    let env = Env::new(&["INBOX"], "");
    let out = env.run(&["watch", "--once", "--log-format", "json", "-v"]);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "a first --once announces nothing and logs nothing to stdout"
    );
    let (_, stderr) = text(&out);
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.contains("baseline"))),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
}

/// Every row of the README's exit-code table, produced for real, and each
/// failure said in a sentence (never a Rust `Debug` rendering).
#[test]
fn exit_codes_are_what_the_readme_says() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table: Vec<i32> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| exit code | meaning |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(table, [0, 1, 2, 3], "the README's exit-code table changed");

    let mut env = Env::new(&["INBOX"], "");
    let expect = |code: i32, args: &[&str], out: std::process::Output| {
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("Some(") && !stderr.contains(" { "),
            "{args:?}: {stderr}"
        );
        stderr
    };
    // 0: success.
    expect(0, &["watch", "--once"], env.run(&["watch", "--once"]));
    // 2: usage or profile errors, each saying what is wrong.
    for (args, says) in [
        (&["init"][..], "never overwrites"),
        (
            &["manual", "nope"][..],
            "there is no manual page \"nope\"; the pages are: watch",
        ),
        (
            &["replay", "--since", "yesterday"][..],
            "\"yesterday\" is not a time",
        ),
        (
            &["dead-letters", "drop", "999"][..],
            "there is no dead letter 999; nothing was done",
        ),
        (
            &["dead-letters", "retry", "998"][..],
            "there is no dead letter 998",
        ),
        (
            &["emit-test", "--sink", "nope"][..],
            "there is no sink named \"nope\"",
        ),
        (&["watch", "--no-such-flag"][..], "--no-such-flag"),
    ] {
        let stderr = expect(2, args, env.run(args));
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // 1: a runtime failure: another watch holds the state.
    let mut watch = env.watch();
    watch.wait_connected(1);
    let stderr = expect(1, &["watch", "--once"], env.run(&["watch", "--once"]));
    assert!(stderr.contains("another mailreactor is using"), "{stderr}");
    watch.terminate();
    // 3: the server cannot be reached.
    env.dovecot.stop();
    let stderr = expect(3, &["check"], env.run(&["check"]));
    assert!(stderr.contains("cannot connect"), "{stderr}");
}
