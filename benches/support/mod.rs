//! What the benchmark rows share: the server, the mailreactor child with
//! timestamped stdout, a bare IDLE client, the imapfilter peer, fast
//! appending, /proc readings and the results table.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::dovecot::{Dovecot, PASSWORD, USER, simple_message};

/// How long any single expected thing may take before the row fails.
const PATIENCE: Duration = Duration::from_secs(60);

/// A Dovecot that allows a connection per mailbox for 100+ mailboxes, and
/// checks IDLE mailboxes at Dovecot's default interval (30 s; the test
/// servers check every second, which would let a long-running IDLE see
/// mail early by luck and skew the latency floor).
pub fn server(extra: &str) -> Dovecot {
    Dovecot::start_with(&format!(
        "mailbox_idle_check_interval = 30 secs\n\
         protocol imap {{\n  mail_max_userip_connections = 400\n}}\n{extra}"
    ))
}

/// `mailreactor watch --json` (the binary cargo built for this bench),
/// each stdout line stamped when it was read.
pub struct Mr {
    child: Child,
    dir: Option<tempfile::TempDir>,
    /// Each stdout line, as read, with when it was read. The reading
    /// thread does not parse it: a consumer on the same two cores should
    /// take as little from mailreactor as a pipe to another process does.
    lines: Receiver<(Instant, String)>,
    messages: usize,
    /// When each message event was read, in order.
    pub message_times: Vec<Instant>,
    /// Stopped and waited for (by `wait4`, not `Child::wait`).
    reaped: bool,
}

impl Mr {
    pub fn start(server: &Dovecot, mailboxes: &[&str], extra: &str) -> Mr {
        Mr::start_with_state(server, mailboxes, extra, tempfile::tempdir().unwrap())
    }

    /// Starts on the state left in `dir` by an earlier run.
    pub fn start_with_state(
        server: &Dovecot,
        mailboxes: &[&str],
        extra: &str,
        dir: tempfile::TempDir,
    ) -> Mr {
        let list: Vec<String> = mailboxes.iter().map(|m| format!("{m:?}")).collect();
        let profile = format!(
            "[[account]]\nname = \"bench\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{USER}\"\npassword = \"{PASSWORD}\"\nmailboxes = [{}]\n{extra}\n",
            server.port,
            list.join(", ")
        );
        Mr::start_profile(&profile, dir, &[])
    }

    /// Starts on the profile `text`, written in `dir` (with its state
    /// there too), with `args` added to `watch`.
    pub fn start_profile(text: &str, dir: tempfile::TempDir, args: &[&str]) -> Mr {
        let profile = dir.path().join("bench.toml");
        std::fs::write(&profile, text).unwrap();
        // MR_BENCH_WRAP (say `perf record -g -o mr.perf --`) runs each
        // mailreactor under a profiler.
        let wrap = std::env::var("MR_BENCH_WRAP").unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut child = match words.next() {
            Some(first) => {
                let mut c = Command::new(first);
                c.args(words).arg(env!("CARGO_BIN_EXE_mailreactor"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_mailreactor")),
        };
        let mut child = child
            .args(["watch", "--json", "-q", "-c"])
            .arg(&profile)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args(args)
            .env_remove("MAILREACTOR_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mailreactor");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(out);
            let mut line = String::new();
            while out.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let at = Instant::now();
                if tx.send((at, std::mem::take(&mut line))).is_err() {
                    return;
                }
            }
        });
        Mr {
            child,
            dir: Some(dir),
            lines,
            messages: 0,
            message_times: Vec::new(),
            reaped: false,
        }
    }

    /// Ends it as a crash would (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next event (with when it was read) that satisfies `pred`.
    fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Instant {
        self.wait_event(what, pred).0
    }

