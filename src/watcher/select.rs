//! Which of an account's mailboxes are watched: the profile's `mailboxes`
//! (names and patterns) less `exclude`, less `\Junk` and `\Trash` unless
//! named, as LIST shows them.

use crate::config::Account;
use crate::imap::Listed;

/// Whether a `mailboxes` or `exclude` entry is a pattern.
pub fn is_pattern(entry: &str) -> bool {
    entry.contains(['*', '%'])
}

/// Whether the account's mailboxes come from LIST (any pattern).
pub fn needs_list(account: &Account) -> bool {
    account.mailboxes.iter().any(|m| is_pattern(m))
}

/// The mailboxes to watch, in order: every name the profile writes out
/// (whether LIST shows it or not: a missing one is reported as such), then
/// what the patterns match, INBOX first and the rest by name. LIST's own
/// order is the server's (Dovecot's follows the directory), so it is not
/// kept: the same mailboxes listed in another order are the same plan.
pub fn resolve(account: &Account, listed: &[Listed]) -> Vec<String> {
    let mut out: Vec<String> = account
        .mailboxes
        .iter()
        .filter(|m| !is_pattern(m))
        .cloned()
        .collect();
    let named = out.len();
    let patterns: Vec<&String> = account.mailboxes.iter().filter(|m| is_pattern(m)).collect();
    for l in listed {
        if !l.selectable || out.contains(&l.name) {
            continue;
        }
        let matches = |p: &String| matches(p, &l.name, l.delimiter);
        if !patterns.iter().any(|p| matches(p)) {
            continue;
        }
        let excluded = account.exclude.iter().any(matches)
            || l.special_use.iter().any(|u| u == "junk" || u == "trash");
        if !excluded {
            out.push(l.name.clone());
        }
    }
    out[named..].sort_by(|a, b| {
        let not_inbox = |n: &String| !n.eq_ignore_ascii_case("INBOX");
        (not_inbox(a), a).cmp(&(not_inbox(b), b))
    });
    out
}

/// LIST's wildcards: `*` matches anything, `%` anything but the hierarchy
/// delimiter. `INBOX` matches without regard to case.
pub fn matches(pattern: &str, name: &str, delimiter: Option<char>) -> bool {
    if (pattern.eq_ignore_ascii_case("INBOX") || name.eq_ignore_ascii_case("INBOX"))
        && !is_pattern(pattern)
    {
        return pattern.eq_ignore_ascii_case(name);
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob(&p, &n, delimiter)
}

fn glob(p: &[char], n: &[char], delimiter: Option<char>) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some(('*', rest)) => (0..=n.len()).any(|i| glob(rest, &n[i..], delimiter)),
        Some(('%', rest)) => {
            let stop = n
                .iter()
                .position(|&c| Some(c) == delimiter)
                .unwrap_or(n.len());
            (0..=stop).any(|i| glob(rest, &n[i..], delimiter))
        }
        Some((c, rest)) => n.first() == Some(c) && glob(rest, &n[1..], delimiter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str, special: &[&str]) -> Listed {
        Listed {
            name: name.into(),
            delimiter: Some('/'),
            special_use: special.iter().map(|s| s.to_string()).collect(),
            selectable: true,
        }
    }

    fn account(mailboxes: &[&str], exclude: &[&str]) -> Account {
        let text = format!(
            "[[account]]\nname = \"a\"\nhost = \"localhost\"\ntls = \"none\"\nusername = \"u\"\n\
             password-env = \"P\"\nmailboxes = {mailboxes:?}\nexclude = {exclude:?}\n"
        );
        crate::config::Profile::parse(&text, std::path::Path::new("t.toml"), "t")
            .unwrap()
            .accounts
            .remove(0)
    }

    #[test]
    fn wildcards_follow_list() {
        assert!(matches("*", "Lists/rust", Some('/')));
        assert!(matches("Lists/*", "Lists/rust/users", Some('/')));
        assert!(matches("Lists/%", "Lists/rust", Some('/')));
        assert!(!matches("Lists/%", "Lists/rust/users", Some('/')));
        assert!(!matches("Lists/*", "Listsx", Some('/')));
        assert!(matches("inbox", "INBOX", Some('/')));
        assert!(!matches("Inbox2", "INBOX", Some('/')));
    }

    #[test]
    fn junk_and_trash_are_left_out_unless_named() {
        let all = [
            listed("INBOX", &[]),
            listed("Junk", &["junk"]),
            listed("Trash", &["trash"]),
            listed("Lists/rust", &[]),
            listed("Archive", &["archive"]),
        ];
        assert_eq!(
            resolve(&account(&["*"], &[]), &all),
            ["INBOX", "Archive", "Lists/rust"]
        );
        assert_eq!(
            resolve(&account(&["Trash", "*"], &["Archive"]), &all),
            ["Trash", "INBOX", "Lists/rust"]
        );
        assert_eq!(resolve(&account(&["Lists/*"], &[]), &all), ["Lists/rust"]);
    }

    #[test]
    fn matches_come_inbox_first_then_by_name_whatever_lists_order() {
        let all = [
            listed("Lists/rust", &[]),
            listed("Archive", &[]),
            listed("INBOX", &[]),
            listed("Drafts", &[]),
        ];
        let mut reversed = all.clone();
        reversed.reverse();
        let want = ["INBOX", "Archive", "Drafts", "Lists/rust"];
        assert_eq!(resolve(&account(&["*"], &[]), &all), want);
        assert_eq!(resolve(&account(&["*"], &[]), &reversed), want);
        // Names written out keep the profile's order, ahead of the rest.
        assert_eq!(
            resolve(&account(&["Lists/rust", "*"], &[]), &all),
            ["Lists/rust", "INBOX", "Archive", "Drafts"]
        );
    }

    #[test]
    fn what_cannot_be_opened_is_not_watched() {
        let mut parent = listed("Lists", &[]);
        parent.selectable = false;
        let all = [parent, listed("Lists/rust", &[])];
        assert_eq!(resolve(&account(&["*"], &[]), &all), ["Lists/rust"]);
    }
}
