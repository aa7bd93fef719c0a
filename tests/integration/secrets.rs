//! Secrets stay secret: no variable a profile names as a secret source
//! reaches a child (hooks, password commands, emit-test); secrets can come
//! from a file or a systemd credential; a profile holding a secret that
//! others can read is pointed out.

use crate::common::{Env, PASSWORD, USER, read};

/// One account per secret source: `test` (password-env NC_IMAP_PW) and
/// `other` (a password-command that writes its environment to `cmd_env`),
/// and a hook that writes its environment to `hook_env`.
fn profile(env: &Env, cmd_env: &std::path::Path, hook_env: &std::path::Path) -> String {
    let port = env.dovecot.port;
    format!(
        "[[account]]\nname = \"test\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n\
         username = \"{USER}\"\npassword-env = \"NC_IMAP_PW\"\n\n\
         [[account]]\nname = \"other\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n\
         username = \"{USER}\"\n\
         password-command = [\"sh\", \"-c\", \"env > '{}'; echo {PASSWORD}\"]\n\n\
         [[hook]]\nname = \"dump\"\non = [\"*\"]\ncommand = [\"sh\", \"-c\", \"env > '{}'\"]\n",
        cmd_env.display(),
        hook_env.display()
    )
}

#[test]
fn secret_variables_reach_no_child() {
    let env = Env::new(&["INBOX"], "");
    let (cmd_env, hook_env) = (env.path("cmd-env"), env.path("hook-env"));
    std::fs::write(&env.profile, profile(&env, &cmd_env, &hook_env)).unwrap();
    // Both accounts log in: the variable is there for mailreactor itself.
    let out = env
        .command(&["watch", "--once"])
        .env("NC_IMAP_PW", PASSWORD)
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    let seen = read(&cmd_env);
    assert!(
        seen.contains("PATH="),
        "the command's environment was written: {seen}"
    );
    assert!(
        !seen.contains("NC_IMAP_PW"),
        "a password command saw it:\n{seen}"
    );
    // A hook, as emit-test runs it.
    let out = env
        .command(&["emit-test", "--sink", "dump"])
        .env("NC_IMAP_PW", PASSWORD)
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    let seen = read(&hook_env);
    assert!(
        seen.contains("MR_EVENT_ID="),
        "the hook's environment was written: {seen}"
    );
    assert!(
        !seen.contains("NC_IMAP_PW") && !seen.contains(PASSWORD),
        "a hook saw it:\n{seen}"
    );
}

#[test]
fn a_hook_run_by_the_watch_sees_no_secret_variable() {
    let env = Env::new(&["INBOX"], "");
    let (cmd_env, hook_env) = (env.path("cmd-env"), env.path("hook-env"));
    std::fs::write(&env.profile, profile(&env, &cmd_env, &hook_env)).unwrap();
    let mut cmd = env.command(&["watch", "--json"]);
    cmd.env("NC_IMAP_PW", PASSWORD);
    let mut watch = crate::common::Watch::spawn(cmd);
    watch.wait_connected(2);
    crate::common::eventually("the hook ran", || {
        std::fs::read_to_string(&hook_env).is_ok_and(|s| s.contains("MR_EVENT_ID="))
    });
    watch.terminate();
    let seen = read(&hook_env);
    assert!(!seen.contains("NC_IMAP_PW"), "a hook saw it:\n{seen}");
}

#[test]
fn a_password_file_and_a_systemd_credential_work() {
    let env = Env::new(&["INBOX"], "");
    let creds = env.path("creds");
    std::fs::create_dir(&creds).unwrap();
    std::fs::write(creds.join("imap"), format!("{PASSWORD}\n")).unwrap();
    let account = |source: &str| {
        format!(
            "[[account]]\nname = \"test\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"{USER}\"\n{source}\n",
            env.dovecot.port
        )
    };
    std::fs::write(
        &env.profile,
        account(&format!(
            "password-file = \"{}\"",
            creds.join("imap").display()
        )),
    )
    .unwrap();
    env.once();
    // As systemd hands it over: LoadCredential= and $CREDENTIALS_DIRECTORY.
    std::fs::write(
        &env.profile,
        account("password-file = \"${CREDENTIALS_DIRECTORY}/imap\""),
    )
    .unwrap();
    let out = env
        .command(&["watch", "--once"])
        .env("CREDENTIALS_DIRECTORY", &creds)
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    // Outside the service the variable is missing, and the error says why.
    let out = env
        .command(&["watch", "--once"])
        .env_remove("CREDENTIALS_DIRECTORY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("${CREDENTIALS_DIRECTORY} is not set")
            && stderr.contains("LoadCredential="),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    // The unit hands the credential over.
    let unit = std::process::Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .args([
            "systemd-unit",
            "--credential",
            &format!("imap={}", creds.join("imap").display()),
        ])
        .output()
        .unwrap();
    let unit = String::from_utf8(unit.stdout).unwrap();
    assert!(
        unit.contains(&format!(
            "\nLoadCredential=imap:{}\n",
            creds.join("imap").display()
        )) && unit.contains("password-file = \"${CREDENTIALS_DIRECTORY}/imap\""),
        "{unit}"
    );
}

#[test]
fn a_readable_profile_with_a_password_is_pointed_out() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new(&["INBOX"], "");
    let chmod = |mode| {
        std::fs::set_permissions(&env.profile, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    chmod(0o644);
    let out = env.run(&["watch", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let fix = format!("run `chmod 600 {}`", env.profile.display());
    assert!(
        stderr.contains(&fix) && stderr.contains("other users may read it"),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    chmod(0o600);
    let out = env.run(&["watch", "--once"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("chmod"));
}
