//! Eventscope: a debugger for event-driven systems.
//!
//! Layers, bottom up:
//! - [`model`]: events, interned strings, time. No I/O.
//! - [`store`]: the append-only event store and its indexes.
//! - [`analysis`]: stitching into flows and the anomaly detectors, fed one event at a time.
//! - [`decode`]: line decoders for the trace formats and the correlation profiles.
//! - [`ingest`]: sources that run on their own thread and hand batches over a bounded channel.
//! - [`export`]: flows written for other tools (OTLP, OCEL 2.0, Mermaid, SVG/PNG, CSV/JSON).
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
pub mod export;
pub mod ingest;
pub mod model;
pub mod session;
pub mod store;
#[cfg(feature = "gui")]
pub mod ui;

/// mimalloc's `mi_option_purge_delay` (see mimalloc.h).
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// Memory settings for a process that uses mimalloc as its global allocator (the binary and the
/// benches call this first thing).
///
/// - Freed pages go back to the OS after 10 ms (mimalloc 2's default; mimalloc 3, which this
///   build uses, waits a second by default). Decoded batches are freed on another thread than the one that
///   allocated them, and pages held back longer add up: waiting a second raised the peak of
///   `check` on a million events from ~330 to ~370 MB and of the window's load from ~465 to
///   ~500 MB, for no measurable gain in time (benches/load_vs_check.sh, 2026-12-05).
/// - No transparent huge pages. mimalloc asks for them on its large regions; the store's tables
///   then fault in 2 MiB at a time, which on this project's VMs doubled the kernel time of
///   `check` (0.45-0.63 s against 0.24-0.27 s on a million events) and raised its peak memory by
///   10%. Event data is mostly appended, so small pages are all it needs.
pub fn setup_process_memory() {
    // SAFETY: sets an option of mimalloc's (a no-op for other allocators).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and only sets a flag of this
    // process; if the kernel refuses, nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
