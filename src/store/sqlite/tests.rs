//! What only the SQLite store does, against a real database file (what
//! every backend does is in `store/conformance.rs`).
use super::*;
use crate::store::conformance::{cursor, msg};

#[test]
fn the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s/db.sqlite");
    let mut s = Sqlite::open(&path).unwrap();
    s.record(&[msg(1)], Some(&cursor(1))).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.mode() & 0o777, 0o600);
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions();
    assert_eq!(dir_mode.mode() & 0o777, 0o700);
}

#[test]
fn garbage_file_gives_a_recovery_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let e = Sqlite::open(&path).err().unwrap().to_string();
    assert!(e.contains("move it aside"), "{e}");
}

/// Message events of about a log page each, `n` a batch, from `first` on.
fn page_sized(first: u32, n: u32) -> Vec<Event> {
    (first..first + n)
        .map(|uid| {
            let mut e = msg(uid);
            if let crate::event::EventData::Message(m) = &mut e.data {
                m.preview = Some("x".repeat(3500));
            }
            e
        })
        .collect()
}

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Records page-sized events in batches of 100 until `done` says so, or
/// `most` events are in; returns how many events were recorded.
fn record_until(s: &mut Sqlite, most: u32, mut done: impl FnMut() -> bool) -> u32 {
    let mut n = 0;
    while n < most && !done() {
        s.record(&page_sized(n + 1, 100), None).unwrap();
        n += 100;
    }
    n
}

/// A store in `dir` whose checkpointer's wake-ups come to the receiver
/// returned instead: nobody checkpoints.
fn unattended(
    dir: &std::path::Path,
) -> (Sqlite, std::path::PathBuf, std::sync::mpsc::Receiver<()>) {
    let path = dir.join("db.sqlite");
    let mut s = Sqlite::open(&path).unwrap();
    let (wake, woken) = std::sync::mpsc::sync_channel(1);
    s.checkpoints = Checkpointer::waking(&s.conn, &path, wake);
    (s, path, woken)
}

#[test]
fn a_long_log_wakes_the_checkpointer_and_the_store_does_not_checkpoint_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, path, woken) = unattended(dir.path());
    let n = record_until(&mut s, 5000, || woken.try_recv().is_ok());
    let pages = file_len(&path.with_extension("sqlite-wal")) / 4096;
    assert!(
        n < 5000 && pages >= checkpoint::PAGES as u64,
        "no wake-up after {n} events ({pages} pages in the log)"
    );
    // SQLite's own checkpoint would have copied the log into the database
    // within the commit; the database holds only its first pages.
    assert!(
        file_len(&path) < 64 * 1024,
        "the store checkpointed: the database has {} bytes",
        file_len(&path)
    );
}

#[test]
fn the_checkpointer_copies_the_log_into_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let mut s = Sqlite::open(&path).unwrap();
    record_until(&mut s, 1500, || false);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while file_len(&path) < 2 << 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "after 1,500 events of a page the database has {} bytes",
            file_len(&path)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_far_too_long_log_is_checkpointed_by_the_store_itself() {
    let dir = tempfile::tempdir().unwrap();
    // Nobody reads the wake-ups: they fill the channel.
    let (mut s, path, _woken) = unattended(dir.path());
    let n = record_until(&mut s, 20_000, || file_len(&path) > 4 << 20);
    assert!(
        n < 20_000,
        "the log grew to {} bytes and the database stayed at {}",
        file_len(&path.with_extension("sqlite-wal")),
        file_len(&path)
    );
}

#[test]
fn a_large_prune_wakes_the_checkpointer_too() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _path, woken) = unattended(dir.path());
    record_until(&mut s, 5000, || woken.try_recv().is_ok());
    // Everything is old and delivered (no sink holds any back).
    let pruned = s.prune(&[], "9999", 0).unwrap();
    assert!(pruned > 0, "nothing was pruned");
    assert!(
        woken.try_recv().is_ok(),
        "a prune of {pruned} events left a long log without a wake-up"
    );
}
