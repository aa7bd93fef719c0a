//! Flag changes and deletions, against a real Dovecot: live over IDLE,
//! made while mailreactor was stopped, each reported once; and the
//! UID-comparison fallback on a server that offers no CONDSTORE/QRESYNC.

use std::net::TcpStream;
use std::time::Duration;

use crate::common::Env;
use crate::common::dovecot::simple_message;
use serde_json::Value;

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

fn uids(events: &[Value], kind: &str) -> Vec<u64> {
    let mut u: Vec<u64> = of_type(events, kind)
        .iter()
        .map(|e| e["uid"].as_u64().unwrap())
        .collect();
    u.sort();
    u
}

fn has_flag(e: &Value, flag: &str) -> bool {
    e["flags"].as_array().unwrap().iter().any(|f| f == flag)
}

/// A client of the test's own with INBOX selected read-write.
fn selected(env: &Env) -> imap::Session<TcpStream> {
    let mut c = env.dovecot.client();
    c.select("INBOX").unwrap();
    c
}

fn delete(c: &mut imap::Session<TcpStream>, uid: u32) {
    c.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
        .unwrap();
    c.expunge().unwrap();
}

#[test]
fn flags_and_deletions_are_reported_live_and_arrivals_are_not_changes() {
    let env = Env::new(&["INBOX"], "");
    for i in 1..=2 {
        env.dovecot
            .append("INBOX", &simple_message(&format!("old {i}"), "x"));
    }
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let uid3 = env.dovecot.append("INBOX", &simple_message("new", "x"));
    watch.wait_for("the new message", |e| {
        e["type"] == "message.received" && e["uid"] == uid3
    });

    let mut c = selected(&env);
    c.uid_store("1", "+FLAGS.SILENT (\\Flagged)").unwrap();
    let flagged = watch.wait_for("uid 1 flagged", |e| {
        e["type"] == "message.flags-changed" && e["uid"] == 1
    });
    assert!(has_flag(&flagged, "\\Flagged"), "{flagged}");
    assert!(flagged["modseq"].as_u64().unwrap() > 0);
    assert!(
        flagged["id"].as_str().unwrap().contains("/1/flags/"),
        "{flagged}"
    );

    delete(&mut c, 2);
    let deleted = watch.wait_for("uid 2 deleted", |e| e["type"] == "message.deleted");
    assert_eq!(deleted["uid"], 2);
    let _ = c.logout();

    let _ = watch.drain(Duration::from_secs(2));
    assert_eq!(uids(&watch.seen, "message.deleted"), vec![2]);
    let changed = uids(&watch.seen, "message.flags-changed");
    assert!(
        !changed.contains(&u64::from(uid3)),
        "the arrival of uid {uid3} was reported as a change: {:#?}",
        watch.seen
    );
    assert!(watch.stderr().is_empty() || !watch.stderr().contains("ERROR"));
}

#[test]
fn changes_made_while_stopped_are_reported_on_the_next_start_once() {
    let env = Env::new(&["INBOX"], "");
    for i in 1..=3 {
        env.dovecot
            .append("INBOX", &simple_message(&format!("m {i}"), "x"));
    }
    // The first run takes the baseline: nothing to report.
    let first = env.once();
    assert!(
        of_type(&first, "message.flags-changed").is_empty(),
        "{first:#?}"
    );

    let mut c = selected(&env);
    c.uid_store("1", "+FLAGS.SILENT (\\Seen)").unwrap();
    delete(&mut c, 3);
    // A message that arrives and is flagged while stopped: one
    // message.received with its flags, and no change.
    let mut c2 = env.dovecot.client();
    let uid4 = crate::common::dovecot::append_with(&mut c2, "INBOX", &simple_message("late", "x"));
    c.noop().unwrap(); // so that this session knows uid 4
    c.uid_store(uid4.to_string(), "+FLAGS.SILENT (\\Flagged)")
        .unwrap();
    let _ = c.logout();
    let _ = c2.logout();

    let second = env.once();
    assert_eq!(
        uids(&second, "message.flags-changed"),
        vec![1],
        "{second:#?}"
    );
    assert!(has_flag(
        of_type(&second, "message.flags-changed")[0],
        "\\Seen"
    ));
    assert_eq!(uids(&second, "message.deleted"), vec![3]);
    let received = of_type(&second, "message.received");
    assert_eq!(received.len(), 1);
    assert!(has_flag(received[0], "\\Flagged"), "{second:#?}");

    // Nothing twice.
    let third = env.once();
    assert!(
        of_type(&third, "message.flags-changed").is_empty()
            && of_type(&third, "message.deleted").is_empty()
            && of_type(&third, "message.received").is_empty(),
        "{third:#?}"
    );

    // changes = "off": new mail only.
    env.write_profile(&["INBOX"], "changes = \"off\"");
    let mut c = selected(&env);
    c.uid_store("2", "+FLAGS.SILENT (\\Answered)").unwrap();
    let _ = c.logout();
    let off = env.once();
    assert!(
        of_type(&off, "message.flags-changed").is_empty(),
        "{off:#?}"
    );
}

#[test]
fn without_qresync_deletions_are_found_by_comparing_uids() {
    // A server that offers neither CONDSTORE nor QRESYNC.
    let server = crate::common::server(
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS",
    );
    let env = Env::with_server(server, &["INBOX"], "changes = \"uid-set\"\n");
    for i in 1..=4 {
        env.dovecot
            .append("INBOX", &simple_message(&format!("m {i}"), "x"));
    }
    env.once();
    let mut c = selected(&env);
    delete(&mut c, 2);
    c.uid_store("1", "+FLAGS.SILENT (\\Seen)").unwrap();
    let _ = c.logout();

    let out = env.run(&["watch", "--once", "-v"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("deletions by UID; no flags"), "{stderr}");
    let second = crate::common::events(&out.stdout);
    assert_eq!(uids(&second, "message.deleted"), vec![2], "{second:#?}");
    assert!(of_type(&second, "message.flags-changed").is_empty());

    // Live: the server's EXPUNGE makes it compare again.
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let mut c = selected(&env);
    delete(&mut c, 4);
    let _ = c.logout();
    let deleted = watch.wait_for("uid 4 deleted", |e| e["type"] == "message.deleted");
    assert_eq!(deleted["uid"], 4);
    let _ = watch.drain(Duration::from_secs(1));
    assert_eq!(uids(&watch.seen, "message.deleted"), vec![4]);

    // With changes = "auto" this server gives no deletions at all.
    env.write_profile(&["INBOX"], "");
    let mut c = selected(&env);
    delete(&mut c, 3);
    let _ = c.logout();
    drop(watch);
    assert!(of_type(&env.once(), "message.deleted").is_empty());
}
