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
//! skips a sequence number). No fault is injected in the last minute of the trace, so every
//! injected fault can be judged.

use crate::analysis::AnomalyKind;
use crate::analysis::truth;
pub use crate::analysis::truth::{Expected, Fault};
use crate::model::format_time;
use std::fmt::Write as _;
use std::io::Write;
use std::rc::Rc;
use std::str::FromStr;

/// The faults `gen` can inject, in the order of its rate array; after `dup` (per event), the order
/// in which a flow's one fault is rolled. It cannot inject the demo's slow and stall faults (a
/// trace has no consumers to slow down or stall).
pub const FAULTS: [Fault; 9] = [
    Fault::Dup,
    Fault::Reorder,
    Fault::Drop,
    Fault::Poison,
    Fault::Skew,
    Fault::Conflict,
    Fault::Orphan,
    Fault::Cycle,
    Fault::Gap,
];

/// Fault rates in [0, 1], indexed like [`FAULTS`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults(pub [f64; 9]);

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

struct GenEvent {
    /// True time (log order); `shown` is what the producer's clock said.
    t: i64,
    shown: i64,
    ord: u64,
    flow: u32,
    /// 1 and 2 mark the pair a reorder fault swaps.
    mark: u8,
    no_dup: bool,
    id: Rc<str>,
    ty: &'static str,
    source: &'static str,
    topic: &'static str,
    corr: Rc<str>,
    cause: Option<Rc<str>>,
    seq: Option<i64>,
    order: Rc<str>,
    data: String,
    dlt_reason: Option<&'static str>,
}

const BASE_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MS: i64 = 1_000_000;
const SEC: i64 = 1_000_000_000;
const PARTITIONS: u64 = 3;
const NO_FAULT_TAIL: i64 = 60 * SEC;

fn uuid(rng: &mut fastrand::Rng) -> Rc<str> {
    crate::analysis::truth::random_uuid(rng).into()
}

struct Gen {
    rng: fastrand::Rng,
    events: Vec<GenEvent>,
    truth: Vec<Expected>,
    ord: u64,
    last_email: Option<Rc<str>>,
}

