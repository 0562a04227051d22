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

use super::bus::{
    Appended, Bus, Facts, GroupDef, GroupId, Handled, MS, Message, Ns, SEC, System, TopicDef,
    TopicId,
};
use super::{Fault, Faults, Injected};
use crate::analysis::AnomalyKind;
use crate::analysis::truth::{Expected, random_uuid as uuid};
use crate::model::{Header, format_time};
use rustc_hash::FxHashMap;
use std::sync::Arc;

pub const ORDERS: TopicId = 0;
pub const PAYMENTS: TopicId = 1;
pub const INVENTORY: TopicId = 2;
pub const INVENTORY_COMMANDS: TopicId = 3;
pub const SHIPPING: TopicId = 4;
pub const NOTIFICATIONS: TopicId = 5;
pub const ORDERS_DLT: TopicId = 6;

pub static TOPICS: [TopicDef; 7] = [
    TopicDef {
        name: "orders",
        partitions: 3,
    },
    TopicDef {
        name: "payments",
        partitions: 3,
    },
    TopicDef {
        name: "inventory",
        partitions: 3,
    },
    TopicDef {
        name: "inventory.commands",
        partitions: 3,
    },
    TopicDef {
        name: "shipping",
        partitions: 3,
    },
    TopicDef {
        name: "notifications",
        partitions: 3,
    },
    TopicDef {
        name: "orders.DLT",
        partitions: 1,
    },
];

pub const G_ORDER_SAGA: GroupId = 0;
pub const G_PAYMENTS: GroupId = 1;
pub const G_INVENTORY: GroupId = 2;
pub const G_SHIPPING: GroupId = 3;
pub const G_NOTIFICATIONS: GroupId = 4;
pub const G_ANALYTICS: GroupId = 5;

pub static GROUPS: [GroupDef; 6] = [
    GroupDef {
        name: "order-saga",
        topics: &[PAYMENTS, INVENTORY, SHIPPING],
        members: 2,
    },
    GroupDef {
        name: "payment-service",
        topics: &[ORDERS],
        members: 2,
    },
    GroupDef {
        name: "inventory-service",
        topics: &[ORDERS, INVENTORY_COMMANDS],
        members: 2,
    },
    GroupDef {
        name: "shipping-service",
        topics: &[ORDERS],
        members: 2,
    },
    GroupDef {
        name: "notification-service",
        topics: &[ORDERS],
        members: 2,
    },
    GroupDef {
        name: "analytics",
        topics: &[
            ORDERS,
            PAYMENTS,
            INVENTORY,
            INVENTORY_COMMANDS,
            SHIPPING,
            NOTIFICATIONS,
        ],
        members: 3,
    },
];

/// Groups a stall fault can hit (analytics produces nothing, so stalling it shows nothing).
const STALLABLE: [GroupId; 5] = [
    G_ORDER_SAGA,
    G_PAYMENTS,
    G_INVENTORY,
    G_SHIPPING,
    G_NOTIFICATIONS,
];

fn dead_letter_topic(t: TopicId) -> Option<TopicId> {
    (t == ORDERS).then_some(ORDERS_DLT)
}

/// Event types, their producing service and topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Ty {
    OrderPlaced,
    PaymentProcessed,
    PaymentFailed,
    InventoryReserved,
    ReleaseInventory,
    InventoryReleased,
    OrderConfirmed,
    ShipmentCreated,
    ShipmentDispatched,
    OrderShipped,
    OrderCancelled,
    EmailSent,
}

const ALL_TYPES: [Ty; 12] = [
    Ty::OrderPlaced,
    Ty::PaymentProcessed,
    Ty::PaymentFailed,
    Ty::InventoryReserved,
    Ty::ReleaseInventory,
    Ty::InventoryReleased,
    Ty::OrderConfirmed,
    Ty::ShipmentCreated,
    Ty::ShipmentDispatched,
    Ty::OrderShipped,
    Ty::OrderCancelled,
    Ty::EmailSent,
];