    /// The next event that satisfies `pred`, and when it was read.
    pub fn wait_event(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> (Instant, Value) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, line) = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("mailreactor: no {what} within {PATIENCE:?}"));
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if v["type"] == "message.received" {
                self.messages += 1;
            }
            if pred(&v) {
                return (at, v);
            }
        }
    }

    /// When the `n`th `account.connected` came.
    pub fn wait_connected(&mut self, n: usize) -> Instant {
        let mut at = Instant::now();
        for _ in 0..n {
            at = self.wait("account.connected", |v| v["type"] == "account.connected");
        }
        at
    }

    pub fn wait_uid(&mut self, uid: u32) -> Instant {
        self.wait(&format!("event for UID {uid}"), |v| {
            v["type"] == "message.received" && v["uid"] == uid
        })
    }

    /// When the `n`th message event (counting from the start) came.
    pub fn wait_messages(&mut self, n: usize, patience: Duration) -> Instant {
        let deadline = Instant::now() + patience;
        let mut last = Instant::now();
        while self.messages < n {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, line) = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "only {} of {n} message events within {patience:?}",
                    self.messages
                )
            });
            if is_message(&line) {
                self.messages += 1;
                self.message_times.push(at);
                last = at;
            }
        }
        last
    }

    /// Message events so far (after a moment for stragglers).
    pub fn messages_seen(&mut self) -> usize {
        while let Ok((_, line)) = self.lines.recv_timeout(Duration::from_millis(300)) {
            if is_message(&line) {
                self.messages += 1;
            }
        }
        self.messages
    }

    pub fn peak_rss_kb(&self) -> u64 {
        status_kb(self.pid(), "VmHWM:")
    }

    /// Stops it (SIGTERM, as systemd would) and hands over its state.
    pub fn state_dir(self) -> tempfile::TempDir {
        self.state_dir_and_cpu().0
    }

    /// [`Mr::state_dir`], with the CPU seconds (user and system, every
    /// thread, to the microsecond) the process used in its whole life.
    pub fn state_dir_and_cpu(mut self) -> (tempfile::TempDir, f64) {
        let cpu = self.stop();
        (self.dir.take().unwrap(), cpu.unwrap_or(f64::NAN))
    }

    /// Stops it once; returns its CPU seconds.
    fn stop(&mut self) -> Option<f64> {
        if self.reaped {
            return None;
        }
        self.reaped = true;
        let pid = self.child.id() as i32;
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } != pid {
            return None;
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(secs(usage.ru_utime) + secs(usage.ru_stime))
    }
}

impl Drop for Mr {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The floor: a few lines of IMAP that IDLE and note each `* n EXISTS`.
pub struct Bare {
    exists: Receiver<(Instant, u32)>,
    last: std::cell::Cell<(u32, Option<Instant>)>,
    socket: TcpStream,
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

impl Bare {
    /// `verb` is SELECT or EXAMINE (mailreactor EXAMINEs), or NOTIFY: told
    /// of `mailbox` by NOTIFY's STATUS, with nothing selected.
    pub fn start(server: &Dovecot, mailbox: &str, verb: &str) -> Bare {
        let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        let mut line = String::new();
        let mut until = |r: &mut BufReader<TcpStream>, prefix: &str| loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "the server hung up");
            if line.starts_with(prefix) {
                return;
            }
        };
        until(&mut r, "* OK");
        write!(w, "a LOGIN {USER} \"{PASSWORD}\"\r\n").unwrap();
        until(&mut r, "a OK");
        if verb == "NOTIFY" {
            // Told of every mailbox by STATUS, nothing selected.
            write!(w, "b NOTIFY SET (personal (MessageNew MessageExpunge))\r\n").unwrap();
        } else {
            write!(w, "b {verb} \"{mailbox}\"\r\n").unwrap();
        }
        until(&mut r, "b OK");
        write!(w, "c IDLE\r\n").unwrap();
        until(&mut r, "+");
        let socket = w.try_clone().unwrap();
        let (tx, exists) = channel();
        std::thread::spawn(move || {
            let _keep = w;
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let at = Instant::now();
                let words: Vec<&str> = line.split_whitespace().collect();
                if let ["*", n, "EXISTS"] = words[..]
                    && tx.send((at, n.parse().unwrap())).is_err()
                {
                    return;
                }
                // NOTIFY: `* STATUS box (... UIDNEXT u ...)`; the highest UID
                // is u - 1.
                if words.get(1) == Some(&"STATUS")
                    && let Some(i) = words
                        .iter()
                        .position(|w| w.trim_start_matches('(') == "UIDNEXT")
                    && let Some(next) = words.get(i + 1)
                    && let Ok(next) = next.trim_end_matches(')').parse::<u32>()
                    && tx.send((at, next.saturating_sub(1))).is_err()
                {
                    return;
                }
                line.clear();
            }
        });
        Bare {
            exists,
            last: std::cell::Cell::new((0, None)),
            socket,
        }
    }

    /// When the server first said the mailbox holds at least `n`.
    pub fn wait_exists(&self, n: u32) -> Instant {
        loop {
            if let (count, Some(at)) = self.last.get()
                && count >= n
            {
                return at;
            }
            let (at, count) = self
                .exists
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("bare client: no EXISTS {n} within {PATIENCE:?}"));
            self.last.set((count, Some(at)));
        }
    }
}

