//! What the integration tests share: a Dovecot per test, a profile pointing
//! at it, and the real `mailreactor` binary run as a child process.
pub mod browser;
pub mod dovecot;
pub mod http;
pub mod machine;
pub mod oauth;
pub mod pg_private;
/// A private PostgreSQL for the shared-store tests: the unit tests' helper.
#[path = "../../../src/store/postgres/testdb.rs"]
pub mod postgres;
pub mod procfs;
pub mod prometheus;
pub mod proxy;
pub mod redis;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use dovecot::{Dovecot, PASSWORD, USER, self_signed};

/// How long a test waits for something that should happen "at once".
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A private Dovecot with `extra` configuration, holding a turn on the
/// machine while it runs (see `machine`).
pub fn server(extra: &str) -> Dovecot {
    let turn = machine::shared();
    let mut d = Dovecot::start_with(extra);
    d.hold(turn);
    d
}

/// A Dovecot, a temp dir, and a profile for it.
pub struct Env {
    pub dovecot: Dovecot,
    pub dir: tempfile::TempDir,
    pub profile: PathBuf,
    pub state: PathBuf,
}

impl Env {
    /// Dovecot plus a profile with one plain-IMAP account watching `mailboxes`,
    /// with `extra` lines added to the account table.
    pub fn new(mailboxes: &[&str], extra: &str) -> Env {
        Env::with_server(server(""), mailboxes, extra)
    }

    /// [`Env::new`] with a server of the test's own making.
    pub fn with_server(dovecot: Dovecot, mailboxes: &[&str], extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("test.toml");
        let state = dir.path().join("state");
        let env = Env {
            dovecot,
            dir,
            profile,
            state,
        };
        env.write_profile(mailboxes, extra);
        env
    }

    pub fn write_profile(&self, mailboxes: &[&str], extra: &str) {
        let list: Vec<String> = mailboxes.iter().map(|m| format!("{m:?}")).collect();
        let text = format!(
            "[[account]]\nname = \"test\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{USER}\"\npassword = \"{PASSWORD}\"\nmailboxes = [{}]\n{extra}\n",
            self.dovecot.port,
            list.join(", ")
        );
        std::fs::write(&self.profile, text).unwrap();
        // It holds a password: 0600, as mailreactor asks of such a profile.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.profile, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// Adds tables (hooks, notify) after the account.
    pub fn append_profile(&self, text: &str) {
        let mut p = std::fs::read_to_string(&self.profile).unwrap();
        p.push('\n');
        p.push_str(text);
        std::fs::write(&self.profile, p).unwrap();
    }

    /// A path in the test's temp dir.
    /// Starts a misbehaving proxy in front of the server and points the
    /// profile at it.
    pub fn through_proxy(&self) -> proxy::Proxy {
        let proxy = proxy::Proxy::start(self.dovecot.port);
        let text = std::fs::read_to_string(&self.profile).unwrap();
        let text = text.replace(
            &format!("port = {}", self.dovecot.port),
            &format!("port = {}", proxy.port),
        );
        std::fs::write(&self.profile, text).unwrap();
        proxy
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `mailreactor ARGS -c profile --state-dir state`, to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run mailreactor")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        mailreactor(&self.profile, &self.state, args)
    }

    /// `watch --once`, returning its events; panics unless it exits 0.
    pub fn once(&self) -> Vec<Value> {
        let out = self.run(&["watch", "--once"]);
        assert!(
            out.status.success(),
            "watch --once failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        events(&out.stdout)
    }

    /// Starts `watch --json`.
    pub fn watch(&self) -> Watch {
        Watch::spawn(self.command(&["watch", "--json"]))
    }
}

/// The JSON lines of `stdout`.
/// `mailreactor ARGS -c profile --state-dir state`, with stdin closed and
/// none of the caller's MAILREACTOR_* settings.
pub fn mailreactor(profile: &Path, state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailreactor"));
    c.args(args)
        .arg("-c")
        .arg(profile)
        .arg("--state-dir")
        .arg(state)
        .env_remove("MAILREACTOR_CONFIG")
        .env_remove("MAILREACTOR_STATE_DIR")
        .env_remove("MAILREACTOR_LOG")
        .stdin(Stdio::null());
    c
}

/// Fails the test, with the command's stderr, unless it exited 0.
#[track_caller]
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn events(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Only the `message.received` events, as (uid, subject).
pub fn received(events: &[Value]) -> Vec<(u64, String)> {
    events
        .iter()
        .filter(|e| e["type"] == "message.received")
        .map(|e| {
            (
                e["uid"].as_u64().unwrap(),
                e["subject"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A running `mailreactor watch`.
pub struct Watch {
    pub child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// Every event seen so far.
    pub seen: Vec<Value>,
}

impl Watch {
    pub fn spawn(mut cmd: Command) -> Watch {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailreactor watch");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(l).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Watch {
            child,
            lines,
            stderr,
            seen: Vec::new(),
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The next event, or `None` when none comes within `wait`.
    pub fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(wait).ok()?;
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line}"));
        self.seen.push(v.clone());
        Some(v)
    }

    /// Waits for the first event matching `pred`; events before it are
    /// kept in `seen`. Panics (with the log) after [`PATIENCE`].
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_within(what, PATIENCE, pred)
    }

    /// [`Watch::wait_for`] with its own patience.
    pub fn wait_for_within(
        &mut self,
        what: &str,
        patience: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left) {
                Some(v) if pred(&v) => return v,
                Some(_) => {}
                None => panic!(
                    "no {what} within {patience:?}; events: {:#?}\nstderr:\n{}",
                    self.seen,
                    self.stderr()
                ),
            }
        }
    }

    pub fn wait_type(&mut self, kind: &str) -> Value {
        self.wait_for(kind, |v| v["type"] == kind)
    }

    /// Waits until `n` mailboxes have reported `account.connected`.
    pub fn wait_connected(&mut self, n: usize) {
        for _ in 0..n {
            self.wait_type("account.connected");
        }
    }

    /// Events that arrive within `wait` (for asserting that nothing comes).
    pub fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        let deadline = Instant::now() + wait;
        while let Some(v) = self.next_within(deadline.saturating_duration_since(Instant::now())) {
            out.push(v);
        }
        out
    }

    /// Sends SIGTERM and returns the exit code and how long it took.
    pub fn terminate(mut self) -> (Option<i32>, Duration, String) {
        signal(&self.child, "TERM");
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("watch did not stop on SIGTERM:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = started.elapsed();
        // Let the stderr reader finish.
        std::thread::sleep(Duration::from_millis(50));
        (status.code(), took, self.stderr())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kill -SIG pid`.
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} failed");
}

/// Reads a file's text, or "" when it is missing.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits until `cond` holds, or panics with `what` after [`PATIENCE`].
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The resident memory of process `pid` in kB (0 once it is gone).
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}
