//! One suite for every backend: each check here runs against SQLite (a
//! file in a temporary directory) and against PostgreSQL (a database of
//! its own in a private cluster the tests start), so the two keep the same
//! promises.

use super::*;
use crate::event::{Event, MessageInfo};

/// A `message.received` event for UID `uid` of a/INBOX (UIDVALIDITY 1).
pub(crate) fn msg(uid: u32) -> Event {
    let info = MessageInfo {
        uidvalidity: 1,
        uid,
        message_id: Some(format!("<{uid}@example.com>")),
        ..Default::default()
    };
    Event::received("a", "INBOX", info)
}

fn at(cursor: Cursor) -> MailboxCursor {
    MailboxCursor {
        account: "a".into(),
        mailbox: "INBOX".into(),
        cursor,
    }
}

/// a/INBOX's cursor at `last_uid` (UIDVALIDITY 1).
pub(super) fn cursor(last_uid: u32) -> MailboxCursor {
    at(Cursor {
        uidvalidity: 1,
        last_uid,
        ..Cursor::default()
    })
}

fn records_once_and_moves_the_cursor(s: &mut dyn Backend) {
    let events = vec![msg(1), msg(2)];
    let fresh = s.record(&events, Some(&cursor(2))).unwrap();
    assert_eq!(fresh.iter().map(|f| f.1).collect::<Vec<_>>(), [0, 1]);
    assert!(fresh[0].0 < fresh[1].0);
    // A repeat (after a crash, say) records nothing new.
    assert_eq!(s.record(&events, Some(&cursor(2))).unwrap().len(), 0);
    // A batch with one old and one new event records the new one.
    let fresh = s.record(&[msg(2), msg(3)], Some(&cursor(3))).unwrap();
    assert_eq!(fresh.iter().map(|f| f.1).collect::<Vec<_>>(), [1]);
    let newest = fresh[0].0;
    let c = s.cursors().unwrap();
    assert_eq!(c[&("a".into(), "INBOX".into())].last_uid, 3);
    assert_eq!(c[&("a".into(), "INBOX".into())].known, None::<Known>);
    // Never backwards within one UIDVALIDITY.
    s.record(&[], Some(&cursor(1))).unwrap();
    assert_eq!(
        s.cursors().unwrap()[&("a".into(), "INBOX".into())].last_uid,
        3
    );
    // Sequence numbers may skip (a repeat can use one up), never go back.
    assert_eq!(
        (s.journal_len().unwrap(), s.last_seq().unwrap()),
        (3, newest)
    );
}

fn modseq_and_known_uids_round_trip_and_never_go_back(s: &mut dyn Backend) {
    let known = Known {
        upto: 9,
        uids: vec![1, 2, 3, 7, 9],
    };
    let first = Cursor {
        uidvalidity: 5,
        last_uid: 9,
        modseq: 40,
        modseq_uid: 9,
        known: Some(known.clone()),
        seen: None,
    };
    s.record(&[], Some(&at(first.clone()))).unwrap();
    // A later record without a known set, and an older modseq.
    let later = Cursor {
        last_uid: 12,
        modseq: 30,
        known: None,
        ..first.clone()
    };
    s.record(&[], Some(&at(later))).unwrap();
    let c = &s.cursors().unwrap()[&("a".into(), "INBOX".into())];
    assert_eq!((c.last_uid, c.modseq, c.modseq_uid), (12, 40, 9));
    assert_eq!(c.known.as_ref(), Some(&known));
    // A new UIDVALIDITY replaces everything.
    let reset = Cursor {
        uidvalidity: 6,
        last_uid: 2,
        ..Cursor::default()
    };
    s.record(&[], Some(&at(reset.clone()))).unwrap();
    let stored = s.cursors().unwrap()[&("a".into(), "INBOX".into())].clone();
    // A record notes when the mailbox was seen: now.
    let now = std::time::UNIX_EPOCH.elapsed().unwrap().as_secs();
    assert!(
        stored.seen.is_some_and(|t| t + 5 >= now && t <= now),
        "{stored:?}"
    );
    assert_eq!(
        Cursor {
            seen: None,
            ..stored
        },
        reset
    );
}

fn delivery_cursor_starts_at_the_end_and_ranges_read_the_journal(s: &mut dyn Backend) {
    s.record(&[msg(1)], None).unwrap();
    // A new sink starts at the end.
    assert_eq!(s.delivery_cursor("stdout").unwrap(), 1);
    s.record(&[msg(2), msg(3)], None).unwrap();
    s.ack("stdout", 2).unwrap();
    s.ack("stdout", 1).unwrap();
    assert_eq!(s.delivery_cursor("stdout").unwrap(), 2, "never backwards");
    let left = s.events_between(2, i64::MAX, 10).unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].1.contains("\"uid\":3"));
    assert_eq!(s.events_between(0, 2, 1).unwrap().len(), 1);
    assert!(s.event(3).unwrap().unwrap().contains("\"uid\":3"));
    assert_eq!(s.event(99).unwrap(), None);
}

fn dead_letters_are_kept_retried_and_dropped(s: &mut dyn Backend) {
    s.record(&[msg(1), msg(2)], None).unwrap();
    s.dead_letter("hook", 1, "id-1", "exit 1", 5).unwrap();
    s.dead_letter("hook", 2, "id-2", "exit 2", 3).unwrap();
    let all = s.dead_letters().unwrap();
    assert_eq!(
        all.iter().map(|d| (d.seq, d.attempts)).collect::<Vec<_>>(),
        [(1, 5), (2, 3)]
    );
    s.dead_letter_failed_again(all[0].id, "exit 9").unwrap();
    let again = &s.dead_letters().unwrap()[0];
    assert_eq!((again.attempts, again.error.as_str()), (6, "exit 9"));
    assert_eq!(s.drop_dead_letters(&[all[1].id]).unwrap(), 1);
    assert_eq!(s.drop_dead_letters(&[]).unwrap(), 1);
    assert!(s.dead_letters().unwrap().is_empty());
}

