//! Hostile and broken mail, generated here and delivered for real: each
//! yields one event with what could be decoded, nothing crashes, and the
//! watcher's memory stays bounded (nothing is downloaded whole).

use std::time::Duration;

use crate::common::Env;

/// (what it is, the raw message)
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut c: Vec<(&'static str, Vec<u8>)> = Vec::new();
    c.push((
        "broken boundaries",
        b"Subject: broken boundaries\r\nContent-Type: multipart/mixed; boundary=\"AAA\"\r\n\r\n\
          --BBB\r\nContent-Type: text/plain\r\n\r\nnever closed\r\n--AAA\r\nContent-Type: text/html\r\n\r\n<p>x"
            .to_vec(),
    ));
    c.push((
        "lying charsets",
        b"Subject: =?x-unknown-charset?q?caf=E9?= and =?utf-8?b?////?=\r\n\
          From: =?koi8-r?b?8NLJ18XU?= <a@b>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe not utf-8 \xe9\r\n"
            .to_vec(),
    ));
    c.push((
        "8-bit and NUL in headers",
        b"Subject: bytes \xe4\xf6\xfc \x00 nul \x01\x02\r\nFrom: \"\xff\" <x\x00@y>\r\n\r\nbody\r\n".to_vec(),
    ));
    let mut huge = b"Subject: a 1 MB header line\r\nX-Long: ".to_vec();
    huge.extend(std::iter::repeat_n(b'h', 1024 * 1024));
    huge.extend_from_slice(b"\r\n\r\nafter the long header\r\n");
    c.push(("1 MB header line", huge));
    // A header longer than the first bytes fetched in one piece, with its
    // subject at the end: fetched again, header and body apart.
    let mut received = Vec::new();
    for i in 0..400 {
        received.extend(
            format!("Received: from relay{i}.example.net by mx.example.org; hop {i}\r\n")
                .as_bytes(),
        );
    }
    let mut long = received.clone();
    long.extend_from_slice(
        b"Subject: at the end of a 40 KB header\r\n\r\nthe text after the long header\r\n",
    );
    c.push(("40 KB header", long));
    // The same header on a multipart whose text comes after 30 KB of
    // attachment: its text part is fetched on its own after the header.
    let mut long = received;
    long.extend_from_slice(
        b"Subject: a long header and late text\r\nMIME-Version: 1.0\r\n\
          Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\
          Content-Type: application/octet-stream; name=first.bin\r\n\
          Content-Transfer-Encoding: base64\r\n\r\n",
    );
    for _ in 0..400 {
        long.extend_from_slice(&[b'B'; 76]);
        long.extend_from_slice(b"\r\n");
    }
    long.extend_from_slice(
        b"--q\r\nContent-Type: text/plain\r\n\r\nthe text after the attachment\r\n--q--\r\n",
    );
    c.push(("40 KB header, late text", long));
    let mut nested =
        b"Subject: 100 levels deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n".to_vec();
    for i in 0..100 {
        nested.extend(
            format!(
                "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
                i + 1
            )
            .as_bytes(),
        );
    }
    nested.extend_from_slice(b"--b100\r\nContent-Type: text/plain\r\n\r\nat the bottom\r\n");
    for i in (0..=100).rev() {
        nested.extend(format!("--b{i}--\r\n").as_bytes());
    }
    c.push(("100 nested multiparts", nested));
    let mut big = b"Subject: a 50 MB attachment\r\nMIME-Version: 1.0\r\n\
                    Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\n\
                    see attached\r\n--z\r\nContent-Type: application/octet-stream; name=big.bin\r\n\
                    Content-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    let line = [b'A'; 76];
    for _ in 0..(50 * 1024 * 1024 / 78) {
        big.extend_from_slice(&line);
        big.extend_from_slice(b"\r\n");
    }
    big.extend_from_slice(b"--z--\r\n");
    c.push(("50 MB attachment", big));
    c.push((
        "no headers at all",
        b"\r\njust a body, no headers\r\n".to_vec(),
    ));
    c.push(("empty", Vec::new()));
    c
}

