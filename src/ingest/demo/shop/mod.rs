//! The simulated e-commerce system on the mini-bus, with fault injection.
//!
//! Choreography: OrderPlaced -> PaymentProcessed + InventoryReserved; the order saga (orchestrator,
//! in the orders service) confirms once both happened: OrderConfirmed -> ShipmentCreated ->
//! (a moment later) ShipmentDispatched -> OrderShipped -> EmailSent. About 5% of payments fail and
//! the saga compensates: PaymentFailed -> ReleaseInventory (a command) -> InventoryReleased ->
//! OrderCancelled -> EmailSent. Analytics consumes every topic and publishes nothing.
//!
//! Every event carries CloudEvents binary-mode headers (`ce_id`, `ce_type`, `ce_source`, `ce_time`,
//! `ce_subject`, `ce_correlationid`, `ce_causationid`, `ce_sequence`) and a JSON value; the
//! sequence counts per service and order.
//!
//! `topology` is the system's shape, `services` what each service does, `faults` the fault
//! injection, `oracle` the ground truth for stuck flows, `payload` the events' values.

mod faults;
mod oracle;
mod payload;
pub use payload::samples;
mod services;
mod topology;

use super::bus::{Appended, Bus, Facts, GroupId, Handled, MS, Message, Ns, SEC, System};
use super::{Fault, Faults, Injected};
use crate::analysis::AnomalyKind;
use crate::analysis::truth::{Expected, random_uuid as uuid};
use crate::model::{Header, format_time};
use faults::FlowFault;
pub use oracle::STUCK_MARGIN;
use oracle::StuckOracle;
use payload::payload;
use rustc_hash::FxHashMap;
use std::sync::Arc;
pub use topology::*;

struct FlowState {
    corr: Arc<str>,
    order: Arc<str>,
    seq: [u32; 6],
    customer: u32,
    total_cents: u64,
    payment_ok: bool,
    /// The payment event id once processed.
    paid: Option<Arc<str>>,
    reserved: bool,
    confirmed: bool,
    fault: FlowFault,
    started: Ns,
}

/// Timers and the flow generator.
pub enum Tick {
    /// Carries the generator's epoch: a stop and restart leaves one chain of ticks, not two.
    NewFlow(u32),
    Dispatch {
        flow: u32,
        created: Arc<str>,
    },
    StallRoll(u32),
}

pub struct Shop {
    pub rng: fastrand::Rng,
    pub faults: Faults,
    /// New flows per second.
    pub rate: f64,
    /// No new fault is injected from this time on (so every injected one can be judged).
    pub faults_until: Ns,
    /// No new flow starts from this time on.
    pub flows_until: Ns,
    /// The stuck timeout the analysis uses (slow and stall faults are sized from it).
    pub stuck_after: Ns,
    flows: FxHashMap<u32, FlowState>,
    next_flow: u32,
    last_email: Option<Arc<str>>,
    /// Injected faults, for the UI and the tests.
    pub injected: Vec<Injected>,
    /// What the analysis must flag; `None` in long live runs (nothing reads it).
    pub truth: Option<Vec<Expected>>,
    oracle: StuckOracle,
    pub flows_started: u64,
    generator_running: bool,
    epoch: u32,
}

impl Shop {
    pub fn new(seed: u64, rate: f64, faults: Faults, stuck_after: Ns, keep_truth: bool) -> Shop {
        Shop {
            rng: fastrand::Rng::with_seed(seed),
            faults,
            rate,
            faults_until: Ns::MAX,
            flows_until: Ns::MAX,
            stuck_after,
            flows: FxHashMap::default(),
            next_flow: 0,
            last_email: None,
            injected: Vec::new(),
            truth: keep_truth.then(Vec::new),
            oracle: StuckOracle::default(),
            flows_started: 0,
            generator_running: false,
            epoch: 0,
        }
    }

    pub fn new_bus(now: Ns) -> Bus<Tick> {
        Bus::new(now, &TOPICS, &GROUPS, dead_letter_topic)
    }

    /// Starts generating flows (and rolling for stalls).
    pub fn start(&mut self, bus: &mut Bus<Tick>) {
        if !self.generator_running {
            self.generator_running = true;
            self.epoch += 1;
            bus.at(bus.now, Tick::NewFlow(self.epoch));
            bus.at(bus.now + SEC, Tick::StallRoll(self.epoch));
        }
    }

    pub fn stop(&mut self) {
        self.generator_running = false;
    }

    pub fn running(&self) -> bool {
        self.generator_running
    }

    fn expect(&mut self, kind: AnomalyKind, id: &str) {
        if let Some(t) = &mut self.truth {
            t.push(Expected {
                kind,
                event_id: id.to_string(),
            });
        }
    }

    fn inject(&mut self, now: Ns, fault: Fault, event_id: Option<&str>, what: String) {
        self.injected.push(Injected {
            at: now,
            fault,
            event_id: event_id.map(Into::into),
            what,
        });
    }

    fn faults_on(&self, now: Ns) -> bool {
        now < self.faults_until
    }

