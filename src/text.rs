//! Text that came from a remote party (a server, a token endpoint, a
//! message) made safe for a terminal: no control character can move the
//! cursor, clear the screen or retitle the window, and no invisible or
//! bidirectional-override character can make one name look like another.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Format characters that are invisible or reorder text (U+202E makes
/// `gpj.exe` read `exe.jpg`): shown as `\u{202e}`.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `s` with every control character but line breaks and tabs, and every
/// invisible or bidirectional formatting character, written as an escape
/// (`\u{1b}`). Text without them is returned as it is.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && c != '\n' && c != '\t') || invisible(c);
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`terminal_safe`] on one line: line breaks escaped too (for text that
/// must not start a line of its own, such as a server's reason in a log).
pub fn one_line(s: &str) -> String {
    terminal_safe(s).replace('\n', "\\n").replace('\t', " ")
}

/// Text made safe to put in markup (a notification body, a page).
pub fn markup_escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(terminal_safe("plain, Grüße\n"), "plain, Grüße\n");
        assert_eq!(
            terminal_safe("\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(
            terminal_safe("invoice\u{202e}fdp.exe"),
            "invoice\\u{202e}fdp.exe"
        );
        assert_eq!(one_line("a\nb\u{9b}c"), "a\\nb\\u{9b}c");
        assert_eq!(
            markup_escape("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
