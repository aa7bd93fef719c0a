//! The account's mailboxes (LIST, with special-use where the server has
//! it) and NOTIFY (RFC 5465): one connection told of every mailbox.

use imap_proto::types::{MailboxDatum, NameAttribute, Response};

use super::{Connection, ImapError};

/// A mailbox as LIST shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Decoded from modified UTF-7.
    pub name: String,
    /// The hierarchy delimiter, if the server has one.
    pub delimiter: Option<char>,
    /// `\Junk`, `\Trash`, ... (RFC 6154), lower-case without the
    /// backslash.
    pub special_use: Vec<String>,
    /// It can be opened (not `\Noselect` or `\NonExistent`).
    pub selectable: bool,
}

impl Connection {
    /// Every mailbox of the account.
    pub fn list(&mut self) -> Result<Vec<Listed>, ImapError> {
        let command = if self.has("SPECIAL-USE") && self.has("LIST-EXTENDED") {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else {
            "LIST \"\" \"*\""
        };
        let mut out = Vec::new();
        self.wire.run(command, |r| match r {
            Response::MailboxData(MailboxDatum::List {
                name_attributes,
                delimiter,
                name,
            }) => {
                let mut special_use = Vec::new();
                let mut selectable = true;
                for a in name_attributes {
                    let word = match a {
                        NameAttribute::NoSelect => {
                            selectable = false;
                            continue;
                        }
                        NameAttribute::All => "all",
                        NameAttribute::Archive => "archive",
                        NameAttribute::Drafts => "drafts",
                        NameAttribute::Flagged => "flagged",
                        NameAttribute::Junk => "junk",
                        NameAttribute::Sent => "sent",
                        NameAttribute::Trash => "trash",
                        NameAttribute::Extension(e) => {
                            if e.eq_ignore_ascii_case("\\NonExistent") {
                                selectable = false;
                            }
                            continue;
                        }
                        _ => continue,
                    };
                    special_use.push(word.to_string());
                }
                let decoded = crate::utf7::decode(name);
                let name = if decoded.eq_ignore_ascii_case("INBOX") {
                    "INBOX".to_string()
                } else {
                    decoded
                };
                out.push(Listed {
                    name,
                    delimiter: delimiter.as_deref().and_then(|d| d.chars().next()),
                    special_use,
                    selectable,
                });
                true
            }
            _ => false,
        })?;
        Ok(out)
    }

    pub fn has_notify(&self) -> bool {
        self.has("NOTIFY")
    }

    /// Asks to be told of new mail, expunges and flag changes in every
    /// mailbox of the account (and of mailboxes created, renamed or
    /// deleted): the selected one's as EXISTS, EXPUNGE and FETCH, the
    /// others' as STATUS. With `status`, the server first sends the STATUS
    /// of each.
    ///
    /// Asked again, it replaces what was asked before. That matters on
    /// Dovecot: it watches a file for changes (each mailbox list's and
    /// INBOX's index log), and once the file is rotated, as it is every few
    /// hundred kilobytes, it hears of changes only at its
    /// `mailbox_idle_check_interval` (30 s by default); asked again, it
    /// watches the file that is there now.
    pub fn notify(&mut self, names: bool, status: bool) -> Result<(), ImapError> {
        let events = "MessageNew MessageExpunge FlagChange";
        let names = if names { " MailboxName" } else { "" };
        let status = if status { " STATUS" } else { "" };
        let command =
            format!("NOTIFY SET{status} (selected ({events})) (personal ({events}{names}))");
        self.wire.run(&command, |_| false)?;
        Ok(())
    }

    /// Leaves the open mailbox (UNSELECT, or CLOSE, which removes nothing
    /// from a mailbox opened read-only), so that NOTIFY tells of it by
    /// STATUS like any other.
    pub fn unselect(&mut self) -> Result<(), ImapError> {
        let command = if self.has("UNSELECT") {
            "UNSELECT"
        } else {
            "CLOSE"
        };
        self.wire.run(command, |_| false)?;
        // What came before it was about the mailbox left.
        self.wire.notes.news = false;
        Ok(())
    }

    /// STATUS the server pushed since the last call, by mailbox.
    pub fn take_statuses(&mut self) -> std::collections::BTreeMap<String, super::MailboxStatus> {
        std::mem::take(&mut self.wire.notes.statuses)
    }

    /// Whether the server dropped notifications since the last call.
    pub fn take_overflow(&mut self) -> bool {
        std::mem::take(&mut self.wire.notes.overflow)
    }

    /// Whether a mailbox was created, renamed or deleted since the last
    /// call (NOTIFY's MailboxName).
    pub fn take_listed(&mut self) -> bool {
        std::mem::take(&mut self.wire.notes.listed)
    }
}
