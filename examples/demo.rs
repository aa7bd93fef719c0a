//! A demo on a fresh machine: starts a throwaway Dovecot on loopback, runs
//! `mailreactor watch --json` against it, delivers a few sample messages,
//! and shows the events as they come. Needs Dovecot (`dovecot-imapd`).
//!
//!     cargo run --example demo            # runs ~10 s, then stops
//!     cargo run --example demo -- --keep  # keeps watching until Ctrl-C

// The tests' private Dovecot; this program uses part of it.
#[allow(dead_code)]
#[path = "../tests/integration/common/dovecot.rs"]
mod dovecot;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn main() {
    let keep = std::env::args().any(|a| a == "--keep");
    eprintln!("demo: starting a throwaway Dovecot on 127.0.0.1 ...");
    let server = dovecot::Dovecot::start_with("");
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("demo.toml");
    std::fs::write(
        &profile,
        format!(
            "[[account]]\nname = \"demo\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{}\"\npassword-env = \"DEMO_IMAP_PASSWORD\"\nmailboxes = [\"INBOX\"]\n",
            server.port,
            dovecot::USER
        ),
    )
    .expect("write the demo profile");
    eprintln!(
        "demo: profile {}:\n{}",
        profile.display(),
        std::fs::read_to_string(&profile).unwrap()
    );

    // The real binary, built and run by cargo.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut watch = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--bin",
            "mailreactor",
            "--",
            "watch",
            "--json",
        ])
        .arg("--config")
        .arg(&profile)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .env("DEMO_IMAP_PASSWORD", dovecot::PASSWORD)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run mailreactor watch");
    let stdout = BufReader::new(watch.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            println!("{line}");
            let _ = tx.send(line);
        }
    });
    let wait_for = |what: &str| loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(what) => break,
            Ok(_) => {}
            Err(_) => panic!("demo: no {what} event within a minute"),
        }
    };
    wait_for("account.connected");

    let samples: [(&str, &[u8]); 3] = [
        ("a plain message", b"From: Ann <ann@example.com>\r\nTo: alice@example.com\r\nSubject: Lunch?\r\n\r\nShall we meet at noon?\r\n"),
        ("an encoded subject and sender", b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n\r\nBis bald!\r\n"),
        ("an attachment", b"From: ci@example.com\r\nSubject: Build report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAll green.\r\n--b\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"),
    ];
    for (what, raw) in samples {
        eprintln!("demo: delivering {what} ...");
        server.append("INBOX", raw);
        wait_for("message.received");
    }
    if keep {
        eprintln!(
            "demo: watching; deliver more with any IMAP client to 127.0.0.1:{} as {} / {} \
             (Ctrl-C to stop)",
            server.port,
            dovecot::USER,
            dovecot::PASSWORD
        );
        let _ = watch.wait();
    } else {
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").arg(watch.id().to_string()).status();
        let _ = watch.wait();
        eprintln!("demo: done. Pipe events into jq: mailreactor watch | jq -r .subject");
    }
}