/// The peer: imapfilter (Debian's package) in an `enter_idle()` loop that
/// prints UIDNEXT when it changes. `None` when it is not installed.
pub struct Imapfilter {
    child: Child,
    _dir: tempfile::TempDir,
    lines: Receiver<(Instant, u32)>,
    uidnext: u32,
}

impl Imapfilter {
    pub fn start(server: &Dovecot) -> Option<Imapfilter> {
        if Command::new("imapfilter").arg("-V").output().is_err() {
            eprintln!("imapfilter is not installed (apt-get install imapfilter): no peer rows");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.lua");
        std::fs::write(
            &config,
            format!(
                "options.timeout = 60\noptions.starttls = false\noptions.certificates = false\n\
                 options.info = false\n\
                 local acc = IMAP {{ server = '127.0.0.1', port = {}, username = '{USER}', \
                 password = '{PASSWORD}' }}\n\
                 local box = acc.INBOX\n\
                 local _, _, _, seen = box:check_status()\n\
                 io.stdout:write('uidnext ' .. seen .. '\\n') io.stdout:flush()\n\
                 while true do\n\
                   box:enter_idle()\n\
                   local _, _, _, n = box:check_status()\n\
                   if n ~= seen then seen = n io.stdout:write('uidnext ' .. n .. '\\n') io.stdout:flush() end\n\
                 end\n",
                server.port
            ),
        )
        .unwrap();
        let mut child = Command::new("imapfilter")
            .arg("-c")
            .arg(&config)
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let out = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let at = Instant::now();
                if let Some(n) = line.strip_prefix("uidnext ").and_then(|n| n.parse().ok())
                    && tx.send((at, n)).is_err()
                {
                    return;
                }
            }
        });
        let mut p = Imapfilter {
            child,
            _dir: dir,
            lines,
            uidnext: 0,
        };
        // Its first line says it is logged in and watching.
        let (_, n) = p.lines.recv_timeout(PATIENCE).ok()?;
        p.uidnext = n;
        Some(p)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// When it first reported a UIDNEXT past `uid`.
    pub fn wait_uid(&mut self, uid: u32) -> Instant {
        let mut at = Instant::now();
        while self.uidnext <= uid {
            let (t, n) = self.lines.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                panic!("imapfilter: nothing for UID {uid} within {PATIENCE:?}")
            });
            self.uidnext = n;
            at = t;
        }
        at
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Imapfilter {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Appends `n` small messages over one connection, 500 per MULTIAPPEND
/// command with non-synchronising literals: as fast as the server takes them.
pub fn multiappend(port: u16, mailbox: &str, n: usize, prefix: &str) {
    multiappend_body(port, mailbox, n, prefix, "benchmark body");
}

/// [`multiappend`] with `body` as each message's text.
pub fn multiappend_body(port: u16, mailbox: &str, n: usize, prefix: &str, body: &str) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    let mut expect = |r: &mut BufReader<TcpStream>, tag: &str| loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the server hung up");
        if let Some(rest) = line.strip_prefix(tag) {
            assert!(rest.trim_start().starts_with("OK"), "{line}");
            return;
        }
    };
    expect(&mut r, "*");
    write!(w, "l LOGIN {USER} \"{PASSWORD}\"\r\n").unwrap();
    expect(&mut r, "l ");
    let mut done = 0;
    let mut tag = 0;
    while done < n {
        let count = (n - done).min(500);
        let mut cmd = format!("m{tag} APPEND \"{mailbox}\"").into_bytes();
        for i in done..done + count {
            let raw = simple_message(&format!("{prefix} {i}"), body);
            write!(cmd, " {{{}+}}\r\n", raw.len()).unwrap();
            cmd.extend_from_slice(&raw);
        }
        cmd.extend_from_slice(b"\r\n");
        w.write_all(&cmd).unwrap();
        expect(&mut r, &format!("m{tag} "));
        done += count;
        tag += 1;
    }
    let _ = w.write_all(b"z LOGOUT\r\n");
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
}

