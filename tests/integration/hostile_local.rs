//! Other users on the same machine: the state directory cannot be
//! subverted. A directory another user may write to, or owns, is refused
//! with the command that fixes it; no state file is opened through a link;
//! tokens are written through a fresh private file.

use std::os::unix::fs::PermissionsExt;

use crate::common::Env;

fn fails_with(env: &Env, says: &[&str]) {
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for s in says {
        assert!(stderr.contains(s), "missing {s:?} in {stderr}");
    }
}

#[test]
fn links_in_the_state_directory_are_not_followed() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    let victim = env.path("victim");
    std::fs::write(&victim, "precious").unwrap();
    // The lock: opening and truncating it would wipe the victim.
    let lock = env.state.join("test.lock");
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    fails_with(&env, &["test.lock is a symbolic link", "remove it"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    std::fs::remove_file(&lock).unwrap();
    // The database: events would go where another user reads (and plants).
    let db = env.state.join("test.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::os::unix::fs::symlink(&victim, &db).unwrap();
    fails_with(&env, &["test.sqlite is a symbolic link"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn a_state_directory_others_may_write_or_own_is_refused() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    std::fs::set_permissions(&env.state, std::fs::Permissions::from_mode(0o777)).unwrap();
    fails_with(
        &env,
        &[
            "is writable by other users (mode 777)",
            &format!("chmod go-w {}", env.state.display()),
        ],
    );
    std::fs::set_permissions(&env.state, std::fs::Permissions::from_mode(0o700)).unwrap();
    env.once();
    // Owned by another user (the tests run as root, who can give it away).
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        std::os::unix::fs::chown(&env.state, Some(65534), None).unwrap();
        fails_with(&env, &["is owned by another user (uid 65534)", "chown 0"]);
        std::os::unix::fs::chown(&env.state, Some(0), None).unwrap();
    }
    // `state show` reads through the same checks.
    std::fs::set_permissions(&env.state, std::fs::Permissions::from_mode(0o770)).unwrap();
    let out = env.run(&["state", "show"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("writable by other users"));
}
