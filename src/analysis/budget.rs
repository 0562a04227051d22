//! Bounded memory for long live sessions. When what the process grew by since the session
//! started (or, at least, the engine's own estimate) passes 55% of the budget, the oldest finished
//! flows without anomalies are evicted first, then the oldest open ones without anomalies that
//! have been quiet for twice the stuck timeout, until the engine is down to 35%; the rebuild
//! briefly holds both copies, so the peak stays within the budget. Flows with anomalies stay
//! pinned; only when nothing else is left and the budget still cannot hold them are the oldest of
//! them evicted (and `pinned_over` says so).
//!
//! Eviction rebuilds the engine from the events it keeps, in their arrival order, so every index
//! and detector stays exactly consistent (the store is append-only by design); flows with
//! anomalies keep all their events, so their evidence is recomputed identically. Input problems
//! are carried over. Each rebuild costs time in proportion to what is kept, and happens once per
//! 20% of the budget ingested.

use super::{AnomalyKind, Engine, FlowStatus};
use crate::store::EventIdx;
use std::sync::Arc;

pub struct Budget {
    pub max_bytes: u64,
    pub evicted_flows: u64,
    pub evicted_events: u64,
    pub compactions: u64,
    /// Also measure the process's resident memory (Linux), not only the engine's own estimate:
    /// allocator overhead makes the real footprint larger than the sum of the data.
    pub use_rss: bool,
    /// Resident memory when the session started (not the analysis's).
    baseline: u64,
    /// Checks to skip after an eviction.
    holdoff: u32,
    /// The last eviction had to take flows with anomalies: the budget cannot hold them all.
    pub pinned_over: bool,
}

/// Resident memory of this process in bytes (Linux; 0 elsewhere).
pub fn process_rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// Eviction starts at this share of the budget...
const TRIGGER: f64 = 0.55;
/// ...and brings the engine down to this share. While the kept events are copied into a new
/// engine both exist, so the peak is about TRIGGER + TARGET of the budget.
const TARGET: f64 = 0.35;

impl Budget {
    pub fn new(max_bytes: u64) -> Budget {
        Budget {
            max_bytes,
            evicted_flows: 0,
            evicted_events: 0,
            compactions: 0,
            use_rss: false,
            baseline: 0,
            holdoff: 0,
            pinned_over: false,
        }
    }

    /// A budget on the whole process's resident memory (live sessions).
    pub fn of_process(max_bytes: u64) -> Budget {
        Budget {
            use_rss: true,
            baseline: process_rss(),
            ..Budget::new(max_bytes)
        }
    }

    /// Evicts if the engine is over budget; returns true if it did (indexes into the old engine
    /// are then invalid). The session runs the same steps with the rebuild on its own thread.
    pub fn enforce(&mut self, engine: &mut Engine) -> bool {
        let Some(eviction) = self.check(engine) else {
            return false;
        };
        let (new, evicted) = eviction.run(engine);
        self.done(evicted);
        let old = std::mem::replace(engine, new);
        drop(old);
        release_freed_memory();
        true
    }

    /// Whether the engine is over budget: what to evict then. Cheap (no walk over the events).
    pub fn check(&mut self, engine: &Engine) -> Option<Eviction> {
        if self.holdoff > 0 {
            // Right after an eviction freed memory is still on its way back to the OS.
            self.holdoff -= 1;
            return None;
        }
        let estimate = engine.approx_bytes() as f64;
        // What the process grew by since the session started (librdkafka's buffers, the window
        // and the allocator's slack included), or at least the engine's own estimate.
        let bytes = if self.use_rss {
            estimate.max(process_rss().saturating_sub(self.baseline) as f64)
        } else {
            estimate
        };
        if bytes <= self.max_bytes as f64 * TRIGGER || engine.store.is_empty() {
            self.pinned_over = false;
            return None;
        }
        Some(Eviction {
            per_event: bytes / engine.store.len() as f64,
            excess: bytes - self.max_bytes as f64 * TARGET,
        })
    }

    /// Counts an eviction carried out.
    pub fn done(&mut self, evicted: Evicted) {
        self.evicted_flows += evicted.flows;
        self.evicted_events += evicted.events;
        self.pinned_over = evicted.pinned_over;
        self.compactions += 1;
        self.holdoff = 2;
    }
}

