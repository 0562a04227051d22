//! Live Kafka. What to connect to ([`KafkaRequest`], checked into [`KafkaOptions`]) and the
//! properties users write are plain data, available in every build; consuming needs librdkafka
//! (feature `kafka`): `consume` on the caller's thread, or `spawn` as a session source.

mod options;
mod properties;
pub use options::{KafkaOptions, KafkaRequest, Properties, RequestError, StartFrom};
pub use properties::{
    is_reference, is_secret, parse_properties, parse_property, read_properties, redacted,
    resolve_value,
};

#[cfg(feature = "kafka")]
mod consume;
#[cfg(feature = "kafka")]
pub mod diagnose;
#[cfg(feature = "kafka")]
mod source;
#[cfg(feature = "kafka")]
pub use consume::{
    Connection, Decoded, Delivered, KafkaStatus, PartitionStatus, client_config, consume,
};
#[cfg(feature = "kafka")]
pub use source::{KafkaHandle, spawn};
