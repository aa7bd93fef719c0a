//! Reading a FETCH response's attributes: UID, flags, size, MODSEQ, the
//! BODYSTRUCTURE, body sections and INTERNALDATE.

use imap_proto::types::{AttributeValue, BodyStructure, MessageSection, SectionPath};

/// One FETCH response's attributes.
pub(super) struct Attrs<'r, 'a>(pub &'r [AttributeValue<'a>]);

impl<'r, 'a> Attrs<'r, 'a> {
    pub fn uid(&self) -> Option<u32> {
        self.0.iter().find_map(|a| match a {
            AttributeValue::Uid(u) => Some(*u),
            _ => None,
        })
    }

    /// Flags as names; `\Recent` is a per-session marker, not a message
    /// flag.
    pub fn flags(&self) -> Vec<String> {
        self.0
            .iter()
            .find_map(|a| match a {
                AttributeValue::Flags(f) => Some(f),
                _ => None,
            })
            .map(|flags| {
                flags
                    .iter()
                    .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
                    .map(|f| f.to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn size(&self) -> Option<u32> {
        self.0.iter().find_map(|a| match a {
            AttributeValue::Rfc822Size(n) => Some(*n),
            _ => None,
        })
    }

    pub fn modseq(&self) -> Option<u64> {
        self.0.iter().find_map(|a| match a {
            AttributeValue::ModSeq(m) => Some(*m),
            _ => None,
        })
    }

    pub fn bodystructure(&self) -> Option<&'r BodyStructure<'a>> {
        self.0.iter().find_map(|a| match a {
            AttributeValue::BodyStructure(b) => Some(b),
            _ => None,
        })
    }

    /// A body section's bytes (`BODY[path]`, from any offset).
    pub fn section(&self, path: &SectionPath) -> Option<&'r [u8]> {
        self.0.iter().find_map(|a| match a {
            AttributeValue::BodySection {
                section: Some(p),
                data,
                ..
            } if p == path => Some(data.as_deref().unwrap_or_default()),
            _ => None,
        })
    }

    /// `BODY[]` (from any offset): the message as stored.
    pub fn whole(&self) -> Option<&'r [u8]> {
        self.0.iter().find_map(|a| match a {
            AttributeValue::BodySection {
                section: None,
                data,
                ..
            } => Some(data.as_deref().unwrap_or_default()),
            _ => None,
        })
    }

    pub fn header(&self) -> Option<&'r [u8]> {
        self.section(&SectionPath::Full(MessageSection::Header))
    }

    pub fn text(&self) -> Option<&'r [u8]> {
        self.section(&SectionPath::Full(MessageSection::Text))
    }

    /// INTERNALDATE as Unix seconds.
    pub fn internal_date(&self) -> Option<u64> {
        self.0.iter().find_map(|a| match a {
            AttributeValue::InternalDate(d) => internal_date(d),
            _ => None,
        })
    }
}

/// Reads `dd-Mon-yyyy hh:mm:ss +zzzz` (RFC 3501's date-time; the day may
/// be space-padded) as Unix seconds.
pub(super) fn internal_date(s: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mut parts = s.split_whitespace();
    let date = parts.next()?;
    let time = parts.next()?;
    let zone = parts.next()?;
    let mut d = date.split('-');
    let day: i64 = d.next()?.parse().ok()?;
    let month_name = d.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = d.next()?.parse().ok()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (t.next()??, t.next()??, t.next()??);
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !(1..=31).contains(&day) {
        return None;
    }
    let zh: i64 = digits[..2].parse().ok()?;
    let zm: i64 = digits[2..].parse().ok()?;
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + m * 60 + sec - sign * (zh * 3600 + zm * 60);
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::internal_date;

    #[test]
    fn internal_dates_are_read_with_their_zone() {
        assert_eq!(
            internal_date("17-Jul-1996 02:44:25 -0700"),
            Some(837_596_665)
        );
        assert_eq!(internal_date(" 1-Jan-1970 00:00:00 +0000"), Some(0));
        assert_eq!(
            internal_date("29-Feb-2024 12:00:00 +0100"),
            Some(1_709_204_400)
        );
        assert_eq!(internal_date("32-Jan-2024 00:00:00 +0000"), None);
        assert_eq!(internal_date("1-Foo-2024 00:00:00 +0000"), None);
    }
}
