//! Mailbox names on the wire: IMAP's modified UTF-7 (RFC 3501 §5.1.3), so
//! `Entwürfe` in a profile reaches the server as `Entw&APw-rfe`.
//!
//! Written here rather than taken from a crate: it is one small function
//! fully specified by the RFC, and the crates for it are barely maintained.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes a mailbox name; pure ASCII names come back unchanged (but `&`
/// becomes `&-`).
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

fn flush(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out.push('-');
    pending.clear();
}

/// Decodes a mailbox name the server sent. What is not valid modified
/// UTF-7 is kept as it came, so a name is never lost.
pub fn decode(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(dash) = after.find('-') else {
            out.push_str(&rest[amp..]);
            return out;
        };
        let run = &after[..dash];
        match decode_run(run) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&rest[amp..amp + dash + 2]),
        }
        rest = &after[dash + 1..];
    }
    out.push_str(rest);
    out
}

/// One `&...-` run without its ends: `""` is `&`.
fn decode_run(run: &str) -> Option<String> {
    if run.is_empty() {
        return Some("&".into());
    }
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in run.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn decoding_undoes_encoding() {
        for name in [
            "INBOX",
            "Entwürfe",
            "~peter/mail/台北/日本語",
            "A&B",
            "😀 x",
        ] {
            assert_eq!(decode(&encode(name)), name);
        }
        assert_eq!(decode("broken&AB"), "broken&AB");
        assert_eq!(decode("odd&A-x"), "odd&A-x");
    }

    #[test]
    fn rfc_examples() {
        assert_eq!(encode("INBOX"), "INBOX");
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(encode("😀"), "&2D3eAA-");
    }
}
