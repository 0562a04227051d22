//! How long `logic()` feeds the engine per frame. While files load, the window's thread is the
//! analysis thread (as `check`'s main thread is): it waits for the decoders' batches for a budget
//! that keeps the rest of the frame (views, painting) to about a tenth of the time and frames at
//! least 200 ms apart (profiled: with frames ~150 ms apart, llvmpipe's rendering threads took a
//! third of the load's CPU), so the load is not slowed by repainting; otherwise a short budget
//! keeps the window at full frame rate.

use std::time::{Duration, Instant};

/// The budget when no file is loading (live sources, idle).
pub const INGEST_BUDGET: Duration = Duration::from_millis(10);
/// The shortest budget while loading: painting costs more CPU than the window's thread sees
/// (llvmpipe renders on threads of its own), so frames are spaced by at least this much.
pub const MIN_LOAD_BUDGET: Duration = Duration::from_millis(200);
/// The longest budget while loading: the window still answers twice a second.
pub const MAX_LOAD_BUDGET: Duration = Duration::from_millis(400);
/// Ingest time per unit of the rest of the frame while loading.
const LOAD_SHARE: u32 = 9;

#[derive(Default)]
pub struct Pacer {
    /// Start of the last frame's ingest and how long it took.
    last: Option<(Instant, Duration)>,
}

impl Pacer {
    /// The ingest budget for this frame.
    pub fn budget(&self, loading: bool, now: Instant) -> Duration {
        if !loading {
            return INGEST_BUDGET;
        }
        let rest = self.last.map_or(Duration::ZERO, |(start, ingest)| {
            now.saturating_duration_since(start).saturating_sub(ingest)
        });
        (rest * LOAD_SHARE).clamp(MIN_LOAD_BUDGET, MAX_LOAD_BUDGET)
    }

    /// Records this frame's ingest.
    pub fn ingested(&mut self, start: Instant, took: Duration) {
        self.last = Some((start, took));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_keeps_the_rest_of_the_frame_to_a_tenth() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        assert_eq!(p.budget(true, t0), MIN_LOAD_BUDGET);
        p.ingested(t0, Duration::from_millis(200));
        // 200 ms ingest, then 30 ms of views and painting: 270 ms of ingest next.
        let t1 = t0 + Duration::from_millis(230);
        assert_eq!(p.budget(true, t1), Duration::from_millis(270));
        assert_eq!(p.budget(false, t1), INGEST_BUDGET);
        p.ingested(t1, Duration::from_millis(270));
        let t2 = t1 + Duration::from_secs(1);
        assert_eq!(p.budget(true, t2), MAX_LOAD_BUDGET);
    }
}
