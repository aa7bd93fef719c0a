//! The committed completions and man pages are what the binary generates.
//! After a CLI change: `MAILREACTOR_BLESS=1 cargo test --test integration generated::`.

use std::path::Path;
use std::process::Command;

/// Each shell and the file its completions are committed as.
const SHELLS: &[(&str, &str)] = &[
    ("bash", "mailreactor.bash"),
    ("zsh", "_mailreactor"),
    ("fish", "mailreactor.fish"),
    ("elvish", "mailreactor.elv"),
    ("powershell", "_mailreactor.ps1"),
];

/// What `mailreactor ARGS` prints (it must succeed).
fn run(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Every man page the binary makes, as (file name, roff).
fn pages() -> Vec<(String, Vec<u8>)> {
    String::from_utf8(run(&["manual", "--list"]))
        .unwrap()
        .lines()
        .map(|file| {
            let page = match file.strip_suffix(".1").unwrap() {
                "mailreactor" => run(&["manual"]),
                name => run(&["manual", name.strip_prefix("mailreactor-").unwrap()]),
            };
            (file.to_string(), page)
        })
        .collect()
}

fn check(path: &Path, want: &[u8], stale: &mut Vec<String>) {
    if std::env::var_os("MAILREACTOR_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
    } else if std::fs::read(path).ok().as_deref() != Some(want) {
        stale.push(path.display().to_string());
    }
}

#[test]
fn committed_completions_and_man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for (shell, file) in SHELLS {
        check(
            &root.join("completions").join(file),
            &run(&["completions", shell]),
            &mut stale,
        );
    }
    let pages = pages();
    assert!(pages.len() > 10, "{} pages", pages.len());
    for (file, page) in &pages {
        check(&root.join("man").join(file), page, &mut stale);
    }
    // A page for a subcommand that no longer exists is stale too.
    for entry in std::fs::read_dir(root.join("man")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !pages.iter().any(|(f, _)| *f == name) {
            stale.push(format!("man/{name} (no such page any more)"));
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; regenerate with MAILREACTOR_BLESS=1 cargo test --test integration generated::"
    );
}

#[test]
fn the_man_page_has_its_sections() {
    let main = String::from_utf8(run(&["manual"])).unwrap();
    for section in [
        "PROFILE",
        "EVENTS",
        "ENVIRONMENT",
        "EXIT STATUS",
        "account.auth\\-failed",
        "MAILREACTOR_STATE_DIR",
    ] {
        assert!(main.contains(section), "the man page lacks {section}");
    }
}

/// Drives the committed bash completion as bash would.
fn bash_complete(words: &str) -> Vec<String> {
    let script = format!(
        "source {}/completions/mailreactor.bash\nCOMP_WORDS=({words})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
         COMP_LINE=\"{words}\"\nCOMP_POINT=${{#COMP_LINE}}\n_mailreactor mailreactor \"${{COMP_WORDS[-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new("bash").arg("-c").arg(script).output().unwrap();
    crate::common::assert_success(&out);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_completes_commands_and_values() {
    let words = bash_complete("mailreactor wa");
    assert_eq!(words, ["watch"]);
    let words = bash_complete("mailreactor completions z");
    assert_eq!(words, ["zsh"]);
    let words = bash_complete("mailreactor watch --");
    assert!(
        words.contains(&"--json".to_string()) && words.contains(&"--once".to_string()),
        "{words:?}"
    );
}

#[test]
fn zsh_completion_loads_as_a_completion_function() {
    let found = Command::new("zsh")
        .arg("-fc")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "zsh is needed for this test (apt-get install -y zsh; .ci/run installs it)"
    );
    let script = format!(
        "cd {} && zsh -n completions/_mailreactor && fpath=(completions $fpath) && \
         autoload -U compinit && compinit -u -D && autoload -U _mailreactor && whence -w _mailreactor",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new("zsh").arg("-fc").arg(script).output().unwrap();
    crate::common::assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "_mailreactor: function"
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/completions/_mailreactor"
    ))
    .unwrap();
    assert!(text.starts_with("#compdef mailreactor"));
}
