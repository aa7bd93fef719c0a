//! The children a watch has running, written down so that the next start
//! can end what a crash left behind.
//!
//! A hook's leader dies with mailreactor (`PR_SET_PDEATHSIG`), but what it
//! started in its process group would live on after a `kill -9`, with no
//! timeout, beside the copy the next start runs again. So every running
//! group is listed in `STATE/PROFILE.children` (its id and its leader's
//! start time), and a watch that starts kills the groups that file lists
//! and that still have members started no earlier than that leader: they
//! can only be the ones this file was written for.

use std::path::PathBuf;
use std::sync::Mutex;

struct Ledger {
    path: PathBuf,
    /// (process group, start time of its leader in clock ticks since boot).
    groups: Vec<(i32, u64)>,
}

static LEDGER: Mutex<Option<Ledger>> = Mutex::new(None);

fn lock() -> std::sync::MutexGuard<'static, Option<Ledger>> {
    LEDGER.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps the ledger at `path` from now on; first ends the groups a previous
/// run left there. Returns how many groups were ended.
pub(crate) fn keep(path: PathBuf) -> usize {
    let left: Vec<(i32, u64)> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (g, t) = l.split_once(' ')?;
            Some((g.parse().ok()?, t.parse().ok()?))
        })
        .collect();
    let mut ended = 0;
    for (group, start) in left {
        if has_members(group, start) {
            tracing::warn!(
                "ending process group {group}, left running by a hook of a watch that did not \
                 stop cleanly"
            );
            // SAFETY: killpg has no memory-safety preconditions.
            unsafe { libc::killpg(group, libc::SIGKILL) };
            ended += 1;
            // SIGKILL is delivered, not done: wait (briefly) until the
            // group is gone, so no hook of ours runs beside it.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
            while has_members(group, start) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
    let mut ledger = lock();
    *ledger = Some(Ledger {
        path,
        groups: Vec::new(),
    });
    save(ledger.as_ref().expect("just set"));
    ended
}

/// Notes a group that started (`leader` is its id).
pub(crate) fn started(leader: i32) {
    let mut ledger = lock();
    if let Some(l) = ledger.as_mut() {
        l.groups.push((leader, start_time(leader).unwrap_or(0)));
        save(l);
    }
}

/// Notes a group that is gone (ended, or killed).
pub(crate) fn ended(leader: i32) {
    let mut ledger = lock();
    if let Some(l) = ledger.as_mut() {
        l.groups.retain(|(g, _)| *g != leader);
        save(l);
    }
}

/// Writes the ledger: a fresh file renamed over the old one, never through
/// a link. A failure is logged: the ledger is a help, not the promise.
fn save(l: &Ledger) {
    let text: String = l.groups.iter().map(|(g, t)| format!("{g} {t}\n")).collect();
    if let Err(e) = crate::private::replace(&l.path, text.as_bytes()) {
        tracing::warn!("{e}");
    }
}

/// A process's (group, start time, state) from `/proc/PID/stat`.
fn stat(pid: &str) -> Option<(i32, u64, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold anything, up to the
    // last ')'): state is field 3, the group 5, the start time 22.
    let rest: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    Some((
        rest.get(2)?.parse().ok()?,
        rest.get(19)?.parse().ok()?,
        rest.first()?.to_string(),
    ))
}

fn start_time(pid: i32) -> Option<u64> {
    stat(&pid.to_string()).map(|(_, t, _)| t)
}

/// Whether group `group` has a member started no earlier than `start`.
fn has_members(group: i32, start: u64) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        name.bytes().all(|b| b.is_ascii_digit())
            && stat(&name).is_some_and(|(g, t, state)| g == group && t >= start && state != "Z")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_read_from_proc() {
        let me = std::process::id() as i32;
        // SAFETY: getpgrp has no preconditions.
        let group = unsafe { libc::getpgrp() };
        let (g, t, _) = stat(&me.to_string()).unwrap();
        assert_eq!(g, group);
        assert!(t > 0);
        assert!(has_members(group, t));
        assert!(!has_members(group, u64::MAX));
    }
}
