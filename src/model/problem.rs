//! Input that could not be decoded: produced by the decoders, counted and shown by the analysis.

/// A line (or live record) that could not be decoded, or was decoded only in part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number; 0 for a record of a live source (located by topic/partition@offset).
    pub line: u64,
    pub reason: String,
    /// The event was still kept (e.g. a payload that is not JSON).
    pub event_kept: bool,
}
