//! `cargo xtask`: the project's own tasks, so that a newcomer on a fresh
//! Debian or Ubuntu machine with Rust needs exactly two commands.
//!
//!     cargo xtask demo    # what the demo needs, then the demo
//!     cargo xtask test    # what the tests need, then `cargo test`
//!     cargo xtask setup   # only the set-up (CI runs it before clippy)
//!
//! Set-up installs the Debian packages that are missing (as root, or with
//! sudo when it asks for no password) and raises the inotify limit that
//! many private Dovecots at once need. Where it cannot, it says exactly
//! what to run, and stops before a run that would fail for want of it.

use std::path::Path;
use std::process::{Command, ExitCode};

/// What a task needs: a program (or file) and the Debian package that has it.
struct Need {
    /// A program on PATH, or an absolute path.
    check: &'static str,
    package: &'static str,
    /// Why, for the message when it is missing.
    why: &'static str,
}

const BUILD: &[Need] = &[
    Need {
        check: "pkg-config",
        package: "pkg-config",
        why: "building (finds OpenSSL)",
    },
    Need {
        check: "/usr/include/openssl/ssl.h",
        package: "libssl-dev",
        why: "building (TLS)",
    },
];

const DEMO: &[Need] = &[Need {
    check: "/usr/sbin/dovecot",
    package: "dovecot-imapd",
    why: "the private IMAP server the demo and the tests start",
}];

const TEST: &[Need] = &[
    Need {
        check: "openssl",
        package: "openssl",
        why: "certificates for the TLS tests",
    },
    Need {
        check: "dbus-daemon",
        package: "dbus",
        why: "the private session bus of the notification tests",
    },
    Need {
        check: "zsh",
        package: "zsh",
        why: "the test that loads the zsh completion",
    },
    Need {
        check: "redis-server",
        package: "redis-server",
        why: "the private Redis of the Redis stream tests",
    },
    Need {
        check: "/usr/lib/postgresql",
        package: "postgresql",
        why: "the private PostgreSQL of the shared-store tests",
    },
    Need {
        check: "prometheus",
        package: "prometheus",
        why: "the private Prometheus that scrapes /metrics in the HTTP tests",
    },
    Need {
        check: "chromium",
        package: "chromium",
        why: "the headless browser that loads the status page in the HTTP tests",
    },
    Need {
        check: "python3",
        package: "python3",
        why: "verifying webhook signatures with the Standard Webhooks reference library",
    },
];

/// Where the Standard Webhooks reference library (Python) is installed for
/// the webhook tests, under `target/`.
const VERIFIER: &str = "target/webhook-verifier";

