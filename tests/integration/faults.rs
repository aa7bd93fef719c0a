//! Faults injected for real: kill -9 in a burst, connections cut again and
//! again, the server down, the process stopped like a suspended laptop,
//! unusable state. Nothing may be missed; the journal holds each message
//! once; sinks see each at least once (stdout exactly once within a run).

use std::collections::HashSet;
use std::time::Duration;

use crate::common::dovecot::{append_numbered, simple_message};
use crate::common::{Env, eventually, read, signal};

/// The fault tests pound their servers and measure recovery times; each
/// runs with the machine to itself.
fn serial() -> crate::common::machine::Alone {
    crate::common::machine::alone()
}

/// (message events, distinct ids) in the journal.
fn journal(env: &Env) -> (i64, i64) {
    let db = rusqlite::Connection::open(env.state.join("test.sqlite")).unwrap();
    db.query_row(
        "SELECT COUNT(*), COUNT(DISTINCT id) FROM event WHERE type = 'message.received'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// Waits until the journal holds `n` messages; on timeout says how many
/// it holds and what the watch logged.
fn wait_journal(env: &Env, n: i64, watch: &crate::common::Watch, patience: Duration) {
    let deadline = std::time::Instant::now() + patience;
    while journal(env).0 < n {
        if std::time::Instant::now() >= deadline {
            // Where is it stuck? Every thread's stack, if gdb is at hand.
            let stacks = std::process::Command::new("gdb")
                .args([
                    "-p",
                    &watch.child.id().to_string(),
                    "-batch",
                    "-ex",
                    "thread apply all bt",
                ])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            let db = rusqlite::Connection::open(env.state.join("test.sqlite")).unwrap();
            let cursor: (i64, i64) = db
                .query_row("SELECT uidvalidity, last_uid FROM mailbox", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap();
            let mut uids: Vec<i64> = db
                .prepare(
                    "SELECT json_extract(json, '$.uid') FROM event WHERE type = 'message.received'",
                )
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            uids.sort();
            let missing: Vec<i64> = (1..=n).filter(|u| uids.binary_search(u).is_err()).collect();
            // What a fresh session of our own sees, beside the watcher's.
            let fresh = {
                let mut c = env.dovecot.client();
                let mb = c.examine("INBOX").unwrap();
                let mut found: Vec<u32> = c.uid_search("ALL").unwrap().into_iter().collect();
                found.sort();
                let above: Vec<u32> = found
                    .iter()
                    .copied()
                    .filter(|&u| i64::from(u) > cursor.1)
                    .collect();
                format!(
                    "exists {} uidnext {:?}; {} uids, above the cursor: {:?}",
                    mb.exists,
                    mb.uid_next,
                    found.len(),
                    &above[..above.len().min(20)]
                )
            };
            // The state as another process sees it, and its files.
            let other = env.run(&["state", "show", "--json"]);
            let other = String::from_utf8_lossy(&other.stdout).into_owned();
            let state_files = std::process::Command::new("ls")
                .arg("-la")
                .arg(&env.state)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            let mail = env.dovecot.dir().join("mail/alice");
            let files = |d: &str| {
                std::fs::read_dir(mail.join(d))
                    .map(|r| r.count())
                    .unwrap_or(0)
            };
            let maildir = format!(
                "new {} cur {} tmp {}",
                files("new"),
                files("cur"),
                files("tmp")
            );
            let log = env.dovecot.log();
            let log_tail: Vec<&str> = log
                .lines()
                .filter(|l| !l.contains("Logged out") && !l.contains("Login:"))
                .rev()
                .take(15)
                .collect();
            let dump = std::env::temp_dir().join(format!("mr-fault-{}.log", std::process::id()));
            let _ = std::fs::write(
                &dump,
                format!(
                    "{log}\n--- state show\n{other}\n--- state files\n{state_files}\n\
                     --- stderr\n{}\n--- stacks\n{stacks}",
                    watch.stderr()
                ),
            );
            panic!(
                "(full logs: {})\nthe journal holds {:?} of {n} messages; cursor {cursor:?}; missing uids {missing:?}\n\
                 a fresh session sees: {fresh}\nmaildir: {maildir}\n\
                 dovecot log (tail):\n{log_tail:#?}\nstderr:\n{}\nstacks:\n{stacks}",
                dump.display(),
                journal(env),
                watch.stderr()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Appends `n` messages from a thread of its own, as fast as it can.
fn burst(env: &Env, n: usize, prefix: &str) -> std::thread::JoinHandle<()> {
    let mut c = env.dovecot.client();
    let prefix = prefix.to_string();
    std::thread::spawn(move || {
        append_numbered(&mut c, "INBOX", &format!("{prefix} "), 0..n);
    })
}

#[test]
fn kill_9_in_a_burst_loses_nothing() {
    let _serial = serial();
    let env = Env::new(&["INBOX"], "");
    let ids = env.path("hook.ids");
    env.append_profile(&format!(
        "[[hook]]\nname = \"ids\"\nshell = 'echo \"$MR_EVENT_ID\" >> {}'\n",
        ids.display()
    ));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let appender = burst(&env, 500, "burst");
    // Kill it when it is in the middle of things.
    for _ in 0..50 {
        watch.wait_type("message.received");
    }
    signal(&watch.child, "KILL");
    let _ = watch.child.wait();
    // What it wrote before dying is still in the pipe: read it all.
    watch.drain(Duration::from_millis(500));
    let mut seen: Vec<String> = watch
        .seen
        .iter()
        .filter(|e| e["type"] == "message.received")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    drop(watch);
    appender.join().unwrap();

    let mut watch = env.watch();
    wait_journal(&env, 500, &watch, Duration::from_secs(60));
    let (count, distinct) = journal(&env);
    assert_eq!(
        (count, distinct),
        (500, 500),
        "each message once in the journal"
    );
    // stdout of both runs together: every message, at least once.
    eventually("stdout to catch up", || {
        let _ = watch.drain(Duration::from_millis(200));
        let mut all: HashSet<String> = seen.iter().cloned().collect();
        all.extend(
            watch
                .seen
                .iter()
                .filter(|e| e["type"] == "message.received")
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
        all.len() == 500
    });
    seen.extend(
        watch
            .seen
            .iter()
            .filter(|e| e["type"] == "message.received")
            .map(|e| e["id"].as_str().unwrap().to_string()),
    );
    // The hook: every id at least once.
    eventually("the hook to see all 500", || {
        read(&ids).lines().collect::<HashSet<_>>().len() == 500
    });
    let hook_ids: Vec<String> = read(&ids).lines().map(str::to_string).collect();
    let repeats = hook_ids.len() - 500;
    assert!(
        repeats <= 1,
        "with one hook run in flight at the kill, at most one repeat; got {repeats}"
    );
}

#[test]
fn connections_cut_again_and_again_miss_nothing_and_repeat_nothing() {
    let _serial = serial();
    // A short idle-interval: a server that misses an IDLE notification in
    // this storm is caught at the next renewal (which is what renewal is for).
    let env = Env::new(&["INBOX"], "idle-interval = \"10s\"");
    let proxy = env.through_proxy();
    // -v: every attempt is logged, so a failure here explains itself.
    let mut watch = crate::common::Watch::spawn(env.command(&["watch", "--json", "-v"]));
    watch.wait_type("account.connected");
    let appender = burst(&env, 300, "cut");
    let cutter = {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let t = std::thread::spawn(move || {
            let mut cuts = 0;
            while !s.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(150 + fastrand::u64(..300)));
                proxy.cut_existing();
                cuts += 1;
            }
            cuts
        });
        (stop, t)
    };
    appender.join().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    cutter.0.store(true, std::sync::atomic::Ordering::SeqCst);
    let cuts = cutter.1.join().unwrap();
    assert!(cuts >= 5, "only {cuts} cuts");
    // Cut again and again, the reconnect backoff may have grown to its cap
    // (60 s, jittered) by the time the cuts stop: allow for it.
    wait_journal(&env, 300, &watch, Duration::from_secs(100));
    let deadline = std::time::Instant::now() + crate::common::PATIENCE;
    let received: Vec<String> = loop {
        let _ = watch.drain(Duration::from_millis(300));
        let r: Vec<String> = watch
            .seen
            .iter()
            .filter(|e| e["type"] == "message.received")
            .map(|e| e["subject"].as_str().unwrap().to_string())
            .collect();
        if r.len() >= 300 || std::time::Instant::now() > deadline {
            break r;
        }
    };
    let unique: HashSet<&String> = received.iter().collect();
    assert_eq!(unique.len(), 300, "missed some");
    assert_eq!(received.len(), 300, "repeated some on stdout");
    // At least one watching session was cut (on a loaded machine the
    // reconnects may all be cut before they watch, and tell nothing).
    assert!(
        watch
            .seen
            .iter()
            .any(|e| e["type"] == "account.disconnected"),
        "no watching session was cut"
    );
}

#[test]
fn the_server_down_for_30_seconds_is_waited_out() {
    let _serial = serial();
    let mut env = Env::new(&["INBOX"], "");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.stop();
    watch.wait_type("account.disconnected");
    env.dovecot
        .deliver_to_maildir(&simple_message("while the server was down", "x"));
    std::thread::sleep(Duration::from_secs(30));
    env.dovecot.start_again();
    // Backoff doubles to at most 60 s (with jitter): it comes back within that.
    watch.wait_for_within("the reconnect", Duration::from_secs(70), |v| {
        v["type"] == "account.connected"
    });
    watch.wait_for("the mail", |v| v["subject"] == "while the server was down");
}

#[test]
fn stopped_like_a_suspended_laptop_then_continued() {
    let _serial = serial();
    let env = Env::new(&["INBOX"], "idle-interval = \"10s\"");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    signal(&watch.child, "STOP");
    env.dovecot
        .append("INBOX", &simple_message("while suspended", "x"));
    std::thread::sleep(Duration::from_secs(15)); // longer than the IDLE interval
    signal(&watch.child, "CONT");
    watch.wait_for("the mail", |v| v["subject"] == "while suspended");
    env.dovecot
        .append("INBOX", &simple_message("after resume", "x"));
    watch.wait_for("more mail", |v| v["subject"] == "after resume");
}

#[test]
fn an_unusable_or_damaged_state_is_a_clear_error() {
    let _serial = serial();
    let env = Env::new(&["INBOX"], "");
    // A state directory that cannot be created.
    // (Not env.command: that adds a --state-dir of its own.)
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .args([
            "watch",
            "--once",
            "--state-dir",
            "/proc/mailreactor-test",
            "-c",
        ])
        .arg(&env.profile)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot create the state directory /proc/mailreactor-test"),
        "{err}"
    );
    // A damaged database: say so, and how to recover.
    std::fs::create_dir_all(&env.state).unwrap();
    std::fs::write(env.state.join("test.sqlite"), vec![0x42; 8192]).unwrap();
    let out = env.run(&["watch", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("test.sqlite") && err.contains("move it aside"),
        "{err}"
    );
}

/// A small filesystem of the test's own (tmpfs), unmounted on drop.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(path: &std::path::Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let ok = std::process::Command::new("mount")
            // Mode 0700, as a state directory must be (tmpfs's own is 1777).
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "this test mounts a small tmpfs to fill it up, which needs root"
        );
        SmallDisk(path.to_path_buf())
    }

    /// Fills it to the last byte.
    fn fill(&self) {
        let _ = std::process::Command::new("dd")
            .args(["if=/dev/zero", "bs=4k"])
            .arg(format!("of={}", self.0.join("filler").display()))
            .stderr(std::process::Stdio::null())
            .status();
    }

    fn free(&self) {
        std::fs::remove_file(self.0.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_full_disk_stops_the_watch_and_loses_nothing() {
    let _serial = serial();
    let env = Env::new(&["INBOX"], "");
    let disk = SmallDisk::mount(&env.state, "2m");
    assert!(env.once().is_empty());
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    disk.fill();
    // An event too big for what the database already has room for.
    let subject = format!("big {}", "x".repeat(200 * 1024));
    env.dovecot.append("INBOX", &simple_message(&subject, "x"));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = watch.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < crate::common::PATIENCE,
            "the watch went on with a full disk:\n{}",
            watch.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = watch.stderr();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot record events; stopping so that none is lost"),
        "{stderr}"
    );
    assert!(stderr.contains("full"), "{stderr}");
    drop(watch);

    // Room again: the message was not skipped.
    disk.free();
    let events = env.once();
    let subjects: Vec<&str> = events
        .iter()
        .filter_map(|e| e["subject"].as_str())
        .collect();
    assert_eq!(subjects, [subject.as_str()]);
}

/// Processes running `sleep MARKER`, by pid.
fn sleepers(marker: &str) -> Vec<u32> {
    let want = format!("sleep\0{marker}\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want.as_bytes())
        })
        .collect()
}

/// A hook's processes die with a killed watch (its leader at once, the rest
/// of its group when the watch starts again), so a restart never runs a
/// second copy beside an orphan that no timeout governs any more.
#[test]
fn a_hook_does_not_outlive_a_killed_watch() {
    let _serial = serial();
    let env = Env::new(&["INBOX"], "");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let marker = format!("10{:07}", (std::process::id() ^ nanos) % 10_000_000);
    // A shell that forks: the group has a member besides its leader.
    env.append_profile(&format!(
        "[[hook]]\nname = \"slow\"\ncommand = [\"sh\", \"-c\", \"sleep {marker} & wait\"]\n\
         timeout = \"10m\"\n"
    ));
    let mut watch = env.watch();
    watch.wait_connected(1);
    env.dovecot.append("INBOX", &simple_message("slow", "x"));
    watch.wait_type("message.received");
    eventually("the hook runs", || sleepers(&marker).len() == 1);
    let old = sleepers(&marker);
    signal(&watch.child, "KILL");
    let _ = watch.child.wait();

    let mut again = env.watch();
    again.wait_connected(1);
    // The undelivered event runs the hook again, but only after the orphan
    // is gone: never two at once.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let now = sleepers(&marker);
        assert!(now.len() <= 1, "two copies of the hook run: {now:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let now = sleepers(&marker);
    assert!(
        !now.iter().any(|p| old.contains(p)),
        "the orphan {old:?} lives on"
    );
    assert_eq!(
        now.len(),
        1,
        "the hook runs again for the event it had not finished"
    );
    assert!(
        again.stderr().contains("left running by a hook"),
        "{}",
        again.stderr()
    );
    again.terminate();
    eventually("the hook ends with a stopped watch", || {
        sleepers(&marker).is_empty()
    });
}
