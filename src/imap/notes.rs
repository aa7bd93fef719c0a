//! What a server says on its own (between and inside the answers to our
//! commands, and in IDLE): new mail, expunges, flag changes, NOTIFY's
//! mailbox statuses and overflow, goodbye. Noted here until the watcher
//! asks.

use std::collections::BTreeMap;

use imap_proto::types::{MailboxDatum, Response, Status, StatusAttribute};

use super::ImapError;

/// What a STATUS response said of a mailbox (each item if it was asked).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailboxStatus {
    pub messages: Option<u32>,
    pub uid_next: Option<u32>,
    pub uidvalidity: Option<u32>,
    pub highest_modseq: Option<u64>,
}

impl MailboxStatus {
    pub(super) fn from_attributes(attributes: &[StatusAttribute]) -> MailboxStatus {
        let mut s = MailboxStatus::default();
        for a in attributes {
            match *a {
                StatusAttribute::Messages(n) => s.messages = Some(n),
                StatusAttribute::UidNext(n) => s.uid_next = Some(n),
                StatusAttribute::UidValidity(n) => s.uidvalidity = Some(n),
                StatusAttribute::HighestModSeq(n) => s.highest_modseq = Some(n),
                _ => {}
            }
        }
        s
    }
}

#[derive(Debug, Default)]
pub(super) struct Notes {
    /// Flag changes and expunges wake a watcher, not only new mail.
    pub watch_changes: bool,
    /// Something that may mean new mail (or, when changes are watched, a
    /// change) in the selected mailbox.
    pub news: bool,
    /// An expunge in the selected mailbox.
    pub expunged: bool,
    /// NOTIFY: the last STATUS the server pushed for each mailbox (by
    /// name, decoded).
    pub statuses: BTreeMap<String, MailboxStatus>,
    /// NOTIFY: the server dropped events (`NOTIFICATIONOVERFLOW`), or said
    /// something a watcher cannot read; every mailbox must be looked at.
    pub overflow: bool,
    /// NOTIFY: a mailbox was created, renamed or deleted.
    pub listed: bool,
    /// The last warning (an untagged NO or BAD).
    pub warning: Option<String>,
}

impl Notes {
    /// Notes `r`; true when it is worth a look (it ends an IDLE).
    pub fn note(&mut self, r: &Response<'_>) -> Result<bool, ImapError> {
        Ok(match r {
            Response::MailboxData(MailboxDatum::Exists(_) | MailboxDatum::Recent(_)) => {
                self.news = true;
                true
            }
            Response::Expunge(_) | Response::Vanished { .. } if self.watch_changes => {
                self.news = true;
                self.expunged = true;
                true
            }
            Response::Fetch(..) if self.watch_changes => {
                self.news = true;
                true
            }
            Response::MailboxData(MailboxDatum::Status { mailbox, status }) => {
                let name = crate::utf7::decode(mailbox);
                let s = MailboxStatus::from_attributes(status);
                let slot = self.statuses.entry(name).or_default();
                // Items the server left out keep what it said before.
                *slot = MailboxStatus {
                    messages: s.messages.or(slot.messages),
                    uid_next: s.uid_next.or(slot.uid_next),
                    uidvalidity: s.uidvalidity.or(slot.uidvalidity),
                    highest_modseq: s.highest_modseq.or(slot.highest_modseq),
                };
                true
            }
            Response::MailboxData(MailboxDatum::List { .. }) => {
                self.listed = true;
                true
            }
            Response::Data {
                status: Status::Bye,
                information,
                ..
            } => {
                return Err(ImapError::Bye(
                    information
                        .as_deref()
                        .map(super::wire::one_line)
                        .unwrap_or_default(),
                ));
            }
            Response::Data {
                status: Status::No,
                information: Some(text),
                ..
            } if text.contains("NOTIFICATIONOVERFLOW") => {
                self.overflow = true;
                true
            }
            // A warning: Dovecot says "internal error" after every command
            // once the selected mailbox is deleted under the session.
            Response::Data {
                status: Status::No | Status::Bad,
                information,
                ..
            } => {
                self.warning = Some(
                    information
                        .as_deref()
                        .map(super::wire::one_line)
                        .unwrap_or_default(),
                );
                true
            }
            _ => false,
        })
    }

    /// Notes an untagged response that could not be parsed; true when it
    /// is worth a look.
    pub fn note_unparsed(&mut self, text: &str) -> bool {
        if text.contains("NOTIFICATIONOVERFLOW") {
            self.overflow = true;
            return true;
        }
        tracing::debug!("an untagged response mailreactor does not read: {text}");
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Response<'_> {
        imap_proto::parser::parse_response(line).unwrap().1
    }

    #[test]
    fn a_pushed_status_is_kept_by_mailbox_and_merged() {
        let mut n = Notes::default();
        let r = parse(b"* STATUS \"Lists/&AOk-t&AOk-\" (MESSAGES 3 UIDNEXT 9)\r\n");
        assert!(n.note(&r).unwrap());
        let r = parse(b"* STATUS \"Lists/&AOk-t&AOk-\" (UIDNEXT 10)\r\n");
        assert!(n.note(&r).unwrap());
        let s = n.statuses["Lists/été"];
        assert_eq!((s.messages, s.uid_next), (Some(3), Some(10)));
    }

    #[test]
    fn expunges_wake_only_when_changes_are_watched() {
        let mut n = Notes::default();
        assert!(!n.note(&parse(b"* 3 EXPUNGE\r\n")).unwrap());
        n.watch_changes = true;
        assert!(n.note(&parse(b"* 3 EXPUNGE\r\n")).unwrap());
        assert!(n.expunged);
    }

    #[test]
    fn goodbye_is_an_error_and_overflow_a_resync() {
        let mut n = Notes::default();
        let e = n.note(&parse(b"* BYE shutting down\r\n")).unwrap_err();
        assert_eq!(e.to_string(), "the server said goodbye: shutting down");
        assert!(n.note_unparsed("* NO [NOTIFICATIONOVERFLOW] too many"));
        assert!(n.overflow);
    }
}
