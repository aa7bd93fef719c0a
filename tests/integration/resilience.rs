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

#[test]
fn a_recreated_mailbox_is_a_reset_not_a_flood() {
    let env = Env::new(&["Lists"], "");
    let mut c = env.dovecot.client();
    c.create("Lists").unwrap();
    env.dovecot.append("Lists", &simple_message("old", "x"));
    assert!(received(&env.once()).is_empty());

    // Recreated while mailreactor is stopped, and filled: a new UIDVALIDITY.
    c.delete("Lists").unwrap();
    c.create("Lists").unwrap();
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
    assert!(received(&events).is_empty(), "flooded: {events:#?}");

    // Recreated under a running watch: noticed, retried until back, reset.
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    c.delete("Lists").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    c.create("Lists").unwrap();
    watch.wait_type("mailbox.reset");
    env.dovecot.append("Lists", &simple_message("fresh", "x"));
    let e = watch.wait_type("message.received");
    assert_eq!(e["subject"], "fresh");
    let reset = watch
        .seen
        .iter()
        .find(|e| e["type"] == "mailbox.reset")
        .unwrap();
    assert_eq!(e["uidvalidity"], reset["uidvalidity"]);
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
    let proxy = crate::common::proxy::Proxy::start(env.dovecot.port);
    std::fs::write(
        &env.profile,
        std::fs::read_to_string(&env.profile).unwrap().replace(
            &format!("port = {}", env.dovecot.port),
            &format!("port = {}", proxy.port),
        ),
    )
    .unwrap();
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
