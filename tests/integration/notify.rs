//! Desktop notifications on a real, private D-Bus session bus, with a
//! notification server of the test's own that records every Notify call.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::dovecot::simple_message;
use crate::common::{Env, Watch, eventually};

/// A `dbus-daemon --session` of the test's own.
struct Bus {
    child: Child,
    address: String,
}

impl Bus {
    fn start() -> Bus {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian's dbus) is needed for notification tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Bus {
            child,
            address: line.trim().to_string(),
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
struct Shown {
    summary: String,
    body: String,
    urgency: u8,
    icon: String,
}

struct Server {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: &str,
        _replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<&str>,
        hints: HashMap<&str, zbus::Variant<'_>>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints
            .get("urgency")
            .and_then(|v| u8::try_from(v).ok())
            .unwrap_or(255);
        let mut shown = self.shown.lock().unwrap();
        shown.push(Shown {
            summary: summary.into(),
            body: body.into(),
            urgency,
            icon: app_icon.into(),
        });
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "test".into(),
            "mailreactor".into(),
            "1".into(),
            "1.2".into(),
        )
    }
}

/// Serves notifications on `address` until the runtime is dropped.
fn serve(address: &str) -> (tokio::runtime::Runtime, Arc<Mutex<Vec<Shown>>>) {
    let shown = Arc::new(Mutex::new(Vec::new()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = Server {
        shown: shown.clone(),
    };
    let conn = rt.block_on(async {
        zbus::connection::Builder::address(address)
            .name("org.freedesktop.Notifications")
            .serve_at("/org/freedesktop/Notifications", server)
            .build()
            .await
            .expect("serve notifications on the private bus")
    });
    rt.spawn(async move {
        let _keep = conn;
        std::future::pending::<()>().await
    });
    (rt, shown)
}

fn watch_on(env: &Env, bus: &Bus) -> Watch {
    let mut cmd = env.command(&["watch", "--json"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let mut w = Watch::spawn(cmd);
    w.wait_type("account.connected");
    w
}

#[test]
fn a_new_message_shows_a_templated_notification() {
    let env = Env::new(&["INBOX"], "");
    env.append_profile(
        "[notify]\nsummary = \"Mail from {from}\"\nbody = \"{subject} ({account}/{mailbox})\"\n\
         urgency = \"critical\"\nicon = \"mail-message-new\"\nburst-window = \"100ms\"\n",
    );
    let bus = Bus::start();
    let (_rt, shown) = serve(&bus.address);
    let _watch = watch_on(&env, &bus);
    env.dovecot
        .append("INBOX", &simple_message("Lunch?", "at noon"));
    eventually("a notification", || !shown.lock().unwrap().is_empty());
    let n = shown.lock().unwrap()[0].clone();
    assert_eq!(n.summary, "Mail from Ann Example");
    assert_eq!(n.body, "Lunch? (test/INBOX)");
    assert_eq!(n.urgency, 2, "critical");
    assert_eq!(n.icon, "mail-message-new");
}

#[test]
fn a_burst_becomes_one_summary() {
    let env = Env::new(&["INBOX"], "");
    env.append_profile("[notify]\nburst = 3\nburst-window = \"2s\"\n");
    let bus = Bus::start();
    let (_rt, shown) = serve(&bus.address);
    let _watch = watch_on(&env, &bus);
    env.dovecot.append_numbered("INBOX", "b", 0..12);
    eventually("the summary", || {
        shown
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.summary.contains("new messages in test/INBOX"))
    });
    std::thread::sleep(Duration::from_secs(3));
    let shown = shown.lock().unwrap().clone();
    assert!(shown.len() <= 2, "{shown:#?}");
    let counted: usize = shown
        .iter()
        .map(|n| match n.summary.split_once(" new messages") {
            Some((count, _)) => count.parse::<usize>().unwrap(),
            None => 1,
        })
        .sum();
    assert_eq!(counted, 12, "{shown:#?}");
}

/// Notifications are ephemeral: with no notification server, or no session
/// bus at all, the watch says so once and goes on; nothing is retried or
/// dead-lettered, and notifications come back with a server.
#[test]
fn without_a_notification_server_the_watch_goes_on() {
    let env = Env::new(&["INBOX"], "");
    env.append_profile("[notify]\nburst-window = \"50ms\"\nmax-attempts = 2\n");
    let bus = Bus::start(); // a bus, but nobody serves notifications on it
    let mut watch = watch_on(&env, &bus);
    for subject in ["one", "two", "three"] {
        env.dovecot.append("INBOX", &simple_message(subject, "x"));
        watch.wait_for(subject, |v| v["subject"] == subject);
    }
    let later = watch.drain(Duration::from_secs(2));
    assert!(
        !later.iter().any(|v| v["type"] == "sink.dead-lettered"),
        "nothing is dead-lettered: {later:?}"
    );
    let warnings: Vec<String> = watch
        .stderr()
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("notif"))
        .map(str::to_string)
        .collect();
    assert_eq!(warnings.len(), 1, "said once:\n{}", watch.stderr());
    assert!(
        warnings[0].contains("desktop notifications are off: no notification server"),
        "{warnings:?}"
    );
    // A notification server appears: the next message is shown.
    let (_rt, shown) = serve(&bus.address);
    env.dovecot.append("INBOX", &simple_message("four", "x"));
    watch.wait_for("four", |v| v["subject"] == "four");
    eventually("a notification once a server is there", || {
        shown
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.body.contains("four"))
    });
    watch.terminate();
    let out = env.run(&["dead-letters", "list", "--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

#[test]
fn without_a_session_bus_the_watch_says_so_once() {
    let env = Env::new(&["INBOX"], "");
    env.append_profile("[notify]\nburst-window = \"50ms\"\n");
    let mut cmd = env.command(&["watch", "--json"]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let mut watch = Watch::spawn(cmd);
    watch.wait_type("account.connected");
    for subject in ["one", "two"] {
        env.dovecot.append("INBOX", &simple_message(subject, "x"));
        watch.wait_for(subject, |v| v["subject"] == subject);
    }
    let later = watch.drain(Duration::from_secs(1));
    assert!(
        !later.iter().any(|v| v["type"] == "sink.dead-lettered"),
        "{later:?}"
    );
    let stderr = watch.stderr();
    let said = stderr
        .matches("desktop notifications are off: there is no session bus")
        .count();
    assert_eq!(said, 1, "{stderr}");
    assert!(!stderr.contains("ERROR"), "{stderr}");
}

/// Notification servers render bodies as markup: what came from mail is
/// escaped there, so a subject cannot become a link or fake content.
#[test]
fn mail_never_becomes_markup_in_a_notification() {
    let env = Env::new(&["INBOX"], "");
    env.append_profile("[notify]\nbody = \"{subject}\"\nburst-window = \"100ms\"\n");
    let bus = Bus::start();
    let (_rt, shown) = serve(&bus.address);
    let _watch = watch_on(&env, &bus);
    let subject = "<a href=\"https://evil.example/\">Your invoice</a> & <b>urgent</b>";
    env.dovecot.append("INBOX", &simple_message(subject, "x"));
    eventually("a notification", || !shown.lock().unwrap().is_empty());
    let body = shown.lock().unwrap()[0].body.clone();
    assert_eq!(
        body,
        "&lt;a href=&quot;https://evil.example/&quot;&gt;Your invoice&lt;/a&gt; &amp; &lt;b&gt;urgent&lt;/b&gt;"
    );
}
