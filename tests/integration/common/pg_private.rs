//! A PostgreSQL cluster of a test's own, for tests that crash it
//! (`pg_ctl stop -m immediate`) and start it again; stopped when dropped.

use std::path::PathBuf;
use std::process::Command;

use super::postgres::{as_owner, bin_dir, initdb, owner};

pub struct Private {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    /// Server options besides the port and address.
    options: String,
    _dir: tempfile::TempDir,
}

impl Private {
    pub fn start() -> Private {
        Private::start_with(None)
    }

    /// One that speaks TLS only (`hostssl` in pg_hba.conf) with the
    /// certificate and key at `tls`.
    pub fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> Private {
        Private::start_with(Some((cert, key)))
    }

    fn start_with(tls: Option<(&std::path::Path, &std::path::Path)>) -> Private {
        let dir = tempfile::tempdir().unwrap();
        let (bin, data) = (bin_dir(), initdb(dir.path()));
        let mut options = String::new();
        if let Some((cert, key)) = tls {
            // The server reads them as its own user; the key must be 0600.
            for (from, name) in [(cert, "server.crt"), (key, "server.key")] {
                let to = data.join(name);
                std::fs::copy(from, &to).unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
                if let Some((uid, gid)) = owner() {
                    std::os::unix::fs::chown(&to, Some(uid), Some(gid)).unwrap();
                }
            }
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            )
            .unwrap();
            options = " -c ssl=on".into();
        }
        let p = Private {
            port: super::dovecot::free_port(),
            bin,
            data,
            options,
            _dir: dir,
        };
        p.start_again();
        p
    }

    /// A URL for its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://mr@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) -> bool {
        as_owner(&mut Command::new(self.bin.join("pg_ctl")), owner())
            .arg("-D")
            .arg(&self.data)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    pub fn start_again(&self) {
        let sockets = self.data.parent().unwrap().display().to_string();
        let options = format!(
            "-p {} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off{}",
            self.port, self.options
        );
        let log = self
            .data
            .parent()
            .unwrap()
            .join("log")
            .display()
            .to_string();
        assert!(
            self.pg_ctl(&["-o", &options, "-l", &log, "-w", "start"]),
            "pg_ctl start failed: {}",
            super::read(std::path::Path::new(&log))
        );
    }

    /// Stops it as a crash would: no checkpoint, connections cut.
    pub fn crash(&self) {
        assert!(
            self.pg_ctl(&["-m", "immediate", "stop"]),
            "pg_ctl stop failed"
        );
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        self.pg_ctl(&["-m", "immediate", "stop"]);
    }
}
