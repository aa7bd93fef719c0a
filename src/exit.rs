//! Exit codes, so scripts can tell what happened:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (also when the reader of stdout went away) |
//! | 1 | runtime failure (state, I/O, another watcher running, ...) |
//! | 2 | usage or profile error |
//! | 3 | connection or authentication failure (`check`, `watch --once`) |

use crate::config::ProfileError;

/// A failure to reach or log in to a server: exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectFailure(pub String);

/// A command line that asks for something that is not there (a page, a
/// sink, a time that is no time, a profile that already exists): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Fails the command with a [`UsageError`].
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err($crate::exit::UsageError(format!($($arg)*)).into())
    };
}
pub(crate) use usage;

pub const SUCCESS: u8 = 0;
pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const CONNECT: u8 = 3;

/// The exit code for an error that ended a command.
pub fn code(e: &anyhow::Error) -> u8 {
    if is_broken_pipe(e) {
        SUCCESS
    } else if e.downcast_ref::<ProfileError>().is_some() || e.downcast_ref::<UsageError>().is_some()
    {
        USAGE
    } else if e.downcast_ref::<ConnectFailure>().is_some() {
        CONNECT
    } else {
        FAILURE
    }
}

/// `mailreactor state show | head -1`: the reader is done; so are we.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