/// Writes `n` messages straight into alice's maildir (as a delivery agent
/// would, but without a server round trip each): for the big mailbox.
pub fn fill_maildir(server: &Dovecot, n: usize) {
    // Logging in once creates the maildir.
    let mut c = server.client();
    c.examine("INBOX").unwrap();
    let _ = c.logout();
    let new = server.dir().join("mail").join(USER).join("new");
    let id = |what: &str| {
        let out = Command::new("id")
            .arg(what)
            .arg("dovecot")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .unwrap()
    };
    let (uid, gid) = (id("-u"), id("-g"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for i in 0..n {
        let path = new.join(format!("{now}.M{i}P1.bench"));
        std::fs::write(&path, simple_message(&format!("old {i}"), "x")).unwrap();
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
    }
}

/// Where a round's processes run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cpus {
    /// Everything on every CPU, the scheduler's choice.
    Shared,
    /// The server (its master and every process under it, and those it
    /// starts later) on the last CPU, and this thread with all it starts
    /// from now on (the clients, mailreactor, the stdout reader) on the
    /// others: as if the server had a machine of its own, which it has
    /// wherever mailreactor is deployed.
    Apart,
}

/// The machine's CPUs (not this thread's, which [`place`] may have
/// narrowed).
pub fn cpus() -> usize {
    // SAFETY: sysconf only reads a system setting.
    unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize
}

/// Places `server`'s processes and the calling thread as `cpus` says
/// (Apart needs two CPUs at least).
pub fn place(server: &Dovecot, cpus: Cpus) {
    let n = self::cpus();
    let (ours, theirs): (Vec<usize>, Vec<usize>) = match cpus {
        Cpus::Shared => ((0..n).collect(), (0..n).collect()),
        Cpus::Apart => {
            assert!(n >= 2, "one CPU cannot be shared out");
            ((0..n - 1).collect(), vec![n - 1])
        }
    };
    let master = server.pid().expect("the server runs");
    for pid in descendants(master) {
        // A process that ended meanwhile is no matter.
        let _ = set_affinity(pid as i32, &theirs);
    }
    set_affinity(0, &ours).expect("place this thread");
}

fn set_affinity(pid: i32, cpus: &[usize]) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is the empty set, filled by CPU_SET.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    let size = std::mem::size_of::<libc::cpu_set_t>();
    if unsafe { libc::sched_setaffinity(pid, size, &set) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `root` and every process below it, from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            // state ppid ...
            let ppid = stat_fields(pid).get(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    found
}

fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub fn rss_kb(pid: u32) -> u64 {
    status_kb(pid, "VmRSS:")
}

pub fn threads(pid: u32) -> u64 {
    status_kb(pid, "Threads:")
}

/// The fields of `/proc/PID/stat` after the command name (which may hold
/// spaces and parentheses), from the state on; empty once it is gone.
fn stat_fields(pid: u32) -> Vec<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    after.split_whitespace().map(str::to_string).collect()
}

/// User + system CPU seconds the process has used.
pub fn cpu_secs(pid: u32) -> f64 {
    let f: Vec<u64> = stat_fields(pid)
        .iter()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / ticks
}

/// The floor of a catch-up: a bare client fetching `n` messages of
/// `mailbox` from sequence number `first` on, asking for `items` of each
/// (`(UID BODY.PEEK[])`: whole), `batch` at a time, as fast as the server
/// serves them; returns how long the fetches took from the mailbox open,
/// and how many bytes of messages came.
pub fn bare_fetch(
    port: u16,
    mailbox: &str,
    (first, n): (usize, usize),
    batch: usize,
    items: &str,
) -> (Duration, u64) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    // Reads to the tagged answer, skipping each literal by its length;
    // returns the literals' bytes.
    let until = |r: &mut BufReader<TcpStream>, tag: &str| -> u64 {
        let (mut line, mut bytes) = (Vec::new(), 0);
        loop {
            line.clear();
            r.read_until(b'\n', &mut line).unwrap();
            assert!(!line.is_empty(), "the server hung up");
            let text = String::from_utf8_lossy(&line);
            if let Some(rest) = text.strip_prefix(tag) {
                assert!(rest.trim_start().starts_with("OK"), "{text}");
                return bytes;
            }
            let trimmed = text.trim_end();
            if let Some(open) = trimmed
                .strip_suffix('}')
                .and_then(|t| t.rfind('{').map(|i| &t[i + 1..]))
                && let Ok(len) = open.parse::<u64>()
            {
                bytes += std::io::copy(&mut r.by_ref().take(len), &mut std::io::sink()).unwrap();
            }
        }
    };
    let mut greeting = String::new();
    r.read_line(&mut greeting).unwrap();
    write!(w, "a LOGIN {USER} \"{PASSWORD}\"\r\n").unwrap();
    until(&mut r, "a ");
    write!(w, "b EXAMINE \"{mailbox}\"\r\n").unwrap();
    until(&mut r, "b ");
    let start = Instant::now();
    let end = first + n - 1;
    let (mut first, mut tag, mut bytes) = (first, 0, 0);
    while first <= end {
        let last = (first + batch - 1).min(end);
        write!(w, "f{tag} FETCH {first}:{last} {items}\r\n").unwrap();
        bytes += until(&mut r, &format!("f{tag} "));
        first = last + 1;
        tag += 1;
    }
    let took = start.elapsed();
    let _ = w.write_all(b"z LOGOUT\r\n");
    (took, bytes)
}

