//! `mailreactor watch` against a real Dovecot: what is announced, what is
//! not, and that watching changes nothing on the server.

use std::time::Duration;

use crate::common::dovecot::simple_message;
use crate::common::{Env, received};

/// A message as a real client would send it: encoded subject and sender
/// name, a quoted-printable text part and a PDF with an encoded file name.
fn rich_message() -> Vec<u8> {
    b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\n\
To: Alice <alice@example.com>\r\n\
Cc: bob@example.com\r\n\
Subject: =?utf-8?b?UmVjaG51bmcgZsO8ciBNw6RyeiDwn5OO?=\r\n\
Date: Mon, 23 Nov 2026 08:39:58 +0100\r\n\
Message-ID: <rich-1@example.de>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\
\r\n\
--XYZ\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Hallo Alice, anbei die Rechnung f=C3=BCr M=C3=A4rz.\r\n\
Gr=C3=BC=C3=9Fe\r\n\
--XYZ\r\n\
Content-Type: application/pdf; name=\"=?utf-8?q?Rechnung_M=C3=A4rz.pdf?=\"\r\n\
Content-Disposition: attachment; filename=\"=?utf-8?q?Rechnung_M=C3=A4rz.pdf?=\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\r\n\
--XYZ--\r\n"
        .to_vec()
}

#[test]
fn new_mail_becomes_an_event_with_decoded_fields() {
    let env = Env::new(&["INBOX"], "");
    env.dovecot
        .append("INBOX", &simple_message("old news", "before the watch"));
    let mut watch = env.watch();
    let connected = watch.wait_type("account.connected");
    assert_eq!(connected["mailbox"], "INBOX");
    assert_eq!(connected["watch_mode"], "notify");

    let uid = env.dovecot.append("INBOX", &rich_message());
    let e = watch.wait_type("message.received");
    assert_eq!(e["schema"], 1);
    assert_eq!(e["account"], "test");
    assert_eq!(e["mailbox"], "INBOX");
    assert_eq!(e["uid"], uid);
    assert!(e["uidvalidity"].as_u64().unwrap() > 0);
    assert_eq!(
        e["id"],
        format!("test/INBOX/{}/{uid}/received", e["uidvalidity"])
    );
    assert_eq!(e["subject"], "Rechnung für März 📎");
    assert_eq!(e["from"][0]["name"], "Jürgen Müller");
    assert_eq!(e["from"][0]["address"], "jm@example.de");
    assert_eq!(e["to"][0]["name"], "Alice");
    assert_eq!(e["cc"][0]["address"], "bob@example.com");
    assert!(e["cc"][0]["name"].is_null());
    assert_eq!(e["date"], "2026-11-23T07:39:58Z");
    assert_eq!(e["message_id"], "<rich-1@example.de>");
    assert_eq!(e["size"], rich_message().len() as u64);
    assert_eq!(
        e["preview"],
        "Hallo Alice, anbei die Rechnung für März. Grüße"
    );
    let att = &e["attachments"];
    assert_eq!(att.as_array().unwrap().len(), 1, "{att}");
    assert_eq!(att[0]["filename"], "Rechnung März.pdf");
    assert_eq!(att[0]["content_type"], "application/pdf");
    assert!(att[0]["size"].as_u64().unwrap() > 0);
    assert_eq!(e["flags"], serde_json::json!([]));

    // The message from before the first start was never announced.
    assert!(
        !watch.seen.iter().any(|v| v["subject"] == "old news"),
        "{:#?}",
        watch.seen
    );

    // Watching read the message but did not mark it read.
    let mut client = env.dovecot.client();
    client.examine("INBOX").unwrap();
    let fetched = client.uid_fetch(uid.to_string(), "FLAGS").unwrap();
    let flags: Vec<String> = fetched
        .iter()
        .flat_map(|f| f.flags().iter().map(|f| f.to_string()))
        .collect();
    assert!(!flags.iter().any(|f| f == "\\Seen"), "{flags:?}");
}

#[test]
fn first_start_is_a_baseline_and_restarts_announce_what_came_meanwhile_once() {
    let env = Env::new(&["INBOX"], "");
    for i in 0..3 {
        env.dovecot
            .append("INBOX", &simple_message(&format!("old {i}"), "x"));
    }
    assert!(
        received(&env.once()).is_empty(),
        "first start announced old mail"
    );

    let mut uids = Vec::new();
    for i in 0..250 {
        uids.push(
            env.dovecot
                .append("INBOX", &simple_message(&format!("new {i}"), "x")),
        );
    }
    let got = received(&env.once());
    let got_uids: Vec<u64> = got.iter().map(|(u, _)| *u).collect();
    let want: Vec<u64> = uids.iter().map(|&u| u64::from(u)).collect();
    assert_eq!(got_uids, want, "every new message once, in order");
    assert_eq!(got[249].1, "new 249");

    assert!(
        received(&env.once()).is_empty(),
        "a third run repeated mail"
    );
}

