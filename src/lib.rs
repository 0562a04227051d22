//! Eventscope: a debugger for event-driven systems.
//!
//! Layers, bottom up:
//! - [`model`]: events, interned strings, time. No I/O.
//! - [`store`]: the append-only event store and its indexes.
//! - [`analysis`]: stitching into flows and the anomaly detectors, fed one event at a time.
//! - [`decode`]: line decoders for the trace formats and the correlation profiles.
//! - [`ingest`]: sources that run on their own thread and hand batches over a bounded channel.
//! - [`cli`]: the command line (`check`, `gen`, `demo`) and how the window is launched.
//! - `app` and `ui` (feature `gui`): the eframe app and its panels.
//!
//! `model`, `store` and `analysis` never depend on a GUI or Kafka client. The GUI and Kafka come in
//! behind cargo features; CI builds the library with `--no-default-features` to keep it so.

pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod decode;
pub mod ingest;
pub mod model;
pub mod store;
#[cfg(feature = "gui")]
pub mod ui;
