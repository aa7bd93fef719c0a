//! The machine as a shared resource: ordinary tests share it (each of its
//! Dovecots holds a [`Shared`] turn), the fault tests take it alone
//! ([`alone`]), since they pound their servers and measure recovery times.
//! A waiting fault test goes before tests that come after it.

use std::cell::Cell;
use std::sync::{Condvar, Mutex};

struct State {
    shared: usize,
    alone: bool,
    waiting_alone: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    shared: 0,
    alone: false,
    waiting_alone: 0,
});
static CHANGED: Condvar = Condvar::new();

thread_local! {
    /// This thread holds the machine alone: its Dovecots need no turn.
    static ALONE_HERE: Cell<bool> = const { Cell::new(false) };
}

fn lock() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A turn on the shared machine, given back when dropped.
pub struct Shared(bool);

/// Waits for a turn beside other ordinary tests.
pub fn shared() -> Shared {
    if ALONE_HERE.with(Cell::get) {
        return Shared(false);
    }
    let mut s = lock();
    while s.alone || s.waiting_alone > 0 {
        s = CHANGED.wait(s).unwrap_or_else(|e| e.into_inner());
    }
    s.shared += 1;
    Shared(true)
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.0 {
            lock().shared -= 1;
            CHANGED.notify_all();
        }
    }
}

/// The machine alone, until dropped.
pub struct Alone;

/// Waits until no other test runs a server, then keeps the machine.
pub fn alone() -> Alone {
    let mut s = lock();
    s.waiting_alone += 1;
    while s.alone || s.shared > 0 {
        s = CHANGED.wait(s).unwrap_or_else(|e| e.into_inner());
    }
    s.waiting_alone -= 1;
    s.alone = true;
    ALONE_HERE.with(|a| a.set(true));
    Alone
}

impl Drop for Alone {
    fn drop(&mut self) {
        ALONE_HERE.with(|a| a.set(false));
        lock().alone = false;
        CHANGED.notify_all();
    }
}
