//! Turns what was fetched of a message (its header and the first bytes of
//! its body) into the decoded fields of a `message.received` event.
//!
//! mail-parser does the decoding (RFC 2047 words, charsets, transfer
//! encodings); this module only chooses what to keep. Broken input never
//! fails: whatever could be decoded is kept, the rest is `null` or `[]`.

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Addr, HeaderValue, MessageParser, PartType};

use crate::event::{Address, Attachment, MessageInfo};

/// A message's first bytes, fetched in one piece: the header and the start
/// of the body of nearly all mail.
pub const PREFIX: u32 = 24 * 1024;
/// At most this much of a message is downloaded: its header up to
/// `FETCH_LIMIT - BODY_PREFIX`, and the first `BODY_PREFIX` of its body
/// (for a header longer than [`PREFIX`], fetched apart).
pub const FETCH_LIMIT: u32 = 256 * 1024;
/// At most this much of the body is kept for the preview.
pub const BODY_PREFIX: u32 = 16 * 1024;

/// How much of the first text part is fetched on its own, for a preview of
/// mail whose text does not fit in the body prefix.
pub const PART_PREFIX: u32 = 4096;

/// How many characters of body text a preview keeps.
pub const PREVIEW_CHARS: usize = 200;

/// The fetched pieces of one message.
#[derive(Debug, Default, Clone)]
pub struct Fetched {
    pub uid: u32,
    pub size: Option<u32>,
    pub flags: Vec<String>,
    /// The header section, possibly cut at the fetch limit.
    pub header: Vec<u8>,
    /// The first bytes of the body (after the header).
    pub text: Vec<u8>,
    pub attachments: Vec<Attachment>,
    /// The message's MODSEQ, when CONDSTORE is enabled.
    pub modseq: Option<u64>,
    /// The start of the first text part, fetched on its own when the body
    /// prefix could not hold it (a long first part of a multipart message).
    pub text_part: Option<TextPart>,
}

/// The first [`PART_PREFIX`] bytes of a message's first text part, as
/// stored (transfer-encoded), with what its BODYSTRUCTURE says of it.
#[derive(Debug, Default, Clone)]
pub struct TextPart {
    /// `plain` or `html`.
    pub subtype: String,
    pub charset: Option<String>,
    /// The Content-Transfer-Encoding: `base64`, `quoted-printable`, ...
    pub encoding: String,
    pub bytes: Vec<u8>,
}

impl TextPart {
    /// Its text, decoded (transfer encoding, charset; HTML made text), on
    /// one line and cut to [`PREVIEW_CHARS`].
    fn preview(&self) -> Option<String> {
        let charset = self.charset.as_deref().unwrap_or("us-ascii");
        let mut bytes = self.bytes.as_slice();
        if bytes.len() >= PART_PREFIX as usize {
            bytes = cut_at_line(bytes, &self.encoding).unwrap_or(bytes);
        }
        part_preview(&self.subtype, Some(charset), &self.encoding, bytes)
    }
}

/// The start of a text part cut short, ending at a line so that no base64
/// quad or quoted-printable escape is split; `None` if it has no line end
/// (and is not base64, which can be cut at any quad).
fn cut_at_line<'a>(bytes: &'a [u8], encoding: &str) -> Option<&'a [u8]> {
    if let Some(end) = bytes.iter().rposition(|&b| b == b'\n') {
        Some(&bytes[..end + 1])
    } else if encoding.eq_ignore_ascii_case("base64") {
        Some(&bytes[..bytes.len() - bytes.len() % 4])
    } else {
        None
    }
}

/// A MIME token as it may go into a header we write: no quotes, no
/// separators.
fn keep(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.+".contains(*c))
        .collect()
}

