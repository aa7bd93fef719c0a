//! Sinks: where events go. One small trait; one file per sink.
//!
//! A sink receives every event recorded in the journal, in order, and says
//! whether it took it. The daemon advances the sink's delivery cursor only
//! for events it took, so a sink that was down is caught up on restart.

mod stdout;

use std::future::Future;
use std::pin::Pin;

pub use stdout::{Format, StdoutSink};

use crate::event::Event;

/// A boxed future, so the trait stays object-safe.
pub type Delivery<'a> = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>>;

/// Something that acts on events.
pub trait Sink: Send {
    /// A stable name: it keys the sink's delivery cursor in the state.
    fn name(&self) -> &str;

    /// Delivers one event.
    fn deliver<'a>(&'a mut self, event: &'a Event) -> Delivery<'a>;
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The reader went away (`mailreactor watch | head -3`): not a failure,
    /// but nothing more can be delivered.
    #[error("the reader closed the pipe")]
    Closed,
    #[error("{0}")]
    Failed(String),
}
