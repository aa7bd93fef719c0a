//! The HTTP face: health probes, Prometheus metrics that move with mail
//! and sink failures, and a token guarding all but /healthz.

use std::time::Duration;

use crate::common::dovecot::free_port;
use crate::common::dovecot::simple_message;
use crate::common::{Env, eventually};

/// GET `path`: (status, content type, body).
fn get(port: u16, path: &str, token: Option<&str>) -> (u16, String, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build();
    let mut req = agent.get(&format!("http://127.0.0.1:{port}{path}"));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let r = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return (0, String::new(), e.to_string()),
    };
    let (status, ctype) = (r.status(), r.content_type().to_string());
    (status, ctype, r.into_string().unwrap_or_default())
}

/// The value of the sample `line` starts with, in the metrics text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn probes_and_metrics_follow_the_mail_and_the_server() {
    let port = free_port();
    let mut env = Env::new(&["INBOX"], "");
    env.append_profile(&format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\n\n[[hook]]\nname = \"broken\"\ncommand = [\"false\"]\nmax-attempts = 1\n"
    ));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    assert_eq!(get(port, "/healthz", None).0, 200);
    eventually("ready", || get(port, "/readyz", None).0 == 200);
    // Idling by now: the mail is news, not part of the first catch-up.
    std::thread::sleep(Duration::from_millis(300));
    env.dovecot.append("INBOX", &simple_message("counted", "x"));
    watch.wait_type("message.received");
    watch.wait_type("sink.dead-lettered");
    let (status, ctype, text) = get(port, "/metrics", None);
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    let journaled = r#"mailreactor_events_journaled_total{type="message.received",account="test"}"#;
    eventually("the event counted", || {
        sample(&get(port, "/metrics", None).2, journaled) == Some(1.0)
    });
    for series in [
        r#"mailreactor_account_connected{account="test"} 1"#,
        r#"mailreactor_build_info{version=""#,
        r#"mailreactor_journal_events "#,
        r#"mailreactor_sink_lag_events{sink="stdout"} "#,
    ] {
        assert!(text.contains(series), "no {series} in\n{text}");
    }
    let delivered = r#"mailreactor_sink_deliveries_total{sink="stdout",outcome="delivered"}"#;
    let dead = r#"mailreactor_sink_deliveries_total{sink="broken",outcome="dead_lettered"}"#;
    eventually("deliveries counted", || {
        let t = get(port, "/metrics", None).2;
        sample(&t, delivered).is_some_and(|n| n >= 1.0)
            && sample(&t, dead) == Some(1.0)
            && sample(&t, r#"mailreactor_sink_dead_letters{sink="broken"}"#) == Some(1.0)
    });
    // Both latencies are timed: the server's notice to the journal, and
    // the journal to the delivery (not for a sink that gave up).
    let t = get(port, "/metrics", None).2;
    let notice = r#"mailreactor_notice_to_journal_seconds_count{account="test"}"#;
    assert_eq!(sample(&t, notice), Some(1.0), "{t}");
    let sum = r#"mailreactor_notice_to_journal_seconds_sum{account="test"}"#;
    assert!(sample(&t, sum).is_some_and(|s| s > 0.0 && s < 5.0), "{t}");
    let delivery = r#"mailreactor_journal_to_delivery_seconds_count{sink="stdout"}"#;
    assert!(sample(&t, delivery).is_some_and(|n| n >= 1.0), "{t}");
    let broken = r#"mailreactor_journal_to_delivery_seconds_count{sink="broken"}"#;
    assert_eq!(sample(&t, broken).unwrap_or(0.0), 0.0, "{t}");
    // A failing sink keeps the daemon from being ready, for a while.
    let (status, _, body) = get(port, "/readyz", None);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("sink broken dead-lettered"), "{body}");
    // No label holds an address or a subject.
    let text = get(port, "/metrics", None).2;
    assert!(
        !text.contains("counted") && !text.contains("@example"),
        "{text}"
    );
    // The server goes away: not ready, naming the mailbox; back: connected.
    env.dovecot.stop();
    watch.wait_type("account.disconnected");
    let (status, _, body) = get(port, "/readyz", None);
    assert_eq!(status, 503);
    assert!(body.contains("test/INBOX is not connected"), "{body}");
    eventually("reconnects counted", || {
        sample(
            &get(port, "/metrics", None).2,
            r#"mailreactor_account_reconnects_total{account="test"}"#,
        )
        .is_some_and(|n| n >= 1.0)
    });
    env.dovecot.start_again();
    watch.wait_type("account.connected");
    eventually("connected again", || {
        get(port, "/metrics", None)
            .2
            .contains(r#"mailreactor_account_connected{account="test"} 1"#)
    });
    watch.terminate();
}