#[test]
fn a_running_watch_is_stopped_and_started_without_loss_or_repeat() {
    let env = Env::new(&["INBOX"], "");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("during", "x"));
    watch.wait_for("during", |v| v["subject"] == "during");
    let (code, took, stderr) = watch.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(took < Duration::from_secs(2), "SIGTERM took {took:?}");
    assert!(
        env.dovecot.log().contains("Logged out"),
        "no LOGOUT at stop: {}",
        env.dovecot.log()
    );

    env.dovecot
        .append("INBOX", &simple_message("while down 1", "x"));
    env.dovecot
        .append("INBOX", &simple_message("while down 2", "x"));
    let mut watch = env.watch();
    watch.wait_for("while down 2", |v| v["subject"] == "while down 2");
    env.dovecot.append("INBOX", &simple_message("after", "x"));
    watch.wait_for("after", |v| v["subject"] == "after");
    let subjects: Vec<String> = received(&watch.seen).into_iter().map(|(_, s)| s).collect();
    assert_eq!(subjects, ["while down 1", "while down 2", "after"]);
}

#[test]
fn several_mailboxes_are_watched_at_once() {
    let env = Env::new(&["INBOX", "Lists", "Entwürfe"], "");
    let mut c = env.dovecot.client();
    c.create("Lists").unwrap();
    c.create("Entw&APw-rfe").unwrap();
    let mut watch = env.watch();
    watch.wait_connected(3);
    env.dovecot
        .append("Lists", &simple_message("to lists", "x"));
    let e = watch.wait_type("message.received");
    assert_eq!(
        (e["mailbox"].as_str(), e["subject"].as_str()),
        (Some("Lists"), Some("to lists"))
    );
    env.dovecot
        .append("Entw&APw-rfe", &simple_message("draft", "x"));
    let e = watch.wait_type("message.received");
    assert_eq!(e["mailbox"], "Entwürfe");
    assert_eq!(e["subject"], "draft");
}

#[test]
fn polling_mode_announces_mail_too() {
    let env = Env::new(&["INBOX"], "mode = \"poll\"\npoll-interval = \"1s\"");
    let mut watch = env.watch();
    let c = watch.wait_type("account.connected");
    assert_eq!(c["watch_mode"], "poll");
    env.dovecot.append("INBOX", &simple_message("polled", "x"));
    let e = watch.wait_type("message.received");
    assert_eq!(e["subject"], "polled");
}