/// The event sources, in the order of the per-flow sequence counters. Each source publishes to one
/// topic, keyed by order, so its per-order sequence lives in one partition (a consumer reads
/// partitions independently: a sequence spread over topics could not be checked on a cluster).
/// The order saga's commands are its own source for that reason.
const SERVICES: [&str; 6] = [
    "orders",
    "payments",
    "inventory",
    "shipping",
    "notifications",
    "order-saga",
];

impl Ty {
    fn from_u8(v: u8) -> Ty {
        ALL_TYPES[v as usize]
    }
    pub fn name(self) -> &'static str {
        match self {
            Ty::OrderPlaced => "OrderPlaced",
            Ty::PaymentProcessed => "PaymentProcessed",
            Ty::PaymentFailed => "PaymentFailed",
            Ty::InventoryReserved => "InventoryReserved",
            Ty::ReleaseInventory => "ReleaseInventory",
            Ty::InventoryReleased => "InventoryReleased",
            Ty::OrderConfirmed => "OrderConfirmed",
            Ty::ShipmentCreated => "ShipmentCreated",
            Ty::ShipmentDispatched => "ShipmentDispatched",
            Ty::OrderShipped => "OrderShipped",
            Ty::OrderCancelled => "OrderCancelled",
            Ty::EmailSent => "EmailSent",
        }
    }
    /// Index into [`SERVICES`].
    fn service(self) -> usize {
        match self {
            Ty::OrderPlaced | Ty::OrderConfirmed | Ty::OrderShipped | Ty::OrderCancelled => 0,
            Ty::ReleaseInventory => 5,
            Ty::PaymentProcessed | Ty::PaymentFailed => 1,
            Ty::InventoryReserved | Ty::InventoryReleased => 2,
            Ty::ShipmentCreated | Ty::ShipmentDispatched => 3,
            Ty::EmailSent => 4,
        }
    }
    fn topic(self) -> TopicId {
        match self {
            Ty::OrderPlaced | Ty::OrderConfirmed | Ty::OrderShipped | Ty::OrderCancelled => ORDERS,
            Ty::PaymentProcessed | Ty::PaymentFailed => PAYMENTS,
            Ty::InventoryReserved | Ty::InventoryReleased => INVENTORY,
            Ty::ReleaseInventory => INVENTORY_COMMANDS,
            Ty::ShipmentCreated | Ty::ShipmentDispatched => SHIPPING,
            Ty::EmailSent => NOTIFICATIONS,
        }
    }
    /// Types that always have a follow-up in this system (declared to the stuck detector).
    pub fn has_follow_up(self) -> bool {
        !matches!(self, Ty::InventoryReserved | Ty::EmailSent)
    }
}

/// The names of the types that always have a follow-up.
pub fn expected_follow_ups() -> Vec<String> {
    ALL_TYPES
        .iter()
        .filter(|t| t.has_follow_up())
        .map(|t| t.name().to_string())
        .collect()
}

/// Per-flow fault (at most one per flow, besides duplicates and stalls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FlowFault {
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

