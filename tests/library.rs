//! The library, as a program embeds it: `examples/handlers.rs`, built by
//! `cargo test`, run against Dovecot.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Env;
use common::dovecot::simple_message;

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
    common::signal(&child, "TERM");
    let status = child.wait().unwrap();
    assert!(status.success());
}
