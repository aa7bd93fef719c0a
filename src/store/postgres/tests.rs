//! What only the PostgreSQL store does, against a real PostgreSQL (what
//! every backend does is in `store/conformance.rs`).

use super::*;
use crate::event::MessageInfo;

fn msg(uid: u32) -> Event {
    let info = MessageInfo {
        uidvalidity: 1,
        uid,
        ..Default::default()
    };
    Event::received("a", "INBOX", info)
}

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
             WHERE application_name = 'mailreactor' AND pid <> pg_backend_pid()",
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
