//! Decoding a catch-up's batches on one thread beside the connection's:
//! the next batch is fetched while the last is decoded. One thread for the
//! whole catch-up, not one per batch (a thread costs some 40 µs of CPU to
//! start and join, which a catch-up of 10,000 messages paid 100 times).

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use crate::event::Event;
use crate::message::Fetched;

/// The connection thread's end of the decoding thread.
pub(super) struct Decoder<'scope> {
    batches: Option<SyncSender<Vec<Fetched>>>,
    decoded: Receiver<Vec<Event>>,
    thread: Option<ScopedJoinHandle<'scope, ()>>,
    /// The last UID of each batch handed over and not yet taken back.
    pending: VecDeque<u32>,
}

impl<'scope> Decoder<'scope> {
    /// Starts the thread in `scope`; it turns each batch into events with
    /// `decode`, in order.
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        decode: impl Fn(Vec<Fetched>) -> Vec<Event> + Send + 'scope,
    ) -> Decoder<'scope> {
        // One batch waiting beside the one being decoded, at most: memory
        // stays bounded whatever the backlog.
        let (batches, todo) = sync_channel::<Vec<Fetched>>(1);
        let (done, decoded) = sync_channel(1);
        let thread = scope.spawn(move || {
            for batch in todo {
                if done.send(decode(batch)).is_err() {
                    break;
                }
            }
        });
        Decoder {
            batches: Some(batches),
            decoded,
            thread: Some(thread),
            pending: VecDeque::new(),
        }
    }

    /// Hands a batch whose last UID is `last` over to be decoded.
    pub fn push(&mut self, last: u32, batch: Vec<Fetched>) -> Result<(), String> {
        let sent = self.batches.as_ref().map(|b| b.send(batch));
        match sent {
            Some(Ok(())) => {
                self.pending.push_back(last);
                Ok(())
            }
            _ => Err(self.failure()),
        }
    }

    /// The oldest batch handed over, decoded, with its last UID; `None`
    /// when every batch has been taken back.
    pub fn take(&mut self) -> Option<(u32, Result<Vec<Event>, String>)> {
        let last = self.pending.pop_front()?;
        Some((last, self.decoded.recv().map_err(|_| self.failure())))
    }

    /// Why the thread is gone: what its panic said.
    fn failure(&mut self) -> String {
        self.batches = None;
        match self.thread.take().map(ScopedJoinHandle::join) {
            Some(Err(panic)) => super::panic_text(&panic),
            _ => "the decoding thread ended early".into(),
        }
    }
}

impl Drop for Decoder<'_> {
    fn drop(&mut self) {
        // Letting go of both channels ends the thread's loop, even while
        // it waits to hand back a batch nobody will take. A panic after
        // the catch-up failed for another reason is not news.
        self.batches = None;
        drop(std::mem::replace(&mut self.decoded, sync_channel(0).1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::MessageInfo;

    fn batch(uids: std::ops::Range<u32>) -> Vec<Fetched> {
        uids.map(|uid| Fetched {
            uid,
            ..Default::default()
        })
        .collect()
    }

    fn decode(batch: Vec<Fetched>) -> Vec<Event> {
        batch
            .into_iter()
            .map(|f| {
                assert!(f.uid != 13, "unlucky");
                let info = MessageInfo {
                    uid: f.uid,
                    ..Default::default()
                };
                Event::received("a", "INBOX", info)
            })
            .collect()
    }

    fn uids(events: &[Event]) -> Vec<u32> {
        events
            .iter()
            .filter_map(|e| e.message())
            .map(|m| m.uid)
            .collect()
    }

    #[test]
    fn batches_come_back_decoded_in_order_from_one_thread() {
        std::thread::scope(|s| {
            let mut d = Decoder::start(s, decode);
            d.push(3, batch(1..4)).unwrap();
            let mut got = vec![];
            for next in [4..6, 6..9] {
                let (last, events) = d.take().unwrap();
                got.push((last, uids(&events.unwrap())));
                d.push(next.end - 1, batch(next)).unwrap();
            }
            let (last, events) = d.take().unwrap();
            got.push((last, uids(&events.unwrap())));
            let want = [(3, vec![1, 2, 3]), (5, vec![4, 5]), (8, vec![6, 7, 8])];
            assert_eq!(got, want);
            assert!(d.take().is_none(), "nothing more was handed over");
        });
    }

    #[test]
    fn batches_never_taken_back_do_not_hold_up_the_end() {
        std::thread::scope(|s| {
            let mut d = Decoder::start(s, decode);
            for uids in [1..3, 3..5, 5..7] {
                d.push(uids.end - 1, batch(uids)).unwrap();
            }
            // Dropped with three pending: the scope must still end.
        });
    }

    #[test]
    fn a_panic_while_decoding_is_an_error_with_its_text() {
        std::thread::scope(|s| {
            let mut d = Decoder::start(s, decode);
            d.push(19, batch(10..20)).unwrap();
            let (last, decoded) = d.take().unwrap();
            let err = decoded.unwrap_err();
            assert!(last == 19 && err.contains("unlucky"), "{last}: {err}");
            assert!(d.push(20, batch(20..21)).is_err(), "the thread is gone");
        });
    }
}