/// The sequence numbers left in the journal.
fn journaled(s: &mut dyn Backend) -> Vec<i64> {
    s.events_between(0, i64::MAX, 100)
        .unwrap()
        .iter()
        .map(|r| r.0)
        .collect()
}

fn pruning_keeps_the_undelivered_and_the_dead_lettered(s: &mut dyn Backend) {
    let events: Vec<Event> = (1..=10).map(msg).collect();
    s.record(&events, None).unwrap();
    s.ack("fast", 10).unwrap();
    s.ack("slow", 4).unwrap();
    s.dead_letter("fast", 2, "id", "boom", 1).unwrap();
    // Keep only the newest 1 by count: still nothing past the slow sink's 4,
    // and not entry 2.
    let n = s.prune(&["fast", "slow"], "0000", 1).unwrap();
    assert_eq!(n, 3, "1, 3 and 4 go");
    assert_eq!(journaled(s), [2, 5, 6, 7, 8, 9, 10]);
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

fn pruning_by_age_takes_the_old_start_of_the_journal(s: &mut dyn Backend) {
    let events: Vec<Event> = (1..=6)
        .map(|day| Event {
            time: format!("2020-01-0{day}T12:00:00.000Z"),
            ..msg(day)
        })
        .collect();
    s.record(&events, None).unwrap();
    s.ack("hook", 6).unwrap();
    s.dead_letter("hook", 2, "id", "boom", 1).unwrap();
    // Days 1 to 3 are older than the 4th; the dead-lettered 2 stays.
    let n = s
        .prune(&["hook"], "2020-01-04T00:00:00.000Z", 1000)
        .unwrap();
    assert_eq!(n, 2, "1 and 3 go");
    // Only the newest 2 by count, whatever their age.
    assert_eq!(s.prune(&["hook"], "0000", 2).unwrap(), 1, "4 goes");
    assert_eq!(journaled(s), [2, 5, 6]);
}

fn reset_forgets_cursors(s: &mut dyn Backend) {
    s.record(&[], Some(&cursor(5))).unwrap();
    assert_eq!(s.reset(Some("other"), None).unwrap(), 0);
    assert_eq!(s.reset(Some("a"), Some("Lists")).unwrap(), 0);
    assert_eq!(s.reset(Some("a"), None).unwrap(), 1);
    assert!(s.cursors().unwrap().is_empty());
}

fn the_journal_answers_queries_and_knows_message_ids(s: &mut dyn Backend) {
    let other = Event::received(
        "b",
        "Lists",
        MessageInfo {
            uidvalidity: 1,
            uid: 1,
            message_id: Some("<1@example.com>".into()),
            ..Default::default()
        },
    );
    s.record(&[msg(1), msg(2), other], Some(&cursor(2)))
        .unwrap();
    let ids = ["<1@example.com>", "<2@example.com>", "<9@example.com>"].map(String::from);
    let mut known: Vec<String> = s
        .known_message_ids("a", "INBOX", &ids)
        .unwrap()
        .into_iter()
        .collect();
    known.sort();
    assert_eq!(known, ["<1@example.com>", "<2@example.com>"]);
    assert_eq!(s.known_message_ids("b", "Lists", &ids).unwrap().len(), 1);
    assert!(s.known_message_ids("a", "INBOX", &[]).unwrap().is_empty());
    let q = JournalQuery {
        account: Some("b".into()),
        ..JournalQuery::default()
    };
    assert_eq!(s.journal(&q).unwrap().len(), 1);
    let q = JournalQuery {
        since: Some("2000-01-01".into()),
        until: Some("9999-01-01".into()),
        mailbox: Some("INBOX".into()),
        ..JournalQuery::default()
    };
    assert_eq!(s.journal(&q).unwrap().len(), 2);
    let boxes = s.mailboxes().unwrap();
    assert_eq!(boxes.len(), 1);
    assert_eq!((boxes[0].last_uid, boxes[0].events), (2, 2));
    assert!(boxes[0].last_event.is_some());
}

/// A backend and what keeps it alive.
struct Fixture {
    backend: Box<dyn Backend>,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(&dir.path().join("state/db.sqlite")).unwrap();
    Fixture {
        backend,
        _dir: Some(dir),
    }
}

fn postgres() -> Fixture {
    let url = super::postgres::testdb::database();
    let backend = Box::new(super::postgres::Postgres::open(&url, None, None).unwrap());
    Fixture {
        backend,
        _dir: None,
    }
}

/// Each check, once per backend.
macro_rules! on_every_backend {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $check() { super::$check(super::sqlite().backend.as_mut()) })*
        }
        mod postgres {
            $(#[test] fn $check() { super::$check(super::postgres().backend.as_mut()) })*
        }
    };
}

on_every_backend!(
    records_once_and_moves_the_cursor,
    modseq_and_known_uids_round_trip_and_never_go_back,
    delivery_cursor_starts_at_the_end_and_ranges_read_the_journal,
    dead_letters_are_kept_retried_and_dropped,
    pruning_keeps_the_undelivered_and_the_dead_lettered,
    pruning_by_age_takes_the_old_start_of_the_journal,
    reset_forgets_cursors,
    the_journal_answers_queries_and_knows_message_ids,
);