#[test]
fn hostile_mail_yields_one_event_each_with_bounded_memory() {
    // Written into the maildir behind Dovecot's back, which NOTIFY does not
    // tell of (the STATUS sweep would, within a poll-interval); IDLE does.
    let env = Env::new(&["INBOX"], "mode = \"idle\"");
    env.dovecot.append(
        "INBOX",
        &crate::common::dovecot::simple_message("first", "x"),
    );
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let corpus = corpus();
    for (_, raw) in &corpus {
        env.dovecot.deliver_to_maildir(raw);
    }
    let mut got = Vec::new();
    while got.len() < corpus.len() {
        let e = watch.wait_for_within("a hostile message", Duration::from_secs(60), |v| {
            v["type"] == "message.received"
        });
        got.push(e);
    }
    let by_subject = |s: &str| {
        got.iter()
            .find(|e| e["subject"].as_str().is_some_and(|x| x.contains(s)))
    };
    let big = by_subject("50 MB").expect("the 50 MB message");
    assert!(big["size"].as_u64().unwrap() > 50_000_000);
    assert_eq!(big["attachments"][0]["filename"], "big.bin");
    assert_eq!(big["preview"], "see attached");
    assert!(by_subject("1 MB header").is_some());
    let long = by_subject("40 KB header").expect("the subject at the end of a 40 KB header");
    assert_eq!(long["preview"], "the text after the long header");
    let late = by_subject("late text").expect("a long header and late text");
    assert_eq!(late["preview"], "the text after the attachment");
    assert_eq!(late["attachments"][0]["filename"], "first.bin");
    assert_eq!(
        by_subject("100 levels").expect("nested")["subject"],
        "100 levels deep"
    );
    assert!(
        by_subject("bytes").is_some(),
        "NUL and 8-bit in headers still give a subject"
    );
    assert!(by_subject("broken boundaries").is_some());
    // No headers: fields are null or empty, never invented.
    let bare: Vec<_> = got.iter().filter(|e| e["subject"].is_null()).collect();
    assert_eq!(bare.len(), 2, "no headers, and empty: {got:#?}");
    assert!(
        bare.iter()
            .all(|e| e["from"] == serde_json::json!([]) && e["date"].is_null())
    );
    // Every event is one valid JSON line with text, never raw bytes.
    for e in &got {
        assert!(e["subject"].is_null() || !e["subject"].as_str().unwrap().contains('\0'));
    }
    // Memory: the 50 MB message was never downloaded whole.
    let status = std::fs::read_to_string(format!("/proc/{}/status", watch.child.id())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(peak_kb < 40 * 1024, "peak RSS {peak_kb} kB");
    // Still watching.
    env.dovecot.append(
        "INBOX",
        &crate::common::dovecot::simple_message("after the storm", "x"),
    );
    watch.wait_for("after the storm", |v| v["subject"] == "after the storm");
}

/// A fake IMAP server on loopback that greets with `greeting` and answers
/// every command with `NO reason`; its port.
fn fake_server(greeting: &'static [u8], reason: &'static str) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut w = stream.try_clone().unwrap();
                let _ = w.write_all(greeting);
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let tag = line.split(' ').next().unwrap_or("*").to_string();
                    if w.write_all(format!("{tag} NO {reason}\r\n").as_bytes())
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// Servers whose words carry terminal escapes (retitle the window, clear
/// the screen) and a right-to-left override, before TLS (anyone on the
/// path can send them): `check` and the watch's log show them as text.
#[test]
fn a_servers_words_never_reach_the_terminal_as_escapes() {
    const EVIL: &str = "\x1b]0;pwned\x07\x1b[2J\u{202e}gnol oot";
    let refuses_starttls = fake_server(b"* OK ready\r\n", EVIL);
    let greets_badly = fake_server(
        b"* BYE \x1b]0;pwned\x07\x1b[2J\xe2\x80\xaegnol oot\r\n",
        "x",
    );
    let env = Env::new(&["INBOX"], "");
    let account = |name: &str, port: u16, tls: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\n\
             username = \"u\"\npassword = \"p\"\n"
        )
    };
    std::fs::write(
        &env.profile,
        account("starttls", refuses_starttls, "starttls")
            + &account("greeting", greets_badly, "none"),
    )
    .unwrap();
    let out = env.run(&["check"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert_eq!(
            text.matches("\\u{1b}]0;pwned").count(),
            2,
            "both are shown, escaped: {text}"
        );
    }
    // The watch's log, where the reason is repeated on every retry.
    let mut watch = crate::common::Watch::spawn(env.command(&["watch", "--json"]));
    crate::common::eventually("both refusals are logged", || {
        watch.stderr().matches("pwned").count() >= 2
    });
    let stderr = watch.stderr();
    watch.child.kill().unwrap();
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\u{202e}'),
        "{stderr:?}"
    );
}

