//! Running a child program: the one place that starts processes for
//! mailreactor (hooks, password and token commands).
//!
//! A child runs without a shell, in a process group of its own, with its
//! stdin fed (or closed) and its stdout and stderr read concurrently, so a
//! chatty child can never block on a full pipe. At the timeout, or when the
//! run is dropped (a stop, a cancelled delivery), the whole group is
//! killed. What is kept of each output stream is capped.

pub(crate) mod ledger;

use std::ffi::OsString;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// Variables meant for mailreactor itself (systemd's sockets), never for a
/// child.
const NOT_FOR_CHILDREN: [&str; 3] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/// Variables that hold secrets (a profile's `password-env`, ...): taken out
/// of every child's environment. Only ever added to while running.
static SECRET_VARS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Keeps the variables `vars` from every child started from now on.
pub(crate) fn hide_from_children(vars: impl IntoIterator<Item = String>) {
    let mut hidden = SECRET_VARS.lock().unwrap_or_else(|e| e.into_inner());
    for var in vars {
        if !hidden.contains(&var) {
            hidden.push(var);
        }
    }
}

/// What to run, and how.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub argv: Vec<OsString>,
    /// Written to the child's stdin, which is then closed; `None`: no stdin.
    pub stdin: Option<Vec<u8>>,
    /// Added to the environment.
    pub env: Vec<(String, String)>,
    /// The group is killed after this.
    pub timeout: Duration,
}

/// How much of each of a child's output streams is kept.
pub(crate) const OUTPUT_KEPT: usize = 4096;

impl Run {
    /// `argv[0]` with `argv[1..]`, no input, with a timeout.
    pub fn new<S: Into<OsString>>(argv: impl IntoIterator<Item = S>, timeout: Duration) -> Run {
        Run {
            argv: argv.into_iter().map(Into::into).collect(),
            stdin: None,
            env: Vec::new(),
            timeout,
        }
    }
}

/// A child that ended on its own.
#[derive(Debug)]
pub(crate) struct Output {
    pub status: ExitStatus,
    /// The start of its stdout (at most [`OUTPUT_KEPT`]).
    pub stdout: Vec<u8>,
    /// The start of its stderr.
    pub stderr: Vec<u8>,
}

impl Output {
    /// `: ` and the last non-blank line of stderr (at most 200
    /// characters), or nothing: to end an error message with.
    pub fn stderr_detail(&self) -> String {
        String::from_utf8_lossy(&self.stderr)
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| format!(": {}", l.trim().chars().take(200).collect::<String>()))
            .unwrap_or_default()
    }
}

/// Why a child did not end on its own.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not be run: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("timed out after {}; its process group was killed", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("could not be waited for: {0}")]
    Wait(#[source] std::io::Error),
}

/// Runs `run` to its end (or its timeout) on the current tokio runtime.
pub(crate) async fn run(run: Run) -> Result<Output, RunError> {
    let Some((program, args)) = run.argv.split_first() else {
        return Err(RunError::Spawn(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "empty command",
        )));
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    clean_env(cmd.as_std_mut());
    cmd.envs(run.env.iter().map(|(k, v)| (k, v)))
        .stdin(if run.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // The leader dies with mailreactor, even with kill -9; the rest of its
    // group is ended by the next start (see `ledger`).
    // SAFETY: the closure calls only prctl, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    // Killed with its whole group if this future is dropped (timeout,
    // shutdown) before the child ends.
    let mut group = Group::new(child.id().map(|p| p as libc::pid_t));

    let stdin = child.stdin.take();
    let input = run.stdin.unwrap_or_default();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A child may ignore its input and exit: a broken pipe is fine.
            let _ = stdin.write_all(&input).await;
        }
    };
    let out = keep(child.stdout.take().expect("piped"), OUTPUT_KEPT);
    let err = keep(child.stderr.take().expect("piped"), OUTPUT_KEPT);
    let all = async {
        let ((), stdout, stderr, status) = tokio::join!(feed, out, err, child.wait());
        (stdout, stderr, status)
    };
    let (stdout, stderr, status) = match tokio::time::timeout(run.timeout, all).await {
        Ok(done) => done,
        Err(_) => {
            group.kill();
            return Err(RunError::Timeout(run.timeout));
        }
    };
    // Ended on its own: what it started in the background is its business.
    group.disarm();
    Ok(Output {
        status: status.map_err(RunError::Wait)?,
        stdout,
        stderr,
    })
}

