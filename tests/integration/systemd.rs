//! Running under systemd: readiness, status and watchdog on a real notify
//! socket (NOTIFY_SOCKET), and SIGHUP reloading the profile.

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use crate::common::dovecot::simple_message;
use crate::common::{Env, Watch, received, signal};

/// A notify socket of the test's own, as systemd would provide.
struct NotifySocket {
    sock: UnixDatagram,
    path: std::path::PathBuf,
    seen: Vec<String>,
}

impl NotifySocket {
    fn bind(env: &Env) -> NotifySocket {
        let path = env.path("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        NotifySocket {
            sock,
            path,
            seen: Vec::new(),
        }
    }

    /// Waits for a datagram containing `want` (or finds one already
    /// received and not yet taken); returns it.
    fn wait_for(&mut self, want: &str) -> String {
        if let Some(i) = self.seen.iter().position(|m| m.contains(want)) {
            return self.seen.remove(i);
        }
        let deadline = Instant::now() + crate::common::PATIENCE;
        let mut buf = [0u8; 4096];
        loop {
            assert!(
                Instant::now() < deadline,
                "no {want:?}; got {:#?}",
                self.seen
            );
            if let Ok(n) = self.sock.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                if msg.contains(want) {
                    return msg;
                }
                self.seen.push(msg);
            }
        }
    }
}

fn watch_under_systemd(env: &Env, notify: &NotifySocket) -> Watch {
    let mut cmd = env.command(&["watch", "--json"]);
    cmd.env("NOTIFY_SOCKET", &notify.path)
        .env("WATCHDOG_USEC", "400000");
    Watch::spawn(cmd)
}

#[test]
fn ready_status_and_watchdog_on_the_notify_socket() {
    let env = Env::new(&["INBOX", "Missing"], "");
    let mut notify = NotifySocket::bind(&env);
    let mut watch = watch_under_systemd(&env, &notify);
    // One mailbox connects, the other fails its first attempt: ready.
    notify.wait_for("READY=1");
    let status = notify.wait_for("STATUS=watching 2 mailboxes, 1 connected, 1 failing");
    assert!(status.contains("failing"));
    // WatchdogSec=0.4s: pings come at least every 0.2 s or so.
    notify.wait_for("WATCHDOG=1");
    notify.wait_for("WATCHDOG=1");
    watch.wait_type("account.connected");
    let (code, _, stderr) = watch.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    notify.wait_for("STOPPING=1");
}

#[test]
fn sighup_reloads_without_losing_state_or_repeating_mail() {
    let env = Env::new(&["INBOX"], "");
    let mut notify = NotifySocket::bind(&env);
    let mut watch = watch_under_systemd(&env, &notify);
    notify.wait_for("READY=1");
    watch.wait_type("account.connected");
    env.dovecot
        .append("INBOX", &simple_message("before reload", "x"));
    watch.wait_for("before reload", |v| v["subject"] == "before reload");

    // Add a mailbox and a hook, then reload.
    env.dovecot.client().create("Lists").unwrap();
    let hook_out = env.path("hook.out");
    env.write_profile(&["INBOX", "Lists"], "");
    env.append_profile(&format!(
        "[[hook]]\nname = \"log\"\nshell = 'cat >> {}'\n",
        hook_out.display()
    ));
    signal(&watch.child, "HUP");
    let reloading = notify.wait_for("RELOADING=1");
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading}");
    notify.wait_for("STATUS=watching 2 mailboxes");
    watch.wait_for("Lists connected", |v| {
        v["type"] == "account.connected" && v["mailbox"] == "Lists"
    });
    env.dovecot
        .append("Lists", &simple_message("in lists", "x"));
    env.dovecot
        .append("INBOX", &simple_message("after reload", "x"));
    // Across mailboxes, events come in no promised order.
    crate::common::eventually("both messages", || {
        let _ = watch.next_within(std::time::Duration::from_millis(100));
        ["in lists", "after reload"]
            .iter()
            .all(|s| watch.seen.iter().any(|e| e["subject"] == *s))
    });
    crate::common::eventually("the new hook", || {
        crate::common::read(&hook_out).contains("after reload")
    });
    assert!(
        !crate::common::read(&hook_out).contains("before reload"),
        "the hook got old mail"
    );

    // A broken profile on reload: reported, and the running one kept.
    std::fs::write(&env.profile, "[[account]]\nname = 1\n").unwrap();
    signal(&watch.child, "HUP");
    crate::common::eventually("the reload error", || {
        watch.stderr().contains("keeping the running one")
    });
    env.dovecot
        .append("INBOX", &simple_message("still watching", "x"));
    watch.wait_for("still watching", |v| v["subject"] == "still watching");

    let subjects: Vec<String> = received(&watch.seen).into_iter().map(|(_, s)| s).collect();
    let mut unique = subjects.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        subjects.len(),
        unique.len(),
        "a message was announced twice: {subjects:?}"
    );
    assert_eq!(subjects.len(), 4, "{subjects:?}");
}

#[test]
fn the_unit_prefers_the_installed_binary_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let installed = dir.path().join("mailreactor");
    std::fs::write(&installed, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&installed, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .arg("systemd-unit")
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    let unit = String::from_utf8(out.stdout).unwrap();
    let want = format!("ExecStart={} watch --profile %i", installed.display());
    assert!(unit.lines().any(|l| l == want), "no {want:?} in\n{unit}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("build directory"), "{stderr}");
}

#[test]
fn the_unit_runs_this_binary_as_a_notify_service_per_profile() {
    // With no mailreactor on PATH: this binary, with a warning that it is
    // in a build directory.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .arg("systemd-unit")
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("inside a cargo build directory"),
        "{stderr}"
    );
    let unit = String::from_utf8(out.stdout).unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_mailreactor")).unwrap();
    for line in [
        "Type=notify".to_string(),
        format!("ExecStart={} watch --profile %i", exe.display()),
        "ExecReload=/bin/kill -HUP $MAINPID".to_string(),
        "WatchdogSec=".to_string(),
        "WantedBy=default.target".to_string(),
    ] {
        assert!(
            unit.lines().any(|l| l.starts_with(&line)),
            "no {line:?} in\n{unit}"
        );
    }
    // Every directive sits in a section and has a value.
    let mut section = false;
    for l in unit
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        if l.starts_with('[') {
            section = true;
        } else {
            assert!(section && l.contains('='), "bad line {l:?}");
        }
    }
}
