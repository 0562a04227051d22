//! Sources. Each runs on its own thread(s) and sends [`SourceMessage`]s through a bounded
//! crossbeam channel; a waker is called after each send so a UI can repaint.

pub mod demo;
pub mod file;
pub mod generate;
pub mod kafka;
pub mod registry;
pub mod shapes;

use crate::model::{PackedEvents, Problem};
use std::sync::Arc;

/// Called after a source sent something (e.g. `egui::Context::request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Decoded events from one origin, in input order.
pub struct Batch {
    /// The file path or live source name the events came from.
    pub origin: Arc<str>,
    pub events: PackedEvents,
    pub problems: Vec<Problem>,
    /// Bytes of input consumed so far for this origin (for progress bars).
    pub bytes_read: u64,
}

pub enum SourceMessage {
    Batch(Batch),
    /// The origin is done; `error` says why it stopped early (I/O failure), if it did.
    Finished {
        origin: Arc<str>,
        error: Option<String>,
    },
}

/// Messages buffered between a source and its consumer.
pub const CHANNEL_CAPACITY: usize = 16;
