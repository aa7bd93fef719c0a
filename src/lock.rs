//! One watcher per state database: two would announce everything twice.
//! The lock is an OS file lock (released even on kill -9), and the file
//! says who holds it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another mailreactor is using {path} ({holder}); stop it first, \
         or give this one its own --state-dir"
    )]
    Held { path: PathBuf, holder: String },
    #[error(transparent)]
    Unsafe(Box<crate::private::PrivateError>),
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// This machine's name, for saying who holds something (`localhost` when
/// it cannot be read).
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Takes the lock at `path`, writing `what` (e.g. "watch") and our pid.
pub fn acquire(path: &Path, what: &str) -> Result<StateLock, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Never through a link (truncating it would wipe whatever it points at).
    crate::private::no_link(path).map_err(|e| LockError::Unsafe(Box::new(e)))?;
    let mut file = crate::private::open(path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "holder unknown".to_string()
            } else {
                holder.replace('\n', ", ")
            };
            return Err(LockError::Held {
                path: path.to_path_buf(),
                holder,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(
        file,
        "mailreactor {what}, pid {}, since {}",
        std::process::id(),
        crate::event::now_rfc3339()
    )
    .map_err(io)?;
    Ok(StateLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_first_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = acquire(&path, "watch").unwrap();
        let e = acquire(&path, "watch").unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(first);
        acquire(&path, "watch").unwrap();
    }
}
