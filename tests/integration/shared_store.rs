//! `[store]`: the state in PostgreSQL, with the same commands and the same
//! promises as the SQLite file.

use crate::common::dovecot::simple_message;
use crate::common::{Env, assert_success};

fn with_store(url: &str) -> Env {
    let env = Env::new(&["INBOX"], "");
    env.append_profile(&format!("[store]\nurl = \"{url}\"\n"));
    env
}

#[test]
fn a_watch_keeps_its_state_in_postgres_and_the_commands_read_it() {
    let url = crate::common::postgres::database();
    let env = with_store(&url);
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot
        .append("INBOX", &simple_message("in postgres", "x"));
    watch.wait_for("the mail", |e| e["subject"] == "in postgres");
    // A command that rewrites the state waits for no watch: refused,
    // naming it.
    let reset = env.run(&["state", "reset"]);
    let stderr = String::from_utf8_lossy(&reset.stderr);
    assert_eq!(reset.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("another mailreactor is using profile test")
            && stderr.contains("mailreactor watch on"),
        "{stderr}"
    );
    watch.terminate();
    // No state file: it all went to the database.
    assert!(!env.path("state").join("test.sqlite").exists());
    let out = env.run(&["state", "show", "--json"]);
    assert_success(&out);
    let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(state["mailboxes"][0]["mailbox"], "INBOX", "{state}");
    assert_eq!(state["mailboxes"][0]["events"], 2, "{state}");
    let out = env.run(&["replay", "--json", "--type", "message.received"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("in postgres"));
    // Started again: no old mail announced, new mail is.
    env.dovecot
        .append("INBOX", &simple_message("while stopped", "x"));
    let events = env.once();
    let subjects: Vec<&str> = events
        .iter()
        .filter_map(|e| e["subject"].as_str())
        .collect();
    assert_eq!(subjects, ["while stopped"]);
    let out = env.run(&["state", "reset"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("forgot 1 mailbox cursor"));
}

#[test]
fn a_store_that_cannot_be_reached_or_is_misconfigured_is_a_clear_error() {
    let port = crate::common::dovecot::free_port();
    let env = with_store(&format!("postgres://mr@127.0.0.1:{port}/nothing"));
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "state database postgres://mr@127.0.0.1:{port}/nothing"
        )),
        "{stderr}"
    );
    let env = with_store("postgres://mr:hunter2@db.example.com/mr");
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the store URL holds a password"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn migrating_from_sqlite_keeps_the_cursor_and_the_journal() {
    let env = Env::new(&["INBOX"], "");
    env.dovecot.append("INBOX", &simple_message("old", "x"));
    assert!(
        env.once().iter().all(|e| e["subject"].is_null()),
        "a baseline"
    );
    env.dovecot
        .append("INBOX", &simple_message("before the move", "x"));
    let before = env.once();
    assert!(before.iter().any(|e| e["subject"] == "before the move"));
    // Nowhere to go is a usage error; so is cluster with a state file.
    let out = env.run(&["state", "migrate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["cluster"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("cluster needs a [store] database"), "{said}");
    let url = crate::common::postgres::database();
    let out = env.run(&["state", "migrate", "--to", &url]);
    assert_success(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("copied 1 mailbox cursors, 1 journal events"),
        "{said}"
    );
    assert!(said.contains(&format!("url = \"{url}\"")), "{said}");
    // Twice: the database holds state now, and is left as it is.
    let out = env.run(&["state", "migrate", "--to", &url]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("already holds state (1 events"), "{said}");
    // Mail in between; then the watch runs on PostgreSQL.
    env.dovecot
        .append("INBOX", &simple_message("during the move", "x"));
    env.append_profile(&format!("[store]\nurl = \"{url}\"\n"));
    let subjects: Vec<String> = env
        .once()
        .iter()
        .filter_map(|e| Some(e["subject"].as_str()?.to_string()))
        .collect();
    assert_eq!(subjects, ["during the move"], "nothing old, nothing missed");
    let out = env.run(&["replay", "--json", "--type", "message.received"]);
    let journal = String::from_utf8_lossy(&out.stdout);
    assert!(
        journal.contains("before the move") && journal.contains("during the move"),
        "{journal}"
    );
}

#[test]
fn a_database_crash_under_load_loses_nothing_and_repeats_nothing() {
    const MAIL: usize = 300;
    let db = crate::common::pg_private::Private::start();
    let env = with_store(&db.url());
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let mut s = env.dovecot.client();
    let appender = std::thread::spawn(move || {
        for i in 0..MAIL {
            let raw = simple_message(&format!("load {i}"), "x");
            crate::common::dovecot::append_with(&mut s, "INBOX", &raw);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    });
    // Mid-burst, the database crashes, and is back two seconds later.
    watch.wait_for("load 50", |e| e["subject"] == "load 50");
    db.crash();
    std::thread::sleep(std::time::Duration::from_secs(2));
    db.start_again();
    appender.join().unwrap();
    let last = format!("load {}", MAIL - 1);
    watch.wait_for(&last, |e| e["subject"] == last.as_str());
    // The sink (stdout) got every one, at least once.
    for i in 0..MAIL {
        let subject = format!("load {i}");
        assert!(
            watch.seen.iter().any(|e| e["subject"] == subject.as_str()),
            "{subject} never reached stdout"
        );
    }
    let (code, _, stderr) = watch.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("cannot be reached"), "{stderr}");
    let out = env.run(&["replay", "--json", "--type", "message.received"]);
    assert_success(&out);
    let mut counts = std::collections::HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *counts
            .entry(v["subject"].as_str().unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    for i in 0..MAIL {
        assert_eq!(counts.get(&format!("load {i}")), Some(&1), "load {i}");
    }
}

#[test]
fn tls_to_the_database_follows_sslmode_and_trusts_the_ca_file() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = crate::common::self_signed(certs.path(), "pg");
    let db = crate::common::pg_private::Private::start_tls(&cert, &key);
    let url = format!(
        "postgres://mr@127.0.0.1:{}/postgres?sslmode=require",
        db.port
    );
    // With the CA: connected over TLS (the server takes nothing else).
    let env = Env::new(&["INBOX"], "");
    env.append_profile(&format!(
        "[store]\nurl = \"{url}\"\nca-file = \"{}\"\n",
        cert.display()
    ));
    assert_success(&env.run(&["watch", "--once"]));
    // Without it: the certificate is not trusted, and it says so.
    let env = with_store(&url);
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("certificate") && stderr.contains("[store] ca-file"),
        "{stderr}"
    );
    // sslmode=disable is honoured: plain text, which this server refuses.
    let env = with_store(&format!(
        "postgres://mr@127.0.0.1:{}/postgres?sslmode=disable",
        db.port
    ));
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no encryption"), "{stderr}");
}
