//! One order's flow: a method per step of the happy path, of the compensation path and of each
//! fault. The random draws happen in a fixed order (a seed reproduces a trace byte for byte), so
//! a step draws what it needs in the order it writes it.

use super::{Expected, Fault, MS};
use std::fmt::Write as _;
use std::rc::Rc;

pub(super) struct GenEvent {
    /// True time (log order); `shown` is what the producer's clock said.
    pub t: i64,
    pub shown: i64,
    pub ord: u64,
    pub flow: u32,
    /// 1 and 2 mark the pair a reorder fault swaps.
    pub mark: u8,
    pub no_dup: bool,
    pub id: Rc<str>,
    pub ty: &'static str,
    pub source: &'static str,
    pub topic: &'static str,
    pub corr: Rc<str>,
    pub cause: Option<Rc<str>>,
    pub seq: Option<i64>,
    pub order: Rc<str>,
    pub data: String,
    pub dlt_reason: Option<&'static str>,
}

/// An event type and the service that publishes it, to the topic of the same name.
type Kind = (&'static str, &'static str);

const ORDER_PLACED: Kind = ("OrderPlaced", "orders");
const INVENTORY_RESERVED: Kind = ("InventoryReserved", "inventory");
const PAYMENT_PROCESSED: Kind = ("PaymentProcessed", "payments");
const ORDER_CONFIRMED: Kind = ("OrderConfirmed", "orders");
const SHIPMENT_CREATED: Kind = ("ShipmentCreated", "shipping");
const ORDER_SHIPPED: Kind = ("OrderShipped", "orders");
const PAYMENT_FAILED: Kind = ("PaymentFailed", "payments");
const INVENTORY_RELEASED: Kind = ("InventoryReleased", "inventory");
const ORDER_CANCELLED: Kind = ("OrderCancelled", "orders");
const EMAIL_SENT: Kind = ("EmailSent", "notifications");
const FRAUD_SCORE_COMPUTED: Kind = ("FraudScoreComputed", "analytics");
const RETRY_SCHEDULED: Kind = ("RetryScheduled", "scheduler");

fn uuid(rng: &mut fastrand::Rng) -> Rc<str> {
    crate::analysis::truth::random_uuid(rng).into()
}

/// What every event of one order's flow shares.
struct Order {
    n: u32,
    t0: i64,
    fault: Option<Fault>,
    id: Rc<str>,
    corr: Rc<str>,
    cust: u32,
    nitems: usize,
    total: f64,
}

impl Order {
    fn amount(&self) -> String {
        format!("\"amount\":{:.2},\"currency\":\"EUR\"", self.total)
    }
}

pub(super) struct Gen {
    pub rng: fastrand::Rng,
    pub events: Vec<GenEvent>,
    pub truth: Vec<Expected>,
    ord: u64,
    last_email: Option<Rc<str>>,
}

impl Gen {
    pub fn new(seed: u64, n: usize) -> Gen {
        Gen {
            rng: fastrand::Rng::with_seed(seed),
            events: Vec::with_capacity(n + n / 10),
            truth: Vec::new(),
            ord: 0,
            last_email: None,
        }
    }

    fn emit(
        &mut self,
        o: &Order,
        t: i64,
        (ty, service): Kind,
        cause: Option<&Rc<str>>,
        seq: Option<i64>,
        data: String,
    ) -> usize {
        self.ord += 1;
        let id = uuid(&mut self.rng);
        self.events.push(GenEvent {
            t,
            shown: t,
            ord: self.ord,
            flow: o.n,
            mark: 0,
            no_dup: false,
            id,
            ty,
            source: service,
            topic: service,
            corr: o.corr.clone(),
            cause: cause.cloned(),
            seq,
            order: o.id.clone(),
            data,
            dlt_reason: None,
        });
        self.events.len() - 1
    }

    fn id(&self, i: usize) -> Rc<str> {
        self.events[i].id.clone()
    }

    /// Records that `fault`, injected at event `i`, must be flagged there.
    pub fn caused(&mut self, fault: Fault, i: usize) {
        let event_id = self.events[i].id.to_string();
        self.truth.push(Expected {
            kind: fault.anomaly(),
            event_id,
        });
    }

    pub fn ms(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.i64(lo..=hi) * MS
    }