/// Tracks each event that awaits a follow-up, to know which ones the stuck detector must flag:
/// per id, since when it awaits one (`None` once it has one, or when a child came first).
#[derive(Default)]
struct StuckOracle {
    awaiting: FxHashMap<Arc<str>, Option<Ns>>,
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

/// Margin over the stuck timeout before an event must have been flagged (detector tick period).
pub const STUCK_MARGIN: Ns = 500 * MS;

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
        let mut headers = Vec::with_capacity(10);
        let mut h = |n: &str, v: &str| {
            headers.push(Header {
                name: n.into(),
                value: Some(v.into()),
            })
        };
        h("ce_specversion", "1.0");
        h("ce_id", &id);
        h("ce_type", ty.name());
        h("ce_source", SERVICES[s]);
        h("ce_time", &format_time(time));
        h("ce_subject", &f.order);
        h("ce_correlationid", &f.corr);
        if let Some(c) = cause {
            h("ce_causationid", c);
        }
        h("ce_sequence", &seq.to_string());
        h("content-type", "application/json");
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
                self.expect(AnomalyKind::ConflictingDuplicate, &id);
                self.inject(
                    now,
                    Fault::Conflict,
                    Some(&id),
                    "EmailSent reuses an earlier EmailSent's id".into(),
                );
            } else {
                self.last_email = Some(id.clone());
            }
            self.flows.remove(&flow);
        }
        bus.publish(now + delay + MS, ty.topic(), msg.clone());
        // Duplicate delivery: the producer's acknowledgement is lost and it sends again.
        if self.faults_on(now) && self.rng.f64() < self.faults.rate(Fault::Dup) {
            let again = now + delay + self.rng.i64(200..=1500) * MS;
            bus.publish(again, ty.topic(), msg);
            self.expect(AnomalyKind::Duplicate, &id);
            self.inject(
                now,
                Fault::Dup,
                Some(&id),
                format!("{} sent twice (producer retry)", ty.name()),
            );
        }
        id
    }

    fn new_flow(&mut self, bus: &mut Bus<Tick>) {
        let now = bus.now;
        let n = self.next_flow;
        self.next_flow += 1;
        self.flows_started += 1;
        let mut fault = FlowFault::None;
        if self.faults_on(now) {
            let mut roll = self.rng.f64();
            for f in [
                Fault::Reorder,
                Fault::Drop,
                Fault::Slow,
                Fault::Poison,
                Fault::Skew,
                Fault::Conflict,
            ] {
                let r = self.faults.rate(f);
                if roll < r {
                    fault = match f {
                        Fault::Reorder => FlowFault::Reorder,
                        Fault::Drop => FlowFault::Drop(
                            [Ty::OrderConfirmed, Ty::ShipmentDispatched, Ty::OrderShipped]
                                [self.rng.usize(..3)],
                        ),
                        Fault::Slow => FlowFault::Slow(
                            [Ty::OrderConfirmed, Ty::OrderShipped][self.rng.usize(..2)],
                        ),
                        Fault::Poison => FlowFault::Poison,
                        Fault::Skew => FlowFault::Skew(self.rng.i64(1_000..=3_000) * MS),
                        _ => FlowFault::Conflict,
                    };
                    break;
                }
                roll -= r;
            }
        }
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
            self.expect(AnomalyKind::DeadLetter, &id);
            self.inject(
                now,
                Fault::Poison,
                Some(&id),
                "OrderPlaced cannot be deserialised by its consumers".into(),
            );
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

fn payload(rng: &mut fastrand::Rng, f: &FlowState, ty: Ty) -> String {
    let o = &f.order;
    let c = f.customer;
    let total = format!("{}.{:02}", f.total_cents / 100, f.total_cents % 100);
    match ty {
        Ty::OrderPlaced if f.fault == FlowFault::Poison => format!(
            "{{\"orderId\":\"{o}\",\"customerId\":\"cust-{c}\",\"items\":\"<binary 0x1f8b0800>\",\"total\":\"NaN\"}}"
        ),
        Ty::OrderPlaced => format!(
            "{{\"orderId\":\"{o}\",\"customerId\":\"cust-{c}\",\"items\":[{{\"sku\":\"SKU-{}\",\"qty\":{}}}],\"total\":{total},\"currency\":\"EUR\"}}",
            rng.u32(1000..9999),
            rng.u32(1..4)
        ),
        Ty::PaymentProcessed => format!(
            "{{\"orderId\":\"{o}\",\"paymentId\":\"pay-{}\",\"amount\":{total},\"currency\":\"EUR\",\"method\":\"card\"}}",
            rng.u32(..)
        ),
        Ty::PaymentFailed => {
            format!("{{\"orderId\":\"{o}\",\"amount\":{total},\"reason\":\"card_declined\"}}")
        }
        Ty::InventoryReserved => format!(
            "{{\"orderId\":\"{o}\",\"reservationId\":\"res-{}\",\"warehouse\":\"WH-{}\"}}",
            rng.u32(..),
            rng.u8(1..9)
        ),
        Ty::ReleaseInventory | Ty::InventoryReleased | Ty::OrderCancelled => {
            format!("{{\"orderId\":\"{o}\",\"reason\":\"payment_failed\"}}")
        }
        Ty::OrderConfirmed => {
            format!("{{\"orderId\":\"{o}\",\"customerId\":\"cust-{c}\",\"total\":{total}}}")
        }
        Ty::ShipmentCreated => format!(
            "{{\"orderId\":\"{o}\",\"shipmentId\":\"shp-{}\",\"carrier\":\"DHL\"}}",
            rng.u32(..)
        ),
        Ty::ShipmentDispatched => format!(
            "{{\"orderId\":\"{o}\",\"trackingNumber\":\"JD{:018}\"}}",
            rng.u64(..1_000_000_000_000_000_000)
        ),
        Ty::OrderShipped => format!("{{\"orderId\":\"{o}\",\"status\":\"shipped\"}}"),
        Ty::EmailSent => format!(
            "{{\"orderId\":\"{o}\",\"to\":\"cust-{c}@example.com\",\"template\":\"{}\"}}",
            if f.payment_ok {
                "order-shipped"
            } else {
                "order-cancelled"
            }
        ),
    }
}

impl Shop {
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

impl System<Tick> for Shop {
    fn latency(&mut self, bus: &Bus<Tick>, group: GroupId, rec: &Appended) -> Option<Ns> {
        let ty = Ty::from_u8(rec.msg.facts.ty);
        let now = bus.now;
        let handles = handles(group, ty) && rec.topic != ORDERS_DLT;
        match self.flow_fault(rec.msg.facts.flow) {
            FlowFault::Drop(t) if t == ty && handles => {
                self.flows.get_mut(&rec.msg.facts.flow).expect("flow").fault = FlowFault::None;
                self.inject(
                    now,
                    Fault::Drop,
                    Some(&rec.msg.id),
                    format!(
                        "{} lost on its way to {}",
                        ty.name(),
                        GROUPS[group as usize].name
                    ),
                );
                return None;
            }
            FlowFault::Slow(t) if t == ty && handles => {
                self.flows.get_mut(&rec.msg.facts.flow).expect("flow").fault = FlowFault::None;
                let extra = 2 * self.stuck_after;
                self.inject(
                    now,
                    Fault::Slow,
                    Some(&rec.msg.id),
                    format!(
                        "{} takes {} s longer to handle {}",
                        GROUPS[group as usize].name,
                        extra / SEC,
                        ty.name()
                    ),
                );
                return Some(extra + self.rng.i64(2..=20) * MS);
            }
            _ => {}
        }
        Some(self.rng.i64(2..=20) * MS)
    }

    fn handle(&mut self, bus: &mut Bus<Tick>, group: GroupId, rec: &Appended) -> Handled {
        let ty = Ty::from_u8(rec.msg.facts.ty);
        if rec.topic == ORDERS_DLT || !handles(group, ty) {
            return Handled::Ignored;
        }
        let flow = rec.msg.facts.flow;
        let cause: &str = &rec.msg.id;
        if self.flow_fault(flow) == FlowFault::Poison {
            return Handled::Fail(format!(
                "Cannot deserialize value of type `OrderPlaced`: field 'items' at {}/{}@{}",
                TOPICS[rec.topic as usize].name, rec.partition, rec.offset
            ));
        }
        let Some(f) = self.flows.get_mut(&flow) else {
            return Handled::Ignored;
        };
        match (group, ty) {
            (G_PAYMENTS, Ty::OrderPlaced) => {
                // A flaky payment gateway: the first try sometimes times out (redelivered).
                if self.rng.f64() < 0.02 {
                    return Handled::Fail("payment gateway timeout".into());
                }
                let t = if f.payment_ok {
                    Ty::PaymentProcessed
                } else {
                    Ty::PaymentFailed
                };
                self.emit(bus, flow, t, Some(cause), 0);
            }
            (G_INVENTORY, Ty::OrderPlaced) => {
                self.emit(bus, flow, Ty::InventoryReserved, Some(cause), 0);
            }
            (G_INVENTORY, Ty::ReleaseInventory) => {
                self.emit(bus, flow, Ty::InventoryReleased, Some(cause), 0);
            }
            (G_ORDER_SAGA, Ty::PaymentProcessed) => {
                f.paid = Some(rec.msg.id.clone());
                if f.reserved && !f.confirmed {
                    f.confirmed = true;
                    self.emit(bus, flow, Ty::OrderConfirmed, Some(cause), 0);
                }
            }
            (G_ORDER_SAGA, Ty::InventoryReserved) => {
                f.reserved = true;
                if let Some(paid) = f.paid.clone()
                    && !f.confirmed
                {
                    f.confirmed = true;
                    self.emit(bus, flow, Ty::OrderConfirmed, Some(&paid), 0);
                }
            }
            (G_ORDER_SAGA, Ty::PaymentFailed) => {
                self.emit(bus, flow, Ty::ReleaseInventory, Some(cause), 0);
            }
            (G_ORDER_SAGA, Ty::InventoryReleased) => {
                self.emit(bus, flow, Ty::OrderCancelled, Some(cause), 0);
            }
            (G_ORDER_SAGA, Ty::ShipmentDispatched) => {
                self.emit(bus, flow, Ty::OrderShipped, Some(cause), 0);
            }
            (G_SHIPPING, Ty::OrderConfirmed) => {
                let reorder = f.fault == FlowFault::Reorder;
                let dispatch_in = self.rng.i64(20..=80) * MS;
                // Reordering: the producer's first send fails and its retry lands after the next
                // record of the same key (max.in.flight > 1 without idempotence).
                let delay = if reorder {
                    dispatch_in + self.rng.i64(10..=40) * MS
                } else {
                    0
                };
                let created = self.emit(bus, flow, Ty::ShipmentCreated, Some(cause), delay);
                if reorder {
                    self.expect(AnomalyKind::OutOfOrder, &created);
                    self.inject(
                        bus.now,
                        Fault::Reorder,
                        Some(&created),
                        "ShipmentCreated lands after ShipmentDispatched (producer retry)".into(),
                    );
                }
                if let Some(FlowFault::Skew(d)) = self.flows.get(&flow).map(|f| f.fault) {
                    // Visible only if the skew exceeds the real gap (a stalled shipping service
                    // may have handled the confirmation seconds late).
                    if bus.now - d < rec.msg.facts.time {
                        self.expect(AnomalyKind::CauseAfterEffect, &created);
                    }
                    self.inject(
                        bus.now,
                        Fault::Skew,
                        Some(&created),
                        format!("shipping's clock is {} ms behind", d / MS),
                    );
                }
                bus.at(bus.now + dispatch_in, Tick::Dispatch { flow, created });
            }
            (G_NOTIFICATIONS, Ty::OrderShipped | Ty::OrderCancelled) => {
                self.emit(bus, flow, Ty::EmailSent, Some(cause), 0);
            }
            _ => {}
        }
        Handled::Ack
    }

    fn on_append(&mut self, bus: &mut Bus<Tick>, rec: &Appended) {
        let _ = bus;
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
                    if since.is_some_and(|t| bus.now - t > self.stuck_after + STUCK_MARGIN) {
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
                let now = bus.now;
                let idle = STALLABLE.iter().all(|g| bus.stalled_until(*g) <= now);
                if self.faults_on(now) && idle && self.rng.f64() < self.faults.rate(Fault::Stall) {
                    let g = STALLABLE[self.rng.usize(..STALLABLE.len())];
                    let until = now + 2 * self.stuck_after;
                    bus.stall(g, until);
                    self.inject(
                        now,
                        Fault::Stall,
                        None,
                        format!(
                            "{} stops consuming for {} s",
                            GROUPS[g as usize].name,
                            (until - now) / SEC
                        ),
                    );
                }
                self.prune(now);
                bus.at(now + SEC, Tick::StallRoll(epoch));
            }
        }
    }
}

/// Whether `group` acts on events of type `ty` (others are consumed and acknowledged).
fn handles(group: GroupId, ty: Ty) -> bool {
    matches!(
        (group, ty),
        (G_PAYMENTS | G_INVENTORY, Ty::OrderPlaced)
            | (G_INVENTORY, Ty::ReleaseInventory)
            | (
                G_ORDER_SAGA,
                Ty::PaymentProcessed
                    | Ty::InventoryReserved
                    | Ty::PaymentFailed
                    | Ty::InventoryReleased
                    | Ty::ShipmentDispatched
            )
            | (G_SHIPPING, Ty::OrderConfirmed)
            | (G_NOTIFICATIONS, Ty::OrderShipped | Ty::OrderCancelled)
    )
}
