//! Fetching what an event needs of new messages: flags, size,
//! BODYSTRUCTURE and the message's first [`PREFIX`] bytes (its header and
//! the start of its body, as one section: that costs the server less than
//! the two asked for apart). Afterwards, for the rare header longer than
//! that, the header and the body's start apart; and for a multipart message
//! whose first text part starts past what came, that part's start on its
//! own.
//!
//! A catch-up fetches in batches, and asks for the next batch as soon as
//! the last message of the one being read is in: the server starts on it
//! while mailreactor reads the end of the last and hands it on, so no batch
//! waits for a round trip. Asked for sooner, while the server still writes
//! the last batch, Dovecot runs both commands at once and interleaves their
//! answers ("output is blocking, we can execute more commands", its
//! `imap-client.c`): both batches then came late and together, and the
//! server took longer over the pair than over the two one after the other
//! (BENCHMARKS.md, row c). One batch is read at a time, so memory stays
//! bounded however long the backlog.

use std::collections::BTreeMap;

use imap_proto::types::{Response, SectionPath};

use super::fetch::Attrs;
use super::structure::{self, TextPartRef};
use super::wire::Next;
use super::{ChangeSupport, Connection, ImapError, uid_set};
use crate::message::{
    BODY_PREFIX, FETCH_LIMIT, Fetched, PART_PREFIX, PREFIX, TextPart, header_end,
};

