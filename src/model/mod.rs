//! Events, interned strings and time.

mod event;
mod header_value;
mod intern;
mod packed;
mod problem;
mod time;

pub use event::{
    DEAD_LETTER_HEADERS, DecodedEvent, Header, Payload, PayloadDecoder, Profile, Provenance,
    Sequence, TsType, dead_letter_evidence,
};
pub use header_value::{header_display, header_number};
pub use intern::{Interner, Sym};
pub use packed::{
    EventDetail, EventFacts, EventView, LineSource, LineSpan, PackedEvent, PackedEvents, PackedSeq,
    SeqView, Str,
};
pub use problem::Problem;
pub use time::{
    Timestamp, format_duration, format_time, now_ns, parse_time, parse_time_agrees_with_chrono,
};