    /// Builds and publishes an event of `flow` (publish latency 1 ms).
    fn emit(
        &mut self,
        bus: &mut Bus<Tick>,
        flow: u32,
        ty: Ty,
        cause: Option<&str>,
        delay: Ns,
    ) -> Arc<str> {
        let now = bus.now;
        let Some(f) = self.flows.get_mut(&flow) else {
            return "".into();
        };
        let s = ty.service();
        f.seq[s] += 1;
        let seq = f.seq[s];
        let skew = match f.fault {
            FlowFault::Skew(d) if s == 3 => d,
            _ => 0,
        };
        let time = now - skew;
        let id: Arc<str> = match (ty, f.fault, &self.last_email) {
            (Ty::EmailSent, FlowFault::Conflict, Some(prev)) => prev.clone(),
            _ => uuid(&mut self.rng).into(),
        };
        let value = payload(&mut self.rng, f, ty);
        let headers = ce_headers(&id, ty, time, f, cause, seq);
        let msg = Arc::new(Message {
            key: f.order.clone(),
            headers,
            value: value.into(),
            id: id.clone(),
            facts: Facts {
                ty: ty as u8,
                flow,
                time,
            },
        });
        let fault = f.fault;
        if ty == Ty::EmailSent {
            if fault == FlowFault::Conflict && self.last_email.is_some() {
                let what = "EmailSent reuses an earlier EmailSent's id";
                self.inject_on(now, Fault::Conflict, &id, what.into());
            } else {
                self.last_email = Some(id.clone());
            }
            self.flows.remove(&flow);
        }
        bus.publish(now + delay + MS, ty.topic(), msg.clone());
        self.maybe_send_twice(bus, delay, ty, msg);
        id
    }

    fn new_flow(&mut self, bus: &mut Bus<Tick>) {
        let now = bus.now;
        let n = self.next_flow;
        self.next_flow += 1;
        self.flows_started += 1;
        let fault = self.roll_flow_fault(now);
        let payment_ok =
            !matches!(fault, FlowFault::None | FlowFault::Conflict) || self.rng.f64() >= 0.05;
        let state = FlowState {
            corr: uuid(&mut self.rng).into(),
            order: format!("order-{n:07}").into(),
            seq: [0; 6],
            customer: self.rng.u32(10_000..99_999),
            total_cents: self.rng.u64(500..50_000),
            payment_ok,
            paid: None,
            reserved: false,
            confirmed: false,
            fault,
            started: now,
        };
        self.flows.insert(n, state);
        let id = self.emit(bus, n, Ty::OrderPlaced, None, 0);
        if fault == FlowFault::Poison {
            let what = "OrderPlaced cannot be deserialised by its consumers";
            self.inject_on(now, Fault::Poison, &id, what.into());
        }
    }

    fn flow_fault(&self, flow: u32) -> FlowFault {
        self.flows.get(&flow).map_or(FlowFault::None, |f| f.fault)
    }

    /// Forgets flows that can no longer progress (dropped, dead-lettered) after a while.
    fn prune(&mut self, now: Ns) {
        self.flows.retain(|_, f| now - f.started < 5 * 60 * SEC);
    }
}

/// The CloudEvents binary-mode headers of an event of flow `f`.
fn ce_headers(
    id: &str,
    ty: Ty,
    time: Ns,
    f: &FlowState,
    cause: Option<&str>,
    seq: u32,
) -> Vec<Header> {
    let mut headers = Vec::with_capacity(10);
    let mut h = |n: &str, v: &str| headers.push(Header::text(n, v));
    h("ce_specversion", "1.0");
    h("ce_id", id);
    h("ce_type", ty.name());
    h("ce_source", SERVICES[ty.service()]);
    h("ce_time", &format_time(time));
    h("ce_subject", &f.order);
    h("ce_correlationid", &f.corr);
    if let Some(c) = cause {
        h("ce_causationid", c);
    }
    h("ce_sequence", &seq.to_string());
    h("content-type", "application/json");
    headers
}

impl System<Tick> for Shop {
    fn latency(&mut self, bus: &Bus<Tick>, group: GroupId, rec: &Appended) -> Option<Ns> {
        self.delivery(bus.now, group, rec)
    }

    fn handle(&mut self, bus: &mut Bus<Tick>, group: GroupId, rec: &Appended) -> Handled {
        self.handle_record(bus, group, rec)
    }

    fn on_append(&mut self, bus: &mut Bus<Tick>, rec: &Appended) {
        self.observe_append(bus.now, rec);
    }

    fn on_system(&mut self, bus: &mut Bus<Tick>, what: Tick) {
        match what {
            Tick::NewFlow(epoch) => {
                // A tick left over from before a stop and restart belongs to no chain.
                if epoch != self.epoch {
                    return;
                }
                if !self.generator_running || bus.now >= self.flows_until {
                    self.generator_running = false;
                    return;
                }
                self.new_flow(bus);
                let mean = SEC as f64 / self.rate.max(0.01);
                let next = (mean * (0.5 + self.rng.f64())).max(1.0) as Ns;
                bus.at(bus.now + next, Tick::NewFlow(epoch));
            }
            Tick::Dispatch { flow, created } => {
                self.emit(bus, flow, Ty::ShipmentDispatched, Some(&created), 0);
            }
            Tick::StallRoll(epoch) => {
                if epoch != self.epoch || !self.generator_running {
                    return;
                }
                self.roll_stall(bus);
                self.prune(bus.now);
                bus.at(bus.now + SEC, Tick::StallRoll(epoch));
            }
        }
    }
}