/// Hands memory freed by a dropped engine back to the OS now (mimalloc, the binary's allocator,
/// would otherwise keep it a while), so the next measurement sees the real size.
pub fn release_freed_memory() {
    // SAFETY: mi_collect only walks mimalloc's own heaps; with another global allocator they
    // are empty.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// An eviction decided by [`Budget::check`]: how many bytes to free.
pub struct Eviction {
    excess: f64,
    per_event: f64,
}

/// What an eviction left out.
#[derive(Clone, Copy, Debug)]
pub struct Evicted {
    pub flows: u64,
    pub events: u64,
    pub pinned_over: bool,
}

impl Eviction {
    /// Chooses the flows to evict and builds the engine without them. Only reads `engine`, so
    /// it can run on another thread while the window keeps showing the old engine.
    pub fn run(self, engine: &Engine) -> (Engine, Evicted) {
        let mut excess = self.excess;
        // Tier 0: finished (complete or failed) without anomalies; 1: open without anomalies
        // but quiet for twice the stuck timeout (a late child would look like an orphan
        // otherwise); 2, only when nothing else is left: flows with anomalies. Oldest first.
        let newest = engine.stats.max_time.unwrap_or(i64::MAX);
        let quiet = 2 * engine.config.stuck_after;
        let mut candidates: Vec<(u8, i64, u32)> = engine
            .flows
            .iter()
            .filter_map(|(id, f)| {
                let last = f.last().unwrap_or(i64::MIN);
                let anomalous = engine.flow_anomalies(id).next().is_some();
                let tier = match (anomalous, engine.status(id)) {
                    (false, FlowStatus::Complete | FlowStatus::Failed) => 0,
                    (false, _) if newest.saturating_sub(last) > quiet => 1,
                    (false, _) => return None,
                    (true, _) => 2,
                };
                Some((tier, last, id))
            })
            .collect();
        candidates.sort_unstable();
        let mut evict = vec![
            false;
            engine
                .flows
                .iter()
                .map(|(id, _)| id as usize + 1)
                .max()
                .unwrap_or(0)
        ];
        let mut flows = 0;
        let mut pinned_over = false;
        for (tier, _, id) in candidates {
            if excess <= 0.0 {
                break;
            }
            if tier == 2 {
                // Everything without anomalies is gone and it is still too much.
                pinned_over = true;
            }
            evict[id as usize] = true;
            flows += 1;
            excess -= engine.flows.get(id).events.len() as f64 * self.per_event;
        }
        let new = rebuild(engine, &evict);
        let evicted = Evicted {
            events: (engine.store.len() - new.store.len()) as u64,
            flows,
            pinned_over,
        };
        (new, evicted)
    }
}

impl Engine {
    /// Approximate heap bytes of the store, flows, detectors and anomalies.
    pub fn approx_bytes(&self) -> usize {
        // Flows, detector state and flags per event; per flow; per anomaly (measured roughly).
        self.store.approx_bytes()
            + self.store.len() * 96
            + self.flows.len() * 160
            + self.anomalies.all().len() * 220
    }
}

/// A new engine with the events of the flows not in `evict`, in their arrival order.
fn rebuild(old: &Engine, evict: &[bool]) -> Engine {
    let mut new = Engine::new(old.config.clone());
    let s = &old.store;
    let mut map: Vec<Option<EventIdx>> = vec![None; s.len()];
    let mut origins: Vec<Option<u16>> = Vec::new();
    for idx in 0..s.len() as EventIdx {
        let flow = old.flows.flow_of(idx) as usize;
        if evict.get(flow).copied().unwrap_or(false) {
            continue;
        }
        let r = s.get(idx);
        let o = r.origin as usize;
        if origins.len() <= o {
            origins.resize(o + 1, None);
        }
        let origin = *origins[o].get_or_insert_with(|| {
            let name: Arc<str> = s.origin(r.origin).into();
            new.store.origin_index(&name)
        });
        map[idx as usize] = Some(new.push(s.decoded(idx), origin));
    }
    // Input problems are not re-derived from events: carry them over.
    for a in old.anomalies.all() {
        if a.kind != AnomalyKind::Undecodable || !a.active {
            continue;
        }
        let event = match a.event {
            Some(e) => match map[e as usize] {
                Some(n) => Some(n),
                None => continue,
            },
            None => None,
        };
        new.anomalies.raise(
            a.kind,
            event,
            a.related.clone(),
            a.message.clone(),
            a.location.clone(),
        );
    }
    new.stats.undecodable = old.stats.undecodable;
    new.stats.correlation_profiles = old.stats.correlation_profiles.clone();
    new.stats.payload_decoders = old.stats.payload_decoders;
    new
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    fn push(e: &mut Engine, id: &str, corr: &str, cause: Option<&str>, t: i64, data: u64) {
        e.push(
            DecodedEvent {
                id: id.into(),
                event_type: "T".into(),
                source: Some("s".into()),
                correlation_id: Some(corr.into()),
                causation_id: cause.map(Into::into),
                time: Some(t),
                data_hash: data,
                ..Default::default()
            },
            0,
        );
    }

    #[test]
    fn evicts_old_healthy_flows_first_and_keeps_anomalies() {
        let mut e = Engine::new(Config::default());
        for f in 0..200 {
            push(&mut e, &format!("a{f}"), &format!("c{f}"), None, f, 1);
            push(
                &mut e,
                &format!("b{f}"),
                &format!("c{f}"),
                Some(&format!("a{f}")),
                f,
                2,
            );
        }
        // An old flow with a duplicate: pinned.
        push(&mut e, "a0", "c0", None, 0, 1);
        let before = e.approx_bytes() as u64;
        let mut b = Budget::new(before);
        assert!(b.enforce(&mut e));
        assert!((e.approx_bytes() as u64) < before);
        assert!(b.evicted_flows > 50 && b.evicted_events == 2 * b.evicted_flows);
        let keys: Vec<&str> = e.flows.iter().map(|(_, f)| e.store.str(f.key)).collect();
        assert!(keys.contains(&"c0"), "the flow with an anomaly stays");
        assert!(keys.contains(&"c199"), "the newest flows stay");
        assert!(!keys.contains(&"c1"), "the oldest healthy flows go");
        assert_eq!(
            e.anomalies.count(AnomalyKind::Duplicate),
            1,
            "its evidence is kept"
        );
        let mut roomy = Budget::new(before * 2);
        assert!(!roomy.enforce(&mut e), "nothing to do under budget");
    }
}
