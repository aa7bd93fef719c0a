//! `mailreactor systemd-unit`: a systemd user unit template, one instance
//! per profile (`mailreactor@work` watches the profile `work`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The unit, for this binary at `exe`, handing the service `credentials`
/// (name, path) as systemd credentials.
pub fn unit(exe: &str, credentials: &[(String, String)]) -> String {
    let mut loads = String::new();
    for (name, path) in credentials {
        loads += &format!(
            "# In the profile: password-file = \"${{CREDENTIALS_DIRECTORY}}/{name}\"\n\
             LoadCredential={name}:{path}\n"
        );
    }
    format!(
        r#"# mailreactor@.service: watch the mailreactor profile named by the instance.
# Install:  mailreactor systemd-unit > ~/.config/systemd/user/mailreactor@.service
#           systemctl --user daemon-reload && systemctl --user enable --now mailreactor@default
# Reload the profile: systemctl --user reload mailreactor@default
# Logs:     journalctl --user -u mailreactor@default

[Unit]
Description=mailreactor: watch IMAP mailboxes (profile %i)
Documentation=man:mailreactor(1)
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={exe} watch --profile %i
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=10s
# Pinged at half this; a hung daemon is restarted.
WatchdogSec=2min
# Hardening that leaves hooks (programs of yours) and desktop notifications working.
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
UMask=0077
{loads}
[Install]
WantedBy=default.target
"#
    )
}

pub fn run(credentials: &[(String, String)]) -> anyhow::Result<()> {
    let exe = binary()?;
    if in_build_dir(&exe) {
        tracing::warn!(
            "{} is inside a cargo build directory, which `cargo clean` or the next build \
             replaces; install mailreactor (`cargo install --path .`) and run systemd-unit again",
            exe.display()
        );
    }
    let exe = exe.to_string_lossy();
    anyhow::ensure!(
        !exe.contains(char::is_whitespace),
        "the path of this binary ({exe}) has white space; install it elsewhere for systemd"
    );
    write!(std::io::stdout(), "{}", unit(&exe, credentials))?;
    Ok(())
}

/// The binary the unit should run: `mailreactor` on `PATH` (the installed
/// one, which a rebuild does not move), else the one running now.
fn binary() -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join("mailreactor"))
            .find(|p| {
                std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    });
    match on_path {
        Some(p) => Ok(p),
        None => Ok(std::env::current_exe()?),
    }
}

/// Whether `exe` sits in a cargo target directory (`target/debug`, ...).
fn in_build_dir(exe: &Path) -> bool {
    exe.parent().is_some_and(|dir| {
        dir.join(".fingerprint").is_dir() || dir.join("build").is_dir() && dir.join("deps").is_dir()
    })
}