/// Dovecots the tests run at once share the dovecot user's inotify
/// instances (128 by default).
const INOTIFY: &str = "/proc/sys/fs/inotify/max_user_instances";
const INOTIFY_WANTED: u64 = 1024;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the repository");
    let needs: Vec<&Need> = match task.as_str() {
        "demo" => BUILD.iter().chain(DEMO).collect(),
        "test" | "setup" => BUILD.iter().chain(DEMO).chain(TEST).collect(),
        _ => {
            eprintln!(
                "usage: cargo xtask demo [-- --keep] | cargo xtask test [CARGO TEST ARGS] | cargo xtask setup"
            );
            return ExitCode::from(2);
        }
    };
    if !install(&needs) {
        return ExitCode::FAILURE;
    }
    if task != "demo" {
        raise_inotify_limit();
        if !webhook_verifier(root) {
            return ExitCode::FAILURE;
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = match task.as_str() {
        "demo" => Command::new(&cargo)
            .current_dir(root)
            .args(["run", "--example", "demo", "--"])
            .args(&rest)
            .status(),
        "test" => Command::new(&cargo)
            .current_dir(root)
            .arg("test")
            .args(&rest)
            .status(),
        _ => return ExitCode::SUCCESS,
    };
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("xtask: cannot run {cargo}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn present(check: &str) -> bool {
    if check.starts_with('/') {
        return Path::new(check).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(check).is_file()))
        || ["/usr/sbin", "/sbin"]
            .iter()
            .any(|d| Path::new(d).join(check).is_file())
}

/// Installs what is missing; false (with what to run) when it cannot.
fn install(needs: &[&Need]) -> bool {
    let missing: Vec<&Need> = needs
        .iter()
        .copied()
        .filter(|n| !present(n.check))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let mut packages: Vec<&str> = missing.iter().map(|n| n.package).collect();
    packages.dedup();
    for n in &missing {
        eprintln!(
            "xtask: missing {} (package {}), for {}",
            n.check, n.package, n.why
        );
    }
    let sudo: &[&str] = if is_root() {
        &[]
    } else if Command::new("sudo")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        &["sudo", "-n"]
    } else {
        eprintln!(
            "xtask: run this, then try again:\n  sudo apt-get update && sudo apt-get install -y {}",
            packages.join(" ")
        );
        return false;
    };
    eprintln!("xtask: installing {}", packages.join(" "));
    let apt = |args: &[&str]| {
        let (program, pre) = match sudo.split_first() {
            Some((p, pre)) => (*p, pre.to_vec()),
            None => ("apt-get", Vec::new()),
        };
        let mut cmd = Command::new(program);
        cmd.args(pre);
        if !sudo.is_empty() {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd.status().is_ok_and(|s| s.success())
    };
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(&packages);
    if !(apt(&["update", "-qq"]) && apt(&args)) {
        eprintln!(
            "xtask: apt-get could not install them; run this, then try again:\n  \
             sudo apt-get update && sudo apt-get install -y {}",
            packages.join(" ")
        );
        return false;
    }
    let still: Vec<&str> = missing
        .iter()
        .filter(|n| !present(n.check))
        .map(|n| n.check)
        .collect();
    if !still.is_empty() {
        eprintln!(
            "xtask: still missing after the install: {}",
            still.join(", ")
        );
        return false;
    }
    true
}

/// A Python venv with `standardwebhooks` (from PyPI) at [`VERIFIER`]:
/// the tests check mailreactor's signatures with the library receivers use.
fn webhook_verifier(root: &Path) -> bool {
    let venv = root.join(VERIFIER);
    let python = venv.join("bin/python");
    let has = |python: &Path| {
        Command::new(python)
            .args(["-c", "import standardwebhooks"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if has(&python) {
        return true;
    }
    let venv_made = || {
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
    };
    let venv_package = Need {
        check: "/usr/lib/python3/dist-packages/ensurepip",
        package: "python3-venv",
        why: "a private Python for the webhook verifier",
    };
    let made = venv_made() || (install(&[&venv_package]) && venv_made());
    if !made {
        eprintln!("xtask: cannot make a Python venv at {}", venv.display());
        return false;
    }
    eprintln!(
        "xtask: installing the Standard Webhooks reference library into {}",
        venv.display()
    );
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "standardwebhooks"])
        .status()
        .is_ok_and(|s| s.success());
    if !(pip && has(&python)) {
        eprintln!(
            "xtask: could not install standardwebhooks; run this, then try again:\n  {}/bin/pip install standardwebhooks",
            venv.display()
        );
        return false;
    }
    true
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Raises the inotify limit where allowed; says how otherwise.
fn raise_inotify_limit() {
    let now: u64 = std::fs::read_to_string(INOTIFY)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(INOTIFY_WANTED);
    if now >= INOTIFY_WANTED {
        return;
    }
    if std::fs::write(INOTIFY, INOTIFY_WANTED.to_string()).is_ok() {
        eprintln!("xtask: raised fs.inotify.max_user_instances from {now} to {INOTIFY_WANTED}");
        return;
    }
    let via_sudo = Command::new("sudo")
        .args(["-n", "sysctl", "-q", "-w"])
        .arg(format!("fs.inotify.max_user_instances={INOTIFY_WANTED}"))
        .status()
        .is_ok_and(|s| s.success());
    if !via_sudo {
        eprintln!(
            "xtask: fs.inotify.max_user_instances is {now}; tests that run many Dovecots at once \
             may fail. Raise it with:\n  sudo sysctl -w fs.inotify.max_user_instances={INOTIFY_WANTED}"
        );
    }
}
