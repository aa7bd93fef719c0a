//! What BODYSTRUCTURE tells without downloading the parts: attachments
//! (names, types, sizes), and where the first text part is, for a preview
//! of mail whose text does not fit in the body's first bytes.

use imap_proto::types::{BodyContentCommon, BodyParams, BodyStructure, ContentEncoding};
use mail_parser::{MessageParser, MimeHeaders};

use crate::event::Attachment;

/// Every part a mail client would show as an attachment.
pub fn attachments(structure: &BodyStructure) -> Vec<Attachment> {
    let mut out = Vec::new();
    walk(structure, &mut out, 0);
    out
}

/// Deeper nesting than this is not followed (hostile messages nest
/// multiparts hundreds of levels deep).
const MAX_DEPTH: usize = 32;

fn walk(s: &BodyStructure, out: &mut Vec<Attachment>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match s {
        BodyStructure::Multipart { bodies, .. } => {
            for b in bodies {
                walk(b, out, depth + 1);
            }
        }
        BodyStructure::Basic { common, other, .. } => {
            if let Some(a) = attachment(common, other.octets, false) {
                out.push(a);
            }
        }
        BodyStructure::Text { common, other, .. } => {
            if let Some(a) = attachment(common, other.octets, true) {
                out.push(a);
            }
        }
        BodyStructure::Message { common, other, .. } => {
            // A forwarded message is an attachment; its insides are not ours.
            let a = attachment(common, other.octets, false).unwrap_or_else(|| Attachment {
                filename: None,
                content_type: content_type(common),
                size: other.octets,
            });
            out.push(a);
        }
    }
}

/// The first text part of a multipart message: the one a preview is made
/// of (text/plain, else text/html), where it is and how it is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPartRef {
    /// Its section number: `[1, 2]` is `BODY[1.2]`.
    pub section: Vec<u32>,
    /// `plain` or `html`.
    pub subtype: String,
    pub charset: Option<String>,
    /// `base64`, `quoted-printable`, `7bit`, ...
    pub encoding: String,
    /// About where it ends in the body: the parts before it, their MIME
    /// headers and its own size.
    pub end_estimate: u64,
}

/// MIME headers and a boundary line per part, about.
const PART_OVERHEAD: u64 = 300;

/// The text part of a multipart `structure` a preview comes from, if any.
/// A message that is not multipart has its text in the body prefix.
pub fn text_part(structure: &BodyStructure) -> Option<TextPartRef> {
    let BodyStructure::Multipart { .. } = structure else {
        return None;
    };
    let mut found: (Option<TextPartRef>, Option<TextPartRef>) = (None, None);
    let mut offset = 0u64;
    find_text(structure, &mut Vec::new(), &mut offset, &mut found, 0);
    found.0.or(found.1)
}

fn find_text(
    s: &BodyStructure,
    section: &mut Vec<u32>,
    offset: &mut u64,
    found: &mut (Option<TextPartRef>, Option<TextPartRef>),
    depth: usize,
) {
    if depth > MAX_DEPTH || found.0.is_some() {
        return;
    }
    match s {
        BodyStructure::Multipart { bodies, .. } => {
            for (i, b) in bodies.iter().enumerate() {
                section.push(i as u32 + 1);
                find_text(b, section, offset, found, depth + 1);
                section.pop();
            }
        }
        BodyStructure::Text { common, other, .. } => {
            *offset += PART_OVERHEAD + u64::from(other.octets);
            let subtype = common.ty.subtype.to_ascii_lowercase();
            let slot = match subtype.as_str() {
                "plain" => &mut found.0,
                "html" => &mut found.1,
                _ => return,
            };
            if slot.is_some() || attachment(common, other.octets, true).is_some() {
                return;
            }
            *slot = Some(TextPartRef {
                section: section.clone(),
                subtype,
                charset: common
                    .ty
                    .params
                    .iter()
                    .flatten()
                    .find(|(k, _)| k.eq_ignore_ascii_case("charset"))
                    .map(|(_, v)| sanitize(v)),
                encoding: match &other.transfer_encoding {
                    ContentEncoding::Base64 => "base64".into(),
                    ContentEncoding::QuotedPrintable => "quoted-printable".into(),
                    ContentEncoding::EightBit => "8bit".into(),
                    ContentEncoding::Binary => "binary".into(),
                    ContentEncoding::SevenBit => "7bit".into(),
                    ContentEncoding::Other(o) => sanitize(o),
                },
                end_estimate: *offset,
            });
        }
        BodyStructure::Basic { other, .. } | BodyStructure::Message { other, .. } => {
            *offset += PART_OVERHEAD + u64::from(other.octets);
        }
    }
}

fn attachment(common: &BodyContentCommon, octets: u32, is_text: bool) -> Option<Attachment> {
    let disposition = common
        .disposition
        .as_ref()
        .map(|d| d.ty.to_ascii_lowercase());
    let filename = filename(common);
    let is_attachment = match disposition.as_deref() {
        Some("attachment") => true,
        // Inline text without a name is the message body itself.
        _ if is_text => filename.is_some() && disposition.as_deref() != Some("inline"),
        _ => filename.is_some() || disposition.is_none(),
    };
    is_attachment.then(|| Attachment {
        filename,
        content_type: content_type(common),
        size: octets,
    })
}

fn content_type(common: &BodyContentCommon) -> String {
    format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase()
}

