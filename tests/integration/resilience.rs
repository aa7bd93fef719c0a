//! Outages: the server goes away and comes back, a mailbox is recreated,
//! a password is wrong. Nothing is missed, nothing repeated, nothing leaks.

use crate::common::dovecot::simple_message;
use crate::common::{Env, PASSWORD, received};

#[test]
fn server_restart_during_a_watch_reconnects_and_announces_what_arrived() {
    let mut env = Env::new(&["INBOX"], "");
    env.dovecot.append("INBOX", &simple_message("before", "x"));
    let mut watch = env.watch();
    watch.wait_type("account.connected");

    env.dovecot.stop();
    let gone = watch.wait_type("account.disconnected");
    assert_eq!(gone["mailbox"], "INBOX");
    assert!(
        gone["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{gone}"
    );

    // Mail delivered while the server is down.
    env.dovecot
        .deliver_to_maildir(&simple_message("during the outage", "x"));
    env.dovecot.start_again();

    watch.wait_type("account.connected");
    watch.wait_for("the outage mail", |v| v["subject"] == "during the outage");
    env.dovecot.append("INBOX", &simple_message("after", "x"));
    watch.wait_for("after", |v| v["subject"] == "after");
    let subjects: Vec<String> = received(&watch.seen).into_iter().map(|(_, s)| s).collect();
    assert_eq!(subjects, ["during the outage", "after"]);
    // Refused again and again while down: said once, then summed up.
    let stderr = watch.stderr();
    let refusals = stderr
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("refused"))
        .count();
    assert!(
        refusals <= 1,
        "the same error was logged {refusals} times:\n{stderr}"
    );
    assert!(
        stderr.contains("test/INBOX: connected again after"),
        "{stderr}"
    );
}

/// Appends `raw` to `mailbox` as received on `day` (INTERNALDATE), the way
/// a migration copies old mail.
fn append_dated(c: &mut imap::Session<std::net::TcpStream>, mailbox: &str, raw: &[u8], day: &str) {
    let date = chrono::DateTime::parse_from_rfc3339(&format!("{day}T12:00:00+00:00")).unwrap();
    c.append(mailbox, raw).internal_date(date).finish().unwrap();
}

/// A mailbox deleted and re-created (a new UIDVALIDITY) announces what
/// arrived since it was last seen, and nothing older: neither a flood nor
/// a loss.
#[test]
fn a_recreated_mailbox_is_a_reset_not_a_flood() {
    let env = Env::new(&["Lists"], "");
    let mut c = env.dovecot.client();
    c.create("Lists").unwrap();
    env.dovecot.append("Lists", &simple_message("old", "x"));
    assert!(received(&env.once()).is_empty());
    // Announced: its Message-ID is in the journal from now on.
    let announced = simple_message("announced", "x");
    env.dovecot.append("Lists", &announced);
    assert_eq!(received(&env.once()).len(), 1);

    // Recreated while mailreactor is stopped: a new UIDVALIDITY. Copied in
    // from elsewhere (a migration keeps INTERNALDATE): old mail, and the one
    // already announced; then new mail arrives.
    c.delete("Lists").unwrap();
    c.create("Lists").unwrap();
    for i in 0..50 {
        append_dated(
            &mut c,
            "Lists",
            &simple_message(&format!("archive {i}"), "x"),
            "2024-03-01",
        );
    }
    env.dovecot.append("Lists", &announced);
    for i in 0..5 {
        env.dovecot
            .append("Lists", &simple_message(&format!("refilled {i}"), "x"));
    }
    let events = env.once();
    let resets: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "mailbox.reset")
        .collect();
    assert_eq!(resets.len(), 1, "{events:#?}");
    assert_ne!(resets[0]["uidvalidity"], resets[0]["previous_uidvalidity"]);
    let subjects: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "message.received")
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "refilled 0",
            "refilled 1",
            "refilled 2",
            "refilled 3",
            "refilled 4"
        ],
        "only what arrived since it was last seen: {events:#?}"
    );
    assert_eq!(resets[0]["announced"], 5);
    // The reset comes after what it announced, with the new UIDVALIDITY.
    assert_eq!(events.last().unwrap()["type"], "mailbox.reset");
    assert!(
        events
            .iter()
            .filter(|e| e["type"] == "message.received")
            .all(|e| e["uidvalidity"] == resets[0]["uidvalidity"])
    );
    // Nothing repeats on the next run.
    assert!(received(&env.once()).is_empty());

    // Recreated under a running watch, mail appended at once: the server
    // keeps the dead mailbox selected, but the watch notices, opens the new
    // one and announces the mail.
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    c.delete("Lists").unwrap();
    c.create("Lists").unwrap();
    env.dovecot.append("Lists", &simple_message("fresh", "x"));
    let e = watch.wait_type("message.received");
    assert_eq!(e["subject"], "fresh");
    let reset = watch.wait_type("mailbox.reset");
    assert_eq!(e["uidvalidity"], reset["uidvalidity"]);
    assert_eq!(reset["announced"], 1);
    // And goes on watching the new one.
    env.dovecot.append("Lists", &simple_message("later", "x"));
    assert_eq!(watch.wait_type("message.received")["subject"], "later");
}

