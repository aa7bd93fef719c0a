//! For the tests (the unit tests, and the integration tests, which include
//! this file): one private PostgreSQL cluster per test process,
//! started on first use on a free loopback port (as the `postgres` user
//! when running as root: PostgreSQL refuses root), and a fresh database
//! in it for each caller. The server dies with the test process.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

struct Cluster {
    port: u16,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A URL (user `mr`, no password) for a new, empty database.
pub(crate) fn database() -> String {
    let cluster = CLUSTER.get_or_init(start);
    let name = format!("t{}", NEXT.fetch_add(1, Ordering::SeqCst));
    let admin = format!("postgres://mr@127.0.0.1:{}/postgres", cluster.port);
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("the test cluster");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a test database");
    format!("postgres://mr@127.0.0.1:{}/{name}", cluster.port)
}

/// The newest PostgreSQL's programs under /usr/lib/postgresql.
pub fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| Some(e.ok()?.path().join("bin"))).collect())
        .unwrap_or_default();
    versions.retain(|p| p.join("postgres").is_file());
    versions.sort();
    versions.pop().expect(
        "PostgreSQL is needed for the store tests (apt-get install -y postgresql; \
         cargo xtask test installs it)",
    )
}

/// The uid and gid to run PostgreSQL as: `postgres` when we are root.
pub fn owner() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let name = std::ffi::CString::new("postgres").unwrap();
    // SAFETY: a valid C string; the result is read at once, before any
    // other getpw* call on this thread.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(
        !pw.is_null(),
        "no postgres user: install the postgresql package"
    );
    // SAFETY: checked non-null above.
    Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

pub fn as_owner(cmd: &mut Command, owner: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

/// A new cluster's data directory in `dir` (which is handed to the
/// server's user): user `mr`, trusted, no password.
pub fn initdb(dir: &Path) -> PathBuf {
    if let Some((uid, gid)) = owner() {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid)).unwrap();
    }
    let data = dir.join("data");
    let out = as_owner(&mut Command::new(bin_dir().join("initdb")), owner())
        .args(["-A", "trust", "-U", "mr", "--no-sync", "-E", "UTF8", "-D"])
        .arg(&data)
        .output()
        .expect("initdb");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

fn start() -> Cluster {
    let (bin, owner) = (bin_dir(), owner());
    let dir = scratch_dir();
    let data = initdb(&dir);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // Spawned from a thread that never ends: the parent-death signal is
    // tied to the thread that forked, and must fire only when the whole
    // test process goes.
    let (tx, rx) = std::sync::mpsc::channel();
    let (postgres, sockets, log) = (bin.join("postgres"), dir.clone(), dir.join("log"));
    std::thread::spawn(move || {
        let log = std::fs::File::create(log).unwrap();
        let mut cmd = Command::new(postgres);
        as_owner(&mut cmd, owner)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "max_connections=200", "-k"])
            .arg(&sockets)
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: prctl is async-signal-safe; it runs after the uid change,
        // which would otherwise clear it.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("postgres");
        tx.send(child.id()).unwrap();
        // Reaps the server if it ends; the thread itself never does.
        let _ = child.wait();
        loop {
            std::thread::park();
        }
    });
    rx.recv().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("postgres://mr@127.0.0.1:{port}/postgres");
    while postgres::Client::connect(&url, postgres::NoTls).is_err() {
        assert!(
            Instant::now() < deadline,
            "the test PostgreSQL did not start: {}",
            std::fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Cluster { port }
}

/// `$TMPDIR/mailreactor-test-postgres/PID` (a place the `postgres` user can
/// reach), after removing those of test processes that are gone.
fn scratch_dir() -> PathBuf {
    let root = std::env::temp_dir().join("mailreactor-test-postgres");
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            let pid = e.file_name().to_string_lossy().parse::<u32>().ok();
            if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = root.join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
