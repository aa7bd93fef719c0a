//! The journal as users reach it: replay with filters, dead letters retried
//! and dropped, per-sink lag, retention.

use crate::common::dovecot::simple_message;
use crate::common::{Env, read, received};

fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    crate::common::assert_success(out);
    crate::common::events(&out.stdout)
}

#[test]
fn replay_filters_and_targets() {
    let env = Env::new(&["INBOX"], "");
    let hook_out = env.path("hook.out");
    env.append_profile(&format!(
        "[[hook]]\nname = \"log\"\nshell = 'echo \"$MR_SUBJECT\" >> {}'\n",
        hook_out.display()
    ));
    env.once();
    for s in ["a", "b", "c"] {
        env.dovecot.append("INBOX", &simple_message(s, "x"));
    }
    let first = env.once();
    assert_eq!(received(&first).len(), 3);
    assert_eq!(read(&hook_out), "a\nb\nc\n");

    let replayed = json_lines(&env.run(&["replay", "--type", "message.*"]));
    assert_eq!(replayed, first, "the same events, the same ids");
    assert_eq!(json_lines(&env.run(&["replay", "--since", "1h"])).len(), 3);
    assert_eq!(
        json_lines(&env.run(&["replay", "--since", "2000-01-01"])).len(),
        3
    );
    assert!(json_lines(&env.run(&["replay", "--until", "2000-01-01"])).is_empty());
    assert!(json_lines(&env.run(&["replay", "--mailbox", "Nope"])).is_empty());
    assert!(json_lines(&env.run(&["replay", "--type", "account.*"])).is_empty());

    let out = env.run(&["replay", "--sink", "log", "--since", "1h"]);
    crate::common::assert_success(&out);
    assert!(out.stdout.is_empty());
    assert_eq!(read(&hook_out), "a\nb\nc\na\nb\nc\n");

    let out = env.run(&["replay", "--since", "yesterday-ish"]);
    // A usage error, as the README's exit-code table says.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a time"));
    let out = env.run(&["replay", "--sink", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("this profile has: log, stdout"));
}

#[test]
fn dead_letters_are_listed_retried_and_dropped() {
    let env = Env::new(&["INBOX"], "");
    let flag = env.path("fixed");
    let out_file = env.path("delivered");
    env.append_profile(&format!(
        "[[hook]]\nname = \"flaky\"\nshell = 'test -f {} || exit 7; echo \"$MR_SUBJECT\" >> {}'\n\
         max-attempts = 1\n",
        flag.display(),
        out_file.display()
    ));
    env.once();
    env.dovecot.append("INBOX", &simple_message("one", "x"));
    env.dovecot.append("INBOX", &simple_message("two", "x"));
    let dead = |events: &[serde_json::Value]| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["type"] == "sink.dead-lettered")
            .map(|e| e["event_type"].as_str().unwrap().to_string())
            .collect()
    };
    // Told in the run that gave up on them, however quick the hook.
    assert_eq!(dead(&env.once()), ["message.received", "message.received"]);
    assert_eq!(dead(&env.once()), [] as [&str; 0], "told once");

    let list: serde_json::Value =
        serde_json::from_slice(&env.run(&["dead-letters", "list", "--json"]).stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list:#}");
    let state: serde_json::Value =
        serde_json::from_slice(&env.run(&["state", "show", "--json"]).stdout).unwrap();
    let flaky = state["sinks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sink"] == "flaky")
        .unwrap();
    assert_eq!(flaky["dead_letters"], 2);

    // Still broken: retry fails, and says so.
    let out = env.run(&["dead-letters", "retry", "--all"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("failed again"));
    // Fixed: retry one by id, drop the other.
    std::fs::write(&flag, "").unwrap();
    let first = list[0]["id"].as_i64().unwrap().to_string();
    let out = env.run(&["dead-letters", "retry", &first]);
    crate::common::assert_success(&out);
    assert_eq!(read(&out_file), "one\n");
    let out = env.run(&["dead-letters", "drop", "--all"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("dropped 1"));
    let list: serde_json::Value =
        serde_json::from_slice(&env.run(&["dead-letters", "list", "--json"]).stdout).unwrap();
    assert!(list.as_array().unwrap().is_empty());
}

#[test]
fn retention_prunes_only_what_every_sink_has_delivered() {
    let env = Env::new(&["INBOX"], "");
    env.append_profile("[journal]\nmax-events = 2\n");
    env.once();
    for i in 0..5 {
        env.dovecot
            .append("INBOX", &simple_message(&format!("m{i}"), "x"));
    }
    assert_eq!(received(&env.once()).len(), 5);
    env.once(); // prunes at start
    let kept: Vec<String> = json_lines(&env.run(&["replay"]))
        .iter()
        .map(|e| e["subject"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kept, ["m3", "m4"]);
}

/// Another process reading the state while `watch` runs (`state show`, a
/// monitoring script) must never cut the watch off from its own database.
/// SQLite's locks are POSIX locks, dropped when any descriptor of the file
/// is closed in the process; an extra open-and-close of the database file
/// once let a reader think it was the last user, checkpoint and delete the
/// WAL under the running watch, whose later writes then went nowhere.
#[test]
fn readers_in_other_processes_never_hide_what_the_watch_records() {
    let env = Env::new(&["INBOX"], "");
    // Two sinks: the dispatcher opens the database once per sink.
    env.append_profile("[[hook]]\nname = \"t\"\ncommand = [\"true\"]\n");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    let show = || -> serde_json::Value {
        let out = env.run(&["state", "show", "--json"]);
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for round in 1..=3u64 {
        assert_eq!(
            show()["mailboxes"][0]["last_uid"],
            round - 1,
            "round {round}: a reader sees what the watch recorded"
        );
        let uid = env
            .dovecot
            .append("INBOX", &simple_message(&format!("r{round}"), "x"));
        watch.wait_for("the new message", |e| {
            e["type"] == "message.received" && e["uid"] == uid
        });
    }
    assert_eq!(show()["mailboxes"][0]["last_uid"], 3);
    assert!(
        env.state.join("test.sqlite-wal").exists(),
        "the running watch's WAL was deleted by a reader"
    );
}
