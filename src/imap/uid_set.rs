//! UID sets as IMAP writes them: `1:3,7,9:10`.

/// `[1,2,3,7,9,10]` → `1:3,7,9:10`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// `1:3,7,9:10` → `[1,2,3,7,9,10]`; what does not parse is skipped.
pub fn parse_uid_set(set: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in set.split(',').filter(|p| !p.is_empty()) {
        match part.split_once(':') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    out.extend(a.min(b)..=a.max(b));
                }
            }
            None => out.extend(part.parse::<u32>().ok()),
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn uid_sets_parse_back() {
        for uids in [vec![1, 2, 3, 7, 9, 10], vec![5], vec![]] {
            assert_eq!(parse_uid_set(&uid_set(&uids)), uids);
        }
        assert_eq!(parse_uid_set("4:2,x,9"), vec![2, 3, 4, 9]);
    }
}
