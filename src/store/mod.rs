//! The append-only event store: compact interned records in arrival order, plus the indexes the
//! analysis needs (by id, by causation id). Payloads and headers are kept only when asked for
//! (the GUI keeps them; `check` does not need them and keeps a hash of the payload instead).

use crate::model::{
    DecodedEvent, Header, Interner, Payload, Provenance, Sequence, Sym, Timestamp, TsType,
};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::sync::Arc;

/// Position of an event in arrival order.
pub type EventIdx = u32;

/// An interned sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seq {
    None,
    Int(i64),
    Text(Sym),
}

/// The compact form of an event that is always kept.
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
    pub sequence: Seq,
    pub time: Option<Timestamp>,
    pub broker_ts: Option<Timestamp>,
    pub observed_at: Option<Timestamp>,
    pub offset: Option<i64>,
    pub partition: Option<i32>,
    pub ts_type: TsType,
    pub provenance: Provenance,
    pub data_hash: u64,
    pub line: u64,
    /// Index into [`EventStore::origin`].
    pub origin: u16,
}

impl EventRecord {
    /// The best time we have: event time, else broker timestamp, else observed time.
    pub fn effective_time(&self) -> Option<Timestamp> {
        self.time.or(self.broker_ts).or(self.observed_at)
    }
}

/// What is kept of an event beyond its record when detail retention is on.
#[derive(Clone, Debug, Default)]
pub struct EventDetail {
    pub headers: Vec<Header>,
    pub content_type: Option<Box<str>>,
    pub payload: Payload,
}

#[derive(Default)]
pub struct EventStore {
    pub strings: Interner,
    records: Vec<EventRecord>,
    details: Vec<Option<Box<EventDetail>>>,
    keep_details: bool,
    origins: Vec<Arc<str>>,
    /// First occurrence of each event id.
    by_id: FxHashMap<Sym, EventIdx>,
    /// Events naming this id as their cause, in arrival order.
    by_cause: FxHashMap<Sym, SmallVec<[EventIdx; 2]>>,
}

impl EventStore {
    pub fn new(keep_details: bool) -> Self {
        EventStore {
            keep_details,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Registers an origin (a file path or a live source name) and returns its index.
    pub fn origin_index(&mut self, origin: &Arc<str>) -> u16 {
        if let Some(i) = self.origins.iter().position(|o| o == origin) {
            return i as u16;
        }
        self.origins.push(origin.clone());
        (self.origins.len() - 1).min(u16::MAX as usize) as u16
    }

    pub fn origin(&self, index: u16) -> &str {
        self.origins
            .get(index as usize)
            .map(|o| &**o)
            .unwrap_or("?")
    }

    pub fn append(&mut self, ev: DecodedEvent, origin: u16) -> EventIdx {
        let s = &mut self.strings;
        let mut opt = |v: &Option<Box<str>>| v.as_deref().map(|t| s.intern(t));
        let source = opt(&ev.source);
        let correlation = opt(&ev.correlation_id);
        let causation = opt(&ev.causation_id);
        let subject = opt(&ev.subject);
        let topic = opt(&ev.topic);
        let key = opt(&ev.key);
        let sequence = match &ev.sequence {
            None => Seq::None,
            Some(Sequence::Int(n)) => Seq::Int(*n),
            Some(Sequence::Text(t)) => Seq::Text(s.intern(t)),
        };
        let record = EventRecord {
            id: s.intern(&ev.id),
            event_type: s.intern(&ev.event_type),
            source,
            correlation,
            causation,
            subject,
            topic,
            key,
            sequence,
            time: ev.time,
            broker_ts: ev.broker_ts,
            observed_at: ev.observed_at,
            offset: ev.offset,
            partition: ev.partition,
            ts_type: ev.ts_type,
            provenance: ev.provenance,
            data_hash: ev.data_hash,
            line: ev.line,
            origin,
        };
        let idx = self.records.len() as EventIdx;
        self.by_id.entry(record.id).or_insert(idx);
        if let Some(c) = record.causation {
            self.by_cause.entry(c).or_default().push(idx);
        }
        self.records.push(record);
        if self.keep_details {
            self.details.push(Some(Box::new(EventDetail {
                headers: ev.headers,
                content_type: ev.content_type,
                payload: ev.payload,
            })));
        }
        idx
    }

    pub fn get(&self, idx: EventIdx) -> &EventRecord {
        &self.records[idx as usize]
    }

    pub fn records(&self) -> &[EventRecord] {
        &self.records
    }

    pub fn detail(&self, idx: EventIdx) -> Option<&EventDetail> {
        self.details.get(idx as usize).and_then(|d| d.as_deref())
    }

    /// The first event that carried this id.
    pub fn first_with_id(&self, id: Sym) -> Option<EventIdx> {
        self.by_id.get(&id).copied()
    }

    /// Events that name `id` as their cause.
    pub fn children_of(&self, id: Sym) -> &[EventIdx] {
        self.by_cause.get(&id).map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// Every causation id referenced, with the events that reference it.
    pub fn causes(&self) -> impl Iterator<Item = (Sym, &[EventIdx])> {
        self.by_cause.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    pub fn str(&self, sym: Sym) -> &str {
        self.strings.resolve(sym)
    }

    pub fn opt_str(&self, sym: Option<Sym>) -> Option<&str> {
        sym.map(|s| self.strings.resolve(s))
    }

    /// The event's id as text.
    pub fn id_str(&self, idx: EventIdx) -> &str {
        self.str(self.get(idx).id)
    }

    /// "topic/partition@offset" when the event has transport data.
    pub fn transport_label(&self, idx: EventIdx) -> Option<String> {
        let r = self.get(idx);
        let topic = self.opt_str(r.topic)?;
        Some(match (r.partition, r.offset) {
            (Some(p), Some(o)) => format!("{topic}/{p}@{o}"),
            (Some(p), None) => format!("{topic}/{p}"),
            _ => topic.to_string(),
        })
    }

    /// "file:line" or "topic/partition@offset": where to look for this event.
    pub fn location_label(&self, idx: EventIdx) -> String {
        let r = self.get(idx);
        match self.transport_label(idx) {
            Some(t) if r.line == 0 => t,
            _ => format!("{}:{}", self.origin(r.origin), r.line),
        }
    }
}
