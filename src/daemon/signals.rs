//! The signals the watch loop answers: SIGINT and SIGTERM stop it, SIGHUP
//! reloads the profile.

use crate::error::Error;

pub(super) enum Signal {
    Stop(&'static str),
    Hangup,
}

/// SIGINT, SIGTERM and SIGHUP.
pub(super) struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    pub(super) fn new() -> Result<Signals, Error> {
        use tokio::signal::unix::{SignalKind, signal};
        let handle = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| Error::system(format!("cannot handle {name}"), e))
        };
        Ok(Signals {
            int: handle(SignalKind::interrupt(), "SIGINT")?,
            term: handle(SignalKind::terminate(), "SIGTERM")?,
            hup: handle(SignalKind::hangup(), "SIGHUP")?,
        })
    }

    pub(super) async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.int.recv() => Signal::Stop("SIGINT"),
            _ = self.term.recv() => Signal::Stop("SIGTERM"),
            _ = self.hup.recv() => Signal::Hangup,
        }
    }
}