impl Gen {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        flow: u32,
        t: i64,
        ty: &'static str,
        source: &'static str,
        topic: &'static str,
        corr: &Rc<str>,
        cause: Option<&Rc<str>>,
        seq: Option<i64>,
        order: &Rc<str>,
        data: String,
    ) -> usize {
        self.ord += 1;
        let id = uuid(&mut self.rng);
        self.events.push(GenEvent {
            t,
            shown: t,
            ord: self.ord,
            flow,
            mark: 0,
            no_dup: false,
            id,
            ty,
            source,
            topic,
            corr: corr.clone(),
            cause: cause.cloned(),
            seq,
            order: order.clone(),
            data,
            dlt_reason: None,
        });
        self.events.len() - 1
    }

    fn id(&self, i: usize) -> Rc<str> {
        self.events[i].id.clone()
    }

    fn expect(&mut self, kind: AnomalyKind, i: usize) {
        let event_id = self.events[i].id.to_string();
        self.truth.push(Expected { kind, event_id });
    }

    fn ms(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.i64(lo..=hi) * MS
    }

    fn flow(&mut self, n: u32, t0: i64, fault: Option<Fault>) {
        let order: Rc<str> = format!("order-{n:07}").into();
        let corr = uuid(&mut self.rng);
        let cust = self.rng.u32(10_000..99_999);
        let nitems = self.rng.usize(1..=2);
        let mut items = String::new();
        let mut total = 0.0;
        for k in 0..nitems {
            let (sku, qty, price) = (
                self.rng.u32(1000..9999),
                self.rng.u32(1..4),
                self.rng.u32(199..19999) as f64 / 100.0,
            );
            total += qty as f64 * price;
            let _ = write!(
                items,
                "{}{{\"sku\":\"SKU-{sku}\",\"qty\":{qty},\"price\":{price:.2}}}",
                if k > 0 { "," } else { "" }
            );
        }
        let o = &order;
        let data = format!(
            "{{\"orderId\":\"{o}\",\"customerId\":\"cust-{cust}\",\"items\":[{items}],\"total\":{total:.2},\"currency\":\"EUR\"}}"
        );
        let placed = self.emit(
            n,
            t0,
            "OrderPlaced",
            "orders",
            "orders",
            &corr,
            None,
            Some(1),
            o,
            data,
        );
        let placed_id = self.id(placed);
        if fault == Some(Fault::Poison) {
            let dlt_t = t0 + self.ms(1_000, 3_000);
            let mut copy = self.copy_of(placed, dlt_t);
            copy.topic = "orders.DLT";
            copy.dlt_reason = Some("Poison message: cannot deserialize field 'items'");
            copy.no_dup = true;
            self.events.push(copy);
            self.expect(AnomalyKind::DeadLetter, placed);
            return;
        }
        let success = matches!(
            fault,
            Some(Fault::Reorder | Fault::Drop | Fault::Skew | Fault::Gap)
        ) || self.rng.f64() >= 0.05;
        let t_inv = t0 + self.ms(5, 40);
        let data = format!(
            "{{\"orderId\":\"{o}\",\"reservationId\":\"res-{}\",\"items\":{nitems},\"warehouse\":\"WH-{}\"}}",
            self.rng.u32(..),
            self.rng.u8(1..9)
        );
        self.emit(
            n,
            t_inv,
            "InventoryReserved",
            "inventory",
            "inventory",
            &corr,
            Some(&placed_id),
            Some(1),
            o,
            data,
        );
        let t_pay = t0 + self.ms(5, 40);
        let amount = format!("\"amount\":{total:.2},\"currency\":\"EUR\"");
        let last;
        if success {
            let data = format!(
                "{{\"orderId\":\"{o}\",\"paymentId\":\"pay-{}\",{amount},\"method\":\"card\",\"authCode\":\"{:06X}\"}}",
                self.rng.u32(..),
                self.rng.u32(..0xffffff)
            );
            let pay = self.emit(
                n,
                t_pay,
                "PaymentProcessed",
                "payments",
                "payments",
                &corr,
                Some(&placed_id),
                Some(1),
                o,
                data,
            );
            let pay_id = self.id(pay);
            let t_conf = t_pay.max(t_inv) + self.ms(2, 10);
            let data = format!("{{\"orderId\":\"{o}\",\"customerId\":\"cust-{cust}\",{amount}}}");
            let conf = self.emit(
                n,
                t_conf,
                "OrderConfirmed",
                "orders",
                "orders",
                &corr,
                Some(&pay_id),
                Some(2),
                o,
                data,
            );
            if fault == Some(Fault::Drop) {
                self.expect(AnomalyKind::Stuck, conf);
                return;
            }
            let conf_id = self.id(conf);
            let t_ship = t_conf + self.ms(10, 80);
            let data = format!(
                "{{\"orderId\":\"{o}\",\"shipmentId\":\"shp-{}\",\"carrier\":\"DHL\",\"address\":{{\"city\":\"Berlin\",\"zip\":\"{}\",\"country\":\"DE\"}}}}",
                self.rng.u32(..),
                self.rng.u32(10000..14199)
            );
            let ship = self.emit(
                n,
                t_ship,
                "ShipmentCreated",
                "shipping",
                "shipping",
                &corr,
                Some(&conf_id),
                Some(1),
                o,
                data,
            );
            if fault == Some(Fault::Skew) {
                let skew = self.ms(1_000, 5_000);
                self.events[ship].shown -= skew;
                self.expect(AnomalyKind::CauseAfterEffect, ship);
            }
            let ship_id = self.id(ship);
            let t_shipped = t_ship + self.ms(2, 10);
            let seq = if fault == Some(Fault::Gap) { 4 } else { 3 };
            let data = format!(
                "{{\"orderId\":\"{o}\",\"trackingNumber\":\"JD{:018}\"}}",
                self.rng.u64(..1_000_000_000_000_000_000)
            );
            let shipped = self.emit(
                n,
                t_shipped,
                "OrderShipped",
                "orders",
                "orders",
                &corr,
                Some(&ship_id),
                Some(seq),
                o,
                data,
            );
            if fault == Some(Fault::Gap) {
                self.expect(AnomalyKind::SequenceGap, shipped);
            }
            if fault == Some(Fault::Reorder) {
                self.events[conf].mark = 1;
                self.events[shipped].mark = 2;
                self.expect(AnomalyKind::OutOfOrder, conf);
            }
            last = shipped;
        } else {
            let data = format!(
                "{{\"orderId\":\"{o}\",\"paymentId\":\"pay-{}\",{amount},\"reason\":\"card_declined\"}}",
                self.rng.u32(..)
            );
            let failed = self.emit(
                n,
                t_pay,
                "PaymentFailed",
                "payments",
                "payments",
                &corr,
                Some(&placed_id),
                Some(1),
                o,
                data,
            );
            let failed_id = self.id(failed);
            let t_rel = t_pay.max(t_inv) + self.ms(2, 10);
            let data = format!("{{\"orderId\":\"{o}\",\"reason\":\"payment_failed\"}}");
            self.emit(
                n,
                t_rel,
                "InventoryReleased",
                "inventory",
                "inventory",
                &corr,
                Some(&failed_id),
                Some(2),
                o,
                data,
            );
            let data = format!("{{\"orderId\":\"{o}\",\"reason\":\"payment_failed\"}}");
            let t_cancel = t_pay + self.ms(2, 10);
            last = self.emit(
                n,
                t_cancel,
                "OrderCancelled",
                "orders",
                "orders",
                &corr,
                Some(&failed_id),
                Some(2),
                o,
                data,
            );
        }
        let last_id = self.id(last);
        let t_mail = self.events[last].t + self.ms(5, 30);
        let template = if success {
            "order-shipped"
        } else {
            "order-cancelled"
        };
        let data = format!(
            "{{\"orderId\":\"{o}\",\"customerId\":\"cust-{cust}\",\"template\":\"{template}\",\"to\":\"cust-{cust}@example.com\"}}"
        );
        let mail = self.emit(
            n,
            t_mail,
            "EmailSent",
            "notifications",
            "notifications",
            &corr,
            Some(&last_id),
            Some(1),
            o,
            data,
        );
        match fault {
            Some(Fault::Conflict) => {
                if let Some(prev) = self.last_email.clone() {
                    self.events[mail].id = prev;
                    self.events[mail].no_dup = true;
                    self.expect(AnomalyKind::ConflictingDuplicate, mail);
                }
            }
            Some(Fault::Orphan) => {
                let ghost = uuid(&mut self.rng);
                let data = format!("{{\"orderId\":\"{o}\",\"score\":{:.3}}}", self.rng.f64());
                let t_fraud = t0 + self.ms(1, 4);
                let e = self.emit(
                    n,
                    t_fraud,
                    "FraudScoreComputed",
                    "analytics",
                    "analytics",
                    &corr,
                    Some(&ghost),
                    None,
                    o,
                    data,
                );
                self.expect(AnomalyKind::OrphanCause, e);
            }
            Some(Fault::Cycle) => {
                let t = t0 + self.ms(50, 60);
                let a = self.emit(
                    n,
                    t,
                    "RetryScheduled",
                    "scheduler",
                    "scheduler",
                    &corr,
                    None,
                    None,
                    o,
                    format!("{{\"orderId\":\"{o}\"}}"),
                );
                let b = self.emit(
                    n,
                    t,
                    "RetryScheduled",
                    "scheduler",
                    "scheduler",
                    &corr,
                    None,
                    None,
                    o,
                    format!("{{\"orderId\":\"{o}\"}}"),
                );
                self.events[a].cause = Some(self.id(b));
                self.events[b].cause = Some(self.id(a));
                self.events[a].no_dup = true;
                self.events[b].no_dup = true;
                self.expect(AnomalyKind::CausationCycle, b);
            }
            _ => {}
        }
        if !self.events[mail].no_dup {
            self.last_email = Some(self.id(mail));
        }
    }

    fn copy_of(&mut self, i: usize, t: i64) -> GenEvent {
        self.ord += 1;
        let e = &self.events[i];
        GenEvent {
            t,
            shown: e.shown,
            ord: self.ord,
            flow: e.flow,
            mark: 0,
            no_dup: true,
            id: e.id.clone(),
            ty: e.ty,
            source: e.source,
            topic: e.topic,
            corr: e.corr.clone(),
            cause: e.cause.clone(),
            seq: e.seq,
            order: e.order.clone(),
            data: e.data.clone(),
            dlt_reason: None,
        }
    }
}

