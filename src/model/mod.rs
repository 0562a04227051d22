//! Events, interned strings and time.

mod event;
mod intern;
mod time;

pub use event::{DecodedEvent, Header, Location, Payload, Profile, Provenance, Sequence, TsType};
pub use intern::{Interner, Sym};
pub use time::{Timestamp, format_duration, format_time, parse_time};