/// On a terminal, a subject with a right-to-left override (`invoice` +
/// U+202E + `fdp.exe` shows as `invoiceexe.pdf`) is shown escaped.
#[test]
fn invisible_characters_from_mail_are_shown_escaped_on_a_terminal() {
    let env = Env::new(&["INBOX"], "");
    env.once();
    env.dovecot.append(
        "INBOX",
        &crate::common::dovecot::simple_message("invoice\u{202e}fdp.exe", "x"),
    );
    env.once();
    // `replay` as a person runs it: stdout a terminal (script(1) gives one).
    let cmd = format!(
        "{} replay -c {} --state-dir {}",
        env!("CARGO_BIN_EXE_mailreactor"),
        env.profile.display(),
        env.state.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script(1), from util-linux, gives the command a terminal");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("new mail"), "a readable line: {shown}");
    assert!(shown.contains("invoice\\u{202e}fdp.exe"), "{shown}");
    assert!(!shown.contains('\u{202e}'), "{shown:?}");
}

/// A fake server that writes `greeting` and then `after` again and again,
/// one chunk every `pause` (forever, or until the client goes).
fn flooding_server(
    greeting: &'static [u8],
    after: &'static [u8],
    pause: std::time::Duration,
) -> u16 {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                if stream.write_all(greeting).is_err() {
                    return;
                }
                while stream.write_all(after).is_ok() {
                    std::thread::sleep(pause);
                }
            });
        }
    });
    port
}

