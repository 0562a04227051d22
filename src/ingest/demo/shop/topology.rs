//! The system's shape: topics, consumer groups, event types with their producing service and
//! topic, and which group acts on which type.

use super::super::bus::{GroupDef, GroupId, TopicDef, TopicId};

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
pub(super) const STALLABLE: [GroupId; 5] = [
    G_ORDER_SAGA,
    G_PAYMENTS,
    G_INVENTORY,
    G_SHIPPING,
    G_NOTIFICATIONS,
];

pub(super) fn dead_letter_topic(t: TopicId) -> Option<TopicId> {
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

pub(super) const ALL_TYPES: [Ty; 12] = [
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
pub(super) const SERVICES: [&str; 6] = [
    "orders",
    "payments",
    "inventory",
    "shipping",
    "notifications",
    "order-saga",
];

impl Ty {
    pub(super) fn from_u8(v: u8) -> Ty {
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
    pub(super) fn service(self) -> usize {
        match self {
            Ty::OrderPlaced | Ty::OrderConfirmed | Ty::OrderShipped | Ty::OrderCancelled => 0,
            Ty::ReleaseInventory => 5,
            Ty::PaymentProcessed | Ty::PaymentFailed => 1,
            Ty::InventoryReserved | Ty::InventoryReleased => 2,
            Ty::ShipmentCreated | Ty::ShipmentDispatched => 3,
            Ty::EmailSent => 4,
        }
    }
    pub(super) fn topic(self) -> TopicId {
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

/// Whether `group` acts on events of type `ty` (others are consumed and acknowledged).
pub(super) fn handles(group: GroupId, ty: Ty) -> bool {
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
