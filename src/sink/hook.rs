//! Shell-command hooks: a program run per event (or per debounced burst).
//!
//! The program gets the events as JSON lines on stdin (then stdin is
//! closed) and the first event's small fields in `MR_*` variables. Mail
//! content never becomes part of a command line or a script: `command` is
//! an argv run without a shell, and `shell` scripts are fixed text. The
//! hook runs in its own process group, which is killed at the timeout.
//! Its stdout and stderr go to mailreactor's log, never to its stdout.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{Delivery, Sink, SinkError, SinkSpec};
use crate::config::{HookConfig, HookRun};
use crate::event::Event;

/// How much of a hook's output is kept for the log, per stream.
const OUTPUT_KEPT: usize = 4096;
/// Longest value of an `MR_*` variable.
const ENV_MAX: usize = 1024;

pub struct HookSink {
    config: HookConfig,
}

impl HookSink {
    pub fn new(config: HookConfig) -> HookSink {
        HookSink { config }
    }

    /// The dispatcher settings this hook asks for.
    pub fn spec(&self) -> SinkSpec {
        SinkSpec {
            subscription: self.config.subscription.clone(),
            debounce: self.config.debounce,
            min_interval: self.config.min_interval,
            concurrency: self.config.concurrency,
            retry: self.config.retry,
        }
    }

    async fn run(&self, events: &[Arc<Event>]) -> Result<(), SinkError> {
        let name = &self.config.name;
        let mut cmd = match &self.config.run {
            HookRun::Argv(argv) => {
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]);
                c
            }
            HookRun::Shell(script) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(script);
                c
            }
        };
        // systemd's sockets are for mailreactor itself, not its hooks.
        for var in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            cmd.env_remove(var);
        }
        cmd.envs(variables(events))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| SinkError::Failed(format!("cannot start the hook: {e}")))?;
        // Killed with its whole group if this delivery is dropped (timeout,
        // shutdown) before the hook ends.
        let mut group = Group(child.id().map(|p| p as libc::pid_t));

        let mut stdin = child.stdin.take().expect("piped");
        let input: String = events.iter().map(|e| e.to_json() + "\n").collect();
        let feed = async move {
            // A hook may ignore its input and exit: a broken pipe is fine.
            let _ = stdin.write_all(input.as_bytes()).await;
            drop(stdin);
        };
        let out = keep(child.stdout.take().expect("piped"));
        let err = keep(child.stderr.take().expect("piped"));
        let run = async {
            let ((), out, err, status) = tokio::join!(feed, out, err, child.wait());
            (out, err, status)
        };
        let (out, err, status) = match tokio::time::timeout(self.config.timeout, run).await {
            Ok(done) => done,
            Err(_) => {
                group.kill();
                return Err(SinkError::Failed(format!(
                    "timed out after {}; its process group was killed",
                    humantime::format_duration(self.config.timeout)
                )));
            }
        };
        group.0 = None;
        for (stream, text) in [("stdout", &out), ("stderr", &err)] {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                tracing::info!("hook {name} {stream}: {line}");
            }
        }
        let status =
            status.map_err(|e| SinkError::Failed(format!("cannot wait for the hook: {e}")))?;
        tracing::debug!(
            "hook {name}: {status} after {} ms",
            started.elapsed().as_millis()
        );
        if status.success() {
            Ok(())
        } else {
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let detail = if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            };
            Err(SinkError::Failed(format!("{status}{detail}")))
        }
    }
}

impl Sink for HookSink {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        Box::pin(self.run(events))
    }
}

/// A process group to kill unless disarmed.
struct Group(Option<libc::pid_t>);

impl Group {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            // SAFETY: killpg has no memory-safety preconditions; the group
            // is the hook's own (process_group(0) made it its leader).
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads a stream to its end, keeping the first [`OUTPUT_KEPT`] bytes.
async fn keep(mut r: impl AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = OUTPUT_KEPT.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// `MR_*` variables from the first event of the batch.
fn variables(events: &[Arc<Event>]) -> Vec<(&'static str, String)> {
    let e = &events[0];
    let m = e.message();
    let from = m
        .and_then(|m| m.from.first())
        .map(|a| match (&a.name, &a.address) {
            (Some(n), Some(ad)) => format!("{n} <{ad}>"),
            (None, Some(ad)) => ad.clone(),
            (Some(n), None) => n.clone(),
            (None, None) => String::new(),
        });
    let vars = [
        ("MR_EVENT_ID", Some(e.id.clone())),
        ("MR_TYPE", Some(e.kind.as_str().to_string())),
        ("MR_ACCOUNT", Some(e.account.clone())),
        ("MR_MAILBOX", e.mailbox.clone()),
        ("MR_UID", m.map(|m| m.uid.to_string())),
        ("MR_FROM", from),
        ("MR_SUBJECT", m.and_then(|m| m.subject.clone())),
        ("MR_EVENT_COUNT", Some(events.len().to_string())),
    ];
    vars.into_iter()
        .map(|(k, v)| (k, env_safe(v.unwrap_or_default())))
        .collect()
}

/// Environment values cannot hold NUL, and should not be huge.
fn env_safe(s: String) -> String {
    s.chars().filter(|c| *c != '\0').take(ENV_MAX).collect()
}