/// The preview of a text part's `bytes` (as stored: transfer-encoded),
/// given its subtype, charset (`None`: none declared) and transfer encoding.
fn part_preview(
    subtype: &str,
    charset: Option<&str>,
    encoding: &str,
    bytes: &[u8],
) -> Option<String> {
    if subtype.eq_ignore_ascii_case("plain")
        && ["7bit", "8bit", "binary"]
            .iter()
            .any(|e| encoding.eq_ignore_ascii_case(e))
    {
        // Text as stored: only its charset to undo. This is what
        // mail-parser does with such a part (a charset it knows, or else
        // UTF-8 with errors replaced), without building a message around
        // it: most of a catch-up's decoding went into that.
        let decoder = charset.and_then(|c| charset_decoder(keep(c).as_bytes()));
        let text = match decoder {
            Some(decode) => clean_prefix(&decode(bytes), PREVIEW_CHARS),
            None => clean_prefix(&utf8_lossy(bytes), PREVIEW_CHARS),
        };
        return (!text.is_empty()).then_some(text);
    }
    parsed_preview(subtype, charset, encoding, bytes)
}

/// [`part_preview`] by way of mail-parser: the part made a message of its
/// own and parsed.
fn parsed_preview(
    subtype: &str,
    charset: Option<&str>,
    encoding: &str,
    bytes: &[u8],
) -> Option<String> {
    let charset = charset
        .map(|c| format!("; charset=\"{}\"", keep(c)))
        .unwrap_or_default();
    let mut part = format!(
        "Content-Type: text/{}{charset}\r\nContent-Transfer-Encoding: {}\r\n\r\n",
        keep(subtype),
        keep(encoding)
    )
    .into_bytes();
    part.extend_from_slice(bytes);
    preview(&MessageParser::default().parse(&part)?)
}

/// The start of a message's text: its first text part, or else its HTML
/// made text; on one line, at most [`PREVIEW_CHARS`] characters.
fn preview(msg: &mail_parser::Message) -> Option<String> {
    // mail-parser lists an HTML part as the text body when there is no
    // plain one, and makes text of it in a way that runs blocks together.
    // A plain part is taken as it is: mail-parser also lists it as the
    // HTML body when there is no HTML, and asking for that would turn it
    // into HTML and back (which cost most of a catch-up's time).
    let first = msg.text_body.first().and_then(|&i| msg.part(i));
    let text = match first.map(|p| &p.body) {
        Some(PartType::Text(text)) => clean_prefix(text, PREVIEW_CHARS),
        _ => clean_prefix(&html_text(&msg.body_html(0)?), PREVIEW_CHARS),
    };
    (!text.is_empty()).then_some(text)
}

/// HTML as text, with block elements apart (`<h1>Sale</h1><p>Everything`
/// reads "Sale Everything", not "SaleEverything").
fn html_text(html: &str) -> String {
    const BLOCKS: &[&str] = &[
        "address",
        "article",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ];
    let mut spaced = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        spaced.push_str(&rest[..at]);
        let tag = rest[at + 1..].trim_start_matches('/');
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if BLOCKS.contains(&name.as_str()) {
            // The converter keeps line breaks from <br> only.
            spaced.push_str("<br>");
        }
        spaced.push('<');
        rest = &rest[at + 1..];
    }
    spaced.push_str(rest);
    mail_parser::decoders::html::html_to_text(&spaced)
}

/// Decodes `fetched` into event fields.
pub fn decode(uidvalidity: u32, fetched: Fetched) -> MessageInfo {
    let mut info = MessageInfo {
        uidvalidity,
        uid: fetched.uid,
        size: fetched.size,
        flags: fetched.flags,
        attachments: fetched.attachments,
        ..Default::default()
    };
    let part_preview = fetched.text_part.as_ref().and_then(TextPart::preview);
    let mut raw = fetched.header;
    if !raw.ends_with(b"\n\n") && !raw.ends_with(b"\r\n\r\n") {
        // A header cut short, or one with no blank line: end it so the body
        // is not read as more header.
        raw.extend_from_slice(b"\r\n\r\n");
    }
    let Some(msg) = MessageParser::default().parse_headers(&raw) else {
        info.preview = part_preview;
        return info;
    };
    info.message_id = msg.message_id().map(|id| format!("<{id}>"));
    info.subject = msg.subject().map(clean);
    info.from = addresses(msg.header("From"));
    info.to = addresses(msg.header("To"));
    info.cc = addresses(msg.header("Cc"));
    info.date = msg
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| u64::try_from(d.to_timestamp()).ok())
        .map(|secs| {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            humantime::format_rfc3339_seconds(t).to_string()
        });
    let quick = part_preview.or_else(|| plain_preview(&msg, &fetched.text));
    info.preview = quick.or_else(|| {
        raw.extend_from_slice(&fetched.text);
        preview(&MessageParser::default().parse(&raw)?)
    });
    info
}