#[test]
fn a_token_guards_all_but_healthz() {
    let port = free_port();
    let env = Env::new(&["INBOX"], "");
    env.append_profile(&format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\ntoken-env = \"MR_HTTP_TOKEN\"\n"
    ));
    let mut cmd = env.command(&["watch", "--json"]);
    cmd.env("MR_HTTP_TOKEN", "t0ken-XYZ");
    let mut watch = crate::common::Watch::spawn(cmd);
    watch.wait_type("account.connected");
    assert_eq!(get(port, "/healthz", None).0, 200);
    // The page is static and holds no data; what it shows wants the token.
    let (status, _, page) = get(port, "/", None);
    assert_eq!(status, 200);
    assert!(page.contains("<title>mailreactor</title>"), "{page}");
    for path in ["/metrics", "/readyz", "/status", "/events"] {
        assert_eq!(get(port, path, None).0, 401, "{path} without a token");
        assert_eq!(
            get(port, path, Some("wrong")).0,
            401,
            "{path} with a wrong token"
        );
        assert_eq!(
            get(port, path, Some("t0ken-XYZ-and-more")).0,
            401,
            "{path} with a longer one"
        );
    }
    assert_eq!(get(port, "/metrics", Some("t0ken-XYZ")).0, 200);
    let (_, _, stderr) = watch.terminate();
    assert!(!stderr.contains("t0ken-XYZ"), "{stderr}");
}

#[test]
fn a_taken_address_or_an_open_one_without_a_token_is_refused() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let env = Env::new(&["INBOX"], "");
    env.append_profile(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{port} ([http] listen)"
        )),
        "{stderr}"
    );
    let env = Env::new(&["INBOX"], "");
    env.append_profile("[http]\nlisten = \"0.0.0.0:9847\"\n");
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("http.listen") && stderr.contains("no token guards it"),
        "{stderr}"
    );
}

/// Reads Server-Sent Events from `/events` on a thread: (id, type, data).
struct Sse {
    events: std::sync::mpsc::Receiver<(i64, String, serde_json::Value)>,
}

impl Sse {
    fn open(port: u16, query: &str, last_event_id: Option<i64>) -> Sse {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut req =
            format!("GET /events{query} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n");
        if let Some(id) = last_event_id {
            req += &format!("Last-Event-ID: {id}\r\n");
        }
        req += "\r\n";
        s.write_all(req.as_bytes()).unwrap();
        let (tx, events) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (mut id, mut kind) = (0i64, String::new());
            for line in BufReader::new(s).lines().map_while(Result::ok) {
                if let Some(v) = line
                    .strip_prefix("id: ")
                    .or_else(|| line.strip_prefix("id:"))
                {
                    id = v.trim().parse().unwrap_or(0);
                } else if let Some(v) = line
                    .strip_prefix("event: ")
                    .or_else(|| line.strip_prefix("event:"))
                {
                    kind = v.trim().to_string();
                } else if let Some(v) = line
                    .strip_prefix("data: ")
                    .or_else(|| line.strip_prefix("data:"))
                {
                    let data = serde_json::from_str(v.trim()).unwrap_or_default();
                    if tx.send((id, kind.clone(), data)).is_err() {
                        return;
                    }
                }
            }
        });
        Sse { events }
    }

    fn next(&self) -> (i64, String, serde_json::Value) {
        self.events
            .recv_timeout(Duration::from_secs(20))
            .expect("an event on /events")
    }

    fn nothing_more(&self) -> bool {
        self.events
            .recv_timeout(Duration::from_millis(1500))
            .is_err()
    }
}