    /// Flow `n`, starting at `t0`, with at most one per-flow fault.
    pub fn flow(&mut self, n: u32, t0: i64, fault: Option<Fault>) {
        let (o, placed) = self.order_placed(n, t0, fault);
        if fault == Some(Fault::Poison) {
            self.poison(placed);
            return;
        }
        let placed_id = self.id(placed);
        // Faults that need the happy path keep it.
        let success = matches!(
            fault,
            Some(Fault::Reorder | Fault::Drop | Fault::Skew | Fault::Gap | Fault::Skip)
        ) || self.rng.f64() >= 0.05;
        let t_inv = if fault == Some(Fault::Skip) {
            self.caused(Fault::Skip, placed);
            o.t0 + self.ms(5, 40)
        } else {
            self.inventory_reserved(&o, &placed_id)
        };
        let t_pay = t0 + self.ms(5, 40);
        let last = if success {
            match self.paid(&o, &placed_id, t_pay, t_inv) {
                Some(shipped) => shipped,
                None => return,
            }
        } else {
            self.payment_failed(&o, &placed_id, t_pay, t_inv)
        };
        let mail = self.email_sent(&o, last, success);
        match fault {
            Some(Fault::Conflict) => self.conflict(mail),
            Some(Fault::Orphan) => self.orphan(&o),
            Some(Fault::Cycle) => self.cycle(&o),
            _ => {}
        }
        if !self.events[mail].no_dup {
            self.last_email = Some(self.id(mail));
        }
    }

    /// The order and its OrderPlaced event (returned with its index).
    fn order_placed(&mut self, n: u32, t0: i64, fault: Option<Fault>) -> (Order, usize) {
        let id: Rc<str> = format!("order-{n:07}").into();
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
        let o = Order {
            n,
            t0,
            fault,
            id,
            corr,
            cust,
            nitems,
            total,
        };
        let data = format!(
            "{{\"orderId\":\"{}\",\"customerId\":\"cust-{cust}\",\"items\":[{items}],\"total\":{total:.2},\"currency\":\"EUR\"}}",
            o.id
        );
        let placed = self.emit(&o, t0, ORDER_PLACED, None, Some(1), data);
        (o, placed)
    }

    /// Poison: OrderPlaced cannot be read and ends in orders.DLT; nothing follows it.
    fn poison(&mut self, placed: usize) {
        let dlt_t = self.events[placed].t + self.ms(1_000, 3_000);
        let mut copy = self.copy_of(placed, dlt_t);
        copy.topic = "orders.DLT";
        copy.dlt_reason = Some("Poison message: cannot deserialize field 'items'");
        copy.no_dup = true;
        self.events.push(copy);
        self.caused(Fault::Poison, placed);
    }

    /// InventoryReserved; returns its time.
    fn inventory_reserved(&mut self, o: &Order, placed_id: &Rc<str>) -> i64 {
        let t_inv = o.t0 + self.ms(5, 40);
        let data = format!(
            "{{\"orderId\":\"{}\",\"reservationId\":\"res-{}\",\"items\":{},\"warehouse\":\"WH-{}\"}}",
            o.id,
            self.rng.u32(..),
            o.nitems,
            self.rng.u8(1..9)
        );
        self.emit(o, t_inv, INVENTORY_RESERVED, Some(placed_id), Some(1), data);
        t_inv
    }

    /// PaymentProcessed -> OrderConfirmed, then shipping; returns OrderShipped, or `None` when a
    /// drop fault loses OrderConfirmed (the flow is stuck there).
    fn paid(&mut self, o: &Order, placed_id: &Rc<str>, t_pay: i64, t_inv: i64) -> Option<usize> {
        let data = format!(
            "{{\"orderId\":\"{}\",\"paymentId\":\"pay-{}\",{},\"method\":\"card\",\"authCode\":\"{:06X}\"}}",
            o.id,
            self.rng.u32(..),
            o.amount(),
            self.rng.u32(..0xffffff)
        );
        let pay = self.emit(o, t_pay, PAYMENT_PROCESSED, Some(placed_id), Some(1), data);
        let pay_id = self.id(pay);
        let t_conf = t_pay.max(t_inv) + self.ms(2, 10);
        let data = format!(
            "{{\"orderId\":\"{}\",\"customerId\":\"cust-{}\",{}}}",
            o.id,
            o.cust,
            o.amount()
        );
        let conf = self.emit(o, t_conf, ORDER_CONFIRMED, Some(&pay_id), Some(2), data);
        if o.fault == Some(Fault::Drop) {
            self.caused(Fault::Drop, conf);
            return None;
        }
        Some(self.shipped(o, conf))
    }

