//! Attachments from BODYSTRUCTURE: names, types and sizes without
//! downloading the parts.

use imap_proto::types::{BodyContentCommon, BodyParams, BodyStructure};
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
