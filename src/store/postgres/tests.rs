//! What only the PostgreSQL store does, against a real PostgreSQL (what
//! every backend does is in `store/conformance.rs`).

use super::*;
use crate::store::Leases;
use crate::store::conformance::msg;

#[test]
fn instances_starting_at_once_on_an_empty_database_all_come_up() {
    let url = testdb::database();
    let opened: Vec<Result<Postgres, StoreError>> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..6)
            .map(|_| s.spawn(|| Postgres::open(&url, None, None)))
            .collect();
        starts.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for o in &opened {
        if let Err(e) = o {
            panic!("an instance could not start: {e}");
        }
    }
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let v: i32 = client
        .query_one("SELECT version FROM mailreactor_schema", &[])
        .unwrap()
        .get(0);
    let rows = client
        .query_one("SELECT COUNT(*) FROM mailreactor_schema", &[])
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!((v, rows), (schema::VERSION, 1));
}

#[test]
fn a_lost_connection_is_reopened_and_nothing_is_lost() {
    let url = testdb::database();
    let mut pg = Postgres::open(&url, None, None).unwrap();
    pg.record(&[msg(1)], None).unwrap();
    // Another session ends ours, as a fail-over or a restart would.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let ended = admin
        .query_one(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = 'mailreactor' AND pid <> pg_backend_pid()
               AND datname = current_database()",
            &[],
        )
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(ended, 1);
    let fresh = pg.record(&[msg(2)], None).unwrap();
    assert_eq!(fresh.len(), 1);
    assert_eq!(pg.journal_len().unwrap(), 2);
}

#[test]
fn a_schema_from_a_newer_mailreactor_is_refused() {
    let url = testdb::database();
    drop(Postgres::open(&url, None, None).unwrap());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .execute("UPDATE mailreactor_schema SET version = 99", &[])
        .unwrap();
    let e = Postgres::open(&url, None, None).err().unwrap().to_string();
    assert!(e.contains("version 99, newer than"), "{e}");
    assert!(e.contains("postgres://mr@127.0.0.1:"), "{e}");
}

#[test]
fn a_wrong_address_fails_at_once_with_a_sentence() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let started = std::time::Instant::now();
    let e = Postgres::open(&format!("postgres://mr@127.0.0.1:{port}/x"), None, None)
        .err()
        .unwrap()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        e.starts_with(&format!(
            "state database postgres://mr@127.0.0.1:{port}/x: "
        )),
        "{e}"
    );
    assert!(!e.contains("Error {"), "{e}");
}

#[test]
fn an_import_keeps_sequence_numbers_and_numbers_new_events_after_every_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = crate::store::open(&dir.path().join("db.sqlite")).unwrap();
    let events: Vec<Event> = (1..=5).map(msg).collect();
    sqlite.record(&events, None).unwrap();
    sqlite.ack("hook", 5).unwrap();
    sqlite.dead_letter("hook", 3, "id-3", "exit 1", 2).unwrap();
    // Delivered entries pruned: only the dead-lettered one is left.
    assert_eq!(sqlite.prune(&["hook"], "9999", 0).unwrap(), 4);
    let url = testdb::database();
    let mut pg = Postgres::open(&url, None, None).unwrap();
    let done = pg.import(sqlite.as_mut()).unwrap();
    assert_eq!(
        done,
        Imported {
            mailboxes: 0,
            events: 1,
            sinks: 1,
            dead_letters: 1
        }
    );
    assert_eq!(pg.events_between(0, i64::MAX, 10).unwrap()[0].0, 3);
    assert_eq!(pg.delivery_cursor("hook").unwrap(), 5);
    assert_eq!(pg.dead_letters().unwrap()[0].seq, 3);
    // A new event comes after the sink's cursor, so it is delivered.
    let fresh = pg.record(&[msg(6)], None).unwrap();
    assert!(fresh[0].0 > 5, "{fresh:?}");
    pg.dead_letter("hook", fresh[0].0, "id-6", "exit 1", 1)
        .unwrap();
    assert_eq!(pg.dead_letters().unwrap().len(), 2);
    // Into a database that holds state: refused, nothing changed.
    let e = pg.import(sqlite.as_mut()).err().unwrap().to_string();
    assert!(e.contains("already holds state"), "{e}");
}

fn accounts(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("acct{i}")).collect()
}

/// Lease rounds for every instance, handing over what is over a share,
/// until nothing moves; returns what each holds.
fn settle(all: &mut [(&str, Postgres)], list: &[String], ttl: Duration) -> Vec<Vec<String>> {
    // The first round of each makes them all live; then until still.
    for round in 0..10 {
        let mut moved = round == 0;
        for (me, pg) in all.iter_mut() {
            let round = pg.lease_round(me, list, ttl, false).unwrap();
            for a in &round.surplus {
                pg.release(me, a).unwrap();
            }
            moved |= !(round.taken.is_empty() && round.surplus.is_empty());
        }
        if !moved {
            break;
        }
    }
    all.iter()
        .map(|(_, pg)| {
            let mut held: Vec<String> = pg.fences.keys().cloned().collect();
            held.sort();
            held
        })
        .collect()
}