    /// ShipmentCreated -> OrderShipped (with the skew, gap and reorder faults); returns
    /// OrderShipped.
    fn shipped(&mut self, o: &Order, conf: usize) -> usize {
        let conf_id = self.id(conf);
        let t_ship = self.events[conf].t + self.ms(10, 80);
        let data = format!(
            "{{\"orderId\":\"{}\",\"shipmentId\":\"shp-{}\",\"carrier\":\"DHL\",\"address\":{{\"city\":\"Berlin\",\"zip\":\"{}\",\"country\":\"DE\"}}}}",
            o.id,
            self.rng.u32(..),
            self.rng.u32(10000..14199)
        );
        let ship = self.emit(o, t_ship, SHIPMENT_CREATED, Some(&conf_id), Some(1), data);
        if o.fault == Some(Fault::Skew) {
            let skew = self.ms(1_000, 5_000);
            self.events[ship].shown -= skew;
            self.caused(Fault::Skew, ship);
        }
        let ship_id = self.id(ship);
        let t_shipped = t_ship + self.ms(2, 10);
        let seq = if o.fault == Some(Fault::Gap) { 4 } else { 3 };
        let data = format!(
            "{{\"orderId\":\"{}\",\"trackingNumber\":\"JD{:018}\"}}",
            o.id,
            self.rng.u64(..1_000_000_000_000_000_000)
        );
        let shipped = self.emit(o, t_shipped, ORDER_SHIPPED, Some(&ship_id), Some(seq), data);
        if o.fault == Some(Fault::Gap) {
            self.caused(Fault::Gap, shipped);
        }
        if o.fault == Some(Fault::Reorder) {
            self.events[conf].mark = 1;
            self.events[shipped].mark = 2;
            self.caused(Fault::Reorder, conf);
        }
        shipped
    }

    /// The compensation path: PaymentFailed -> InventoryReleased + OrderCancelled; returns
    /// OrderCancelled.
    fn payment_failed(&mut self, o: &Order, placed_id: &Rc<str>, t_pay: i64, t_inv: i64) -> usize {
        let data = format!(
            "{{\"orderId\":\"{}\",\"paymentId\":\"pay-{}\",{},\"reason\":\"card_declined\"}}",
            o.id,
            self.rng.u32(..),
            o.amount()
        );
        let failed = self.emit(o, t_pay, PAYMENT_FAILED, Some(placed_id), Some(1), data);
        let failed_id = self.id(failed);
        let t_rel = t_pay.max(t_inv) + self.ms(2, 10);
        let cancelled = format!("{{\"orderId\":\"{}\",\"reason\":\"payment_failed\"}}", o.id);
        let data = cancelled.clone();
        self.emit(
            o,
            t_rel,
            INVENTORY_RELEASED,
            Some(&failed_id),
            Some(2),
            data,
        );
        let t_cancel = t_pay + self.ms(2, 10);
        self.emit(
            o,
            t_cancel,
            ORDER_CANCELLED,
            Some(&failed_id),
            Some(2),
            cancelled,
        )
    }

    /// EmailSent after the last event of the flow; returns it.
    fn email_sent(&mut self, o: &Order, last: usize, success: bool) -> usize {
        let last_id = self.id(last);
        let t_mail = self.events[last].t + self.ms(5, 30);
        let template = if success {
            "order-shipped"
        } else {
            "order-cancelled"
        };
        let c = o.cust;
        let data = format!(
            "{{\"orderId\":\"{}\",\"customerId\":\"cust-{c}\",\"template\":\"{template}\",\"to\":\"cust-{c}@example.com\"}}",
            o.id
        );
        self.emit(o, t_mail, EMAIL_SENT, Some(&last_id), Some(1), data)
    }

    /// Conflict: the EmailSent reuses the previous flow's EmailSent id (none yet: no fault).
    fn conflict(&mut self, mail: usize) {
        if let Some(prev) = self.last_email.clone() {
            self.events[mail].id = prev;
            self.events[mail].no_dup = true;
            self.caused(Fault::Conflict, mail);
        }
    }

    /// Orphan: an analytics event names a cause that never existed.
    fn orphan(&mut self, o: &Order) {
        let ghost = uuid(&mut self.rng);
        let data = format!(
            "{{\"orderId\":\"{}\",\"score\":{:.3}}}",
            o.id,
            self.rng.f64()
        );
        let t_fraud = o.t0 + self.ms(1, 4);
        let e = self.emit(o, t_fraud, FRAUD_SCORE_COMPUTED, Some(&ghost), None, data);
        self.caused(Fault::Orphan, e);
    }

    /// Cycle: two scheduler events name each other as their cause.
    fn cycle(&mut self, o: &Order) {
        let t = o.t0 + self.ms(50, 60);
        let data = || format!("{{\"orderId\":\"{}\"}}", o.id);
        let a = self.emit(o, t, RETRY_SCHEDULED, None, None, data());
        let b = self.emit(o, t, RETRY_SCHEDULED, None, None, data());
        self.events[a].cause = Some(self.id(b));
        self.events[b].cause = Some(self.id(a));
        self.events[a].no_dup = true;
        self.events[b].no_dup = true;
        self.caused(Fault::Cycle, b);
    }

    /// An exact redelivery of event `i` at `t` (never duplicated again).
    pub fn copy_of(&mut self, i: usize, t: i64) -> GenEvent {
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
