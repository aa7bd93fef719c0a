//! What /proc tells of a process: its TCP connections. Shared with the
//! benchmarks, which include this file.

/// Established TCP connections from process `pid` to loopback `port`.
pub fn connections(pid: u32, port: u16) -> usize {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().to_string();
                    Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut n = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let Some(remote) = f.get(2).and_then(|r| r.rsplit(':').next()) else {
                continue;
            };
            if f.get(3) == Some(&"01")
                && u16::from_str_radix(remote, 16) == Ok(port)
                && f.get(9).is_some_and(|i| inodes.iter().any(|x| x == i))
            {
                n += 1;
            }
        }
    }
    n
}
