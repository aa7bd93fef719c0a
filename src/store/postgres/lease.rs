//! Sharing a profile's accounts among instances. Each account has a row in
//! `lease`: its holder, an expiry the holder renews every round, and an
//! epoch that grows with each new holder. An instance takes free or
//! expired accounts up to its fair share of the live instances (those
//! seen within a lease's life), and gives back what is over it. Every
//! journal write for an account checks, in its transaction, that this
//! instance still holds the account at the epoch it took it with: one
//! that was paused or cut off while another took over cannot write.

use std::collections::HashMap;
use std::time::Duration;

use super::Postgres;
use crate::store::{InstanceState, LeaseRound, Leases, StoreError};

impl Leases for Postgres {
    fn lease_round(
        &mut self,
        me: &str,
        accounts: &[String],
        ttl: Duration,
        passing: bool,
    ) -> Result<LeaseRound, StoreError> {
        let ttl = ttl.as_secs_f64();
        let held_before = self.fences.clone();
        let (round, fences) = self.run(|c| {
            let mut tx = c.transaction()?;
            if !passing {
                tx.execute(
                    "INSERT INTO instance (name, started, seen) VALUES ($1, now(), now())
                     ON CONFLICT (name) DO UPDATE SET seen = now()",
                    &[&me],
                )?;
            }
            tx.execute(
                "INSERT INTO lease (account) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                &[&accounts],
            )?;
            // Accounts no longer in the profile are given back.
            tx.execute(
                "UPDATE lease SET holder = NULL, expires = NULL
                 WHERE holder = $1 AND NOT (account = ANY($2))",
                &[&me, &accounts],
            )?;
            let renewed = tx.query(
                "UPDATE lease SET expires = now() + make_interval(secs => $2)
                 WHERE holder = $1 RETURNING account, epoch",
                &[&me, &ttl],
            )?;
            let mut fences: HashMap<String, i64> = HashMap::new();
            let mut lost = Vec::new();
            let renewed: HashMap<String, i64> =
                renewed.iter().map(|r| (r.get(0), r.get(1))).collect();
            for (account, epoch) in &held_before {
                match renewed.get(account) {
                    Some(e) if e == epoch => {
                        fences.insert(account.clone(), *epoch);
                    }
                    _ => lost.push(account.clone()),
                }
            }
            // Held under this name by an earlier process: given back, and
            // taken again below with a new epoch that fences that process.
            let stale: Vec<&String> = renewed
                .keys()
                .filter(|a| !held_before.contains_key(*a))
                .collect();
            if !stale.is_empty() {
                tx.execute(
                    "UPDATE lease SET holder = NULL, expires = NULL
                     WHERE holder = $1 AND account = ANY($2)",
                    &[&me, &stale],
                )?;
            }
            let live: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM instance
                     WHERE seen > now() - make_interval(secs => $1)",
                    &[&ttl],
                )?
                .get(0);
            let share = if passing {
                accounts.len()
            } else {
                accounts.len().div_ceil(live.max(1) as usize)
            };
            let mut held: Vec<String> = fences
                .keys()
                .filter(|a| accounts.contains(a))
                .cloned()
                .collect();
            held.sort();
            let mut round = LeaseRound {
                lost,
                ..LeaseRound::default()
            };
            if held.len() > share {
                round.surplus = held.split_off(share);
            } else if held.len() < share {
                let want = (share - held.len()) as i64;
                let taken = tx.query(
                    "UPDATE lease SET holder = $1, epoch = epoch + 1,
                                      expires = now() + make_interval(secs => $4)
                     WHERE account IN (
                         SELECT account FROM lease
                         WHERE account = ANY($2) AND (holder IS NULL OR expires < now())
                         ORDER BY account LIMIT $3 FOR UPDATE SKIP LOCKED)
                     RETURNING account, epoch",
                    &[&me, &accounts, &want, &ttl],
                )?;
                for r in taken {
                    let (account, epoch): (String, i64) = (r.get(0), r.get(1));
                    fences.insert(account.clone(), epoch);
                    round.taken.push(account);
                }
                round.taken.sort();
            }
            tx.commit()?;
            Ok((round, fences))
        })?;
        self.me = Some(me.to_string());
        self.fences = fences;
        Ok(round)
    }

    fn release(&mut self, me: &str, account: &str) -> Result<(), StoreError> {
        let Some(epoch) = self.fences.remove(account) else {
            return Ok(());
        };
        self.run(|c| {
            c.execute(
                "UPDATE lease SET holder = NULL, expires = NULL
                 WHERE account = $1 AND holder = $2 AND epoch = $3",
                &[&account, &me, &epoch],
            )
        })?;
        Ok(())
    }

    fn leave(&mut self, me: &str) -> Result<(), StoreError> {
        self.fences.clear();
        self.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "UPDATE lease SET holder = NULL, expires = NULL WHERE holder = $1",
                &[&me],
            )?;
            tx.execute("DELETE FROM instance WHERE name = $1", &[&me])?;
            tx.commit()
        })
    }

    fn instances(&mut self, ttl: Duration) -> Result<Vec<InstanceState>, StoreError> {
        let ttl = ttl.as_secs_f64();
        let rows = self.run(|c| {
            c.query(
                "SELECT i.name,
                        EXTRACT(EPOCH FROM now() - i.seen)::float8,
                        EXTRACT(EPOCH FROM now() - i.started)::float8,
                        COALESCE(array_agg(l.account ORDER BY l.account)
                                 FILTER (WHERE l.account IS NOT NULL), '{}')
                 FROM instance i
                 LEFT JOIN lease l ON l.holder = i.name AND l.expires > now()
                 WHERE i.seen > now() - make_interval(secs => $1)
                 GROUP BY i.name, i.seen, i.started ORDER BY i.name",
                &[&ttl],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| InstanceState {
                name: r.get(0),
                seen_ago: Duration::from_secs_f64(r.get::<_, f64>(1).max(0.0)),
                up_for: Duration::from_secs_f64(r.get::<_, f64>(2).max(0.0)),
                accounts: r.get(3),
            })
            .collect())
    }
}
