//! `mailreactor systemd-unit`: a systemd user unit template, one instance
//! per profile (`mailreactor@work` watches the profile `work`).

use std::io::Write as _;

/// The unit, for this binary at `exe`.
pub fn unit(exe: &str) -> String {
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

[Install]
WantedBy=default.target
"#
    )
}

pub fn run() -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let exe = exe.to_string_lossy();
    anyhow::ensure!(
        !exe.contains(char::is_whitespace),
        "the path of this binary ({exe}) has white space; install it elsewhere for systemd"
    );
    write!(std::io::stdout(), "{}", unit(&exe))?;
    Ok(())
}
