//! Profile errors that point at the spot: file, line, column, key, what was
//! wrong and what to write instead.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::raw::keys_of;

/// A profile that cannot be used, and where.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ProfileError {
    pub path: PathBuf,
    /// Where in the file, when the problem has a place there.
    pub location: Option<Box<Location>>,
    /// The key involved, dotted: `account[2].tls`.
    pub key: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

/// A place in the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The offending line and how many characters to underline.
    source_line: String,
    width: usize,
}

impl ProfileError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> ProfileError {
        let help = (e.kind() == std::io::ErrorKind::NotFound).then(|| {
            "run `mailreactor init` to write a starter profile, or pass --config PATH".to_string()
        });
        ProfileError::plain(path, format!("cannot read the profile: {e}"), help)
    }

    pub(crate) fn plain(path: &Path, message: String, help: Option<String>) -> ProfileError {
        ProfileError {
            path: path.to_path_buf(),
            location: None,
            key: None,
            message,
            help,
        }
    }

    /// An error at `span` of `text`; `field` is the key's last part when the
    /// caller knows it (otherwise it is read off the line).
    pub(crate) fn at(
        path: &Path,
        text: &str,
        span: Range<usize>,
        field: Option<&str>,
        message: String,
        help: Option<String>,
    ) -> ProfileError {
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let field = field
            .map(str::to_string)
            .or_else(|| key_on_line(line_text, start - line_start));
        let key = field.map(|f| match table_at(text, line_start) {
            Some(table) => format!("{table}.{f}"),
            None => f,
        });
        let width = text[start..span.end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        ProfileError {
            path: path.to_path_buf(),
            location: Some(Box::new({
                // A secret's value never reaches a message (nor a log, on
                // SIGHUP): the snippet shows it redacted.
                let shown = redact(line_text);
                let len = shown.chars().count();
                let column = column.min(len + 1);
                Location {
                    line,
                    column,
                    width: width.min(len.saturating_sub(column - 1).max(1)),
                    source_line: shown,
                }
            })),
            key,
            message,
            help,
        }
    }

    /// Translates serde/TOML's error into ours, adding "did you mean".
    pub(crate) fn from_toml(path: &Path, text: &str, e: &toml::de::Error) -> ProfileError {
        let msg = e.message().trim().to_string();
        let span = e.span().unwrap_or(0..0);
        let (message, field, help) = if let Some(key) = quoted_after(&msg, "unknown field `") {
            let known = keys_of(table_at(text, span.start).as_deref());
            let help = match closest(&key, known) {
                Some(k) => format!("did you mean `{k}`?"),
                None => format!("known keys here: {}", known.join(", ")),
            };
            (format!("unknown key `{key}`"), Some(key), Some(help))
        } else if let Some(key) = quoted_after(&msg, "missing field `") {
            let help = format!("add `{key} = ...` to this table");
            (format!("missing key `{key}`"), Some(key), Some(help))
        } else if let Some(variant) = quoted_after(&msg, "unknown variant `") {
            let expected = msg.split("expected ").nth(1).map(str::to_string);
            let help = expected.map(|x| format!("expected {x}"));
            (format!("unknown value \"{variant}\""), None, help)
        } else {
            // serde names Rust types; say what a person would write.
            let msg = msg
                .replace("expected u16", "expected a whole number from 1 to 65535")
                .replace("expected a boolean", "expected true or false");
            (msg, None, None)
        };
        ProfileError::at(path, text, span, field.as_deref(), message, help)
    }
}

/// Keys whose values are secrets (and keys one typo away from them).
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "client-secret",
    "refresh-token",
    "token",
];

/// `line` with the value of the first secret key (`password = ...`, also
/// in an inline table, also unterminated, also a table or an array) and
/// all that follows it shown as `"<redacted>"`.
pub(crate) fn redact(line: &str) -> String {
    // A password in a URL's user part: `scheme://user:PASSWORD@host`.
    static USERINFO: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(://[^:/@\s"']*:)[^@/\s"']+@"#).expect("a valid pattern")
    });
    let line = &*USERINFO.replace_all(line, "${1}<redacted>@");
    static KEY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"["']?([A-Za-z0-9_.-]+)["']?\s*=\s*"#).expect("a valid pattern")
    });
    for c in KEY.captures_iter(line) {
        let key = c[1].to_ascii_lowercase();
        let secret = SECRET_KEYS.contains(&key.as_str())
            || (!key.ends_with("-command")
                && !key.ends_with("-env")
                && !key.ends_with("-file")
                && !key.ends_with("-url")
                && SECRET_KEYS
                    .iter()
                    .any(|k| strsim::levenshtein(&key, k) <= 2));
        if secret {
            let end = c.get(0).expect("the whole match").end();
            return format!("{}\"<redacted>\"", &line[..end]);
        }
    }
    line.to_string()
}

