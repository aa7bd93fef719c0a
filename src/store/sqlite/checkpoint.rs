//! Checkpoints of the journal's write-ahead log, on a thread and a
//! connection of their own.
//!
//! SQLite's automatic checkpoint runs inside the commit that takes the log
//! past its threshold. It copies a thousand pages into the database and
//! syncs it, and meanwhile the store thread is busy: every journal write
//! and every sink's delivery cursor waits. In a catch-up those waits were
//! the longest gaps between two events, 10 to 40 ms, once in every few
//! thousand events (BENCHMARKS.md, row c). Here the store thread only
//! notes, from SQLite's log hook, how long the log has grown. When it passes
//! the threshold, it wakes the checkpointer. A passive checkpoint takes no
//! lock that a writer waits for, so the journal goes on beside it. Should
//! the checkpointer fall far behind, the store thread checkpoints the log
//! itself, so the log stays bounded.

use std::cell::Cell;
use std::os::raw::c_int;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};

/// Log pages after which a checkpoint is asked for: SQLite's own threshold.
pub(super) const PAGES: i32 = 1000;
/// Log pages after which the store thread checkpoints itself.
const PAGES_INLINE: i32 = 10 * PAGES;

thread_local! {
    /// Pages in the log at the last commit on this thread (the log hook's
    /// count; a hook is a plain function, and it runs inside the commit,
    /// on the committing thread).
    static LOG_PAGES: Cell<i32> = const { Cell::new(0) };
}

fn note_pages(_: &rusqlite::hooks::Wal, pages: c_int) -> rusqlite::Result<()> {
    LOG_PAGES.set(pages);
    Ok(())
}

/// Checkpoints a database off its store's thread (see the module's doc).
/// The thread starts with the first log long enough to need it: an idle
/// watch never has it.
pub(super) struct Checkpointer {
    path: PathBuf,
    /// The thread's wake-up, once it runs.
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    /// No second connection or thread could be had: the store checkpoints
    /// as SQLite would.
    inline: bool,
}

impl Checkpointer {
    /// Takes over the checkpoints of `conn`, the database at `path`: the
    /// log hook replaces SQLite's automatic checkpoint.
    pub fn new(conn: &Connection, path: &Path) -> Checkpointer {
        conn.wal_hook(Some(note_pages));
        Checkpointer {
            path: path.to_path_buf(),
            wake: None,
            thread: None,
            inline: false,
        }
    }

    /// [`Checkpointer::new`], its wake-ups sent to `wake` and no thread of
    /// its own.
    #[cfg(test)]
    pub fn waking(conn: &Connection, path: &Path, wake: SyncSender<()>) -> Checkpointer {
        let mut c = Checkpointer::new(conn, path);
        c.wake = Some(wake);
        c
    }

    /// After a commit on `conn`: wakes the checkpointer once the log is
    /// long (starting it the first time), or checkpoints here once it is
    /// far too long.
    pub fn committed(&mut self, conn: &Connection) {
        let pages = LOG_PAGES.get();
        if pages < PAGES {
            return;
        }
        if !self.inline && pages < PAGES_INLINE {
            if self.wake.is_none() {
                match spawn(&self.path) {
                    Ok((wake, thread)) => {
                        self.wake = Some(wake);
                        self.thread = Some(thread);
                    }
                    Err(e) => {
                        tracing::debug!("journal: checkpoints stay in the commits: {e}");
                        self.inline = true;
                    }
                }
            }
            if let Some(wake) = &self.wake {
                // Full: a wake-up is pending already.
                let _ = wake.try_send(());
                return;
            }
        }
        if let Err(e) = checkpoint(conn) {
            tracing::warn!("journal: cannot checkpoint the log: {e}");
        }
    }
}

/// The checkpointer's connection to the database at `path`, and its thread.
fn spawn(path: &Path) -> Result<(SyncSender<()>, JoinHandle<()>), String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let own = Connection::open_with_flags(path, flags)
        .and_then(|own| {
            own.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-64;")
                .map(|()| own)
        })
        .map_err(|e| e.to_string())?;
    let (wake, woken) = sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("mailreactor-checkpoint".into())
        .spawn(move || checkpoints(own, woken))
        .map_err(|e| e.to_string())?;
    Ok((wake, thread))
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // The checkpointer's connection closes first, so that the store's,
        // the last, checkpoints the log and removes it.
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn checkpoints(conn: Connection, woken: Receiver<()>) {
    for () in woken {
        if let Err(e) = checkpoint(&conn) {
            tracing::warn!("journal: cannot checkpoint the log: {e}");
        }
    }
}

/// Copies what it can of the log into the database, waiting for no lock.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