impl Connection {
    /// Fetches `uids` (ascending) in batches of `batch`, and hands each
    /// batch to `each` in order, with the batch's last UID (a UID that
    /// vanished meanwhile is simply not in it). The next batch is asked
    /// for as soon as this one's last message is in, before its end is
    /// read and while it is handed on.
    pub fn fetch_batches<E: From<ImapError>>(
        &mut self,
        uids: &[u32],
        batch: usize,
        mut each: impl FnMut(u32, Vec<Fetched>) -> Result<(), E>,
    ) -> Result<(), E> {
        let chunks: Vec<&[u32]> = uids.chunks(batch).collect();
        let query = self.fetch_query();
        let command = |chunk: &[u32]| format!("UID FETCH {} {query}", uid_set(chunk));
        // The tag of the batch asked for and not yet read.
        let mut asked = match chunks.first() {
            Some(first) => Some(self.wire.send(&command(first))?),
            None => None,
        };
        let mut got = Collected::default();
        for (i, chunk) in chunks.iter().enumerate() {
            let last = *chunk.last().expect("chunks are never empty");
            let following = chunks.get(i + 1);
            // Answers to this batch, and to the next if the server
            // interleaves them.
            let window = (chunk[0], following.map_or(last, |c| c[c.len() - 1]));
            let read = (|| {
                let next_command = following.map(|c| command(c));
                match asked.take() {
                    Some(tag) => {
                        let is_last = |r: &Response<'_>| match r {
                            Response::Fetch(_, attrs) => {
                                let f = Attrs(attrs);
                                f.uid() == Some(last) && f.whole().is_some()
                            }
                            _ => false,
                        };
                        let mut next = next_command.as_deref().map(|command| Next {
                            command,
                            when: &is_last,
                            tag: None,
                        });
                        let read = self.wire.finish_then(
                            &tag,
                            &mut |r| got.take(r, uids, window),
                            next.as_mut(),
                        );
                        asked = next.and_then(|n| n.tag);
                        read?;
                    }
                    // Read already, for what it needed afterwards.
                    None => {
                        if let Some(command) = &next_command {
                            asked = Some(self.wire.send(command)?);
                        }
                    }
                }
                let (mut out, later) = got.split_off(chunk);
                if !later.is_empty() {
                    // What a batch needs afterwards is fetched with nothing
                    // else asked for: each tagged answer must be the one
                    // awaited. The next batch is read first.
                    if let Some(tag) = asked.take() {
                        self.wire.finish(&tag, &mut |r| got.take(r, uids, window))?;
                    }
                    self.fetch_later(&mut out, later)?;
                }
                Ok(out)
            })();
            // After a refusal or a failed hand-on the connection goes on:
            // what is still coming is read first. After a failed read it is
            // no use waiting for more.
            let failed = match read {
                Ok(out) => match each(last, out) {
                    Ok(()) => continue,
                    Err(e) => e,
                },
                Err(e @ ImapError::Refused { .. }) => E::from(e),
                Err(e) => return Err(E::from(e)),
            };
            if let Some(tag) = asked {
                let _ = self
                    .wire
                    .finish(&tag, &mut |r| matches!(r, Response::Fetch(..)));
            }
            return Err(failed);
        }
        Ok(())
    }

    fn fetch_query(&self) -> String {
        let modseq = if self.support == ChangeSupport::None {
            ""
        } else {
            " MODSEQ"
        };
        format!("(UID FLAGS RFC822.SIZE BODYSTRUCTURE BODY.PEEK[]<0.{PREFIX}>{modseq})")
    }

    /// What a batch still needs once its answers are in: long headers
    /// first (what came of their body decides whether a text part is
    /// needed), then text parts.
    fn fetch_later(&mut self, out: &mut [Fetched], later: Later) -> Result<(), ImapError> {
        let mut parts = later.parts;
        if !later.long.is_empty() {
            self.fetch_long_headers(out, &later.long)?;
            for (uid, part) in later.long {
                let Ok(i) = out.binary_search_by_key(&uid, |m| m.uid) else {
                    continue;
                };
                // The server sends less than asked only where the body ends.
                let complete = out[i].text.len() < BODY_PREFIX as usize;
                if let Some(part) = part.filter(|p| needs_part(p, &out[i].text, complete)) {
                    parts.push((uid, part));
                }
            }
        }
        if !parts.is_empty() {
            self.fetch_text_parts(out, parts)?;
        }
        Ok(())
    }

    /// Fetches the header (up to `FETCH_LIMIT - BODY_PREFIX`) and the
    /// body's first [`BODY_PREFIX`] bytes of messages whose header did not
    /// end within the first [`PREFIX`] bytes.
    fn fetch_long_headers(
        &mut self,
        out: &mut [Fetched],
        long: &[(u32, Option<TextPartRef>)],
    ) -> Result<(), ImapError> {
        let uids: Vec<u32> = long.iter().map(|(uid, _)| *uid).collect();
        let command = format!(
            "UID FETCH {} (UID BODY.PEEK[HEADER]<0.{}> BODY.PEEK[TEXT]<0.{BODY_PREFIX}>)",
            uid_set(&uids),
            FETCH_LIMIT - BODY_PREFIX
        );
        self.wire.run(&command, |r| {
            let Response::Fetch(_, attrs) = r else {
                return false;
            };
            let f = Attrs(attrs);
            let (Some(uid), Some(header)) = (f.uid(), f.header()) else {
                return false;
            };
            if uids.binary_search(&uid).is_err() {
                return false;
            }
            if let Ok(i) = out.binary_search_by_key(&uid, |m| m.uid) {
                out[i].header = header.to_vec();
                out[i].text = f.text().unwrap_or_default().to_vec();
            }
            true
        })?;
        Ok(())
    }

    /// Fetches the first [`PART_PREFIX`] bytes of each text part in `parts`
    /// (one command per section number) into `out`.
    fn fetch_text_parts(
        &mut self,
        out: &mut [Fetched],
        mut parts: Vec<(u32, TextPartRef)>,
    ) -> Result<(), ImapError> {
        parts.sort_by(|a, b| a.1.section.cmp(&b.1.section).then(a.0.cmp(&b.0)));
        for group in parts.chunk_by(|a, b| a.1.section == b.1.section) {
            let section = &group[0].1.section;
            let name: Vec<String> = section.iter().map(u32::to_string).collect();
            let group_uids: Vec<u32> = group.iter().map(|(uid, _)| *uid).collect();
            let query = format!("(UID BODY.PEEK[{}]<0.{PART_PREFIX}>)", name.join("."));
            let command = format!("UID FETCH {} {query}", uid_set(&group_uids));
            let path = SectionPath::Part(section.clone(), None);
            self.wire.run(&command, |r| {
                let Response::Fetch(_, attrs) = r else {
                    return false;
                };
                let f = Attrs(attrs);
                let (Some(uid), Some(bytes)) = (f.uid(), f.section(&path)) else {
                    return false;
                };
                let Some((_, part)) = group.iter().find(|(u, _)| *u == uid) else {
                    return false;
                };
                if let Ok(i) = out.binary_search_by_key(&uid, |m| m.uid) {
                    out[i].text_part = Some(TextPart {
                        subtype: part.subtype.clone(),
                        charset: part.charset.clone(),
                        encoding: part.encoding.clone(),
                        bytes: bytes[..bytes.len().min(PART_PREFIX as usize)].to_vec(),
                    });
                }
                true
            })?;
        }
        Ok(())
    }
}

