//! A private `redis-server` on a free loopback port, persistent (append-only
//! file, fsync always) so that a restart keeps what was written.

use std::process::{Child, Command, Stdio};

use super::dovecot::free_port;
use std::time::{Duration, Instant};

pub struct Redis {
    pub port: u16,
    dir: tempfile::TempDir,
    args: Vec<String>,
    child: Option<Child>,
}

impl Redis {
    /// Starts one with `args` added (`--requirepass x`, ...).
    pub fn start(args: &[&str]) -> Redis {
        let mut r = Redis {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            args: args.iter().map(|a| a.to_string()).collect(),
            child: None,
        };
        r.start_again();
        r
    }

    pub fn start_again(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--appendonly", "yes", "--appendfsync", "always", "--save", ""])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is needed for this test (apt-get install -y redis-server; cargo xtask test installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it as a crash would (SIGKILL); what was fsynced stays.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `redis-cli ARGS` (with `-a password` when `auth` is given).
    pub fn cli(&self, auth: Option<&str>, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-p", &self.port.to_string(), "--no-auth-warning"]);
        if let Some(a) = auth {
            cmd.args(["-a", a]);
        }
        let out = cmd.args(args).output().expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The `field` of every entry of `key`, oldest first.
    pub fn field(&self, auth: Option<&str>, key: &str, field: &str) -> Vec<String> {
        let out = self.cli(auth, &["--json", "XRANGE", key, "-", "+"]);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_default();
        v.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| {
                        let fields = e.get(1)?.as_array()?;
                        let at = fields.iter().position(|f| f == field)?;
                        Some(fields.get(at + 1)?.as_str()?.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
