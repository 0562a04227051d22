//! Synthetic traces (`eventscope gen`): writes a realistic synthetic e-commerce trace in the native format, with
//! known injected faults, and optionally the ground truth (the anomalies the faults must cause).
//!
//! Flows: OrderPlaced -> PaymentProcessed + InventoryReserved; PaymentProcessed -> OrderConfirmed
//! -> ShipmentCreated -> OrderShipped -> EmailSent. 5% of orders take the compensation path:
//! PaymentFailed -> InventoryReleased + OrderCancelled -> EmailSent.
//!
//! Fault rates (`--faults dup=0.01,reorder=0.01,...`): `dup` is per event (an exact redelivery a few
//! seconds later); the others are per flow, at most one per flow: `reorder` (OrderConfirmed and
//! OrderShipped swap places in the log), `drop` (the consumers of OrderConfirmed never get it),
//! `poison` (OrderPlaced ends in orders.DLT), `skew` (the shipping service's clock is 1-5 s behind),
//! `conflict` (EmailSent reuses an earlier EmailSent's id), `orphan` (an analytics event names a
//! cause that never existed), `cycle` (two events name each other as cause), `gap` (OrderShipped
//! skips a sequence number), `skip` (the inventory service skips the order: no InventoryReserved, a
//! complete flow of an unusual variant; flagged `unusual_flow` when its rate keeps it under 1% of
//! the complete flows, e.g. `skip=0.005`). No fault is injected in the last minute of the trace, so every
//! injected fault can be judged.
//!
//! `flow` builds one order's events (one step or fault per method), `trace` puts them in log
//! order and writes them.

mod flow;
mod trace;

use crate::analysis::truth;
pub use crate::analysis::truth::{Expected, Fault};
use flow::Gen;
use std::io::Write;
use std::str::FromStr;

/// The faults `gen` can inject, in the order of its rate array; after `dup` (per event), the order
/// in which a flow's one fault is rolled. It cannot inject the demo's slow and stall faults (a
/// trace has no consumers to slow down or stall).
pub const FAULTS: [Fault; 10] = [
    Fault::Dup,
    Fault::Reorder,
    Fault::Drop,
    Fault::Poison,
    Fault::Skew,
    Fault::Conflict,
    Fault::Orphan,
    Fault::Cycle,
    Fault::Gap,
    Fault::Skip,
];

/// Fault rates in [0, 1], indexed like [`FAULTS`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults(pub [f64; 10]);

impl FromStr for Faults {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        truth::parse_faults(s, &FAULTS).map(Faults)
    }
}

impl Faults {
    pub fn rate(&self, f: Fault) -> f64 {
        truth::rate_of(&FAULTS, &self.0, f)
    }
}

const BASE_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MS: i64 = 1_000_000;
const SEC: i64 = 1_000_000_000;
const NO_FAULT_TAIL: i64 = 60 * SEC;

/// Generates `n` events; writes them to `out` and returns the expected anomalies.
pub fn generate(
    n: usize,
    seed: u64,
    faults: &Faults,
    out: &mut dyn Write,
) -> std::io::Result<Vec<Expected>> {
    let mut g = Gen::new(seed, n);
    g.flows(n, faults);
    let events = trace::log_order(g.events, n);
    trace::write(&events, n, seed, out)?;
    let mut truth = g.truth;
    truth.sort();
    truth.dedup();
    Ok(truth)
}

impl Gen {
    /// Starts flows at a steady rate until there are `n` events, each with at most one fault
    /// (none in the last minute), then duplicates some of its events.
    fn flows(&mut self, n: usize, faults: &Faults) {
        let dup = faults.rate(Fault::Dup);
        let est_flows = (n as f64 / (7.0 * (1.0 + dup) + 2.0)).max(1.0);
        let span = (est_flows / 200.0 * SEC as f64).max(300.0 * SEC as f64) as i64;
        let interval = (span as f64 / (n as f64 / 7.0).max(1.0)) as i64;
        let fault_until = (span - NO_FAULT_TAIL).max(0);
        let mut flow = 0u32;
        while self.events.len() < n {
            let t0 =
                (BASE_MS * MS + flow as i64 * interval + self.rng.i64(0..=interval / 2)) / MS * MS;
            let eligible = (t0 - BASE_MS * MS) < fault_until;
            let fault = if eligible {
                self.roll_flow_fault(faults)
            } else {
                None
            };
            let first = self.events.len();
            self.flow(flow, t0, fault);
            if eligible && dup > 0.0 {
                self.duplicate_some(first, dup);
            }
            flow += 1;
        }
    }

    /// At most one per-flow fault (every fault but `dup`, the first), with the faults' rates.
    fn roll_flow_fault(&mut self, faults: &Faults) -> Option<Fault> {
        let mut roll = self.rng.f64();
        for (&f, &r) in FAULTS.iter().zip(&faults.0).skip(1) {
            if roll < r {
                return Some(f);
            }
            roll -= r;
        }
        None
    }

    /// Each event from `first` on that may be duplicated is, with probability `dup`, redelivered
    /// 0.5-3 s later.
    fn duplicate_some(&mut self, first: usize, dup: f64) {
        for i in first..self.events.len() {
            if !self.events[i].no_dup && self.rng.f64() < dup {
                let t = self.events[i].t + self.ms(500, 3_000);
                let copy = self.copy_of(i, t);
                self.events.push(copy);
                self.caused(Fault::Dup, i);
            }
        }
    }
}
