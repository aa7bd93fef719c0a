//! The SQLite store against a real database file.
use super::*;
use crate::event::{Event, MessageInfo};
use crate::store::Known;

fn msg(uid: u32) -> Event {
    let info = MessageInfo {
        uidvalidity: 1,
        uid,
        ..Default::default()
    };
    Event::received("a", "INBOX", info)
}

fn cursor(last_uid: u32) -> MailboxCursor {
    MailboxCursor {
        account: "a".into(),
        mailbox: "INBOX".into(),
        cursor: Cursor {
            uidvalidity: 1,
            last_uid,
            ..Cursor::default()
        },
    }
}

#[test]
fn records_once_and_moves_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s/db.sqlite");
    let mut s = Sqlite::open(&path).unwrap();
    let events = vec![msg(1), msg(2)];
    assert_eq!(s.record(&events, Some(&cursor(2))).unwrap().len(), 2);
    // A repeat (after a crash, say) records nothing new.
    assert_eq!(s.record(&events, Some(&cursor(2))).unwrap().len(), 0);
    let c = s.cursors().unwrap();
    assert_eq!(c[&("a".into(), "INBOX".into())].last_uid, 2);
    assert_eq!(c[&("a".into(), "INBOX".into())].known, None::<Known>);
    let mode = std::fs::metadata(&path).unwrap().permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.mode() & 0o777, 0o600);
}

#[test]
fn delivery_cursor_starts_at_the_end_and_ranges_read_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Sqlite::open(&dir.path().join("db")).unwrap();
    s.record(&[msg(1)], None).unwrap();
    // A new sink starts at the end.
    assert_eq!(s.delivery_cursor("stdout").unwrap(), 1);
    s.record(&[msg(2), msg(3)], None).unwrap();
    s.ack("stdout", 2).unwrap();
    assert_eq!(s.delivery_cursor("stdout").unwrap(), 2);
    let left = s.events_between(2, i64::MAX, 10).unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].1.contains("\"uid\":3"));
    assert_eq!(s.events_between(0, 2, 1).unwrap().len(), 1);
    s.dead_letter("hook", 3, "id", "exit 1", 5).unwrap();
    assert_eq!(s.dead_letters().unwrap()[0].attempts, 5);
}

#[test]
fn pruning_keeps_the_undelivered_and_the_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Sqlite::open(&dir.path().join("db")).unwrap();
    let events: Vec<Event> = (1..=10).map(msg).collect();
    s.record(&events, None).unwrap();
    s.ack("fast", 10).unwrap();
    s.ack("slow", 4).unwrap();
    s.dead_letter("fast", 2, "id", "boom", 1).unwrap();
    // Keep only the newest 1 by count: still nothing past the slow sink's 4,
    // and not entry 2.
    let n = s.prune(&["fast", "slow"], "0000", 1).unwrap();
    assert_eq!(n, 3, "1, 3 and 4 go");
    let left: Vec<i64> = s
        .events_between(0, i64::MAX, 100)
        .unwrap()
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(left, [2, 5, 6, 7, 8, 9, 10]);
    // By age: everything is newer than the year 2000.
    assert_eq!(
        s.prune(&["fast"], "2000-01-01T00:00:00.000Z", 1000)
            .unwrap(),
        0
    );
    let sinks = s.sinks().unwrap();
    assert_eq!((sinks[1].sink.as_str(), sinks[1].lag), ("slow", 6));
    assert_eq!(sinks[0].dead_letters, 1);
}

#[test]
fn reset_forgets_cursors() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Sqlite::open(&dir.path().join("db")).unwrap();
    s.record(&[], Some(&cursor(5))).unwrap();
    assert_eq!(s.reset(Some("other"), None).unwrap(), 0);
    assert_eq!(s.reset(Some("a"), None).unwrap(), 1);
    assert!(s.cursors().unwrap().is_empty());
}

#[test]
fn garbage_file_gives_a_recovery_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let e = Sqlite::open(&path).err().unwrap().to_string();
    assert!(e.contains("move it aside"), "{e}");
}
