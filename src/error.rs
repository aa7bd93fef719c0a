//! The library's error: why [`crate::Watcher::run`] could not start or had
//! to stop. Each variant keeps its cause as its `source`.

/// Why a watch could not start, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No state directory was given and none could be found (no `$HOME`).
    #[error("cannot tell where to keep the state (is $HOME set?); give a state directory")]
    NoStateDir,
    /// Another watch holds the state database.
    #[error(transparent)]
    Locked(Box<dyn std::error::Error + Send + Sync>),
    /// The state database could not be opened, read or written. Nothing
    /// that was not recorded is lost: it is fetched again on the next run.
    #[error("{context}: {source}")]
    State {
        context: &'static str,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The HTTP face (`[http]`) could not start: its address is taken, or
    /// its token could not be had.
    #[error("{0}")]
    Http(Box<dyn std::error::Error + Send + Sync>),
    /// The operating system refused a thread, a signal handler or a file.
    #[error("{context}: {source}")]
    System {
        context: String,
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn state(
        context: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::State {
            context,
            source: Box::new(source),
        }
    }

    pub(crate) fn system(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::System {
            context: context.into(),
            source,
        }
    }
}

impl From<crate::store::OpenError> for Error {
    fn from(e: crate::store::OpenError) -> Error {
        match e {
            crate::store::OpenError::Lock(l) => Error::Locked(Box::new(l)),
            busy @ crate::store::OpenError::Busy { .. } => Error::Locked(Box::new(busy)),
            crate::store::OpenError::Store(s) => Error::state("cannot open the state", s),
            crate::store::OpenError::Password(p) => {
                Error::state("cannot open the state database", p)
            }
        }
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Error {
        Error::state("the state database failed", e)
    }
}
