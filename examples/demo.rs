//! A demo on a fresh machine: starts a throwaway Dovecot on loopback with
//! two folders, shows what `mailreactor check` says of them, runs
//! `mailreactor watch` on every folder (`mailboxes = ["*"]`: one NOTIFY
//! connection), delivers a few sample messages to both, and shows the
//! events as a user sees them in a terminal (JSON lines when stdout is a
//! pipe). Needs Dovecot (`dovecot-imapd`): `cargo xtask demo`
//! installs it when missing, then runs this.
//!
//!     cargo xtask demo               # runs ~10 s, then stops
//!     cargo xtask demo -- --keep     # keeps watching until Ctrl-C

// The tests' private Dovecot; this program uses part of it.
#[allow(dead_code)]
#[path = "../tests/integration/common/dovecot.rs"]
mod dovecot;

use std::process::{Command, Stdio};
use std::time::Duration;

fn main() {
    let keep = std::env::args().any(|a| a == "--keep");
    eprintln!("demo: starting a throwaway Dovecot on 127.0.0.1 ...");
    let server = dovecot::Dovecot::start_with("");
    let folder = "Lists.rust";
    server
        .client()
        .create(folder)
        .expect("create the demo's second folder");
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("demo.toml");
    std::fs::write(
        &profile,
        format!(
            "[[account]]\nname = \"demo\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{}\"\npassword-env = \"DEMO_IMAP_PASSWORD\"\nmailboxes = [\"*\"]\n",
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

    // The real binary, built with cargo's progress shown (the first build
    // takes a few minutes), then run as a user runs it.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("demo: building mailreactor ...");
    let built = Command::new(cargo)
        .args(["build", "--bin", "mailreactor"])
        .status()
        .expect("run cargo build");
    assert!(built.success(), "demo: cargo build failed");
    // target/debug/examples/demo -> target/debug/mailreactor
    let exe = std::env::current_exe()
        .expect("the demo's own path")
        .parent()
        .and_then(|examples| examples.parent())
        .expect("the demo runs from target/*/examples")
        .join("mailreactor");

    // What check prints goes to the demo's stderr: its stdout is the
    // watch's events alone, as in a pipe.
    eprintln!("demo: mailreactor check --config {}", profile.display());
    let checked = Command::new(&exe)
        .arg("check")
        .arg("--config")
        .arg(&profile)
        .env("DEMO_IMAP_PASSWORD", dovecot::PASSWORD)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run mailreactor check");
    eprint!("{}", String::from_utf8_lossy(&checked.stdout));
    assert!(checked.status.success(), "demo: mailreactor check failed");

    // Each event also goes to a hook (as JSON on its stdin), so the demo
    // knows when to deliver the next message; stdout stays the user's.
    let events = dir.path().join("events.jsonl");
    std::fs::write(&events, "").unwrap();
    let mut p = std::fs::read_to_string(&profile).unwrap();
    p.push_str(&format!(
        "\n[[hook]]\nname = \"demo\"\non = [\"*\"]\ncommand = [\"sh\", \"-c\", \"cat >> '{}'\"]\n",
        events.display()
    ));
    std::fs::write(&profile, p).unwrap();

    eprintln!("demo: mailreactor watch --config {}\n", profile.display());
    let mut watch = Command::new(&exe)
        .arg("watch")
        .arg("--config")
        .arg(&profile)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--quiet")
        .env("DEMO_IMAP_PASSWORD", dovecot::PASSWORD)
        .stdin(Stdio::null())
        .spawn()
        .expect("run mailreactor watch");
    let wait_for = |what: &str, n: usize| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::fs::read_to_string(&events)
            .unwrap_or_default()
            .matches(what)
            .count()
            < n
        {
            assert!(
                std::time::Instant::now() < deadline,
                "demo: no {what} event within a minute"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for("\"account.connected\"", 2);

    let samples: [(&str, &str, &[u8]); 3] = [
        ("a plain message", "INBOX", b"From: Ann <ann@example.com>\r\nTo: alice@example.com\r\nSubject: Lunch?\r\n\r\nShall we meet at noon?\r\n"),
        ("an encoded subject and sender", "INBOX", b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n\r\nBis bald!\r\n"),
        ("an attachment", folder, b"From: ci@example.com\r\nSubject: Build report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAll green.\r\n--b\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"),
    ];
    for (n, (what, mailbox, raw)) in samples.into_iter().enumerate() {
        std::thread::sleep(Duration::from_millis(700));
        eprintln!("\ndemo: delivering {what} to {mailbox} ...");
        server.append(mailbox, raw);
        wait_for("\"message.received\"", n + 1);
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
        eprintln!(
            "\ndemo: done. In a pipe the events are JSON lines, one per event; the subjects of new \
             mail:\n  mailreactor watch | jq -r 'select(.type == \"message.received\") | .subject'\n\
             Next: `mailreactor init` writes a profile for your own account."
        );
    }
}
