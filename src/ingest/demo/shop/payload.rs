//! The JSON values of the events (what a real service would publish).

use super::{FlowFault, FlowState, Ty};

/// The value of a `ty` event of flow `f`.
pub(super) fn payload(rng: &mut fastrand::Rng, f: &FlowState, ty: Ty) -> String {
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

/// One value of each event type, by the type's number (`Facts::ty`): the demo's Avro schemas are
/// inferred from them (`demo::avro`).
pub fn samples() -> Vec<(&'static str, String)> {
    let f = FlowState {
        corr: "c".into(),
        order: "order-0000001".into(),
        seq: [0; 6],
        customer: 10_000,
        total_cents: 1_250,
        payment_ok: true,
        paid: None,
        reserved: false,
        confirmed: false,
        fault: super::FlowFault::None,
        started: 0,
    };
    let mut rng = fastrand::Rng::with_seed(1);
    (super::topology::ALL_TYPES.iter())
        .map(|ty| (ty.name(), payload(&mut rng, &f, *ty)))
        .collect()
}
