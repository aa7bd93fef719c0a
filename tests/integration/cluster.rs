//! Several instances sharing one profile's accounts through PostgreSQL:
//! each account watched by one instance, a fair share each, and a killed
//! instance's accounts taken over within seconds, nothing lost or doubled.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::dovecot::simple_message;
use crate::common::{Env, PASSWORD, USER, Watch, eventually, mailreactor};

/// The profile: accounts `a1`..`aN` on the test server, `aK` watching the
/// mailbox `MK`, and the shared store.
fn shared_profile(env: &Env, n: usize, url: &str) {
    let mut text = String::new();
    let mut client = env.dovecot.client();
    for k in 1..=n {
        text += &format!(
            "[[account]]\nname = \"a{k}\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{USER}\"\npassword = \"{PASSWORD}\"\nmailboxes = [\"M{k}\"]\n\n",
            env.dovecot.port
        );
        client.create(format!("M{k}")).unwrap();
    }
    text += &format!("[store]\nurl = \"{url}\"\n");
    std::fs::write(&env.profile, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&env.profile, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// An instance named `name`, with a state directory of its own (as on a
/// machine of its own).
fn instance(env: &Env, name: &str) -> Watch {
    let state = env.path(&format!("state-{name}"));
    Watch::spawn(mailreactor(
        &env.profile,
        &state,
        &["watch", "--json", "--instance", name],
    ))
}

/// `cluster --json`: instance name → accounts held.
fn cluster(env: &Env) -> HashMap<String, Vec<String>> {
    let out = env.run(&["cluster", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["instances"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|i| {
                    let accounts = i["accounts"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| Some(x.as_str()?.to_string()))
                                .collect()
                        })
                        .unwrap_or_default();
                    (i["name"].as_str().unwrap_or_default().to_string(), accounts)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every subject of `message.received` in the journal, with its count.
fn journaled(env: &Env) -> HashMap<String, usize> {
    let out = env.run(&["replay", "--json", "--type", "message.received"]);
    let mut seen = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *seen
            .entry(v["subject"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    seen
}

#[test]
fn three_instances_share_six_accounts_and_take_over_from_a_killed_one() {
    let env = Env::new(&["INBOX"], "");
    let url = crate::common::postgres::database();
    shared_profile(&env, 6, &url);
    let mut all: Vec<(String, Watch)> = ["one", "two", "three"]
        .into_iter()
        .map(|n| (n.to_string(), instance(&env, n)))
        .collect();
    eventually("two accounts each", || {
        let c = cluster(&env);
        c.len() == 3 && c.values().all(|a| a.len() == 2)
    });
    let held = cluster(&env);
    let mut every: Vec<String> = held.values().flatten().cloned().collect();
    every.sort();
    assert_eq!(every, ["a1", "a2", "a3", "a4", "a5", "a6"], "{held:?}");
    // Mail in every mailbox: each announced once, by its account's holder.
    std::thread::sleep(Duration::from_millis(500));
    let mut session = env.dovecot.client();
    for k in 1..=6 {
        crate::common::dovecot::append_with(
            &mut session,
            &format!("M{k}"),
            &simple_message(&format!("first {k}"), "x"),
        );
    }
    for (name, watch) in &mut all {
        for account in &held[name.as_str()] {
            let k = &account[1..];
            let subject = format!("first {k}");
            // (It may have come while waiting for another.)
            if !watch.seen.iter().any(|e| e["subject"] == subject.as_str()) {
                watch.wait_for(&subject, |e| e["subject"] == subject.as_str());
            }
        }
    }
    // kill -9 one instance in a burst of mail to every mailbox: its
    // accounts move to the others.
    let mut burst_session = env.dovecot.client();
    let burst = std::thread::spawn(move || {
        for i in 0..10 {
            for k in 1..=6 {
                let raw = simple_message(&format!("burst {k}.{i}"), "x");
                crate::common::dovecot::append_with(&mut burst_session, &format!("M{k}"), &raw);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    std::thread::sleep(Duration::from_millis(400));
    let (victim, mut watch) = all.remove(1);
    let moved = held[victim.as_str()].clone();
    let killed = Instant::now();
    watch.child.kill().unwrap();
    let _ = watch.child.wait();
    burst.join().unwrap();
    // What it printed before it died.
    watch.drain(Duration::from_millis(300));
    for account in &moved {
        let k = &account[1..];
        crate::common::dovecot::append_with(
            &mut session,
            &format!("M{k}"),
            &simple_message(&format!("after the kill {k}"), "x"),
        );
    }
    let mut waiting: Vec<String> = moved
        .iter()
        .map(|a| format!("after the kill {}", &a[1..]))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut taken_after = Duration::ZERO;
    while !waiting.is_empty() {
        assert!(Instant::now() < deadline, "never announced: {waiting:?}");
        for (_, w) in all.iter_mut() {
            if let Some(e) = w.next_within(Duration::from_millis(50)) {
                let before = waiting.len();
                waiting.retain(|s| e["subject"] != s.as_str());
                if waiting.len() < before {
                    taken_after = killed.elapsed();
                }
            }
        }
    }
    assert!(
        taken_after < Duration::from_secs(10),
        "the killed instance's accounts moved after {taken_after:?}"
    );
    eventually("three accounts each", || {
        let c = cluster(&env);
        c.len() == 2 && c.values().all(|a| a.len() == 3)
    });
    // Every message once in the journal.
    let counts = journaled(&env);
    for k in 1..=6 {
        assert_eq!(counts.get(&format!("first {k}")), Some(&1), "{counts:?}");
    }
    for account in &moved {
        let k = &account[1..];
        assert_eq!(
            counts.get(&format!("after the kill {k}")),
            Some(&1),
            "{counts:?}"
        );
    }
    // The burst: every message journaled once, and printed by an instance
    // (the killed one before it died, or the new holder) at least once.
    let burst: Vec<String> = (1..=6)
        .flat_map(|k| (0..10).map(move |i| format!("burst {k}.{i}")))
        .collect();
    eventually("the burst journaled once", || {
        let counts = journaled(&env);
        burst.iter().all(|s| counts.get(s) == Some(&1))
    });
    for (_, w) in all.iter_mut() {
        w.drain(Duration::from_secs(1));
    }
    let printed: Vec<&serde_json::Value> = all
        .iter()
        .flat_map(|(_, w)| &w.seen)
        .chain(&watch.seen)
        .collect();
    for subject in &burst {
        assert!(
            printed.iter().any(|e| e["subject"] == subject.as_str()),
            "{subject} was never delivered to a sink"
        );
    }
    for (_, w) in all {
        w.terminate();
    }
}

#[test]
fn a_paused_instance_steps_down_and_writes_nothing_for_what_it_lost() {
    let env = Env::new(&["INBOX"], "");
    let url = crate::common::postgres::database();
    shared_profile(&env, 2, &url);
    let mut one = instance(&env, "one");
    eventually("one holds both", || {
        cluster(&env).get("one").is_some_and(|a| a.len() == 2)
    });
    let mut two = instance(&env, "two");
    eventually("one account each", || {
        let c = cluster(&env);
        c.len() == 2 && c.values().all(|a| a.len() == 1)
    });
    let paused = cluster(&env)["one"][0].clone();
    let k = paused[1..].to_string();
    one.wait_for("connected", |e| {
        e["type"] == "account.connected" && e["account"] == paused.as_str()
    });
    // Paused past its leases' life: the other takes over, with a new epoch.
    crate::common::signal(&one.child, "STOP");
    eventually("two holds both", || {
        cluster(&env).get("two").is_some_and(|a| a.len() == 2)
    });
    let subject = format!("while paused {k}");
    env.dovecot
        .append(&format!("M{k}"), &simple_message(&subject, "x"));
    two.wait_for(&subject, |e| e["subject"] == subject.as_str());
    // Back: it learns it lost the account, stops it, and writes nothing.
    crate::common::signal(&one.child, "CONT");
    eventually("the step-down said", || {
        one.stderr().contains("another instance took this account")
    });
    // ... and on its stream, and in the journal.
    let notice = one.wait_for("the lease-lost notice", |e| {
        e["type"] == "account.disconnected" && e["account"] == paused.as_str()
    });
    assert!(
        notice["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("lease lost: another instance took this account")),
        "{notice}"
    );
    let more = format!("after the pause {k}");
    env.dovecot
        .append(&format!("M{k}"), &simple_message(&more, "x"));
    two.wait_for(&more, |e| e["subject"] == more.as_str());
    one.drain(Duration::from_secs(2));
    let reported: Vec<&serde_json::Value> = one
        .seen
        .iter()
        .filter(|e| e["subject"] == subject.as_str() || e["subject"] == more.as_str())
        .collect();
    assert!(
        reported.is_empty(),
        "the paused instance delivered mail of an account it lost: {reported:?}"
    );
    let counts = journaled(&env);
    assert_eq!(counts.get(&subject), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&more), Some(&1), "{counts:?}");
    // It takes its share again on its next rounds.
    eventually("one account each again", || {
        let c = cluster(&env);
        c.len() == 2 && c.values().all(|a| a.len() == 1)
    });
    one.terminate();
    two.terminate();
}

#[test]
fn a_reload_with_shared_accounts_restarts_sinks_and_lets_go_of_removed_accounts() {
    let env = Env::new(&["INBOX"], "");
    let url = crate::common::postgres::database();
    shared_profile(&env, 2, &url);
    let mut watch = instance(&env, "one");
    watch.wait_connected(2);
    // A hook added, and account a2 removed, then SIGHUP.
    let log = env.path("hook.log");
    let text = std::fs::read_to_string(&env.profile).unwrap();
    let (a1, rest) = text.split_once("[[account]]\nname = \"a2\"").unwrap();
    let store = &rest[rest.find("[store]").unwrap()..];
    std::fs::write(
        &env.profile,
        format!(
            "{a1}{store}\n[[hook]]\nname = \"log\"\non = [\"message.received\"]\n\
             command = [\"sh\", \"-c\", \"echo $MR_SUBJECT >> {}\"]\n",
            log.display()
        ),
    )
    .unwrap();
    crate::common::signal(&watch.child, "HUP");
    eventually("a2 let go", || {
        cluster(&env).get("one").is_some_and(|a| a == &["a1"])
    });
    // The table for people: the instance, what it holds, the sinks.
    let out = env.run(&["cluster"]);
    crate::common::assert_success(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with("one "))
        .unwrap_or_default();
    assert!(row.contains("s ago") && row.ends_with("a1"), "{table}");
    assert!(table.contains("stdout"), "{table}");
    env.dovecot
        .append("M1", &simple_message("after the reload", "x"));
    watch.wait_for("the mail", |e| e["subject"] == "after the reload");
    eventually("the new hook ran", || {
        crate::common::read(&log).contains("after the reload")
    });
    let (code, _, stderr) = watch.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("restarted sinks"), "{stderr}");
}