/// The part's file name, decoded (RFC 2231 continuations and charsets,
/// RFC 2047 words). The parameters are written back into MIME header
/// lines and read by mail-parser, so one decoder serves both paths.
fn filename(common: &BodyContentCommon) -> Option<String> {
    // Most parts have no name at all: nothing to decode.
    let named = |params: &BodyParams| {
        params.iter().flatten().any(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k.starts_with("name") || k.starts_with("filename")
        })
    };
    if !named(&common.ty.params)
        && !common
            .disposition
            .as_ref()
            .is_some_and(|d| named(&d.params))
    {
        return None;
    }
    let mut header = String::new();
    push_header(
        &mut header,
        "Content-Type",
        "application/octet-stream",
        &common.ty.params,
    );
    if let Some(d) = &common.disposition {
        push_header(&mut header, "Content-Disposition", &d.ty, &d.params);
    }
    header.push_str("\r\n");
    let msg = MessageParser::default().parse_headers(header.as_bytes())?;
    let name = msg.attachment_name()?.trim().to_string();
    (!name.is_empty()).then_some(name)
}

fn push_header(out: &mut String, name: &str, value: &str, params: &BodyParams) {
    out.push_str(name);
    out.push_str(": ");
    out.push_str(&sanitize(value));
    for (k, v) in params.iter().flatten() {
        let (k, v) = (sanitize(k), sanitize(v));
        if k.ends_with('*') {
            // RFC 2231 extended values are not quoted.
            out.push_str(&format!(";\r\n {k}={v}"));
        } else {
            let v = v.replace('\\', "\\\\").replace('"', "\\\"");
            out.push_str(&format!(";\r\n {k}=\"{v}\""));
        }
    }
    out.push_str("\r\n");
}

/// Parameters come from the server; they must not add header lines.
fn sanitize(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_text_part_is_found_with_its_encoding_and_place() {
        let bs = r#"((("text" "plain" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 20000 400 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "base64" 30000 NIL NIL NIL NIL) "alternative" ("boundary" "a") NIL NIL NIL)("application" "pdf" ("name" "x.pdf") NIL NIL "base64" 4000 NIL ("attachment" ("filename" "x.pdf")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)"#;
        let part = text_part(&parse(bs)).unwrap();
        assert_eq!(part.section, [1, 1]);
        assert_eq!(
            (part.subtype.as_str(), part.encoding.as_str()),
            ("plain", "quoted-printable")
        );
        assert_eq!(part.charset.as_deref(), Some("iso-8859-1"));
        assert_eq!(part.end_estimate, 20_300);
        // HTML only: the HTML part.
        let bs = r#"(("image" "png" NIL NIL NIL "base64" 100 NIL ("inline" NIL) NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 900 20 NIL NIL NIL NIL) "related" ("boundary" "r") NIL NIL NIL)"#;
        let part = text_part(&parse(bs)).unwrap();
        assert_eq!(
            (part.section.clone(), part.subtype.as_str()),
            (vec![2], "html")
        );
        // Not multipart: the body prefix holds the text.
        let bs = r#"("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 60000 900 NIL NIL NIL NIL)"#;
        assert_eq!(text_part(&parse(bs)), None);
    }

    fn parse(bs: &str) -> BodyStructure<'static> {
        let line = format!("* 1 FETCH (BODYSTRUCTURE {bs})\r\n");
        let (_, resp) = imap_proto::parser::parse_response(line.as_bytes()).unwrap();
        match resp {
            imap_proto::Response::Fetch(_, attrs) => attrs
                .into_iter()
                .find_map(|a| match a {
                    imap_proto::AttributeValue::BodyStructure(b) => Some(b.into_owned()),
                    _ => None,
                })
                .unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mixed_with_pdf_and_encoded_name() {
        let bs = r#"(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1 NIL NIL NIL NIL)("application" "pdf" ("name" "=?utf-8?q?Rechnung_M=C3=A4rz.pdf?=") NIL NIL "base64" 4000 NIL ("attachment" ("filename" "=?utf-8?q?Rechnung_M=C3=A4rz.pdf?=")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)"#;
        let a = attachments(&parse(bs));
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0].filename.as_deref(), Some("Rechnung März.pdf"));
        assert_eq!(a[0].content_type, "application/pdf");
        assert_eq!(a[0].size, 4000);
    }

    #[test]
    fn rfc2231_continuations() {
        let bs = r#"("image" "png" NIL NIL NIL "base64" 100 NIL ("attachment" ("filename*0*" "utf-8''%E2%82%AC" "filename*1" "uro.png")) NIL NIL)"#;
        let a = attachments(&parse(bs));
        assert_eq!(a[0].filename.as_deref(), Some("€uro.png"));
    }

    #[test]
    fn plain_and_alternative_bodies_are_not_attachments() {
        let bs = r#"(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 30 1 NIL NIL NIL NIL) "alternative" ("boundary" "b") NIL NIL NIL)"#;
        assert!(attachments(&parse(bs)).is_empty());
        let bs = r#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 1 NIL NIL NIL NIL)"#;
        assert!(attachments(&parse(bs)).is_empty());
    }

    #[test]
    fn hostile_names_cannot_inject_headers() {
        let bs = r#"("application" "octet-stream" ("name" "a\"b") NIL NIL "base64" 10 NIL ("attachment" ("filename" "x.sh")) NIL NIL)"#;
        let a = attachments(&parse(bs));
        assert_eq!(a[0].filename.as_deref(), Some("x.sh"));
    }
}