#[test]
fn a_second_watch_on_the_same_state_refuses_and_names_the_first() {
    let env = Env::new(&["INBOX"], "");
    let mut first = env.watch();
    first.wait_type("account.connected");
    let out = env.run(&["watch", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("pid {}", first.child.id())), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_large_message_is_announced_without_downloading_it_whole() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    let body = "Quarterly numbers attached. ".repeat(10) + &"x".repeat(3 * 1024 * 1024);
    let hostile = "$(touch /tmp/pwned) `id` ; rm -rf ~ '\"&|<>";
    let raw = simple_message(hostile, &body);
    env.dovecot.append("INBOX", &raw);
    let events = env.once();
    let e = events
        .iter()
        .find(|e| e["type"] == "message.received")
        .unwrap();
    assert_eq!(e["size"], raw.len() as u64);
    assert_eq!(e["subject"], hostile, "the subject is data, verbatim");
    assert!(
        e["preview"]
            .as_str()
            .unwrap()
            .starts_with("Quarterly numbers attached.")
    );
    // The server counts what it sent: far less than the message.
    let log = env.dovecot.log();
    let out_bytes: u64 = log
        .lines()
        .filter_map(|l| l.split("out=").nth(1))
        .filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .max()
        .expect("dovecot logs bytes sent at logout");
    assert!(
        out_bytes < 400 * 1024,
        "sent {out_bytes} bytes of a 3 MB message:\n{log}"
    );
}

/// A multipart message whose first text part is longer than the body's
/// first bytes, an HTML-only one, and a base64 one: each has a preview of
/// its text.
/// A catch-up asks for the next batch before it reads the last; a batch's
/// multipart mail whose text starts late has its text fetched on its own
/// meanwhile, while the next batch's answers are already arriving. Each
/// message comes once, in order, with its preview.
#[test]
fn a_catch_up_over_batches_of_mixed_mail_loses_nothing() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    let long_text = "The quarterly numbers are in. ".repeat(700);
    let mut uids = Vec::new();
    for i in 0..260 {
        let raw = if i % 9 == 4 {
            format!(
                "From: ann@example.com\r\nSubject: long {i}\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{long_text}\r\n--b\r\n\
                 Content-Type: application/pdf; name=r.pdf\r\n\r\nQUJD\r\n--b--\r\n"
            )
            .into_bytes()
        } else {
            simple_message(&format!("plain {i}"), "Nothing to see.")
        };
        uids.push(env.dovecot.append("INBOX", &raw));
    }
    let events = env.once();
    let got: Vec<u64> = events
        .iter()
        .filter(|e| e["type"] == "message.received")
        .map(|e| e["uid"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = uids.iter().map(|&u| u64::from(u)).collect();
    assert_eq!(got, want, "every message once, in order");
    for e in events.iter().filter(|e| e["type"] == "message.received") {
        let subject = e["subject"].as_str().unwrap();
        let preview = e["preview"].as_str().unwrap_or_default();
        let expected = if subject.starts_with("long") {
            "The quarterly numbers are in."
        } else {
            "Nothing to see."
        };
        assert!(preview.starts_with(expected), "{subject}: {preview:?}");
    }
}

#[test]
fn long_multipart_and_html_only_mail_have_a_preview() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    let long_text = "The quarterly numbers are in. ".repeat(700); // ~21 KB
    let multipart = format!(
        "From: ann@example.com\r\nSubject: long\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{long_text}\r\n--b\r\n\
         Content-Type: application/pdf; name=r.pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--b--\r\n"
    );
    let html = "From: ann@example.com\r\nSubject: html\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=r\r\n\r\n--r\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><h1>Sale</h1><p>Everything <b>must</b> go.</p></body></html>\r\n\
         --r\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--r--\r\n";
    let text = "Grüße aus dem Büro. ".repeat(1200);
    let mut b64 = String::new();
    {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        for chunk in encoded.as_bytes().chunks(76) {
            b64.push_str(std::str::from_utf8(chunk).unwrap());
            b64.push_str("\r\n");
        }
    }
    let base64_mail = format!(
        "From: ann@example.com\r\nSubject: b64\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}--a\r\n\
         Content-Type: text/html\r\n\r\n<p>html</p>\r\n--a--\r\n"
    );
    for raw in [
        multipart.as_bytes(),
        html.as_bytes(),
        base64_mail.as_bytes(),
    ] {
        env.dovecot.append("INBOX", raw);
    }
    let events = env.once();
    let preview = |subject: &str| {
        let e = events
            .iter()
            .find(|e| e["subject"] == subject)
            .unwrap_or_else(|| panic!("no event for {subject}: {events:?}"));
        e["preview"]
            .as_str()
            .unwrap_or_else(|| panic!("no preview for {subject}: {e}"))
            .to_string()
    };
    assert!(
        preview("long").starts_with("The quarterly numbers are in. The quarterly"),
        "{}",
        preview("long")
    );
    assert_eq!(preview("html"), "Sale Everything must go.");
    assert!(
        preview("b64").starts_with("Grüße aus dem Büro. Grüße"),
        "{}",
        preview("b64")
    );
}

/// How often `pid`'s threads woke over the next `span`.
fn wake_ups_within(pid: u32, span: Duration) -> u64 {
    let before = wake_ups(pid);
    std::thread::sleep(span);
    wake_ups(pid).saturating_sub(before)
}

/// Voluntary context switches of every thread of `pid`: how often its
/// threads went to sleep, so how often they woke.
fn wake_ups(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
                .filter_map(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn an_idle_watch_does_not_wake_up_and_still_stops_at_once() {
    let env = Env::new(&["INBOX", "Lists", "Archive"], "");
    {
        let mut c = env.dovecot.client();
        c.create("Lists").unwrap();
        c.create("Archive").unwrap();
    }
    let mut watch = env.watch();
    watch.wait_connected(3);
    // Settled once the looks after connecting are done: a quiet second
    // (on a loaded machine they can take longer than one).
    let pid = watch.child.id();
    let deadline = std::time::Instant::now() + crate::common::PATIENCE;
    while wake_ups_within(pid, Duration::from_secs(1)) > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the watch never had a quiet second"
        );
    }
    let woke = wake_ups_within(pid, Duration::from_secs(3));
    // Three IDLE threads that woke four times a second would be 36.
    assert!(woke <= 4, "an idle watch woke {woke} times in 3 s");
    let (code, took, stderr) = watch.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
}