#[test]
fn the_event_stream_follows_mail_and_resumes_without_a_gap() {
    let port = free_port();
    let env = Env::new(&["INBOX"], "");
    env.append_profile(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let live = Sse::open(port, "?on=message.*", None);
    std::thread::sleep(Duration::from_millis(300));
    env.dovecot.append("INBOX", &simple_message("s1", "x"));
    let (first, kind, data) = live.next();
    assert_eq!(
        (kind.as_str(), data["subject"].as_str()),
        ("message.received", Some("s1"))
    );
    drop(live);
    // Missed while away: s2 and s3; then live again: s4. None twice.
    env.dovecot.append("INBOX", &simple_message("s2", "x"));
    env.dovecot.append("INBOX", &simple_message("s3", "x"));
    watch.wait_for("s3", |e| e["subject"] == "s3");
    let back = Sse::open(port, "?on=message.*", Some(first));
    let (a, _, d2) = back.next();
    let (b, _, d3) = back.next();
    assert_eq!(
        (d2["subject"].as_str(), d3["subject"].as_str()),
        (Some("s2"), Some("s3"))
    );
    assert!(first < a && a < b);
    env.dovecot.append("INBOX", &simple_message("s4", "x"));
    let (c, _, d4) = back.next();
    assert_eq!(d4["subject"], "s4");
    assert!(b < c);
    assert!(back.nothing_more(), "an event came twice");
    // ?since= works as Last-Event-ID does, and filters by account.
    let again = Sse::open(
        port,
        &format!("?since={first}&on=message.received&account=test"),
        None,
    );
    let subjects: Vec<String> = (0..3)
        .map(|_| again.next().2["subject"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(subjects, ["s2", "s3", "s4"]);
    let none = Sse::open(port, "?since=0&account=nobody", None);
    assert!(none.nothing_more(), "another account's events");
    watch.terminate();
}

/// Opens `/events` and never reads: a client that is stuck, with a small
/// receive buffer so that the server's side fills soon.
fn stuck_client(port: u16) -> std::net::TcpStream {
    use std::io::Write;
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    socket.connect(&addr.into()).unwrap();
    let mut s: std::net::TcpStream = socket.into();
    s.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    s
}

/// Everything `s` sends until it closes, or `None` if it is still open
/// after `within` (keep-alive comments do not count as an end).
fn read_to_eof(s: &mut std::net::TcpStream, within: Duration) -> Option<Vec<u8>> {
    let deadline = std::time::Instant::now() + within;
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let (mut got, mut buf) = (Vec::new(), [0u8; 65536]);
    while std::time::Instant::now() < deadline {
        match std::io::Read::read(s, &mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return Some(got),
        }
    }
    None
}

#[test]
fn a_client_that_stops_reading_is_dropped_not_buffered() {
    const MAIL: usize = 3000;
    let port = free_port();
    let env = Env::new(&["INBOX"], "");
    env.append_profile(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let mut stuck = stuck_client(port);
    // A client that keeps up, to know when everything has gone through.
    let live = Sse::open(port, "?on=message.received", None);
    std::thread::sleep(Duration::from_millis(300));
    let before = crate::common::rss_kb(watch.child.id());
    // Events of some 4 KiB each: more than the sockets' buffers hold.
    let padding = "x".repeat(4000);
    let mut session = env.dovecot.client();
    for i in 0..MAIL {
        let raw = simple_message(&format!("m{i} {padding}"), "x");
        crate::common::dovecot::append_with(&mut session, "INBOX", &raw);
    }
    for i in 0..MAIL {
        let (_, _, data) = live.next();
        let subject = data["subject"].as_str().unwrap_or_default();
        assert!(
            subject.starts_with(&format!("m{i} ")),
            "the reader that keeps up"
        );
    }
    let after = crate::common::rss_kb(watch.child.id());
    // The stuck client was let go: what it can still read ends (EOF) well
    // short of every event, instead of the server holding the rest.
    let got = read_to_eof(&mut stuck, Duration::from_secs(20))
        .expect("the server ends the stuck client's stream");
    let got = String::from_utf8_lossy(&got);
    let events = got.matches("event: message.received").count();
    assert!(
        events < MAIL / 2,
        "the stuck client was sent {events} events"
    );
    eventually("the drop logged", || {
        watch.stderr().contains("fell") && watch.stderr().contains("behind and was dropped")
    });
    assert!(
        after < before + 20 * 1024,
        "the daemon grew from {before} kB to {after} kB"
    );
    watch.terminate();
}

#[test]
fn a_real_prometheus_scrapes_the_metrics() {
    let port = free_port();
    let mut env = Env::new(&["INBOX"], "");
    env.append_profile(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let prometheus = crate::common::prometheus::Prometheus::scraping(port);
    env.dovecot.append("INBOX", &simple_message("scraped", "x"));
    watch.wait_type("message.received");
    // The target is up and its scrapes are clean.
    eventually("the target scraped", || {
        prometheus.value(r#"up{job="mailreactor"}"#) == Some(1.0)
    });
    let targets = prometheus.api("targets", &[]);
    let target = &targets["data"]["activeTargets"][0];
    assert_eq!(target["health"], "up", "{targets}");
    assert_eq!(target["lastError"], "", "{targets}");
    // The series are there, with the values the daemon has.
    eventually("the event's counter scraped", || {
        prometheus
            .value(r#"mailreactor_events_journaled_total{type="message.received",account="test"}"#)
            == Some(1.0)
    });
    for series in [
        r#"mailreactor_account_connected{account="test"}"#,
        r#"mailreactor_build_info"#,
        r#"mailreactor_notice_to_journal_seconds_count{account="test"}"#,
        r#"histogram_quantile(0.5, rate(mailreactor_journal_to_delivery_seconds_bucket{sink="stdout"}[1m]))"#,
        r#"mailreactor_sink_lag_events{sink="stdout"}"#,
    ] {
        eventually(series, || prometheus.value(series).is_some());
    }
    assert_eq!(
        prometheus.value(r#"mailreactor_account_connected{account="test"}"#),
        Some(1.0)
    );
    // Prometheus read the OpenMetrics text as such: a counter's metadata
    // names it a counter, not an unknown series.
    let meta = prometheus.api("metadata", &[("metric", "mailreactor_events_journaled")]);
    assert_eq!(
        meta["data"]["mailreactor_events_journaled"][0]["type"], "counter",
        "{meta}"
    );
    // The server goes away: not ready, and Prometheus sees the account
    // disconnected; back: ready again, connected again.
    env.dovecot.stop();
    watch.wait_type("account.disconnected");
    assert_eq!(get(port, "/readyz", None).0, 503);
    let connected = r#"mailreactor_account_connected{account="test"}"#;
    eventually("disconnected scraped", || {
        prometheus.value(connected) == Some(0.0)
    });
    env.dovecot.start_again();
    watch.wait_type("account.connected");
    eventually("ready again", || get(port, "/readyz", None).0 == 200);
    eventually("connected scraped", || {
        prometheus.value(connected) == Some(1.0)
    });
    watch.terminate();
}

#[test]
fn the_status_page_shows_the_accounts_and_mail_as_it_arrives() {
    let port = free_port();
    let env = Env::new(&["INBOX", "Lists"], "");
    env.append_profile(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    env.dovecot.client().create("Lists").unwrap();
    let mut watch = env.watch();
    watch.wait_connected(2);
    env.dovecot
        .append("INBOX", &simple_message("before the page", "x"));
    watch.wait_for("before the page", |e| e["subject"] == "before the page");
    let mut page = crate::common::browser::Browser::open(&format!("http://127.0.0.1:{port}/"));
    page.wait_until(
        "status-page-accounts",
        "the account, connected, with its mailboxes",
        r#"(() => { const r = document.querySelector('#accounts tr[data-account="test"]');
            return !!r && r.innerText.includes("connected") && r.innerText.includes("INBOX")
              && r.innerText.includes("Lists"); })()"#,
    );
    page.wait_until(
        "status-page-sinks",
        "the stdout sink",
        r#"!!document.querySelector('#sinks tr[data-sink="stdout"]')"#,
    );
    page.wait_until(
        "status-page-history",
        "the message that came before the page was opened",
        r#"document.querySelector('#events').innerText.includes("before the page")"#,
    );
    // Mail that arrives while the page is open shows up on it, as text:
    // markup in a subject stays text.
    env.dovecot.append(
        "Lists",
        &simple_message("live <b>bold</b> <img src=x onerror=alert(1)>", "x"),
    );
    page.wait_until(
        "status-page-live",
        "the message appended while it was open",
        r#"(() => { const li = document.querySelector('#events li[data-type="message.received"]');
            return !!li && li.innerText.includes("live <b>bold</b>")
              && li.innerText.includes("test/Lists"); })()"#,
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#events b, #events img').length"),
        serde_json::json!(0),
        "mail content became markup"
    );
    assert!(
        page.dialogs.is_empty(),
        "mail ran script: {:?}",
        page.dialogs
    );
    // A browser's own EventSource reads the stream too.
    let first = page.eval(
        r#"new Promise((ok) => { const es = new EventSource("events?since=0&on=message.*");
            es.addEventListener("message.received", (e) => {
              es.close(); ok([e.lastEventId, JSON.parse(e.data).subject]); }); })"#,
    );
    assert_eq!(first[1], "before the page", "{first}");
    assert!(
        first[0]
            .as_str()
            .is_some_and(|id| id.parse::<i64>().is_ok())
    );
    // Once, newest first, and nothing twice.
    let seqs =
        page.eval("[...document.querySelectorAll('#events li')].map(li => Number(li.dataset.seq))");
    let seqs: Vec<i64> = serde_json::from_value(seqs).unwrap();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    // `MR_SCREENSHOT=docs/status-page.png` keeps a picture (the README's).
    if let Some(path) = std::env::var_os("MR_SCREENSHOT") {
        page.screenshot(std::path::Path::new(&path));
    }
    watch.terminate();
}
