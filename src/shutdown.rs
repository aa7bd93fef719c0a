//! The stop signal every thread watches: set once (SIGINT, SIGTERM, a broken
//! stdout), seen by sleeping and blocked threads alike.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A cloneable, one-way stop flag with interruptible sleeps, for threads
/// (`sleep`) and async tasks (`wait_timeout`) alike.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<(Mutex<bool>, Condvar, tokio::sync::Notify)>);

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Asks every holder to stop.
    pub fn trigger(&self) {
        let (lock, cvar, notify) = &*self.0;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cvar.notify_all();
        notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        *self.0.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps for `d` or until stopped; true when stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let (lock, cvar, _) = &*self.0;
        let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            stopped = cvar
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *stopped
    }
}

impl Shutdown {
    /// Waits for `d` or until stopped; true when stopped.
    pub async fn wait_timeout(&self, d: Duration) -> bool {
        let notified = self.0.2.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.is_set() {
            return true;
        }
        tokio::time::timeout(d, notified).await.is_ok() || self.is_set()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_ends_early_when_triggered() {
        let s = Shutdown::new();
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.sleep(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(50));
        s.trigger();
        assert!(t.join().unwrap());
        assert!(s.is_set());
    }

    #[test]
    fn sleep_runs_out_when_not_triggered() {
        let s = Shutdown::new();
        assert!(!s.sleep(Duration::from_millis(10)));
    }
}
