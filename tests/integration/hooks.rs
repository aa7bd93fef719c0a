//! Shell-command hooks, run for real: what they receive, that mail content
//! stays data, timeouts, retries, dead letters, debounce, isolation.

use std::time::{Duration, Instant};

use crate::common::dovecot::simple_message;
use crate::common::{Env, eventually, read};

/// A hook that records its stdin and MR_* environment, one file per run.
fn recorder(env: &Env, extra: &str) {
    let out = env.path("runs");
    std::fs::create_dir_all(&out).unwrap();
    let script = env.path("record.sh");
    std::fs::write(
        &script,
        format!(
            // The .env file appears last, whole (mv), so a reader sees finished runs only.
            "#!/bin/sh\nn=$(date +%s%N)\ncat > {o}/$n.stdin\n\
             env | grep '^MR_' | sort > {o}/$n.tmp && mv {o}/$n.tmp {o}/$n.env\n",
            o = out.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    env.append_profile(&format!(
        "[[hook]]\nname = \"record\"\ncommand = [\"{}\"]\n{extra}\n",
        script.display()
    ));
}

fn runs(env: &Env) -> Vec<(String, String)> {
    let mut names: Vec<_> = std::fs::read_dir(env.path("runs"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "env"));
    names.sort();
    names
        .into_iter()
        .map(|p| (read(&p.with_extension("stdin")), read(&p)))
        .collect()
}

#[test]
fn a_hook_gets_the_event_on_stdin_and_hostile_subjects_stay_data() {
    let env = Env::new(&["INBOX"], "");
    recorder(&env, "");
    let canary = env.path("canary");
    std::fs::write(&canary, "alive").unwrap();
    let pwned = env.path("pwned");
    let hostile = [
        format!("$(touch {})", pwned.display()),
        format!("`touch {}`", pwned.display()),
        format!("; rm -f {}", canary.display()),
        "'\"&|<> $HOME ${IFS}".to_string(),
    ];
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    for s in &hostile {
        env.dovecot.append("INBOX", &simple_message(s, "body"));
    }
    let deadline = Instant::now() + crate::common::PATIENCE;
    while runs(&env).len() < 4 {
        assert!(
            Instant::now() < deadline,
            "{} hook runs: {:#?}\n{}",
            runs(&env).len(),
            runs(&env),
            watch.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let runs = runs(&env);
    for (i, (stdin, vars)) in runs.iter().enumerate() {
        let event: serde_json::Value = serde_json::from_str(stdin.trim()).unwrap();
        assert_eq!(event["subject"], hostile[i], "run {i}");
        assert!(
            vars.contains(&format!("MR_SUBJECT={}\n", hostile[i])),
            "{vars}"
        );
        assert!(vars.contains("MR_TYPE=message.received\n"), "{vars}");
        assert!(
            vars.contains("MR_ACCOUNT=test\n") && vars.contains("MR_MAILBOX=INBOX\n"),
            "{vars}"
        );
        assert!(
            vars.contains(&format!("MR_EVENT_ID={}\n", event["id"].as_str().unwrap())),
            "{vars}"
        );
        assert!(
            vars.contains(&format!("MR_UID={}\n", event["uid"])),
            "{vars}"
        );
        assert!(
            vars.contains("MR_FROM=Ann Example <ann@example.com>\n"),
            "{vars}"
        );
    }
    assert!(!pwned.exists(), "mail content was executed");
    assert_eq!(read(&canary), "alive", "mail content was executed");
    // The hook's own output never reaches mailreactor's stdout.
    assert!(watch.seen.iter().all(|v| v.is_object()));
}

#[test]
fn a_shell_hook_is_opt_in_and_sees_content_only_as_variables() {
    let env = Env::new(&["INBOX"], "");
    let out = env.path("shell.out");
    env.append_profile(&format!(
        "[[hook]]\nname = \"sh\"\nshell = 'printf \"%s\\n\" \"$MR_SUBJECT\" >> {}'\n",
        out.display()
    ));
    let pwned = env.path("pwned");
    let subject = format!("$(touch {})", pwned.display());
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message(&subject, "x"));
    eventually("the shell hook", || read(&out).contains("touch"));
    assert_eq!(read(&out), format!("{subject}\n"));
    assert!(!pwned.exists());
}

#[test]
fn a_hanging_hook_is_killed_with_its_children_and_dead_lettered() {
    let env = Env::new(&["INBOX"], "");
    let pidfile = env.path("child.pid");
    env.append_profile(&format!(
        "[[hook]]\nname = \"hang\"\nshell = 'sleep 300 & echo $! > {}; sleep 300'\n\
         timeout = \"1s\"\nmax-attempts = 1\n",
        pidfile.display()
    ));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("hang on", "x"));
    let dl = watch.wait_type("sink.dead-lettered");
    assert_eq!(dl["sink"], "hang");
    assert!(dl["error"].as_str().unwrap().contains("timed out"), "{dl}");
    let pid = read(&pidfile).trim().to_string();
    assert!(!pid.is_empty());
    eventually("the hook's child to be gone", || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || read(std::path::Path::new(&format!("/proc/{pid}/stat"))).contains(") Z ")
    });
}

#[test]
fn a_failing_hook_is_retried_then_dead_lettered_and_listed() {
    let env = Env::new(&["INBOX"], "");
    let count = env.path("count");
    env.append_profile(&format!(
        "[[hook]]\nname = \"fail\"\nshell = 'echo run >> {}; echo \"no route to mars\" >&2; exit 3'\n\
         max-attempts = 3\nretry-backoff = \"50ms\"\n",
        count.display()
    ));
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("doomed", "x"));
    let dl = watch.wait_type("sink.dead-lettered");
    assert_eq!(read(&count).lines().count(), 3, "three attempts");
    assert_eq!(dl["attempts"], 3);
    assert_eq!(dl["event_type"], "message.received");
    assert!(
        dl["error"].as_str().unwrap().contains("no route to mars"),
        "{dl}"
    );
    let event_id = dl["event_id"].as_str().unwrap().to_string();
    assert!(watch.stderr().contains("no route to mars"));
    drop(watch);
    let out = env.run(&["dead-letters", "list", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["sink"], "fail");
    assert_eq!(rows[0]["event_id"], event_id.as_str());
}

#[test]
fn a_burst_with_debounce_runs_at_most_twice_and_carries_every_event() {
    let env = Env::new(&["INBOX"], "");
    recorder(&env, "debounce = \"2s\"");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append_numbered("INBOX", "burst ", 0..50);
    let total = || {
        runs(&env)
            .iter()
            .map(|(stdin, _)| stdin.lines().count())
            .sum::<usize>()
    };
    eventually("all 50 events at the hook", || total() == 50);
    std::thread::sleep(Duration::from_millis(2500));
    let runs = runs(&env);
    assert!(runs.len() <= 2, "{} runs", runs.len());
    let subjects: Vec<String> = runs
        .iter()
        .flat_map(|(stdin, _)| {
            stdin
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["subject"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let want: Vec<String> = (0..50).map(|i| format!("burst {i}")).collect();
    assert_eq!(subjects, want, "in order, each once");
    assert!(runs[0].1.contains("MR_EVENT_COUNT="), "{}", runs[0].1);
}

#[test]
fn a_slow_hook_does_not_delay_stdout() {
    let env = Env::new(&["INBOX"], "");
    env.append_profile(
        "[[hook]]\nname = \"slow\"\ncommand = [\"sleep\", \"30\"]\ntimeout = \"60s\"\n",
    );
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("first", "x"));
    watch.wait_for("first", |v| v["subject"] == "first");
    // The hook is now busy for 30 s with the first; stdout goes on.
    let sent = Instant::now();
    env.dovecot.append("INBOX", &simple_message("second", "x"));
    watch.wait_for("second", |v| v["subject"] == "second");
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "stdout waited {:?}",
        sent.elapsed()
    );
}

#[test]
fn emit_test_sends_a_sample_through_each_sink() {
    let env = Env::new(&["INBOX"], "");
    recorder(&env, "");
    env.append_profile("[[hook]]\nname = \"broken\"\ncommand = [\"false\"]\n");
    let out = env.run(&["emit-test"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("record: ok") && stderr.contains("broken: FAILED"),
        "{stderr}"
    );
    let sample: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sample["type"], "message.received");
    assert_eq!(sample["account"], "test");
    let runs = runs(&env);
    assert_eq!(runs.len(), 1);
    assert!(runs[0].0.contains("emit-test"), "{}", runs[0].0);
    // Nothing was recorded: the journal has no trace of it.
    assert!(!env.state.join("test.sqlite").exists());

    let out = env.run(&["emit-test", "--sink", "record"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

/// A hook that appends "<unix time> <events on stdin>" per run and exits `code`.
fn timed(env: &Env, name: &str, code: u8, extra: &str) -> std::path::PathBuf {
    let log = env.path(&format!("{name}.log"));
    env.append_profile(&format!(
        "[[hook]]\nname = \"{name}\"\nshell = 'echo \"$(date +%s.%N) $(wc -l)\" >> {}; exit {code}'\n{extra}\n",
        log.display()
    ));
    log
}

fn run_log(path: &std::path::Path) -> Vec<(f64, usize)> {
    read(path)
        .lines()
        .map(|l| {
            let (t, n) = l.split_once(' ').unwrap();
            (t.parse().unwrap(), n.trim().parse().unwrap())
        })
        .collect()
}

#[test]
fn repeated_dead_letters_pause_the_hook_for_its_cooldown() {
    let env = Env::new(&["INBOX"], "");
    let log = timed(&env, "flaky", 1, "max-attempts = 1\ncooldown = \"3s\"");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append_numbered("INBOX", "f", 0..4);
    eventually("four runs", || run_log(&log).len() == 4);
    let runs = run_log(&log);
    let gap = runs[3].0 - runs[2].0;
    assert!(gap >= 2.9, "the fourth run came {gap:.2} s after the third");
    assert!(
        runs[2].0 - runs[0].0 < 2.0,
        "the first three ran without pause"
    );
    assert!(
        watch.stderr().contains("pausing for 3s"),
        "{}",
        watch.stderr()
    );
}

#[test]
fn min_interval_holds_runs_apart_and_batches_what_waits() {
    let env = Env::new(&["INBOX"], "");
    let log = timed(&env, "throttled", 0, "min-interval = \"3s\"");
    let mut watch = env.watch();
    watch.wait_type("account.connected");
    env.dovecot.append("INBOX", &simple_message("m0", "x"));
    eventually("the first run", || run_log(&log).len() == 1);
    env.dovecot.append("INBOX", &simple_message("m1", "x"));
    env.dovecot.append("INBOX", &simple_message("m2", "x"));
    eventually("all three events at the hook", || {
        run_log(&log).iter().map(|r| r.1).sum::<usize>() == 3
    });
    let runs = run_log(&log);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[1].1, 2, "the two held back came in one run");
    assert!(runs[1].0 - runs[0].0 >= 2.9, "{runs:?}");
}

#[test]
fn a_reader_that_stops_reading_stdout_stalls_no_other_sink() {
    let env = Env::new(&["INBOX"], "");
    let ids = env.path("ids");
    env.append_profile(&format!(
        "[[hook]]\nname = \"ids\"\nshell = 'echo \"$MR_UID\" >> {}'\n",
        ids.display()
    ));
    env.once();
    // stdout is a pipe nobody reads: it fills after 64 KiB.
    let mut child = env
        .command(&["watch", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut c = env.dovecot.client();
    let body = "a preview long enough to make each JSON line big ".repeat(5);
    for i in 0..300 {
        crate::common::dovecot::append_with(
            &mut c,
            "INBOX",
            &simple_message(&format!("s{i} {}", "x".repeat(400)), &body),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while read(&ids).lines().count() < 300 {
        assert!(
            Instant::now() < deadline,
            "the hook got {} of 300 while stdout was blocked",
            read(&ids).lines().count()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}
