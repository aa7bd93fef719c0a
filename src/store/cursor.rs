//! Mailbox cursors: per (account, mailbox) the UIDVALIDITY, the highest
//! UID announced, the mod-sequence up to which flag changes and deletions
//! were reported, and (for `changes = "uid-set"`) the UIDs known present.

/// Where a mailbox stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub uidvalidity: u32,
    /// The highest UID announced (or taken as the baseline).
    pub last_uid: u32,
    /// Changes with a MODSEQ up to this were reported (0: not tracked).
    pub modseq: u64,
    /// ... for UIDs up to this one. UIDs above it were announced after
    /// `modseq` was taken: their own arrival is not a change.
    pub modseq_uid: u32,
    /// For deletions found by comparing UIDs; `None` in a record leaves
    /// what is stored as it is.
    pub known: Option<Known>,
    /// When the mailbox was last seen under this UIDVALIDITY (Unix
    /// seconds), as stored; a record stores the time it is made.
    pub seen: Option<u64>,
}

impl Cursor {
    /// The same cursor without the known UIDs (which a record then leaves
    /// as they are stored).
    pub fn without_known(&self) -> Cursor {
        Cursor {
            known: None,
            ..*self
        }
    }
}

/// The UIDs known present up to `upto`; every UID announced above `upto`
/// counts as known present too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub upto: u32,
    /// Ascending.
    pub uids: Vec<u32>,
}

impl Known {
    /// Every UID known present, ascending, given the cursor's `last_uid`.
    pub fn present(&self, last_uid: u32) -> impl Iterator<Item = u32> + '_ {
        self.uids
            .iter()
            .copied()
            .chain(self.upto.saturating_add(1)..=last_uid)
    }
}

/// A cursor and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxCursor {
    pub account: String,
    pub mailbox: String,
    pub cursor: Cursor,
}

/// A mailbox's row, for `state show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MailboxState {
    pub account: String,
    pub mailbox: String,
    pub uidvalidity: u32,
    pub last_uid: u32,
    /// HIGHESTMODSEQ up to which changes were reported (0: not tracked).
    pub modseq: u64,
    /// When the cursor last moved.
    pub updated: String,
    /// When the last event of this mailbox was observed.
    pub last_event: Option<String>,
    pub events: u64,
}