/// Messages read and not yet handed on, with what is still to fetch.
#[derive(Default)]
struct Collected {
    fetched: BTreeMap<u32, Fetched>,
    parts: BTreeMap<u32, TextPartRef>,
    /// Messages whose header is longer than the first bytes, with their
    /// text part (if the BODYSTRUCTURE names one).
    long: BTreeMap<u32, Option<TextPartRef>>,
}

/// What a batch needs fetched once its answers are in, in UID order.
#[derive(Default)]
struct Later {
    parts: Vec<(u32, TextPartRef)>,
    long: Vec<(u32, Option<TextPartRef>)>,
}

impl Later {
    fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.long.is_empty()
    }
}

/// Whether a first text part must be fetched on its own for the preview:
/// it reaches past the body's start in `text`, which is not the whole body.
fn needs_part(part: &TextPartRef, text: &[u8], complete: bool) -> bool {
    !complete && part.end_estimate > text.len() as u64
}

impl Collected {
    /// Takes `r` if it answers the fetch of a UID in `uids` within
    /// `window` (first and last UID, inclusive).
    fn take(&mut self, r: &Response<'_>, uids: &[u32], window: (u32, u32)) -> bool {
        let Response::Fetch(_, attrs) = r else {
            return false;
        };
        let f = Attrs(attrs);
        // A flag change the server tells on its own has no body section.
        let (Some(uid), Some(start)) = (f.uid(), f.whole()) else {
            return false;
        };
        if uid < window.0 || uid > window.1 || uids.binary_search(&uid).is_err() {
            return false;
        }
        let size = f.size();
        // The server sends less than asked only where the message ends.
        let whole =
            start.len() < PREFIX as usize || size.is_some_and(|s| s as usize <= start.len());
        let structure = f.bodystructure();
        let part = structure.and_then(structure::text_part);
        let (header, text) = header_end(start).map_or((start, &[][..]), |end| start.split_at(end));
        let kept = &text[..text.len().min(BODY_PREFIX as usize)];
        if header.len() == start.len() && !whole {
            // A header longer than the first bytes: fetched again, header
            // and body apart, and its text part decided after that.
            self.long.insert(uid, part);
        } else if let Some(part) =
            part.filter(|p| needs_part(p, kept, whole && kept.len() == text.len()))
        {
            // A first text part that reaches past the body's start that
            // came is fetched on its own, for the preview.
            self.parts.insert(uid, part);
        }
        self.fetched.insert(
            uid,
            Fetched {
                uid,
                size,
                flags: f.flags(),
                header: header.to_vec(),
                text: kept.to_vec(),
                attachments: structure.map(structure::attachments).unwrap_or_default(),
                modseq: f.modseq(),
                text_part: None,
            },
        );
        true
    }

    /// Takes out what was read of `chunk` (ascending), in UID order, and
    /// what it still needs fetched.
    fn split_off(&mut self, chunk: &[u32]) -> (Vec<Fetched>, Later) {
        let after = chunk.last().expect("chunks are never empty").checked_add(1);
        let (rest, rest_parts, rest_long) = match after {
            Some(after) => (
                self.fetched.split_off(&after),
                self.parts.split_off(&after),
                self.long.split_off(&after),
            ),
            None => Default::default(),
        };
        let out = std::mem::replace(&mut self.fetched, rest)
            .into_values()
            .collect();
        let later = Later {
            parts: std::mem::replace(&mut self.parts, rest_parts)
                .into_iter()
                .collect(),
            long: std::mem::replace(&mut self.long, rest_long)
                .into_iter()
                .collect(),
        };
        (out, later)
    }
}