/// Starts `program` with `args` and lets it run on its own (a browser):
/// no input, output discarded, the same clean environment as [`run`].
#[cfg_attr(not(feature = "oauth2"), allow(dead_code))]
pub(crate) fn spawn_detached(program: &str, args: &[&str]) -> std::io::Result<()> {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    clean_env(&mut cmd);
    cmd.spawn().map(|_| ())
}

/// Takes systemd's variables and every secret variable out of a child's
/// environment.
fn clean_env(cmd: &mut std::process::Command) {
    for var in NOT_FOR_CHILDREN {
        cmd.env_remove(var);
    }
    for var in SECRET_VARS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        cmd.env_remove(var);
    }
}

/// [`run`] for a caller without a runtime (a watcher thread, a command):
/// runs it on a small runtime of its own, on a thread of its own, so it
/// works from any thread.
pub(crate) fn run_blocking(spec: Run) -> Result<Output, RunError> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(RunError::Spawn)?;
            rt.block_on(run(spec))
        })
        .join()
        .unwrap_or_else(|_| {
            Err(RunError::Wait(std::io::Error::other(
                "the thread running the command panicked",
            )))
        })
    })
}

/// A process group to kill unless it is gone, noted in the ledger while
/// it runs.
struct Group(Option<libc::pid_t>);

impl Group {
    fn new(leader: Option<libc::pid_t>) -> Group {
        if let Some(pid) = leader {
            ledger::started(pid);
        }
        Group(leader)
    }

    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            // SAFETY: killpg has no memory-safety preconditions; the group
            // is the child's own (process_group(0) made it its leader).
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
            ledger::ended(pgid);
        }
    }

    fn disarm(&mut self) {
        if let Some(pgid) = self.0.take() {
            ledger::ended(pgid);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads a stream to its end, keeping the first `cap` bytes.
async fn keep(mut r: impl AsyncRead + Unpin, cap: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Run {
        Run::new(["sh", "-c", script], timeout)
    }

    #[test]
    fn output_status_and_caps() {
        let r = sh(
            "printf out; printf 'one\\ntwo\\n\\n' >&2; head -c 100000 /dev/zero; exit 3",
            Duration::from_secs(10),
        );
        let o = run_blocking(r).unwrap();
        assert_eq!(o.status.code(), Some(3));
        assert_eq!(&o.stdout[..3], b"out");
        assert_eq!(o.stdout.len(), OUTPUT_KEPT);
        assert_eq!(o.stderr_detail(), ": two");
        let quiet = run_blocking(sh("true", Duration::from_secs(10))).unwrap();
        assert_eq!(quiet.stderr_detail(), "");
    }

    #[test]
    fn hidden_variables_never_reach_a_child() {
        // SAFETY: no other unit test reads or writes MR_TEST_HIDDEN_PW.
        unsafe { std::env::set_var("MR_TEST_HIDDEN_PW", "hunter2") };
        hide_from_children(["MR_TEST_HIDDEN_PW".to_string()]);
        let script = "printf '%s %s' \"${MR_TEST_HIDDEN_PW-unset}\" \"${PATH:+path}\"";
        let o = run_blocking(sh(script, Duration::from_secs(10))).unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout), "unset path");
    }

    #[test]
    fn stdin_and_environment_reach_the_child() {
        let mut r = sh("cat; printf \"$MR_X\"", Duration::from_secs(10));
        r.stdin = Some(b"in-".to_vec());
        r.env.push(("MR_X".into(), "var".into()));
        let o = run_blocking(r).unwrap();
        assert_eq!(o.stdout, b"in-var");
    }

    #[test]
    fn the_group_is_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
        let e = run_blocking(sh(&script, Duration::from_millis(500))).unwrap_err();
        assert!(matches!(e, RunError::Timeout(_)), "{e}");
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild went with the group (gone, or a zombie that
        // whoever adopted it has yet to reap).
        std::thread::sleep(Duration::from_millis(200));
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let running = state
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'));
        assert!(
            !running,
            "the background sleep {pid} outlived the timeout: {state}"
        );
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let e = run_blocking(Run::new(["/nonexistent/x"], Duration::from_secs(1))).unwrap_err();
        assert!(e.to_string().starts_with("could not be run"), "{e}");
    }
}
