//! Fault injection: which flow gets which fault, and the points where the faults strike (a
//! delivery that is lost or slow, a consumer group that stalls, a producer that retries late, a
//! clock that is behind, a reused id, a duplicate send). Each injected fault is recorded for the
//! UI and, when it names the event the analysis must flag, in the ground truth.

use super::super::bus::{Appended, Bus, GroupId, MS, Message, Ns, SEC};
use super::{GROUPS, ORDERS_DLT, STALLABLE, Shop, Tick, Ty, handles};
use crate::analysis::truth::Fault;
use std::sync::Arc;

/// Per-flow fault (at most one per flow, besides duplicates and stalls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FlowFault {
    None,
    Reorder,
    /// The given type is lost on its way to its one handler.
    Drop(Ty),
    /// The handler of the given type takes very long.
    Slow(Ty),
    Poison,
    Skew(Ns),
    Conflict,
}

/// The faults rolled once per flow, in the order they are rolled (`dup` is rolled per event and
/// `stall` per second).
const PER_FLOW: [Fault; 6] = [
    Fault::Reorder,
    Fault::Drop,
    Fault::Slow,
    Fault::Poison,
    Fault::Skew,
    Fault::Conflict,
];

impl Shop {
    /// Records an injected fault that the analysis must flag on `id` (the anomaly its kind causes).
    pub(super) fn inject_on(&mut self, now: Ns, fault: Fault, id: &str, what: String) {
        self.expect(fault.anomaly(), id);
        self.inject(now, fault, Some(id), what);
    }

    /// A new flow's fault: at most one, with the faults' rates, none once faults have stopped.
    pub(super) fn roll_flow_fault(&mut self, now: Ns) -> FlowFault {
        if !self.faults_on(now) {
            return FlowFault::None;
        }
        let mut roll = self.rng.f64();
        for f in PER_FLOW {
            let r = self.faults.rate(f);
            if roll < r {
                return match f {
                    Fault::Reorder => FlowFault::Reorder,
                    Fault::Drop => FlowFault::Drop(
                        [Ty::OrderConfirmed, Ty::ShipmentDispatched, Ty::OrderShipped]
                            [self.rng.usize(..3)],
                    ),
                    Fault::Slow => {
                        FlowFault::Slow([Ty::OrderConfirmed, Ty::OrderShipped][self.rng.usize(..2)])
                    }
                    Fault::Poison => FlowFault::Poison,
                    Fault::Skew => FlowFault::Skew(self.rng.i64(1_000..=3_000) * MS),
                    _ => FlowFault::Conflict,
                };
            }
            roll -= r;
        }
        FlowFault::None
    }

    /// How long `group` takes to handle `rec`: a few ms, unless a drop fault loses it on its way
    /// (`None`) or a slow fault makes its handler take twice the stuck timeout.
    pub(super) fn delivery(&mut self, now: Ns, group: GroupId, rec: &Appended) -> Option<Ns> {
        let ty = Ty::from_u8(rec.msg.facts.ty);
        let handles = handles(group, ty) && rec.topic != ORDERS_DLT;
        let flow = rec.msg.facts.flow;
        match self.flow_fault(flow) {
            FlowFault::Drop(t) if t == ty && handles => {
                self.flows.get_mut(&flow).expect("flow").fault = FlowFault::None;
                let what = format!(
                    "{} lost on its way to {}",
                    ty.name(),
                    GROUPS[group as usize].name
                );
                self.inject(now, Fault::Drop, Some(&rec.msg.id), what);
                return None;
            }
            FlowFault::Slow(t) if t == ty && handles => {
                self.flows.get_mut(&flow).expect("flow").fault = FlowFault::None;
                let extra = 2 * self.stuck_after;
                let what = format!(
                    "{} takes {} s longer to handle {}",
                    GROUPS[group as usize].name,
                    extra / SEC,
                    ty.name()
                );
                self.inject(now, Fault::Slow, Some(&rec.msg.id), what);
                return Some(extra + self.rng.i64(2..=20) * MS);
            }
            _ => {}
        }
        Some(self.rng.i64(2..=20) * MS)
    }

    /// Duplicate delivery: the producer's acknowledgement of `msg` (just published, `delay` from
    /// now) is lost and it sends the record again.
    pub(super) fn maybe_send_twice(
        &mut self,
        bus: &mut Bus<Tick>,
        delay: Ns,
        ty: Ty,
        msg: Arc<Message>,
    ) {
        let now = bus.now;
        if self.faults_on(now) && self.rng.f64() < self.faults.rate(Fault::Dup) {
            let again = now + delay + self.rng.i64(200..=1500) * MS;
            bus.publish(again, ty.topic(), msg.clone());
            let what = format!("{} sent twice (producer retry)", ty.name());
            self.inject_on(now, Fault::Dup, &msg.id, what);
        }
    }

    /// Once a second: maybe stall one service's group for twice the stuck timeout (one at a time).
    pub(super) fn roll_stall(&mut self, bus: &mut Bus<Tick>) {
        let now = bus.now;
        let idle = STALLABLE.iter().all(|g| bus.stalled_until(*g) <= now);
        if self.faults_on(now) && idle && self.rng.f64() < self.faults.rate(Fault::Stall) {
            let g = STALLABLE[self.rng.usize(..STALLABLE.len())];
            let until = now + 2 * self.stuck_after;
            bus.stall(g, until);
            let what = format!(
                "{} stops consuming for {} s",
                GROUPS[g as usize].name,
                (until - now) / SEC
            );
            self.inject(now, Fault::Stall, None, what);
        }
    }

    /// How much later than normal ShipmentCreated is published: with a reorder fault the
    /// producer's first send fails and its retry lands after the next record of the same key,
    /// ShipmentDispatched (due `dispatch_in` from now): max.in.flight > 1 without idempotence.
    pub(super) fn shipment_delay(&mut self, flow: u32, dispatch_in: Ns) -> Ns {
        if self.flow_fault(flow) == FlowFault::Reorder {
            dispatch_in + self.rng.i64(10..=40) * MS
        } else {
            0
        }
    }

    /// Records the reorder and skew faults of a flow's ShipmentCreated `created`, caused by an
    /// OrderConfirmed stamped `cause_time`.
    pub(super) fn shipment_faults(&mut self, now: Ns, flow: u32, created: &str, cause_time: Ns) {
        match self.flow_fault(flow) {
            FlowFault::Reorder => {
                let what = "ShipmentCreated lands after ShipmentDispatched (producer retry)";
                self.inject_on(now, Fault::Reorder, created, what.into());
            }
            FlowFault::Skew(d) => {
                // Visible only if the skew exceeds the real gap (a stalled shipping service may
                // have handled the confirmation seconds late).
                if now - d < cause_time {
                    self.expect(Fault::Skew.anomaly(), created);
                }
                let what = format!("shipping's clock is {} ms behind", d / MS);
                self.inject(now, Fault::Skew, Some(created), what);
            }
            _ => {}
        }
    }
}
