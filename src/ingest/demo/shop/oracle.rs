//! The stuck oracle: which events the stuck detector must flag. Stuck faults (drop, slow, stall)
//! cannot name their victim when injected (a stall delays whatever is queued), so the oracle
//! watches every append: an event that awaits a follow-up for longer than the stuck timeout must
//! have been flagged.

use super::super::bus::{Appended, MS, Ns};
use super::{ORDERS_DLT, Shop, Ty};
use crate::analysis::AnomalyKind;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Margin over the stuck timeout before an event must have been flagged (detector tick period).
pub const STUCK_MARGIN: Ns = 500 * MS;

/// Tracks each event that awaits a follow-up, to know which ones the stuck detector must flag:
/// per id, since when it awaits one (`None` once it has one, or when a child came first).
#[derive(Default)]
pub(super) struct StuckOracle {
    awaiting: FxHashMap<Arc<str>, Option<Ns>>,
}

impl Shop {
    /// Notes `rec`, appended at `now`: its cause no longer waits (stuck if it waited too long),
    /// and it waits for its own follow-up if its type always has one.
    pub(super) fn observe_append(&mut self, now: Ns, rec: &Appended) {
        if self.truth.is_none() {
            return;
        }
        let m = &rec.msg;
        let awaiting = &mut self.oracle.awaiting;
        if rec.topic == ORDERS_DLT {
            // A dead letter explains the wait: never stuck.
            awaiting.insert(m.id.clone(), None);
            return;
        }
        let mut late = None;
        if let Some(cause) = m.headers.iter().find(|h| &*h.name == "ce_causationid")
            && let Some(cause) = cause.value.as_deref()
        {
            match awaiting.get_mut(cause) {
                Some(since) => {
                    if since.is_some_and(|t| now - t > self.stuck_after + STUCK_MARGIN) {
                        late = Some(cause.to_string());
                    }
                    *since = None;
                }
                // The child came first (a reordered parent): the parent never waits.
                None => {
                    awaiting.insert(cause.into(), None);
                }
            }
        }
        if Ty::from_u8(m.facts.ty).has_follow_up() {
            awaiting.entry(m.id.clone()).or_insert(Some(m.facts.time));
        }
        if let Some(id) = late {
            self.expect(AnomalyKind::Stuck, &id);
        }
    }

    /// The oracle's verdicts at the end of a run: events that have waited too long.
    pub fn judge_remaining(&mut self, now: Ns) {
        let late: Vec<Arc<str>> = self
            .oracle
            .awaiting
            .iter()
            .filter(|(_, t)| t.is_some_and(|t| now - t > self.stuck_after + STUCK_MARGIN))
            .map(|(id, _)| id.clone())
            .collect();
        for id in late {
            self.expect(AnomalyKind::Stuck, &id);
        }
    }
}
