//! `mailreactor cluster`: the instances sharing the accounts through a
//! `[store]` database, the accounts each holds, and each sink's lag.

use std::collections::BTreeMap;
use std::io::Write as _;

use super::Context;
use crate::store::Location;

pub fn run(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let location = ctx.location(&profile)?;
    if let Location::Sqlite { .. } = location {
        crate::exit::usage!(
            "profile {} keeps its state in a file, watched by one instance; cluster needs a \
             [store] database (see `mailreactor manual` on [store])",
            profile.name
        );
    }
    let mut store = location.open()?;
    let ttl = crate::daemon::cluster::TTL;
    let instances = match store.leases() {
        Some(l) => l.instances(ttl)?,
        None => Vec::new(),
    };
    // Per sink, the largest lag of its accounts' delivery cursors
    // (`SINK@ACCOUNT`), and its dead letters.
    let mut lag: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    for s in store.sinks()? {
        let name = s.sink.split_once('@').map_or(s.sink.as_str(), |(n, _)| n);
        let e = lag.entry(name.to_string()).or_default();
        e.0 = e.0.max(s.lag);
        e.1 += s.dead_letters;
    }
    let held: Vec<&String> = instances.iter().flat_map(|i| &i.accounts).collect();
    let unheld: Vec<&String> = profile
        .accounts
        .iter()
        .map(|a| &a.name)
        .filter(|a| !held.contains(a))
        .collect();
    let mut out = std::io::stdout();
    if json {
        let sinks: Vec<_> = lag
            .iter()
            .map(|(name, (max, dead))| {
                serde_json::json!({ "sink": name, "lag": max, "dead_letters": dead })
            })
            .collect();
        let v = serde_json::json!({
            "instances": instances,
            "unheld": unheld,
            "sinks": sinks,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    if instances.is_empty() {
        eprintln!("no instance is running for profile {}", profile.name);
    } else {
        writeln!(
            out,
            "{:<32} {:>10} {:>10}  accounts",
            "instance", "seen", "up"
        )?;
        for i in &instances {
            writeln!(
                out,
                "{:<32} {:>10} {:>10}  {}",
                i.name,
                format!("{:.1}s ago", i.seen_ago.as_secs_f64()),
                humantime::format_duration(std::time::Duration::from_secs(i.up_for.as_secs()))
                    .to_string(),
                i.accounts.join(", ")
            )?;
        }
    }
    if !unheld.is_empty() {
        let names: Vec<&str> = unheld.iter().map(|s| s.as_str()).collect();
        writeln!(out, "not held by any instance: {}", names.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "{:<24} {:>8} {:>13}", "sink", "lag", "dead letters")?;
    for (name, (max, dead)) in &lag {
        writeln!(out, "{name:<24} {max:>8} {dead:>13}")?;
    }
    Ok(())
}