/// Generates `n` events; writes them to `out` and returns the expected anomalies.
pub fn generate(
    n: usize,
    seed: u64,
    faults: &Faults,
    out: &mut dyn Write,
) -> std::io::Result<Vec<Expected>> {
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(seed),
        events: Vec::with_capacity(n + n / 10),
        truth: Vec::new(),
        ord: 0,
        last_email: None,
    };
    let dup = faults.rate(Fault::Dup);
    let est_flows = (n as f64 / (7.0 * (1.0 + dup) + 2.0)).max(1.0);
    let span = (est_flows / 200.0 * SEC as f64).max(300.0 * SEC as f64) as i64;
    let interval = (span as f64 / (n as f64 / 7.0).max(1.0)) as i64;
    let fault_until = (span - NO_FAULT_TAIL).max(0);
    let mut flow = 0u32;
    while g.events.len() < n {
        let t0 = (BASE_MS * MS + flow as i64 * interval + g.rng.i64(0..=interval / 2)) / MS * MS;
        let eligible = (t0 - BASE_MS * MS) < fault_until;
        let mut fault = None;
        if eligible {
            let mut roll = g.rng.f64();
            // Every fault but `dup` (the first) is a per-flow fault.
            for (&f, &r) in FAULTS.iter().zip(&faults.0).skip(1) {
                if roll < r {
                    fault = Some(f);
                    break;
                }
                roll -= r;
            }
        }
        let first = g.events.len();
        g.flow(flow, t0, fault);
        if eligible && dup > 0.0 {
            for i in first..g.events.len() {
                if !g.events[i].no_dup && g.rng.f64() < dup {
                    let t = g.events[i].t + g.ms(500, 3_000);
                    let copy = g.copy_of(i, t);
                    g.events.push(copy);
                    g.expect(AnomalyKind::Duplicate, i);
                }
            }
        }
        flow += 1;
    }
    let mut ev = g.events;
    ev.sort_unstable_by_key(|e| (e.t, e.ord));
    // Reorder faults: the marked pair swap places in the log.
    let mut firsts: rustc_hash::FxHashMap<u32, usize> = Default::default();
    for i in 0..ev.len() {
        match ev[i].mark {
            1 => {
                firsts.insert(ev[i].flow, i);
            }
            2 => {
                if let Some(j) = firsts.remove(&ev[i].flow) {
                    ev.swap(i, j);
                }
            }
            _ => {}
        }
    }
    ev.truncate(n);
    let mut offsets: rustc_hash::FxHashMap<(&str, u64), i64> = Default::default();
    let mut line = String::with_capacity(1024);
    writeln!(
        out,
        "{{\"eventscope_trace\":1,\"generator\":\"eventscope gen\",\"seed\":{seed},\"events\":{n}}}"
    )?;
    for e in &ev {
        let partition = crate::model::Interner::hash(&e.order) % PARTITIONS;
        let off = offsets.entry((e.topic, partition)).or_insert(0);
        let offset = *off;
        *off += 1;
        line.clear();
        let _ = write!(
            line,
            "{{\"id\":\"{}\",\"type\":\"{}\",\"source\":\"{}\",\"time\":\"{}\",\"correlationid\":\"{}\"",
            e.id,
            e.ty,
            e.source,
            format_time(e.shown),
            e.corr
        );
        if let Some(c) = &e.cause {
            let _ = write!(line, ",\"causationid\":\"{c}\"");
        }
        if let Some(s) = e.seq {
            let _ = write!(line, ",\"sequence\":{s},\"subject\":\"{}\"", e.order);
        }
        let _ = write!(
            line,
            ",\"topic\":\"{}\",\"partition\":{partition},\"offset\":{offset},\"key\":\"{}\",\"ts\":{},\"tstype\":\"create\",\"headers\":[[\"ce_specversion\",\"1.0\"]",
            e.topic,
            e.order,
            e.t / MS,
        );
        if let Some(r) = e.dlt_reason {
            let _ = write!(
                line,
                ",[\"kafka_dlt-exception-message\",\"{r}\"],[\"kafka_dlt-original-topic\",\"orders\"]"
            );
        }
        let _ = write!(line, "],\"data\":{}}}", e.data);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    let mut truth = g.truth;
    truth.sort();
    truth.dedup();
    Ok(truth)
}