/// The preview of a body that is one plain text part, from its first KiB
/// (or [`PART_PREFIX`] bytes, when that gives too little): most of a
/// catch-up's decoding went into text a preview never shows. `None` for any
/// other body (a multipart's or an HTML body's text can come later), and
/// when the start gives fewer than [`PREVIEW_CHARS`] characters: then the
/// whole prefix is decoded, so the preview is the same either way.
fn plain_preview(head: &mail_parser::Message, text: &[u8]) -> Option<String> {
    use mail_parser::MimeHeaders;
    let (charset, plain) = match head.content_type() {
        None => (None, true),
        Some(ct) => (
            ct.attribute("charset"),
            ct.ctype().eq_ignore_ascii_case("text")
                && ct.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain")),
        ),
    };
    let encoding = head.content_transfer_encoding().unwrap_or("7bit");
    let known = ["7bit", "8bit", "binary", "quoted-printable", "base64"]
        .iter()
        .any(|e| encoding.eq_ignore_ascii_case(e));
    if !plain || !known {
        return None;
    }
    // 1 KiB is enough for most; 4 KiB for text that starts with much
    // white space or many escapes.
    [1024, PART_PREFIX as usize]
        .into_iter()
        .filter(|&n| text.len() > n)
        .find_map(|n| {
            let start = cut_at_line(&text[..n], encoding)?;
            part_preview("plain", charset, encoding, start)
                .filter(|p| p.chars().count() >= PREVIEW_CHARS)
        })
}

/// Decodes a whole raw message the way a fetch would see it: the header
/// (cut at the fetch limit) and the first bytes of the body. For fuzzing,
/// benchmarks and tools that hold the message itself.
pub fn decode_raw(uidvalidity: u32, uid: u32, raw: &[u8]) -> MessageInfo {
    let (header, text) = raw.split_at(header_end(raw).unwrap_or(raw.len()));
    let header_cap = (FETCH_LIMIT - BODY_PREFIX) as usize;
    let text_cap = BODY_PREFIX as usize;
    decode(
        uidvalidity,
        Fetched {
            uid,
            size: u32::try_from(raw.len()).ok(),
            header: header[..header.len().min(header_cap)].to_vec(),
            text: text[..text.len().min(text_cap)].to_vec(),
            ..Default::default()
        },
    )
}

/// Where a message's header ends: just after the empty line that ends it
/// (CRLF, or a bare LF); `None` if `raw` holds no empty line.
pub fn header_end(raw: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        match raw.get(at..)? {
            [b'\r', b'\n', ..] => return Some(at + 2),
            [b'\n', ..] => return Some(at + 1),
            line => at += line.iter().position(|&b| b == b'\n')? + 1,
        }
    }
}

