//! The stop signal every thread watches: set once (SIGINT, SIGTERM, a broken
//! stdout, an account removed on reload), seen by sleeping and blocked
//! threads alike. A child stops with its parent, or alone.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// A cloneable, one-way stop flag with interruptible sleeps, for threads
/// (`sleep`) and async tasks (`wait_timeout`) alike.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<Inner>);

/// What a trigger also does, for a holder blocked where no flag is seen
/// (a read on a socket: the hook shuts the socket down).
type Hook = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Inner {
    set: Mutex<bool>,
    cvar: Condvar,
    notify: tokio::sync::Notify,
    children: Mutex<Vec<Weak<Inner>>>,
    hook: Mutex<Option<Hook>>,
}

impl Inner {
    fn trigger(&self) {
        *self.set.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cvar.notify_all();
        self.notify.notify_waiters();
        if let Some(hook) = self.hook.lock().unwrap_or_else(|e| e.into_inner()).take() {
            hook();
        }
        let children =
            std::mem::take(&mut *self.children.lock().unwrap_or_else(|e| e.into_inner()));
        for c in children.iter().filter_map(Weak::upgrade) {
            c.trigger();
        }
    }
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// A stop flag that is also set when this one is.
    pub fn child(&self) -> Shutdown {
        let child = Shutdown::new();
        let mut children = self.0.children.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_set() {
            child.trigger();
        } else {
            children.retain(|w| w.strong_count() > 0);
            children.push(Arc::downgrade(&child.0));
        }
        child
    }

    /// A child that also runs `hook` when it is triggered (at once, if it
    /// already is): for a thread blocked where it cannot look at the flag.
    /// The hook goes with the child.
    pub fn child_with(&self, hook: impl Fn() + Send + Sync + 'static) -> Shutdown {
        let child = Shutdown::new();
        *child.0.hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(hook));
        let mut children = self.0.children.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_set() {
            drop(children);
            child.trigger();
        } else {
            children.retain(|w| w.strong_count() > 0);
            children.push(Arc::downgrade(&child.0));
        }
        child
    }

    /// Asks every holder (and every child) to stop.
    pub fn trigger(&self) {
        self.0.trigger();
    }

    pub fn is_set(&self) -> bool {
        *self.0.set.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps for `d` or until stopped; true when stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut stopped = self.0.set.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            stopped = self
                .0
                .cvar
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *stopped
    }

    /// Waits for `d` or until stopped; true when stopped.
    pub async fn wait_timeout(&self, d: Duration) -> bool {
        tokio::time::timeout(d, self.wait()).await.is_ok()
    }

    /// Waits until stopped.
    pub async fn wait(&self) {
        let notified = self.0.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.is_set() {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_hook_runs_once_when_the_parent_stops_or_at_once_if_stopped() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let ran = Arc::new(AtomicUsize::new(0));
        let parent = Shutdown::new();
        let r = ran.clone();
        let child = parent.child_with(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        parent.trigger();
        parent.trigger();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert!(child.is_set());
        let r = ran.clone();
        let late = parent.child_with(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        assert!(late.is_set());
    }

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

    #[test]
    fn children_stop_with_the_parent_but_not_the_other_way() {
        let parent = Shutdown::new();
        let a = parent.child();
        let b = parent.child();
        a.trigger();
        assert!(a.is_set() && !b.is_set() && !parent.is_set());
        let sleeper = b.clone();
        let t = std::thread::spawn(move || sleeper.sleep(Duration::from_secs(30)));
        parent.trigger();
        assert!(t.join().unwrap());
        assert!(
            parent.child().is_set(),
            "a child of a stopped parent starts stopped"
        );
    }
}