#[test]
fn a_wrong_password_is_reported_without_showing_it() {
    let env = Env::new(&["INBOX", "Other"], "");
    let secret = "Wr0ng-Pa55word-XYZ";
    std::fs::write(
        &env.profile,
        std::fs::read_to_string(&env.profile)
            .unwrap()
            .replace(PASSWORD, secret),
    )
    .unwrap();

    let mut watch = env.watch();
    let e = watch.wait_type("account.auth-failed");
    assert_eq!(e["account"], "test");
    let reason = e["reason"].as_str().unwrap();
    assert!(reason.contains("login rejected"), "{reason}");
    // Two mailboxes fail, one event: an outage is reported once.
    let more = watch.drain(std::time::Duration::from_secs(2));
    assert!(
        more.iter().all(|v| v["type"] != "account.auth-failed"),
        "{more:#?}"
    );
    let stderr = watch.stderr();
    assert!(stderr.contains("test"), "{stderr}");
    drop(watch);

    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(3));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("test") && all.contains("login rejected"),
        "{all}"
    );

    let out = env.run(&["watch", "--once"]);
    assert_eq!(out.status.code(), Some(3));
    let all = format!(
        "{all}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(secret), "the password leaked: {all}");
    assert!(!stderr.contains(secret), "the password leaked: {stderr}");
}

#[test]
fn one_failing_account_never_stops_the_others() {
    let env = Env::new(&["INBOX"], "");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let good = std::fs::read_to_string(&env.profile).unwrap();
    let bad = format!(
        "[[account]]\nname = \"down\"\nhost = \"127.0.0.1\"\nport = {dead_port}\ntls = \"none\"\n\
         username = \"u\"\npassword = \"p\"\n\n"
    );
    std::fs::write(&env.profile, bad + &good).unwrap();
    let mut watch = env.watch();
    watch.wait_for("the good account", |v| {
        v["type"] == "account.connected" && v["account"] == "test"
    });
    env.dovecot
        .append("INBOX", &simple_message("still flowing", "x"));
    let e = watch.wait_type("message.received");
    assert_eq!(
        (e["account"].as_str(), e["subject"].as_str()),
        (Some("test"), Some("still flowing"))
    );
    let stderr = watch.stderr();
    assert!(
        stderr.contains("down/INBOX") && stderr.contains("cannot connect"),
        "{stderr}"
    );
}

#[test]
fn a_closed_stdout_ends_the_watch_quietly() {
    let env = Env::new(&["INBOX"], "");
    let mut child = env
        .command(&["watch", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(line.contains("account.connected"), "{line}");
    drop(out); // like `| head -1`
    env.dovecot
        .append("INBOX", &simple_message("nobody reads this", "x"));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < crate::common::PATIENCE,
            "watch kept running without a reader"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn a_silently_dead_connection_is_found_and_replaced() {
    let env = Env::new(&["INBOX"], "idle-interval = \"10s\"");
    let proxy = env.through_proxy();
    let mut watch = env.watch();
    watch.wait_type("account.connected");

    // The path goes silent: no FIN, no RST. Mail arrives meanwhile.
    proxy.stall_existing();
    let stalled_at = std::time::Instant::now();
    env.dovecot
        .append("INBOX", &simple_message("behind the dead NAT", "x"));

    let gone = watch.wait_for_within(
        "the dead connection noticed",
        std::time::Duration::from_secs(60),
        |v| v["type"] == "account.disconnected",
    );
    let took = stalled_at.elapsed();
    // idle-interval (10 s) plus the I/O timeout (30 s), and some slack.
    assert!(took < std::time::Duration::from_secs(50), "took {took:?}");
    assert!(gone["reason"].as_str().unwrap().contains("dead"), "{gone}");
    watch.wait_type("account.connected");
    watch.wait_for("the mail sent meanwhile", |v| {
        v["subject"] == "behind the dead NAT"
    });
}

/// A connection lost between a mailbox's first baseline and the end of its
/// first catch-up: the next connection goes on from that baseline, so mail
/// that came meanwhile is announced (once) and not taken as already there.
/// Both ways of watching: NOTIFY (a connection for the account) and IDLE
/// (one for the mailbox).
#[test]
fn a_connection_lost_during_the_first_look_loses_nothing() {
    for mode in ["notify", "idle"] {
        let env = Env::new(&["INBOX"], &format!("mode = {mode:?}"));
        let proxy = env.through_proxy();
        // What follows EXAMINE (the first catch-up) never reaches the server.
        proxy.stall_next_after(b"EXAMINE");
        let mut watch = env.watch();
        let connected = watch.wait_type("account.connected");
        assert_eq!(connected["watch_mode"], mode, "{connected}");
        proxy.wait_stalled();
        env.dovecot
            .append("INBOX", &simple_message("after the baseline", "x"));
        proxy.cut_existing();
        watch.wait_type("account.disconnected");
        let e = watch.wait_type("message.received");
        assert_eq!(e["subject"], "after the baseline", "{mode}: {e}");
        let stderr = watch.stderr();
        assert_eq!(
            stderr.matches("first look").count(),
            1,
            "{mode}: one baseline only: {stderr}"
        );
    }
}

/// A watcher thread that panics is reported (account.disconnected with the
/// reason, an error log) and watches again after a pause; nothing is lost.
#[test]
fn a_panicking_watcher_is_reported_and_restarted() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    env.dovecot
        .append("INBOX", &simple_message("while it failed", "x"));
    let mut cmd = env.command(&["watch", "--json"]);
    cmd.env("MAILREACTOR_FAULT_PANICS", "2");
    let mut watch = crate::common::Watch::spawn(cmd);
    let e = watch.wait_type("message.received");
    assert_eq!(e["subject"], "while it failed");
    env.dovecot.append("INBOX", &simple_message("after", "x"));
    assert_eq!(watch.wait_type("message.received")["subject"], "after");
    let stderr = watch.stderr();
    assert!(
        stderr.contains(
            "internal error in thread test: a fault injected by MAILREACTOR_FAULT_PANICS"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("mailreactor failed inside"), "{stderr}");
    assert!(
        !stderr.contains("panicked at"),
        "Rust's own panic text: {stderr}"
    );
}
