//! The services: what each consumer group does with an event it acts on, publishing its
//! follow-ups through the bus. The order saga (in the orders service) confirms an order once it
//! is paid and reserved, and compensates a failed payment.

use super::super::bus::{Appended, Bus, GroupId, Handled, MS};
use super::{
    FlowFault, G_INVENTORY, G_NOTIFICATIONS, G_ORDER_SAGA, G_PAYMENTS, G_SHIPPING, ORDERS_DLT,
    Shop, TOPICS, Tick, Ty, handles,
};

/// The event `group` publishes in reply to a `ty` event, where that is all it does.
fn follow_up(group: GroupId, ty: Ty) -> Option<Ty> {
    Some(match (group, ty) {
        (G_INVENTORY, Ty::OrderPlaced) => Ty::InventoryReserved,
        (G_INVENTORY, Ty::ReleaseInventory) => Ty::InventoryReleased,
        (G_ORDER_SAGA, Ty::PaymentFailed) => Ty::ReleaseInventory,
        (G_ORDER_SAGA, Ty::InventoryReleased) => Ty::OrderCancelled,
        (G_ORDER_SAGA, Ty::ShipmentDispatched) => Ty::OrderShipped,
        (G_NOTIFICATIONS, Ty::OrderShipped | Ty::OrderCancelled) => Ty::EmailSent,
        _ => return None,
    })
}

impl Shop {
    /// `group` got `rec`: a poison message fails (the bus retries, then dead-letters it);
    /// events of flows already forgotten, and types the group does not act on, are ignored.
    pub(super) fn handle_record(
        &mut self,
        bus: &mut Bus<Tick>,
        group: GroupId,
        rec: &Appended,
    ) -> Handled {
        let ty = Ty::from_u8(rec.msg.facts.ty);
        if rec.topic == ORDERS_DLT || !handles(group, ty) {
            return Handled::Ignored;
        }
        let flow = rec.msg.facts.flow;
        if self.flow_fault(flow) == FlowFault::Poison {
            return Handled::Fail(format!(
                "Cannot deserialize value of type `OrderPlaced`: field 'items' at {}/{}@{}",
                TOPICS[rec.topic as usize].name, rec.partition, rec.offset
            ));
        }
        if !self.flows.contains_key(&flow) {
            return Handled::Ignored;
        }
        match (group, ty) {
            (G_PAYMENTS, _) => return self.take_payment(bus, flow, &rec.msg.id),
            (G_ORDER_SAGA, Ty::PaymentProcessed | Ty::InventoryReserved) => {
                self.confirm_when_ready(bus, flow, ty, rec);
            }
            (G_SHIPPING, _) => self.create_shipment(bus, flow, rec),
            _ => {
                if let Some(next) = follow_up(group, ty) {
                    self.emit(bus, flow, next, Some(&rec.msg.id), 0);
                }
            }
        }
        Handled::Ack
    }

    /// The payment service charges the order (or the card is declined).
    fn take_payment(&mut self, bus: &mut Bus<Tick>, flow: u32, cause: &str) -> Handled {
        // A flaky payment gateway: the first try sometimes times out (redelivered).
        if self.rng.f64() < 0.02 {
            return Handled::Fail("payment gateway timeout".into());
        }
        let ok = self.flows.get(&flow).is_some_and(|f| f.payment_ok);
        let t = if ok {
            Ty::PaymentProcessed
        } else {
            Ty::PaymentFailed
        };
        self.emit(bus, flow, t, Some(cause), 0);
        Handled::Ack
    }

    /// The saga confirms the order once it is both paid and reserved, in whichever order those
    /// arrive; the confirmation is caused by the payment.
    fn confirm_when_ready(&mut self, bus: &mut Bus<Tick>, flow: u32, ty: Ty, rec: &Appended) {
        let Some(f) = self.flows.get_mut(&flow) else {
            return;
        };
        if ty == Ty::PaymentProcessed {
            f.paid = Some(rec.msg.id.clone());
        } else {
            f.reserved = true;
        }
        if f.reserved
            && !f.confirmed
            && let Some(paid) = f.paid.clone()
        {
            f.confirmed = true;
            self.emit(bus, flow, Ty::OrderConfirmed, Some(&paid), 0);
        }
    }

    /// The shipping service creates the shipment and dispatches it a moment later.
    fn create_shipment(&mut self, bus: &mut Bus<Tick>, flow: u32, rec: &Appended) {
        let dispatch_in = self.rng.i64(20..=80) * MS;
        let delay = self.shipment_delay(flow, dispatch_in);
        let created = self.emit(bus, flow, Ty::ShipmentCreated, Some(&rec.msg.id), delay);
        self.shipment_faults(bus.now, flow, &created, rec.msg.facts.time);
        bus.at(bus.now + dispatch_in, Tick::Dispatch { flow, created });
    }
}
