//! The Redis stream sink against a real `redis-server` on loopback: a burst
//! in order, a Redis restarted mid-burst (nothing lost, nothing twice), a
//! password from a command (and a wrong one), keys per account, trimming.

use std::time::{Duration, Instant};

use crate::common::dovecot::simple_message;
use crate::common::redis::Redis;
use crate::common::{Env, eventually};

fn sink(env: &Env, redis: &Redis, extra: &str) {
    env.append_profile(&format!(
        "[[redis]]\nname = \"bus\"\nurl = \"redis://127.0.0.1:{}/0\"\n{extra}\n",
        redis.port
    ));
}

/// Waits until `key` holds `n` entries (at most `patience`).
fn wait_len(redis: &Redis, auth: Option<&str>, key: &str, n: usize, patience: Duration) {
    let deadline = Instant::now() + patience;
    loop {
        let len: usize = redis.cli(auth, &["XLEN", key]).trim().parse().unwrap_or(0);
        if len >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{len} of {n} entries in {key}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn subjects(redis: &Redis, auth: Option<&str>, key: &str) -> Vec<String> {
    redis
        .field(auth, key, "event")
        .iter()
        .map(|e| serde_json::from_str::<serde_json::Value>(e).unwrap())
        .map(|e| e["subject"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_burst_lands_in_order_one_entry_each() {
    let redis = Redis::start(&[]);
    let env = Env::new(&["INBOX"], "");
    sink(&env, &redis, "");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append_numbered("INBOX", "b", 0..1000);
    wait_len(
        &redis,
        None,
        "mailreactor:events",
        1000,
        Duration::from_secs(60),
    );
    let expected: Vec<String> = (0..1000).map(|i| format!("b{i}")).collect();
    assert_eq!(subjects(&redis, None, "mailreactor:events"), expected);
    let ids = redis.field(None, "mailreactor:events", "id");
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 1000);
    assert_eq!(
        redis.field(None, "mailreactor:events", "type")[0],
        "message.received"
    );
    assert_eq!(
        redis.field(None, "mailreactor:events", "account")[0],
        "test"
    );
    assert_eq!(
        redis.field(None, "mailreactor:events", "mailbox")[0],
        "INBOX"
    );
    watch.terminate();
    // emit-test writes one sample entry and says which.
    let out = env.run(&["emit-test", "--sink", "bus"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("bus: ok: entry ") && stderr.contains("in mailreactor:events"),
        "{stderr}"
    );
}

#[test]
fn redis_restarted_in_a_burst_loses_nothing_and_repeats_nothing() {
    let mut redis = Redis::start(&[]);
    let env = Env::new(&["INBOX"], "");
    sink(
        &env,
        &redis,
        "retry-backoff = \"200ms\"\nmax-attempts = 100",
    );
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append_numbered("INBOX", "r", 0..150);
    wait_len(
        &redis,
        None,
        "mailreactor:events",
        50,
        Duration::from_secs(30),
    );
    redis.stop();
    env.dovecot.append_numbered("INBOX", "r", 150..300);
    std::thread::sleep(Duration::from_secs(10));
    redis.start_again();
    wait_len(
        &redis,
        None,
        "mailreactor:events",
        300,
        Duration::from_secs(60),
    );
    std::thread::sleep(Duration::from_secs(1));
    let expected: Vec<String> = (0..300).map(|i| format!("r{i}")).collect();
    assert_eq!(
        subjects(&redis, None, "mailreactor:events"),
        expected,
        "every one, once, in order"
    );
    // And a restart of mailreactor repeats nothing Redis has.
    watch.terminate();
    let mut again = env.watch();
    again.wait_type("account.connected");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        redis.cli(None, &["XLEN", "mailreactor:events"]).trim(),
        "300"
    );
    again.terminate();
}

#[test]
fn a_password_from_a_command_and_a_wrong_one() {
    let redis = Redis::start(&["--requirepass", "s3cret-Pw"]);
    let env = Env::new(&["INBOX"], "");
    sink(
        &env,
        &redis,
        "password-command = [\"printf\", \"s3cret-Pw\"]\nstream = \"mr:{account}:{mailbox}\"",
    );
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot
        .append("INBOX", &simple_message("with a password", "x"));
    wait_len(
        &redis,
        Some("s3cret-Pw"),
        "mr:test:INBOX",
        1,
        Duration::from_secs(20),
    );
    watch.terminate();

    // A wrong password: said clearly, retried, never shown.
    let env = Env::new(&["INBOX"], "");
    sink(
        &env,
        &redis,
        "password-command = [\"printf\", \"Wr0ng-Pw-123\"]\nretry-backoff = \"100ms\"",
    );
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("refused", "x"));
    eventually("the refusal, retried", || {
        watch.stderr().contains("the server refused the password")
    });
    let stderr = watch.stderr();
    watch.terminate();
    assert!(
        !stderr.contains("Wr0ng-Pw-123") && !stderr.contains("s3cret-Pw"),
        "{stderr}"
    );
}

#[test]
fn maxlen_trims_the_stream() {
    let redis = Redis::start(&["--stream-node-max-entries", "10"]);
    let env = Env::new(&["INBOX"], "");
    sink(&env, &redis, "maxlen = 20");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append_numbered("INBOX", "t", 0..200);
    watch.wait_for("the last one", |e| e["subject"] == "t199");
    eventually("the last one in Redis", || {
        subjects(&redis, None, "mailreactor:events")
            .last()
            .is_some_and(|s| s == "t199")
    });
    let len: usize = redis
        .cli(None, &["XLEN", "mailreactor:events"])
        .trim()
        .parse()
        .unwrap();
    assert!((20..60).contains(&len), "trimmed to about 20, not {len}");
    watch.terminate();
}
