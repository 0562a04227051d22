//! The compact record the store keeps of every event, and how its fields are packed.

use crate::model::{EventFacts, Provenance, Sym, Timestamp, TsType};

/// An interned sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seq {
    None,
    Int(i64),
    Text(Sym),
}

impl Seq {
    /// The sequence as an integer, when it is one.
    pub fn int(self) -> Option<i64> {
        match self {
            Seq::Int(n) => Some(n),
            _ => None,
        }
    }
}

/// "No value" in the compact integer fields of [`EventRecord`].
const NO_TIME: i64 = i64::MIN;
const NO_PARTITION: i32 = i32::MIN;

/// The compact form of an event that is always kept (96 bytes: optional times and positions are
/// stored with a sentinel instead of `Option`, and the small fields packed into one word, all read
/// through the accessors). A million events' records are ~96 MB, the largest table of a session.
#[derive(Clone, Debug)]
pub struct EventRecord {
    pub id: Sym,
    pub event_type: Sym,
    pub source: Option<Sym>,
    pub correlation: Option<Sym>,
    pub causation: Option<Sym>,
    pub subject: Option<Sym>,
    pub topic: Option<Sym>,
    pub key: Option<Sym>,
    /// The sequence's integer, or its text's symbol (by `Sym::index`); which one is in `bits`.
    seq: i64,
    time: i64,
    broker_ts: i64,
    observed_at: i64,
    offset: i64,
    partition: i32,
    pub data_hash: u64,
    /// The line number's low 32 bits, and the 8 above them (lines up to 2^40).
    line_lo: u32,
    line_hi: u8,
    /// The provenance ([`Provenance::pack`]), then the timestamp type and the sequence's kind in
    /// two bits each.
    bits: u32,
    /// Index into [`EventStore::origin`].
    pub origin: u16,
}

const TS_TYPE_SHIFT: u32 = Provenance::PACKED_BITS;
const SEQ_KIND_SHIFT: u32 = Provenance::PACKED_BITS + 2;
const _: () = assert!(SEQ_KIND_SHIFT + 2 <= 32);
const TS_TYPES: [TsType; 3] = [TsType::None, TsType::Create, TsType::LogAppend];
/// Lines a record can name (40 bits: a trillion lines, far past any file a session reads).
pub(super) const MAX_LINE: u64 = (1 << 40) - 1;

fn pack_bits(provenance: Provenance, ts_type: TsType, sequence: Seq) -> u32 {
    let ts = TS_TYPES.iter().position(|t| *t == ts_type).unwrap_or(0) as u32;
    let kind = match sequence {
        Seq::None => 0,
        Seq::Int(_) => 1,
        Seq::Text(_) => 2,
    };
    provenance.pack() | ts << TS_TYPE_SHIFT | kind << SEQ_KIND_SHIFT
}

/// Encodes an optional value. A real value equal to the sentinel (a time of 1677-09-21T00:12:43.145224192Z,
/// an offset or partition no broker uses) is stored one unit later rather than lost.
fn enc(v: Option<i64>) -> i64 {
    match v {
        Some(NO_TIME) => NO_TIME + 1,
        Some(v) => v,
        None => NO_TIME,
    }
}

fn enc_partition(v: Option<i32>) -> i32 {
    match v {
        Some(NO_PARTITION) => NO_PARTITION + 1,
        Some(v) => v,
        None => NO_PARTITION,
    }
}

fn opt(v: i64) -> Option<i64> {
    (v != NO_TIME).then_some(v)
}

/// The names of an event, interned: the record's fields that need no packing.
pub(super) struct Names {
    pub id: Sym,
    pub event_type: Sym,
    pub source: Option<Sym>,
    pub correlation: Option<Sym>,
    pub causation: Option<Sym>,
    pub subject: Option<Sym>,
    pub topic: Option<Sym>,
    pub key: Option<Sym>,
}

impl EventRecord {
    /// The record of an event with these names, sequence (its text interned) and facts.
    pub(super) fn new(n: Names, sequence: Seq, f: &EventFacts, origin: u16) -> EventRecord {
        assert!(
            f.line <= MAX_LINE,
            "line {} is past the {MAX_LINE} a record can name",
            f.line
        );
        EventRecord {
            id: n.id,
            event_type: n.event_type,
            source: n.source,
            correlation: n.correlation,
            causation: n.causation,
            subject: n.subject,
            topic: n.topic,
            key: n.key,
            seq: match sequence {
                Seq::None => 0,
                Seq::Int(n) => n,
                Seq::Text(t) => t.index() as i64,
            },
            time: enc(f.time),
            broker_ts: enc(f.broker_ts),
            observed_at: enc(f.observed_at),
            offset: enc(f.offset),
            partition: enc_partition(f.partition),
            data_hash: f.data_hash,
            line_lo: f.line as u32,
            line_hi: (f.line >> 32) as u8,
            bits: pack_bits(f.provenance, f.ts_type, sequence),
            origin,
        }
    }

    /// The event's sequence number, if it has one.
    pub fn sequence(&self) -> Seq {
        match (self.bits >> SEQ_KIND_SHIFT) & 3 {
            1 => Seq::Int(self.seq),
            2 => Seq::Text(Sym::from_index(self.seq as usize)),
            _ => Seq::None,
        }
    }
    /// Which profile found each identifying field, and what read the payload.
    pub fn provenance(&self) -> Provenance {
        Provenance::unpack(self.bits)
    }
    pub fn ts_type(&self) -> TsType {
        TS_TYPES[((self.bits >> TS_TYPE_SHIFT) & 3) as usize % TS_TYPES.len()]
    }
    /// The line of its file the event was read from (0 when it did not come from a file).
    pub fn line(&self) -> u64 {
        u64::from(self.line_hi) << 32 | u64::from(self.line_lo)
    }

    /// Event time (the producer's clock).
    pub fn time(&self) -> Option<Timestamp> {
        opt(self.time)
    }
    pub fn broker_ts(&self) -> Option<Timestamp> {
        opt(self.broker_ts)
    }
    pub fn observed_at(&self) -> Option<Timestamp> {
        opt(self.observed_at)
    }
    pub fn offset(&self) -> Option<i64> {
        opt(self.offset)
    }
    pub fn partition(&self) -> Option<i32> {
        (self.partition != NO_PARTITION).then_some(self.partition)
    }

    /// The best time we have: event time, else broker timestamp, else observed time.
    pub fn effective_time(&self) -> Option<Timestamp> {
        self.time().or(self.broker_ts()).or(self.observed_at())
    }
}