/// Runs `check` against a profile, sampling its memory; returns its stdout
/// once it ends (which it must within 20 s).
fn check_bounded(env: &Env, extra_env: &[(&str, &str)]) -> String {
    let mut cmd = env.command(&["check"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let started = std::time::Instant::now();
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak_kb = peak_kb.max(crate::common::rss_kb(child.id()));
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("check did not end within 20 s (RSS peaked at {peak_kb} kB)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3));
    assert!(peak_kb < 100 * 1024, "check grew to {peak_kb} kB");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    out
}

/// Hostile servers (or anyone on the path before TLS): an endless line,
/// a literal of 4 GiB, a greeting that trickles a byte at a time. Each
/// costs a few MB and ends with a clear error.
#[test]
fn hostile_servers_cost_little_and_end_clearly() {
    use std::time::Duration;
    let env = Env::new(&["INBOX"], "");
    let write = |port: u16, tls: &str| {
        std::fs::write(
            &env.profile,
            format!(
                "[[account]]\nname = \"evil\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\n\
                 username = \"u\"\npassword = \"p\"\n"
            ),
        )
        .unwrap()
    };
    const CHUNK: &[u8] = &[b'A'; 64 * 1024];
    let endless = flooding_server(b"* OK ", CHUNK, Duration::ZERO);
    for tls in ["none", "starttls"] {
        write(endless, tls);
        let out = check_bounded(&env, &[]);
        assert!(out.contains("a line of more than 256 KiB"), "{tls}: {out}");
    }
    let literal = flooding_server(
        b"* OK [CAPABILITY IMAP4rev1] ready\r\n* 1 FETCH (BODY[] {4294967295}\r\n",
        CHUNK,
        Duration::from_millis(10),
    );
    write(literal, "none");
    let out = check_bounded(&env, &[]);
    assert!(out.contains("a literal of 4294967295 bytes"), "{out}");
    let trickle = flooding_server(b"* OK ", b"A", Duration::from_millis(200));
    write(trickle, "none");
    let out = check_bounded(&env, &[("MAILREACTOR_FAULT_COMMAND_MS", "2000")]);
    assert!(out.contains("took more than 2 s to answer"), "{out}");
}

/// A server that speaks just enough IMAP for a watch, and once the mailbox
/// is open sends `* 2 EXISTS` every 2 ms, forever. Counts the
/// searches it is asked for.
fn exists_flood_server(searches: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::{Arc, Mutex};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let searches = searches.clone();
            std::thread::spawn(move || {
                let w = Arc::new(Mutex::new(stream.try_clone().unwrap()));
                let say = |w: &Arc<Mutex<std::net::TcpStream>>, s: String| {
                    w.lock().unwrap().write_all(s.as_bytes()).is_ok()
                };
                say(&w, "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n".into());
                let mut flooding = false;
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut words = line.splitn(3, ' ');
                    let tag = words.next().unwrap_or("*").to_string();
                    let cmd = words.next().unwrap_or("").to_ascii_uppercase();
                    let arg = words.next().unwrap_or("").to_ascii_uppercase();
                    let answer = match (cmd.as_str(), arg.as_str()) {
                        ("CAPABILITY", _) => {
                            format!("* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK done\r\n")
                        }
                        ("EXAMINE", _) => format!(
                            "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n{tag} OK [READ-ONLY] done\r\n"
                        ),
                        ("UID", a) if a.starts_with("SEARCH") => {
                            searches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            format!("* SEARCH\r\n{tag} OK done\r\n")
                        }
                        ("STATUS", _) => {
                            format!("* STATUS INBOX (UIDVALIDITY 7)\r\n{tag} OK done\r\n")
                        }
                        ("IDLE", _) => "+ idling\r\n".into(),
                        ("LOGOUT", _) => format!("* BYE bye\r\n{tag} OK done\r\n"),
                        _ if line == "DONE" => "* 2 EXISTS\r\nmr-idle OK done\r\n".into(),
                        _ => format!("{tag} OK done\r\n"),
                    };
                    // The tag of IDLE answers DONE: remember it.
                    let answer = if cmd == "IDLE" {
                        *IDLE_TAG.lock().unwrap() = tag.clone();
                        answer
                    } else if line == "DONE" {
                        answer.replace("mr-idle", &IDLE_TAG.lock().unwrap())
                    } else {
                        answer
                    };
                    if !say(&w, answer) {
                        break;
                    }
                    if cmd == "EXAMINE" && !flooding {
                        flooding = true;
                        let w = w.clone();
                        std::thread::spawn(move || {
                            while w.lock().unwrap().write_all(b"* 2 EXISTS\r\n").is_ok() {
                                std::thread::sleep(std::time::Duration::from_millis(2));
                            }
                        });
                    }
                }
            });
        }
    });
    port
}

static IDLE_TAG: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// A flood of EXISTS costs one search per batch of wake-ups, not one each.
#[test]
fn a_flood_of_exists_is_coalesced() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let searches = Arc::new(AtomicUsize::new(0));
    let port = exists_flood_server(searches.clone());
    let env = Env::new(&["INBOX"], "");
    std::fs::write(
        &env.profile,
        format!(
            "[[account]]\nname = \"flood\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n\
             username = \"u\"\npassword = \"p\"\nchanges = \"off\"\n"
        ),
    )
    .unwrap();
    let mut watch = crate::common::Watch::spawn(env.command(&["watch", "--json"]));
    watch.wait_type("account.connected");
    let start = searches.load(Ordering::SeqCst);
    std::thread::sleep(std::time::Duration::from_secs(3));
    let n = searches.load(Ordering::SeqCst) - start;
    let stderr = watch.stderr();
    watch.child.kill().unwrap();
    // 3 s at one search per 100 ms at the most, with room for scheduling.
    assert!(n <= 40, "{n} searches in 3 s of flood:\n{stderr}");
    assert!(n >= 3, "the watch did look ({n} searches):\n{stderr}");
}
