//! Events, interned strings and time.

mod event;
mod intern;
mod packed;
mod time;

pub use event::{
    DEAD_LETTER_HEADERS, DecodedEvent, Header, Location, Payload, Profile, Provenance, Sequence,
    TsType,
};
pub use intern::{Interner, Sym};
pub use packed::{EventDetail, PackedEvent, PackedEvents, PackedSeq, Str};
pub use time::{Timestamp, format_duration, format_time, parse_time};
