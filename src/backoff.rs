//! Retry delays: exponential, capped, with jitter so that many
//! connections to one server (or many deliveries to one sink) do not retry
//! in lockstep. Used by watcher reconnects and sink retries alike.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    base: Duration,
    cap: Duration,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            attempt: 0,
            base,
            cap,
        }
    }

    /// The next delay: `min(cap, base·2^n)`, of which a random half is kept.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        jitter(exp, 0.5)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// `d` less a random part of at most `spread` (0..=1) of it: `jitter(d, 0.5)`
/// is between `d/2` and `d`.
pub fn jitter(d: Duration, spread: f64) -> Duration {
    d.mul_f64(1.0 - spread * fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
        for _ in 0..10 {
            b.next_delay();
        }
        let late = b.next_delay();
        assert!(
            late >= Duration::from_secs(30) && late <= Duration::from_secs(60),
            "{late:?}"
        );
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
    }
}
