//! Which events a sink wants: type patterns, account and mailbox filters,
//! and conditions on the message (regular expressions on from, to and
//! subject; attachments; flags).

use regex::Regex;

use crate::event::Event;

/// A sink's subscription. The default takes `message.received` only.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// `message.received`, `message.*` or `*`.
    pub types: Vec<String>,
    pub account: Option<String>,
    pub mailbox: Option<String>,
    pub conditions: Conditions,
}

/// Conditions on the message; all given ones must hold. Events that are
/// not about a message pass only when no condition is given.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub from: Option<Regex>,
    pub to: Option<Regex>,
    pub subject: Option<Regex>,
    pub has_attachments: Option<bool>,
    /// Every one of these flags must be set.
    pub flags: Vec<String>,
}

/// Two conditions are the same when their patterns are written the same.
impl PartialEq for Conditions {
    fn eq(&self, other: &Conditions) -> bool {
        let same = |a: &Option<Regex>, b: &Option<Regex>| {
            a.as_ref().map(Regex::as_str) == b.as_ref().map(Regex::as_str)
        };
        same(&self.from, &other.from)
            && same(&self.to, &other.to)
            && same(&self.subject, &other.subject)
            && self.has_attachments == other.has_attachments
            && self.flags == other.flags
    }
}

impl Default for Subscription {
    fn default() -> Subscription {
        Subscription::all(&["message.received"])
    }
}

impl Subscription {
    /// Every event of these type patterns, from anywhere.
    pub fn all(types: &[&str]) -> Subscription {
        Subscription {
            types: types.iter().map(|s| s.to_string()).collect(),
            account: None,
            mailbox: None,
            conditions: Conditions::default(),
        }
    }

    pub fn matches(&self, e: &Event) -> bool {
        self.types.iter().any(|p| type_matches(p, e.kind.as_str()))
            && self.account.as_ref().is_none_or(|a| *a == e.account)
            && self
                .mailbox
                .as_ref()
                .is_none_or(|m| e.mailbox.as_deref() == Some(m.as_str()))
            && self.conditions.hold(e)
    }
}

/// `*` matches all; `message.*` matches `message.` followed by anything.
pub fn type_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.subject.is_none()
            && self.has_attachments.is_none()
            && self.flags.is_empty()
    }

    fn hold(&self, e: &Event) -> bool {
        if self.is_empty() {
            return true;
        }
        let Some(m) = e.message() else { return false };
        let any_address = |re: &Regex, list: &[crate::event::Address]| {
            list.iter().any(|a| {
                let name = a.name.as_deref().unwrap_or("");
                let addr = a.address.as_deref().unwrap_or("");
                re.is_match(&format!("{name} <{addr}>"))
            })
        };
        self.from.as_ref().is_none_or(|re| any_address(re, &m.from))
            && self
                .to
                .as_ref()
                .is_none_or(|re| any_address(re, &m.to) || any_address(re, &m.cc))
            && self
                .subject
                .as_ref()
                .is_none_or(|re| re.is_match(m.subject.as_deref().unwrap_or("")))
            && self
                .has_attachments
                .is_none_or(|want| want != m.attachments.is_empty())
            && self
                .flags
                .iter()
                .all(|f| m.flags.iter().any(|g| g.eq_ignore_ascii_case(f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Address, Attachment, MessageInfo};

    fn mail(from: &str, subject: &str, attachments: usize) -> Event {
        let info = MessageInfo {
            uid: 1,
            subject: Some(subject.into()),
            from: vec![Address {
                name: Some("Ann".into()),
                address: Some(from.into()),
            }],
            attachments: (0..attachments)
                .map(|_| Attachment {
                    filename: None,
                    content_type: "application/pdf".into(),
                    size: 1,
                })
                .collect(),
            flags: vec!["\\Flagged".into()],
            ..Default::default()
        };
        Event::received("work", "INBOX", info)
    }

    #[test]
    fn type_patterns() {
        assert!(type_matches("*", "account.connected"));
        assert!(type_matches("message.*", "message.received"));
        assert!(!type_matches("message.*", "mailbox.reset"));
        assert!(type_matches("message.received", "message.received"));
        assert!(!type_matches("message.received", "message.receivedx"));
    }

    #[test]
    fn filters_and_conditions() {
        let e = mail("boss@corp.example", "Quarterly report", 1);
        let mut s = Subscription::default();
        assert!(s.matches(&e));
        s.account = Some("home".into());
        assert!(!s.matches(&e));
        s.account = Some("work".into());
        s.conditions.from = Some(Regex::new("(?i)@corp\\.example>").unwrap());
        s.conditions.has_attachments = Some(true);
        s.conditions.flags = vec!["\\flagged".into()];
        assert!(s.matches(&e));
        s.conditions.subject = Some(Regex::new("invoice").unwrap());
        assert!(!s.matches(&e));
        // Conditions on the message exclude events that have none.
        let c = Event::connected("work", "INBOX", "idle");
        let mut s = Subscription::all(&["*"]);
        assert!(s.matches(&c));
        s.conditions.has_attachments = Some(false);
        assert!(!s.matches(&c));
    }
}
