//! A throwaway Dovecot for tests and the demo: its own config, mail and
//! sockets in a temporary directory, listening on free loopback ports.
//!
//! Shared by `tests/` and `examples/demo.rs` (through `#[path]`), so the
//! server the demo shows is the one the tests exercise.
use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::ops::Range;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The one user every instance knows.
pub const USER: &str = "alice";
/// Alice's password.
pub const PASSWORD: &str = "correct-horse-battery";

pub struct Dovecot {
    dir: tempfile::TempDir,
    /// Plain IMAP port (also used for STARTTLS).
    pub port: u16,
    /// Implicit-TLS port.
    pub tls_port: u16,
    /// PEM of the self-signed certificate the server presents.
    pub cert: PathBuf,
    config: PathBuf,
    child: Option<Child>,
    /// What the running server says on stderr, once it has stopped.
    said: Option<std::thread::JoinHandle<String>>,
    /// Whatever the caller wants kept until the server has stopped.
    held: Option<Box<dyn std::any::Any + Send>>,
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

fn need(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
        || Path::new("/usr/sbin").join(program).is_file();
    assert!(
        found,
        "`{program}` is not installed: these tests need a real Dovecot \
         (apt-get install -y {package})"
    );
}

impl Dovecot {
    /// Starts a fresh instance, with `extra` lines of configuration at the
    /// end, and waits until both listeners accept.
    pub fn start_with(extra: &str) -> Dovecot {
        need("dovecot", "dovecot-imapd");
        need("openssl", "openssl");
        let dir = tempfile::Builder::new()
            .prefix("mr-dovecot-")
            .tempdir()
            .expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path().to_path_buf();
        let mail = root.join("mail");
        fs::create_dir(&mail).unwrap();
        chown_dovecot(&mail);

        let (cert, key) = self_signed(&root, "cert");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();

        let passwd = root.join("passwd");
        fs::write(&passwd, format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();

        let name = root.file_name().unwrap().to_string_lossy().into_owned();
        let config = root.join("dovecot.conf");
        let root_s = root.display();
        let (cert_s, key_s) = (cert.display().to_string(), key.display().to_string());
        let (mail_s, passwd_s) = (mail.display().to_string(), passwd.display().to_string());
        let write_config = |port: u16, tls_port: u16| {
            fs::write(
                &config,
                format!(
                    r#"protocols = imap
listen = 127.0.0.1
base_dir = {root_s}/run
state_dir = {root_s}/state
log_path = {root_s}/dovecot.log
instance_name = {name}
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = 1
first_valid_gid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
# Many test servers share the inotify instances of the dovecot user; when
# they run out, Dovecot polls for changes at this interval instead.
mailbox_idle_check_interval = 1 secs
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
{extra}
"#,
                    cert = cert_s,
                    key = key_s,
                    mail = mail_s,
                    passwd = passwd_s,
                ),
            )
            .unwrap();
        };
        let mut d = Dovecot {
            held: None,
            dir,
            port: 0,
            tls_port: 0,
            cert,
            config: config.clone(),
            child: None,
            said: None,
        };
        // Ports are found free before Dovecot binds them, and another
        // server starting meanwhile may take one first: then other ports.
        // A full run once saw Dovecot exit at start with nothing in its
        // log: whatever the cause, what it said is printed and it is tried
        // again.
        let mut attempt = 1;
        loop {
            d.port = free_port();
            d.tls_port = std::iter::repeat_with(free_port)
                .find(|&p| p != d.port)
                .unwrap();
            write_config(d.port, d.tls_port);
            match d.try_launch() {
                Ok(()) => return d,
                Err(e) if attempt < 3 => {
                    eprintln!("attempt {attempt} of 3: {e}");
                    attempt += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    /// Starts the server and waits until both listeners accept; what it
    /// said if it stopped instead.
    fn try_launch(&mut self) -> Result<(), String> {
        let mut child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dovecot");
        // What it says on stderr (errors before its log is open), read as
        // it comes: a process it started may keep the pipe open.
        let stderr = child.stderr.take().expect("piped");
        self.said = Some(std::thread::spawn(move || {
            let mut said = String::new();
            let _ = std::io::Read::read_to_string(&mut { stderr }, &mut said);
            said
        }));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [self.port, self.tls_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                self.running()?;
                assert!(
                    Instant::now() < deadline,
                    "dovecot did not listen on {port}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // A port that another server holds makes Dovecot exit, perhaps
        // only now.
        self.running()
    }

    /// Whether the server still runs; what it said if not.
    fn running(&mut self) -> Result<(), String> {
        let child = self.child.as_mut().unwrap();
        let Some(status) = child.try_wait().unwrap() else {
            return Ok(());
        };
        self.child = None;
        let mut said = String::new();
        if let Some(reader) = self.said.take() {
            let deadline = Instant::now() + Duration::from_secs(2);
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if reader.is_finished() {
                said = reader.join().unwrap_or_default();
            }
        }
        // Errors before its log is open are on stderr alone.
        let said = if said.trim().is_empty() {
            self.log()
        } else {
            said
        };
        Err(format!(
            "dovecot exited ({status}) at start: {}",
            said.trim()
        ))
    }

    /// The master process's id, while it runs (the benchmarks place the
    /// server's processes on CPUs of their own).
    #[allow(dead_code)]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server (as an outage would), keeping its mail and ports.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // The master is gone; wait until nothing answers on the port.
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Starts the server again after [`Dovecot::stop`], on the same ports.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "dovecot is still running");
        if let Err(e) = self.try_launch() {
            panic!("{e}");
        }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A logged-in client session of the test's own, over plain IMAP.
    pub fn client(&self) -> imap::Session<TcpStream> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to dovecot");
        let mut client = imap::Client::new(stream);
        client.read_greeting().expect("greeting");
        client
            .login(USER, PASSWORD)
            .map_err(|(e, _)| e)
            .expect("test login")
    }

    /// Delivers `raw` to `mailbox` with APPEND (creating the mailbox first
    /// when it is missing) and returns the UID the server gave it.
    pub fn append(&self, mailbox: &str, raw: &[u8]) -> u32 {
        let mut s = self.client();
        let uid = append_with(&mut s, mailbox, raw);
        let _ = s.logout();
        uid
    }

    /// Appends a small message with the subject `{prefix}{i}` to `mailbox`
    /// for each `i` in `range`, over one session, as fast as the server
    /// takes them.
    pub fn append_numbered(&self, mailbox: &str, prefix: &str, range: Range<usize>) {
        let mut s = self.client();
        append_numbered(&mut s, mailbox, prefix, range);
        let _ = s.logout();
    }
}

impl Dovecot {
    /// Delivers `raw` to alice's INBOX by writing it into the maildir, as a
    /// local delivery agent would: works while the server is down, and for
    /// bytes IMAP APPEND refuses (NUL).
    pub fn deliver_to_maildir(&self, raw: &[u8]) {
        let new = self.dir.path().join("mail").join(USER).join("new");
        assert!(new.is_dir(), "alice's maildir does not exist yet");
        let name = format!(
            "{}.M{}P{}.mailreactor-test",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            fastrand::u32(..),
            std::process::id()
        );
        // Written in tmp/ and renamed into new/, as a delivery agent does,
        // so a running server never sees half a message.
        let tmp = new.parent().unwrap().join("tmp").join(&name);
        fs::write(&tmp, raw).unwrap();
        chown_dovecot(&tmp);
        fs::rename(&tmp, new.join(&name)).unwrap();
    }
}

/// APPEND over an existing session; returns the new UID.
pub fn append_with(s: &mut imap::Session<TcpStream>, mailbox: &str, raw: &[u8]) -> u32 {
    if mailbox != "INBOX" {
        let _ = s.create(mailbox);
    }
    let appended = s.append(mailbox, raw).finish().expect("APPEND");
    appended
        .uids
        .and_then(|u| u.into_iter().next())
        .map(|u| match u {
            imap_proto::UidSetMember::Uid(u) => u,
            imap_proto::UidSetMember::UidRange(r) => *r.start(),
        })
        .expect("APPENDUID in the answer")
}

/// [`Dovecot::append_numbered`] over an existing session.
pub fn append_numbered(
    s: &mut imap::Session<TcpStream>,
    mailbox: &str,
    prefix: &str,
    range: Range<usize>,
) {
    for i in range {
        append_with(s, mailbox, &simple_message(&format!("{prefix}{i}"), "x"));
    }
}

/// A self-signed certificate and its key (PEM, P-256, PKCS#8) for
/// `localhost` and 127.0.0.1, made in `dir` as `NAME.pem` and `NAME.key`.
pub fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is needed for this test (apt-get install -y openssl)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

fn chown_dovecot(path: &Path) {
    let status = Command::new("chown")
        .arg("dovecot:dovecot")
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success());
}

impl Dovecot {
    /// Keeps `value` until the server has stopped (a test's turn on the
    /// machine, say).
    pub fn hold(&mut self, value: impl std::any::Any + Send) {
        self.held = Some(Box::new(value));
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A small RFC 5322 message; `extra` goes after the standard headers.
pub fn simple_message(subject: &str, body: &str) -> Vec<u8> {
    let mut m = Vec::new();
    write!(
        m,
        "From: Ann Example <ann@example.com>\r\nTo: alice@example.com\r\n\
         Subject: {subject}\r\nDate: Mon, 23 Nov 2026 07:39:58 +0000\r\n\
         Message-ID: <{}@example.com>\r\n\r\n{body}\r\n",
        fastrand::u64(..)
    )
    .unwrap();
    m
}