/// Where a process's resident memory is, in kB: its own executable's
/// pages, shared libraries' pages, and the rest (heap, stacks, anonymous).
pub fn rss_breakdown(pid: u32) -> (u64, u64, u64) {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let (mut own, mut libs, mut anon) = (0, 0, 0);
    let mut kind = 2;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            let path = line.split_whitespace().nth(5).unwrap_or_default();
            kind = if !path.is_empty() && std::path::Path::new(path) == exe {
                0
            } else if path.starts_with('/') {
                1
            } else {
                2
            };
        } else if let Some(v) = line.strip_prefix("Rss:") {
            let kb: u64 = v.trim().trim_end_matches(" kB").parse().unwrap_or(0);
            match kind {
                0 => own += kb,
                1 => libs += kb,
                _ => anon += kb,
            }
        }
    }
    (own, libs, anon)
}

/// p50 and p99 of a sample.
pub struct Stats {
    pub p50: Duration,
    pub p99: Duration,
}

impl Stats {
    pub fn of(sample: &[Duration]) -> Stats {
        let mut s = sample.to_vec();
        s.sort();
        let at = |q: f64| s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
        Stats {
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

/// The results, as the Markdown rows BENCHMARKS.md shows.
#[derive(Default)]
pub struct Table {
    rows: Vec<[String; 4]>,
}

impl Table {
    pub fn row(&mut self, what: &str, result: &str, notes: &str, command: &str) {
        eprintln!("{what}: {result} ({notes})");
        self.rows.push([
            what.into(),
            result.into(),
            notes.into(),
            format!("`{command}`"),
        ]);
    }

    pub fn print(&self) {
        println!("| row | result | notes | command |");
        println!("|---|---|---|---|");
        for r in &self.rows {
            println!("| {} | {} | {} | {} |", r[0], r[1], r[2], r[3]);
        }
    }
}

/// Whether a line of `watch --json` is a `message.received` event, without
/// parsing it (serde_json writes the event's fields without spaces).
fn is_message(line: &str) -> bool {
    line.contains("\"type\":\"message.received\"")
}
