//! The store off the async runtime: a [`Backend`] on a thread of its own,
//! taking jobs over a channel in order. Futures wait for their answer; the
//! runtime's threads never touch the disk.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::{Backend, StoreError};

type Job = Box<dyn FnOnce(&mut dyn Backend) + Send>;

/// A handle to the store thread. Clones share the thread; it ends when the
/// last handle is dropped, after the jobs already sent.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
}

impl Store {
    /// Runs `backend` (opened at `path`) on a new thread.
    pub fn spawn(mut backend: Box<dyn Backend>, path: &Path) -> std::io::Result<Store> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("mailreactor-store".into())
            .spawn(move || {
                for job in rx {
                    job(backend.as_mut());
                }
            })?;
        Ok(Store {
            jobs,
            path: path.to_path_buf(),
        })
    }

    /// Where the state lives (OAuth2 tokens are kept beside it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the store thread and waits for its answer.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Backend) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |b| {
                let _ = tx.send(f(b));
            }))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the store thread without waiting: after every job sent
    /// before it, before every job sent after it.
    pub fn send(&self, f: impl FnOnce(&mut dyn Backend) + Send + 'static) {
        if self.jobs.send(Box::new(f)).is_err() {
            tracing::error!("the state database's thread has stopped");
        }
    }
}
