//! Webhooks against a real HTTP receiver on loopback (plain and TLS):
//! signed the Standard Webhooks way (checked by an independent verifier),
//! retried with the same id, waited out when the endpoint is down, never
//! in the way of other sinks, disabled by 410, Retry-After honoured, and
//! no secret anywhere.

use std::time::{Duration, Instant};

use crate::common::dovecot::simple_message;
use crate::common::http::{Receiver, Reply};
use crate::common::{Env, eventually, read};

/// A secret of the Standard Webhooks kind.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn webhook(env: &Env, receiver: &Receiver, extra: &str) {
    env.append_profile(&format!(
        "[[webhook]]\nname = \"n8n\"\nurl = \"{}\"\n{extra}\n",
        receiver.url("/mail")
    ));
}

/// Whether the Standard Webhooks reference library (Python, installed by
/// `cargo xtask test` into target/webhook-verifier) accepts the request.
fn reference_library_accepts(secret: &str, r: &crate::common::http::Request) -> bool {
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/webhook-verifier/bin/python");
    assert!(
        python.exists(),
        "the Standard Webhooks reference library is needed: run `cargo xtask setup` (it makes {})",
        python.display()
    );
    let script = "import json, sys\n\
        from standardwebhooks import Webhook\n\
        secret, headers = sys.argv[1], json.loads(sys.argv[2])\n\
        Webhook(secret).verify(sys.stdin.read(), headers)\n\
        print('verified')";
    let headers = serde_json::json!({
        "webhook-id": r.headers["webhook-id"],
        "webhook-timestamp": r.headers["webhook-timestamp"],
        "webhook-signature": r.headers["webhook-signature"],
    });
    let mut child = std::process::Command::new(python)
        .args(["-c", script, secret, &headers.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(r.body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    if !said.contains("verified") {
        eprintln!(
            "the reference library refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success() && said.contains("verified")
}

/// What an independent implementation (Python's hmac) says the signature
/// of `id.timestamp.body` under `secret` is.
fn python_signature(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    let script = "import base64, hmac, hashlib, sys\n\
        secret, msg_id, ts = sys.argv[1:4]\n\
        body = sys.stdin.read()\n\
        key = base64.b64decode(secret.split('_', 1)[1])\n\
        mac = hmac.new(key, f'{msg_id}.{ts}.{body}'.encode(), hashlib.sha256).digest()\n\
        print('v1,' + base64.b64encode(mac).decode())";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, secret, id, timestamp])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed to verify signatures independently");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Fails unless `r` carries the signature Python's hmac computes under
/// [`SECRET`].
#[track_caller]
fn assert_signed_with_secret(r: &crate::common::http::Request) {
    let expected = python_signature(
        SECRET,
        &r.headers["webhook-id"],
        &r.headers["webhook-timestamp"],
        &r.body,
    );
    assert_eq!(r.headers["webhook-signature"], expected);
}

#[test]
fn every_message_arrives_as_a_signed_post() {
    let receiver = Receiver::start();
    let env = Env::new(&["INBOX"], "");
    webhook(
        &env,
        &receiver,
        &format!("secret = \"{SECRET}\"\nheaders = {{ X-Team = \"ops\" }}"),
    );
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot
        .append("INBOX", &simple_message("to the webhook", "x"));
    let event = watch.wait_type("message.received");
    eventually("the POST", || !receiver.accepted().is_empty());
    let r = receiver.accepted()[0].clone();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/mail"));
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(
        r.headers["user-agent"].starts_with("mailreactor/"),
        "{:?}",
        r.headers
    );
    assert_eq!(r.headers["x-team"], "ops");
    // The body is the event exactly as the journal and stdout have it.
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body, event);
    assert_eq!(r.headers["webhook-id"], event["id"].as_str().unwrap());
    let ts: u64 = r.headers["webhook-timestamp"].parse().unwrap();
    let now = std::time::UNIX_EPOCH.elapsed().unwrap().as_secs();
    assert!(ts <= now && now - ts < 60, "{ts} vs {now}");
    assert_signed_with_secret(&r);
    assert!(reference_library_accepts(SECRET, &r));
    // A body changed on the way is refused (the verifier can fail).
    let mut forged = r.clone();
    forged.body = forged.body.replace("to the webhook", "to the attacker");
    assert!(!reference_library_accepts(SECRET, &forged));
    // emit-test: one sample to the endpoint, with its status and time.
    let out = env.run(&["emit-test", "--sink", "n8n"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("n8n: ok: 200 Planned in "), "{stderr}");
}

#[test]
fn a_failing_endpoint_gets_the_event_again_with_the_same_id() {
    let receiver = Receiver::start();
    receiver.plan([Reply::status(500), Reply::status(502)]);
    let env = Env::new(&["INBOX"], "");
    webhook(&env, &receiver, "retry-backoff = \"100ms\"");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot
        .append("INBOX", &simple_message("third time lucky", "x"));
    eventually("delivered at the third attempt", || {
        receiver.accepted_count() == 1
    });
    let all = receiver.requests();
    assert_eq!(all.len(), 3, "{all:#?}");
    assert!(
        all.iter()
            .all(|r| r.headers["webhook-id"] == all[0].headers["webhook-id"])
    );
    assert_eq!(
        all.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 502, 200]
    );
    // Connections are kept alive and reused.
    assert_eq!(all.iter().map(|r| r.connection).max(), Some(0), "{all:#?}");
    let (code, _, _) = watch.terminate();
    assert_eq!(code, Some(0));
}

/// Down for 30 s (503 with Retry-After) during a burst of 200: every event
/// arrives, each once, in order.
#[test]
fn an_endpoint_down_during_a_burst_gets_everything_in_order() {
    let receiver = Receiver::start();
    receiver.answer_with(Reply::status(503).header("Retry-After", "1"));
    let env = Env::new(&["INBOX"], "");
    webhook(&env, &receiver, "max-attempts = 100");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append_numbered("INBOX", "b", 0..200);
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(receiver.accepted().is_empty());
    receiver.answer_with(Reply::status(204));
    let patience = Instant::now() + Duration::from_secs(60);
    while receiver.accepted_count() < 200 {
        assert!(
            Instant::now() < patience,
            "{} of 200 delivered",
            receiver.accepted_count()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let subjects: Vec<String> = receiver
        .accepted()
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap())
        .filter(|e| e["type"] == "message.received")
        .map(|e| e["subject"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..200).map(|i| format!("b{i}")).collect();
    assert_eq!(subjects, expected, "every one, once, in order");
    watch.terminate();
}

#[test]
fn a_hanging_endpoint_delays_no_other_sink() {
    let receiver = Receiver::start();
    receiver.answer_with(Reply::hang());
    let env = Env::new(&["INBOX"], "");
    let hook_out = env.path("hook.out");
    webhook(&env, &receiver, "timeout = \"30s\"");
    env.append_profile(&format!(
        "[[hook]]\nname = \"log\"\ncommand = [\"sh\", \"-c\", \"cat >> '{}'\"]\n",
        hook_out.display()
    ));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("stuck", "x"));
    eventually("the webhook hangs", || !receiver.requests().is_empty());
    for i in 0..3 {
        let started = Instant::now();
        env.dovecot
            .append("INBOX", &simple_message(&format!("h{i}"), "x"));
        watch.wait_for("stdout on time", |e| e["subject"] == format!("h{i}"));
        eventually("the hook on time", || {
            read(&hook_out).contains(&format!("\"h{i}\""))
        });
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // The hanging request does not hold the exit up.
    let (code, took, _) = watch.terminate();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn gone_disables_the_endpoint_until_the_next_start() {
    let receiver = Receiver::start();
    receiver.answer_with(Reply::status(410));
    let env = Env::new(&["INBOX"], "");
    webhook(&env, &receiver, "on = [\"message.*\"]");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("g1", "x"));
    let dl = watch.wait_type("sink.dead-lettered");
    assert_eq!(dl["sink"], "n8n");
    env.dovecot.append("INBOX", &simple_message("g2", "x"));
    watch.wait_for("g2", |e| e["subject"] == "g2");
    watch.wait_type("sink.dead-lettered");
    assert_eq!(
        receiver.requests().len(),
        1,
        "nothing more is sent after 410"
    );
    let stderr = watch.stderr();
    let warnings = stderr
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("nothing more is sent"))
        .count();
    assert_eq!(warnings, 1, "said once: {stderr}");
    watch.terminate();
    let out = env.run(&["dead-letters", "list", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
}

#[test]
fn retry_after_is_honoured() {
    let receiver = Receiver::start();
    receiver.plan([Reply::status(429).header("Retry-After", "2")]);
    let env = Env::new(&["INBOX"], "");
    webhook(&env, &receiver, "retry-backoff = \"10ms\"");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("later", "x"));
    eventually("delivered", || receiver.accepted_count() == 1);
    let all = receiver.requests();
    let waited = all[1].at - all[0].at;
    assert!(
        waited >= Duration::from_millis(1900),
        "retried after {waited:?}"
    );
    watch.terminate();
}

#[test]
fn https_with_a_ca_file_and_no_secret_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = crate::common::self_signed(dir.path(), "endpoint");
    let receiver = Receiver::start_tls(&cert, &key);
    let env = Env::new(&["INBOX"], "");
    let dump = env.path("hook-env");
    webhook(
        &env,
        &receiver,
        &format!(
            "secret-env = \"MR_WH_SECRET\"\nca-file = \"{}\"",
            cert.display()
        ),
    );
    env.append_profile(&format!(
        "[[hook]]\nname = \"dump\"\ncommand = [\"sh\", \"-c\", \"env > '{}'\"]\n",
        dump.display()
    ));
    let mut cmd = env.command(&["watch", "--json", "-v"]);
    cmd.env("MR_WH_SECRET", SECRET);
    let mut watch = crate::common::Watch::spawn(cmd);
    watch.wait_type("account.connected");
    env.dovecot
        .append("INBOX", &simple_message("over https", "x"));
    eventually("delivered over TLS", || receiver.accepted_count() == 1);
    let r = receiver.accepted()[0].clone();
    assert_signed_with_secret(&r);
    eventually("the hook ran", || read(&dump).contains("MR_EVENT_ID"));
    let events: String = watch.seen.iter().map(|e| e.to_string()).collect();
    let (_, _, stderr) = watch.terminate();
    let secret_part = &SECRET[6..];
    for (what, text) in [
        ("stderr", &stderr),
        ("events", &events),
        ("hook env", &read(&dump)),
    ] {
        assert!(!text.contains(secret_part), "the secret is in the {what}");
    }
    assert!(!read(&dump).contains("MR_WH_SECRET"));
    // Without the ca-file the self-signed certificate is refused.
    let env2 = Env::new(&["INBOX"], "");
    webhook(&env2, &receiver, "");
    let out = env2.run(&["emit-test", "--sink", "n8n"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("certificate") || stderr.contains("cannot reach"),
        "{stderr}"
    );
}
