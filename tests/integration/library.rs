//! The library, as a program embeds it: `examples/handlers.rs`, built by
//! `cargo test`, run against Dovecot.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::Env;
use crate::common::dovecot::simple_message;

fn example(name: &str) -> std::path::PathBuf {
    // target/debug/deps/library-HASH -> target/debug/examples/NAME
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    if !path.exists() {
        // `cargo test` builds examples; `cargo test --test library` does not.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "--quiet", "--example", name])
            .status()
            .unwrap()
            .success();
        assert!(ok && path.exists(), "cannot build example {name}");
    }
    path
}

#[test]
fn the_handlers_example_receives_events_from_dovecot() {
    let env = Env::new(&["INBOX"], "");
    let mut child = Command::new(example("handlers"))
        .arg(&env.profile)
        .arg(&env.state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("a handler line")
    };
    assert!(next().contains("account.connected (1 connection events so far)"));
    env.dovecot
        .append("INBOX", &simple_message("to the library", "x"));
    let line = next();
    assert!(line.starts_with("handler: test/INBOX/"), "{line}");
    assert!(
        line.ends_with("from ann@example.com: to the library"),
        "{line}"
    );
    crate::common::signal(&child, "TERM");
    let status = child.wait().unwrap();
    assert!(status.success());
}

/// A handler that blocks its thread for seconds (a synchronous call where
/// an await belonged) delays no other sink, even on a current-thread
/// runtime: the other handler gets every message on time.
#[test]
fn a_handler_that_blocks_its_thread_stalls_no_other_sink() {
    use std::sync::mpsc;
    use std::time::Instant;

    let env = Env::new(&["INBOX"], "");
    let profile = mailreactor::Profile::load(&env.profile, "test").unwrap();
    let (connected_tx, connected) = mpsc::channel();
    let (fast_tx, fast) = mpsc::channel();
    let (slow_tx, slow) = mpsc::channel();
    let watcher = mailreactor::Watcher::new(profile)
        .state_dir(&env.state)
        .on("account.connected", move |_| {
            let tx = connected_tx.clone();
            async move {
                let _ = tx.send(());
                Ok(())
            }
        })
        .on("message.received", move |e| {
            let tx = slow_tx.clone();
            async move {
                std::thread::sleep(Duration::from_secs(6));
                let _ = tx.send(e.id.clone());
                Ok(())
            }
        })
        .on("message.received", move |e| {
            let tx = fast_tx.clone();
            async move {
                let _ = tx.send((e.id.clone(), Instant::now()));
                Ok(())
            }
        });
    let stop = watcher.shutdown_handle();
    let run = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(watcher.run())
    });
    connected
        .recv_timeout(Duration::from_secs(20))
        .expect("connected");
    for i in 0..3 {
        let appended = Instant::now();
        env.dovecot
            .append("INBOX", &simple_message(&format!("m{i}"), "x"));
        let (id, at) = fast
            .recv_timeout(Duration::from_secs(3))
            .unwrap_or_else(|_| panic!("message {i} did not reach the fast handler in 3 s"));
        assert!(id.ends_with("/received"), "{id}");
        assert!(at.duration_since(appended) < Duration::from_secs(3));
    }
    // The slow handler is still on its first event, and gets them all.
    assert!(
        slow.try_recv().is_err(),
        "the slow handler should still be busy"
    );
    for _ in 0..3 {
        slow.recv_timeout(Duration::from_secs(20))
            .expect("the slow handler gets every event in the end");
    }
    stop.trigger();
    run.join().unwrap().expect("the watch ends cleanly");
}

/// The README's first command runs this: it shows the build's progress,
/// the watch's events as a user sees them, and a tip that works.
#[test]
fn the_demo_shows_progress_events_and_a_working_tip() {
    let out = Command::new(example("demo"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // cargo's own progress, before the watch starts.
    assert!(
        stderr.contains("demo: building mailreactor ..."),
        "{stderr}"
    );
    assert!(stderr.contains("Finished"), "{stderr}");
    // In a pipe: one JSON line per event, three of them new mail.
    let events = crate::common::events(&out.stdout);
    let received: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "message.received")
        .collect();
    let field =
        |key: &str| -> Vec<&str> { received.iter().map(|e| e[key].as_str().unwrap()).collect() };
    let subjects = field("subject");
    assert_eq!(subjects, ["Lunch?", "Grüße aus Köln", "Build report"]);
    // Every folder on one NOTIFY connection, as check said beforehand.
    let watched = stderr.matches("watched by NOTIFY (one connection for the account)");
    assert_eq!(watched.count(), 2, "{stderr}");
    assert_eq!(field("mailbox"), ["INBOX", "INBOX", "Lists.rust"]);
    // The tip selects message events, so it prints no `null`.
    assert!(
        stderr.contains("jq -r 'select(.type == \"message.received\") | .subject'"),
        "{stderr}"
    );
}
