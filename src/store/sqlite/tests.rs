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
