//! An idle watch's resident memory: once start-up is over, the pages of
//! our own code that it touched (argument parsing, the profile, TLS set-up,
//! opening the store, all of which the kernel maps in generously, with the
//! pages around each one) are given back. What the watch still runs faults
//! back in from the page cache, cheaply, the next time it runs.

/// Gives back the resident pages of this executable's code (read-only,
/// executable, never written: nothing is lost, they are read again from
/// the file when next used). Returns how many bytes were advised; 0 where
/// this cannot be done.
pub(crate) fn trim_code() -> usize {
    #[cfg(target_os = "linux")]
    {
        linux::trim_code()
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

#[cfg(target_os = "linux")]
mod linux {
    pub(super) fn trim_code() -> usize {
        let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
            return 0;
        };
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return 0;
        };
        let mut advised = 0;
        for line in maps.lines() {
            let mut f = line.split_whitespace();
            let (Some(range), Some(perms)) = (f.next(), f.next()) else {
                continue;
            };
            let path = f.nth(3).unwrap_or_default();
            // Only code: r-x and private. Writable or relocated data
            // (rw-p, the r--p of RELRO) would lose what was written to it.
            if perms != "r-xp" || std::path::Path::new(path) != exe {
                continue;
            }
            let Some((start, end)) = range.split_once('-') else {
                continue;
            };
            let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) else {
                continue;
            };
            // SAFETY: a whole mapping of our own executable's code, read
            // from /proc/self/maps; MADV_DONTNEED on a private, never
            // written file mapping only drops pages that are read again
            // from the file on the next access.
            let ok = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED)
            } == 0;
            if ok {
                advised += end - start;
            }
        }
        advised
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// Resident kB of this executable's code mappings.
    fn resident_code_kb() -> u64 {
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let (mut code, mut kb) = (false, 0);
        for line in smaps.lines() {
            let mut f = line.split_whitespace();
            let first = f.next().unwrap_or_default();
            if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                let perms = f.next().unwrap_or_default();
                let path = f.nth(3).unwrap_or_default();
                code = perms == "r-xp" && std::path::Path::new(path) == exe;
            } else if code && let Some(v) = line.strip_prefix("Rss:") {
                kb += v.trim().trim_end_matches(" kB").parse::<u64>().unwrap_or(0);
            }
        }
        kb
    }

    #[test]
    fn code_pages_are_given_back_and_the_code_still_runs() {
        // Touch a good deal of code first.
        let profile = crate::config::Profile::parse(
            "[[account]]\nname = \"a\"\nhost = \"h\"\nusername = \"u\"\npassword-env = \"X\"\n",
            std::path::Path::new("p.toml"),
            "p",
        )
        .unwrap();
        // Other tests run on other threads meanwhile and bring back the
        // code they run: one of a few tries must see most pages gone.
        let tries: Vec<(u64, u64)> = (0..5)
            .map(|_| {
                let before = resident_code_kb();
                assert!(super::trim_code() > 0);
                (before, resident_code_kb())
            })
            .collect();
        assert!(
            tries.iter().any(|(before, after)| after < &(before / 2)),
            "resident code before → after, in kB: {tries:?}"
        );
        // And it runs as before.
        assert_eq!(profile.accounts[0].name, "a");
        assert!(format!("{:?}", profile.accounts[0].mailboxes).contains("INBOX"));
    }
}