/// The text between `prefix` and the next backtick.
fn quoted_after(msg: &str, prefix: &str) -> Option<String> {
    let rest = &msg[msg.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_string())
}

/// The key of `key = value` on this line, if the column is in the value or key.
fn key_on_line(line: &str, _col: usize) -> Option<String> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"').trim_matches('\'');
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    ok.then(|| key.to_string())
}

/// The table the byte offset `at` falls in, as a key path:
/// `account[0]`, `hook[2].match`, `notify`; `None` at the top level.
fn table_at(text: &str, at: usize) -> Option<String> {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut current = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > at {
            break;
        }
        offset += line.len();
        let t = line.trim();
        if let Some(inner) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = inner.trim().to_string();
            let n = counts
                .entry(name.clone())
                .and_modify(|n| *n += 1)
                .or_insert(0);
            current = Some(format!("{name}[{n}]"));
        } else if let Some(inner) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            let inner = inner.trim();
            // `[hook.match]` belongs to the latest `[[hook]]`.
            current = Some(match inner.split_once('.') {
                Some((parent, rest)) => match counts.get(parent.trim()) {
                    Some(n) => format!("{}[{n}].{}", parent.trim(), rest.trim()),
                    None => inner.to_string(),
                },
                None => inner.to_string(),
            });
        }
    }
    current
}

/// The known key closest to `key`, if it is close enough to be a typo.
pub(crate) fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(at) = &self.location {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(at) = &self.location {
            let gutter = " ".repeat(at.line.to_string().len());
            write!(
                f,
                "\n{gutter} |\n{} | {}\n{gutter} | ",
                at.line, at.source_line
            )?;
            write!(f, "{}{}", " ".repeat(at.column - 1), "^".repeat(at.width))?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key() {
        let account = keys_of(Some("account[0]"));
        assert_eq!(closest("pasword", account), Some("password"));
        assert_eq!(closest("mailbox", account), Some("mailboxes"));
        assert_eq!(closest("poll_interval", account), Some("poll-interval"));
        assert_eq!(closest("zzz", account), None);
        assert_eq!(closest("comand", keys_of(Some("hook[3]"))), Some("command"));
        assert_eq!(
            closest("subjekt", keys_of(Some("hook[0].match"))),
            Some("subject")
        );
    }

    #[test]
    fn secrets_are_redacted_in_snippets() {
        assert_eq!(
            redact(r#"password = "hunter2""#),
            r#"password = "<redacted>""#
        );
        assert_eq!(
            redact(r#"pasword = "hunter2""#),
            r#"pasword = "<redacted>""#
        );
        assert_eq!(
            redact(r#"password = "hun\"ter2"#),
            r#"password = "<redacted>""#
        );
        assert_eq!(
            redact(r#"oauth2 = { client-id = "id", client-secret = 'x' }"#),
            r#"oauth2 = { client-id = "id", client-secret = "<redacted>""#
        );
        assert_eq!(
            redact(r#"client-secret = { x = "y" }"#),
            r#"client-secret = "<redacted>""#
        );
        assert_eq!(redact(r#"password-env = "PW""#), r#"password-env = "PW""#);
        assert_eq!(
            redact(r#"host = "imap.example.com""#),
            r#"host = "imap.example.com""#
        );
        assert_eq!(redact("password = hunter2"), r#"password = "<redacted>""#);
        assert_eq!(
            redact(r#"url = "rediss://me:hunter2@cache.example.com/0""#),
            r#"url = "rediss://me:<redacted>@cache.example.com/0""#
        );
    }

    #[test]
    fn table_paths() {
        let t = "[[account]]\nname='a'\n[[account]]\nname='b'\n[[hook]]\nx=1\n[hook.match]\ny=2\n[notify]\nz=3\n";
        assert_eq!(table_at(t, 0).as_deref(), Some("account[0]"));
        assert_eq!(
            table_at(t, t.find("'b'").unwrap()).as_deref(),
            Some("account[1]")
        );
        assert_eq!(
            table_at(t, t.find("x=1").unwrap()).as_deref(),
            Some("hook[0]")
        );
        assert_eq!(
            table_at(t, t.find("y=2").unwrap()).as_deref(),
            Some("hook[0].match")
        );
        assert_eq!(
            table_at(t, t.find("z=3").unwrap()).as_deref(),
            Some("notify")
        );
        assert_eq!(table_at("x = 1\n", 0), None);
    }
}
