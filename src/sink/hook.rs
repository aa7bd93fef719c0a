//! Shell-command hooks: a program run per event (or per debounced burst).
//!
//! The program gets the events as JSON lines on stdin (then stdin is
//! closed) and the first event's small fields in `MR_*` variables. Mail
//! content never becomes part of a command line or a script: `command` is
//! an argv run without a shell, and `shell` scripts are fixed text. The
//! hook runs in its own process group, which is killed at the timeout.
//! Its stdout and stderr go to mailreactor's log, never to its stdout.

use std::sync::Arc;
use std::time::Instant;

use super::{Delivery, Sink, SinkError, SinkSpec};
use crate::config::{HookConfig, HookRun};
use crate::event::Event;
use crate::process::{self, Run, RunError};

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
            max_batch: 1,
        }
    }

    async fn run(&self, events: &[Arc<Event>]) -> Result<(), SinkError> {
        let name = &self.config.name;
        let argv = match &self.config.run {
            HookRun::Argv(argv) => argv.clone(),
            HookRun::Shell(script) => vec!["sh".into(), "-c".into(), script.clone()],
        };
        let mut run = Run::new(argv, self.config.timeout);
        run.stdin = Some(
            events
                .iter()
                .map(|e| e.to_json() + "\n")
                .collect::<String>()
                .into(),
        );
        run.env = variables(events);
        let started = Instant::now();
        let output = process::run(run).await.map_err(|e| match e {
            RunError::Spawn(e) => SinkError::Failed(format!("cannot start the hook: {e}")),
            other => SinkError::Failed(other.to_string()),
        })?;
        for (stream, text) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let text = String::from_utf8_lossy(text);
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                tracing::info!("hook {name} {stream}: {line}");
            }
        }
        tracing::debug!(
            "hook {name}: {} after {} ms",
            output.status,
            started.elapsed().as_millis()
        );
        if output.status.success() {
            Ok(())
        } else {
            Err(SinkError::Failed(format!(
                "{}{}",
                output.status,
                output.stderr_detail()
            )))
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

/// `MR_*` variables from the first event of the batch.
fn variables(events: &[Arc<Event>]) -> Vec<(String, String)> {
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
        .map(|(k, v)| (k.to_string(), env_safe(v.unwrap_or_default())))
        .collect()
}

/// Environment values cannot hold NUL, and should not be huge.
fn env_safe(s: String) -> String {
    s.chars().filter(|c| *c != '\0').take(ENV_MAX).collect()
}