#[test]
fn instances_share_the_accounts_evenly_and_each_is_held_once() {
    let url = testdb::database();
    let list = accounts(6);
    let ttl = Duration::from_secs(30);
    let mut all: Vec<(&str, Postgres)> = ["a", "b", "c"]
        .into_iter()
        .map(|n| (n, Postgres::open(&url, None, None).unwrap()))
        .collect();
    // The first alone takes everything.
    let first = all[0].1.lease_round("a", &list, ttl, false).unwrap();
    assert_eq!(first.taken, list);
    let held = settle(&mut all, &list, ttl);
    assert_eq!(
        held.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 2, 2],
        "{held:?}"
    );
    let mut every: Vec<String> = held.concat();
    every.sort();
    assert_eq!(every, list, "each account once");
    let cluster = all[0].1.instances(ttl).unwrap();
    assert_eq!(cluster.len(), 3);
    assert!(cluster.iter().all(|i| i.accounts.len() == 2), "{cluster:?}");
    // One leaves cleanly: the others take its accounts at their next round.
    all[2].1.leave("c").unwrap();
    all.truncate(2);
    let held = settle(&mut all, &list, ttl);
    assert_eq!(
        held.iter().map(Vec::len).collect::<Vec<_>>(),
        [3, 3],
        "{held:?}"
    );
}

#[test]
fn a_paused_holder_loses_its_accounts_and_cannot_write_for_them() {
    let url = testdb::database();
    let list = accounts(2);
    let ttl = Duration::from_secs(1);
    let mut a = Postgres::open(&url, None, None).unwrap();
    let mut b = Postgres::open(&url, None, None).unwrap();
    assert_eq!(a.lease_round("a", &list, ttl, false).unwrap().taken, list);
    let mut mine = msg(1);
    mine.account = "acct1".into();
    assert_eq!(a.record(&[mine.clone()], None).unwrap().len(), 1);
    // b is up, but a holds everything until its leases expire.
    assert!(
        b.lease_round("b", &list, ttl, false)
            .unwrap()
            .taken
            .is_empty()
    );
    // a pauses (no rounds) past the leases' life: b takes over, with a new
    // epoch.
    std::thread::sleep(ttl + Duration::from_millis(300));
    let taken = b.lease_round("b", &list, ttl, false).unwrap().taken;
    assert_eq!(taken, list);
    // a comes back: its write is refused, and its next round says so.
    let mut late = msg(2);
    late.account = "acct1".into();
    let refused = a.record(&[late], None).err().unwrap();
    assert!(matches!(refused, StoreError::LeaseLost { .. }), "{refused}");
    assert_eq!(
        a.lease_round("a", &list, ttl, false).unwrap().lost,
        ["acct2"]
    );
    assert_eq!(
        a.journal_len().unwrap(),
        1,
        "nothing written after the pause"
    );
    // The new holder writes.
    let mut next = msg(3);
    next.account = "acct1".into();
    assert_eq!(b.record(&[next], None).unwrap().len(), 1);
}

#[test]
fn watches_share_the_database_and_a_rewriting_command_waits_for_none() {
    let url = testdb::database();
    let pg = Postgres::open(&url, None, None).unwrap();
    let one = pg.writer("p", "watch", true).unwrap();
    let two = pg.writer("p", "watch", true).unwrap();
    let e = pg
        .writer("p", "state reset", false)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("another mailreactor is using profile p"), "{e}");
    assert!(e.contains("(mailreactor watch on "), "{e}");
    // Another profile in the same database is another lock.
    drop(pg.writer("q", "state reset", false).unwrap());
    drop((one, two));
    let reset = pg.writer("p", "state reset", false).unwrap();
    let e = pg.writer("p", "watch", true).err().unwrap().to_string();
    assert!(e.contains("(mailreactor state reset on "), "{e}");
    drop(reset);
}

#[test]
fn a_passing_instance_takes_only_what_no_live_one_holds_and_no_share() {
    let url = testdb::database();
    let list = accounts(4);
    let ttl = Duration::from_secs(30);
    let mut live = Postgres::open(&url, None, None).unwrap();
    let mut once = Postgres::open(&url, None, None).unwrap();
    // Alone, it takes everything (and counts as nobody).
    assert_eq!(
        once.lease_round("once", &list, ttl, true).unwrap().taken,
        list
    );
    once.leave("once").unwrap();
    // Beside a live instance that holds all: nothing, and the live one
    // keeps its share (no hand-over to a passer-by).
    assert_eq!(
        live.lease_round("live", &list, ttl, false).unwrap().taken,
        list
    );
    assert!(
        once.lease_round("once", &list, ttl, true)
            .unwrap()
            .taken
            .is_empty()
    );
    let round = live.lease_round("live", &list, ttl, false).unwrap();
    assert!(round.surplus.is_empty(), "{round:?}");
    assert_eq!(live.instances(ttl).unwrap().len(), 1);
}