/// Collapses runs of white space (including line breaks) to one space and
/// drops control characters, so a field is always one printable line; at
/// most `max` characters of it.
fn clean_prefix(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(max.min(s.len()));
    let mut count = 0;
    // White space or a control character came since the last one kept.
    let mut gap = false;
    // One pass over the characters: this runs for every message of a
    // catch-up.
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            gap = true;
            continue;
        }
        if gap && count > 0 {
            if count == max {
                break;
            }
            out.push(' ');
            count += 1;
        }
        gap = false;
        if count == max {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// `bytes` as UTF-8, each bad sequence replaced: the same as
/// `String::from_utf8_lossy`, which checks valid text several times slower.
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// [`clean_prefix`] without a limit: a subject, a name, an address.
fn clean(s: &str) -> String {
    clean_prefix(s, usize::MAX)
}

fn addresses(value: Option<&HeaderValue>) -> Vec<Address> {
    let Some(addr) = value.and_then(|v| v.as_address()) else {
        return Vec::new();
    };
    addr.iter().map(address).collect()
}

fn address(a: &Addr) -> Address {
    Address {
        name: a.name().map(clean).filter(|n| !n.is_empty()),
        address: a.address().map(clean).filter(|n| !n.is_empty()),
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::{clean, clean_prefix, utf8_lossy};

    #[test]
    fn utf8_is_read_as_from_utf8_lossy_reads_it() {
        let samples: [&[u8]; 6] = [
            b"",
            b"plain ASCII",
            "Grüße, 日本語".as_bytes(),
            b"bad \xff byte",
            b"cut \xe6\x97",
            b"\xc3\x28 overlong \xc0\xaf and surrogate \xed\xa0\x80",
        ];
        for bytes in samples {
            assert_eq!(utf8_lossy(bytes), String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn a_cleaned_prefix_is_the_start_of_the_cleaned_whole() {
        let text = "  Hello,\r\n\tworld!  \u{7}and   more\nlines\u{85}here \u{a0} Grüße\u{2028}aus\u{200b}München ";
        assert_eq!(
            clean(text),
            "Hello, world! and more lines here Grüße aus\u{200b}München"
        );
        for max in 0..60 {
            let whole: String = clean(text).chars().take(max).collect();
            assert_eq!(clean_prefix(text, max), whole, "max {max}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_part_fetched_on_its_own_gives_the_preview() {
        use base64::Engine as _;
        let text = "Grüße aus München. ".repeat(300);
        let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&latin1);
        let mut lines: Vec<u8> = Vec::new();
        for chunk in encoded.as_bytes().chunks(76) {
            lines.extend_from_slice(chunk);
            lines.extend_from_slice(b"\r\n");
        }
        lines.truncate(PART_PREFIX as usize);
        let mut f = fetched("Subject: x\r\n\r\n", "");
        f.text_part = Some(TextPart {
            subtype: "plain".into(),
            charset: Some("iso-8859-1".into()),
            encoding: "base64".into(),
            bytes: lines,
        });
        let info = decode(1, f);
        let preview = info.preview.unwrap();
        assert!(preview.starts_with("Grüße aus München. Grüße"), "{preview}");
        // mail-parser cuts the preview at PREVIEW_CHARS bytes of text.
        assert!(
            (150..=PREVIEW_CHARS).contains(&preview.chars().count()),
            "{preview}"
        );
        // HTML is made text.
        let mut f = fetched("Subject: x\r\n\r\n", "");
        f.text_part = Some(TextPart {
            subtype: "html".into(),
            charset: None,
            encoding: "7bit".into(),
            bytes: b"<html><body><h1>Hello</h1><p><b>there</b></p></body></html>".to_vec(),
        });
        assert_eq!(decode(1, f).preview.as_deref(), Some("Hello there"));
    }

    fn fetched(header: &str, text: &str) -> Fetched {
        Fetched {
            uid: 9,
            header: header.as_bytes().to_vec(),
            text: text.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn decodes_encoded_words_and_names() {
        let h = "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\n\
                 To: a@example.com, \"Bob B\" <b@example.com>\r\n\
                 Subject: =?iso-8859-1?q?Gr=FC=DFe?= aus =?utf-8?b?S8O2bG4=?=\r\n\
                 Date: Mon, 23 Nov 2026 08:39:58 +0100\r\n\
                 Message-ID: <abc@example.com>\r\n\r\n";
        let m = decode(5, fetched(h, "Hello  there,\r\nsecond line\r\n"));
        assert_eq!(m.subject.as_deref(), Some("Grüße aus Köln"));
        assert_eq!(m.from[0].name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(m.from[0].address.as_deref(), Some("jm@example.de"));
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[1].name.as_deref(), Some("Bob B"));
        assert_eq!(m.date.as_deref(), Some("2026-11-23T07:39:58Z"));
        assert_eq!(m.message_id.as_deref(), Some("<abc@example.com>"));
        assert_eq!(m.preview.as_deref(), Some("Hello there, second line"));
        assert_eq!((m.uidvalidity, m.uid), (5, 9));
    }

    #[test]
    fn missing_fields_stay_missing() {
        let m = decode(1, fetched("X-Nothing: here\r\n\r\n", ""));
        assert_eq!(m.subject, None);
        assert!(m.from.is_empty() && m.to.is_empty() && m.cc.is_empty());
        assert_eq!(m.date, None);
        assert_eq!(m.message_id, None);
        assert_eq!(m.preview, None);
    }

    #[test]
    fn garbage_never_fails() {
        let mut f = fetched("", "");
        f.header = vec![0xff, 0xfe, 0, b'\n', b':', 0x80];
        f.text = vec![0; 100];
        let m = decode(1, f);
        assert_eq!(m.uid, 9);
        let m = decode(1, fetched("Subject: a\r\n", "")); // header cut short
        assert_eq!(m.subject.as_deref(), Some("a"));
    }

    /// The preview of a long plain body decodes only its start, and is the
    /// same as decoding the whole.
    #[test]
    fn a_long_plain_body_gives_the_same_preview_from_its_start() {
        let whole = |h: &str, t: &str| {
            let mut raw = h.as_bytes().to_vec();
            raw.extend_from_slice(t.as_bytes());
            let msg = MessageParser::default().parse(&raw).unwrap();
            preview(&msg)
        };
        // UTF-8 with no charset declared stays UTF-8 (not windows-1252).
        let h = "Subject: long\r\n\r\n";
        let t = "Grüße aus Köln, und noch mehr Text dazu.\r\n".repeat(400);
        let m = decode(1, fetched(h, &t));
        assert!(m.preview.as_deref().unwrap().starts_with("Grüße aus Köln"));
        assert_eq!(m.preview, whole(h, &t));
        // Quoted-printable and base64, with a charset.
        let h = "Content-Type: text/plain; charset=iso-8859-1\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n";
        let t = "Caf=E9 au lait, s'il vous pla=EEt, et un croissant.\r\n".repeat(300);
        let m = decode(1, fetched(h, &t));
        assert!(m.preview.as_deref().unwrap().starts_with("Café au lait"));
        assert_eq!(m.preview, whole(h, &t));
        let h = "Content-Type: text/plain; charset=utf-8\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n";
        let t = "w6nDqcOpIGhlbGxvIHdvcmxkIGFuZCBtb3JlIHRleHQgZm9yIHRoZSBwcmV2aWV3\r\n".repeat(300);
        let m = decode(1, fetched(h, &t));
        assert!(m.preview.as_deref().unwrap().starts_with("ééé hello"));
        assert_eq!(m.preview, whole(h, &t));
        // Text after 1 KiB of blank lines, and after 4 KiB: the next
        // longer start is decoded.
        let h = "Subject: late\r\n\r\n";
        let t = format!("{}{}", "\r\n".repeat(700), "Later text.\r\n".repeat(400));
        let m = decode(1, fetched(h, &t));
        assert!(m.preview.as_deref().unwrap().starts_with("Later text."));
        assert_eq!(m.preview, whole(h, &t));
        let t = format!("{}The text comes late.\r\n", "\r\n".repeat(3000));
        let m = decode(1, fetched("Subject: late\r\n\r\n", &t));
        assert_eq!(m.preview.as_deref(), Some("The text comes late."));
    }

    #[test]
    fn a_header_ends_at_its_first_empty_line() {
        assert_eq!(header_end(b"A: b\r\n\r\nbody\r\n\r\nmore"), Some(8));
        assert_eq!(header_end(b"A: b\nC: d\n\nbody"), Some(11));
        assert_eq!(header_end(b"A: b\r\n folded\r\n\r\n"), Some(17));
        assert_eq!(header_end(b"\r\nno header"), Some(2));
        assert_eq!(header_end(b"A: b\r\nC: d\r\n"), None);
        assert_eq!(header_end(b"A: b\r\nC: cut sh"), None);
        assert_eq!(header_end(b""), None);
    }

    /// Plain text that is stored as it is gets the same preview without
    /// mail-parser as with it, whatever its charset and bytes.
    #[test]
    fn plain_text_as_stored_previews_as_mail_parser_would() {
        let charsets = [
            None,
            Some("utf-8"),
            Some("UTF8"),
            Some("us-ascii"),
            Some("iso-8859-1"),
            Some("windows-1252"),
            Some("koi8-r"),
            Some("shift_jis"),
            Some("no-such-charset"),
            Some("\"utf-8\"; format=flowed"),
        ];
        let texts: [&[u8]; 7] = [
            b"",
            b"\r\n\r\n  \t\r\n",
            b"Hello, world.\r\nSecond line.\r\n",
            "Grüße aus Köln, 東京から\r\n".as_bytes(),
            b"Caf\xe9 \xff\xfe broken \xc3 utf-8 \x00 nul \x1b[31m escape\r\n",
            b"\x93quoted\x94 \x85 \x80uro",
            b"no line end at all",
        ];
        for charset in charsets {
            for encoding in ["7bit", "8BIT", "binary"] {
                for text in texts {
                    assert_eq!(
                        part_preview("plain", charset, encoding, text),
                        parsed_preview("plain", charset, encoding, text),
                        "{charset:?} {encoding} {:?}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    #[test]
    fn preview_comes_from_a_truncated_multipart() {
        let h = "Subject: x\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
        let t = "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                 Caf=C3=A9 tomorrow?\r\n--b\r\nContent-Type: application/pdf\r\n\r\nJVBER";
        let m = decode(1, fetched(h, t));
        assert_eq!(m.preview.as_deref(), Some("Café tomorrow?"));
    }

    /// A cheap, stable-Rust cousin of the cargo-fuzz target: random bytes
    /// and random mutations of a real message never panic, and always give
    /// an event that serialises to JSON and back.
    #[test]
    fn random_and_mutated_messages_always_decode() {
        let seed = b"From: =?utf-8?q?J=C3=BCrgen?= <j@x>\r\nSubject: hi\r\n\
                     Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                     Content-Type: text/plain; charset=iso-8859-1\r\n\
                     Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n--b--\r\n";
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..3000 {
            let raw: Vec<u8> = if round % 2 == 0 {
                (0..rng.usize(..600)).map(|_| rng.u8(..)).collect()
            } else {
                let mut m = seed.to_vec();
                for _ in 0..rng.usize(1..12) {
                    let i = rng.usize(..m.len());
                    match rng.u8(..3) {
                        0 => m[i] = rng.u8(..),
                        1 => m.insert(i, *b"=?\r\n;:\"\0".get(rng.usize(..8)).unwrap()),
                        _ => {
                            m.remove(i);
                        }
                    }
                }
                m
            };
            let info = decode_raw(1, round, &raw);
            let event = crate::event::Event::received("a", "INBOX", info);
            let back: crate::event::Event = serde_json::from_str(&event.to_json()).unwrap();
            assert_eq!(back, event, "round {round}");
        }
    }

    #[test]
    fn control_characters_do_not_survive() {
        let m = decode(1, fetched("Subject: a\u{7}b\tc\r\n\r\n", ""));
        assert_eq!(m.subject.as_deref(), Some("a b c"));
    }
}
