//! An idle watch's resident memory: once start-up is over, the pages of
//! code that it touched (argument parsing, the profile, TLS set-up in
//! libcrypto and libssl, the loader's symbol binding, opening the store,
//! all of which the kernel maps in generously, with the pages around each
//! one) are given back, ours and the shared libraries' alike. What the
//! watch still runs faults back in from the page cache, cheaply, the next
//! time it runs. And the heap: what a burst grew is kept for the next, not
//! trimmed and grown again for every batch.

/// Gives back the resident pages of the code this process maps from files,
/// its own executable's and the shared libraries' (read-only, executable,
/// never written: nothing is lost, they are read again from the file when
/// next used). Returns how many bytes were advised; 0 where this cannot be
/// done.
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

/// Keeps the heap the watch has grown instead of handing it back to the
/// kernel after every burst (glibc's default, past 128 KiB free at the top
/// of a thread's heap): a catch-up frees a batch's buffers on one thread
/// while the next batch is read into new ones on another, so each batch
/// paid for shrinking the heap and growing it again (`mprotect`, and a page
/// fault and a zeroed page per 4 KiB). What is kept is bounded by the
/// largest burst's working set, a few MiB.
pub(crate) fn steady_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two of the allocator's thresholds, under
    // the allocator's own lock; no memory is touched.
    unsafe {
        // Setting one fixes both (glibc then stops adjusting them): blocks
        // up to 4 MiB come from the heap, and up to 64 MiB free at its top
        // is kept.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

#[cfg(target_os = "linux")]
mod linux {
    pub(super) fn trim_code() -> usize {
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
            // Only code mapped from a file: r-x and private. Writable or
            // relocated data (rw-p, the r--p of RELRO) would lose what was
            // written to it, and [vdso] is the kernel's.
            if perms != "r-xp" || !path.starts_with('/') {
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
            // SAFETY: a whole mapping of code from a file, read from
            // /proc/self/maps; MADV_DONTNEED on a private, never written
            // file mapping only drops pages that are read again from the
            // file on the next access (x86-64 and aarch64 code is position
            // independent: no text relocations write to it).
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
    /// Resident kB of the code mappings of this executable (`own`) or of
    /// the shared libraries.
    fn resident_code_kb(own: bool) -> u64 {
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let (mut code, mut kb) = (false, 0);
        for line in smaps.lines() {
            let mut f = line.split_whitespace();
            let first = f.next().unwrap_or_default();
            if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                let perms = f.next().unwrap_or_default();
                let path = f.nth(3).unwrap_or_default();
                let mine = std::path::Path::new(path) == exe;
                code = perms == "r-xp" && path.starts_with('/') && mine == own;
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
        let tries: Vec<[(u64, u64); 2]> = (0..5)
            .map(|_| {
                let before = [resident_code_kb(true), resident_code_kb(false)];
                assert!(super::trim_code() > 0);
                let after = [resident_code_kb(true), resident_code_kb(false)];
                [(before[0], after[0]), (before[1], after[1])]
            })
            .collect();
        // Ours, and the libraries' (libc among them, which every thread
        // runs all the time).
        for (which, i) in [("our own", 0), ("the libraries'", 1)] {
            assert!(
                tries.iter().any(|t| t[i].1 < t[i].0 / 2),
                "{which} resident code before → after, in kB: {:?}",
                tries.iter().map(|t| t[i]).collect::<Vec<_>>()
            );
        }
        // And it runs as before.
        assert_eq!(profile.accounts[0].name, "a");
        assert!(format!("{:?}", profile.accounts[0].mailboxes).contains("INBOX"));
    }
}
