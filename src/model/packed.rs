//! Packed batches: a decoder thread copies each event's strings into one text buffer per batch and
//! hashes them there, so the analysis thread only probes its interner (no hashing) and frees one
//! buffer per batch instead of a dozen strings per event.

use super::{DecodedEvent, Header, Interner, Payload, Provenance, Sequence, Timestamp, TsType};

/// A string inside [`PackedEvents::text`], with its interner hash.
#[derive(Clone, Copy, Debug)]
pub struct Str {
    start: u32,
    len: u32,
    pub hash: u64,
}

#[derive(Clone, Copy, Debug)]
pub enum PackedSeq {
    None,
    Int(i64),
    Text(Str),
}

/// What is kept of an event beyond its record when detail retention is on (for the inspector).
#[derive(Clone, Debug, Default)]
pub struct EventDetail {
    pub headers: Vec<Header>,
    pub content_type: Option<Box<str>>,
    pub payload: Payload,
}

/// Where an event's line lies in its input file, so its detail can be read back on demand
/// instead of being held in memory (as Wireshark keeps a frame's offset into its capture file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineSpan {
    pub offset: u64,
    pub len: u32,
}

/// Reads events back from the input they were decoded from (a file source hands one over with
/// its batches; the store keeps it per origin).
pub trait LineSource: Send + Sync {
    /// The event decoded, with its detail, from the line at `span` (line number `line`).
    fn read_event(&self, span: LineSpan, line: u64) -> Result<DecodedEvent, String>;
    /// The line's bytes as they are in the input.
    fn read_line(&self, span: LineSpan) -> Result<Vec<u8>, String>;
}

/// An event's fields that are not strings: copied as they are from decoder to store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventFacts {
    pub time: Option<Timestamp>,
    pub broker_ts: Option<Timestamp>,
    pub observed_at: Option<Timestamp>,
    pub offset: Option<i64>,
    pub partition: Option<i32>,
    pub ts_type: TsType,
    pub provenance: Provenance,
    pub data_hash: u64,
    pub line: u64,
}

impl EventFacts {
    /// The facts of a decoded event.
    pub fn of(ev: &DecodedEvent) -> EventFacts {
        EventFacts {
            time: ev.time,
            broker_ts: ev.broker_ts,
            observed_at: ev.observed_at,
            offset: ev.offset,
            partition: ev.partition,
            ts_type: ev.ts_type,
            provenance: ev.provenance,
            data_hash: ev.data_hash,
            line: ev.line,
        }
    }
}

#[derive(Debug)]
pub struct PackedEvent {
    pub id: Str,
    pub event_type: Str,
    pub source: Option<Str>,
    pub correlation: Option<Str>,
    pub causation: Option<Str>,
    pub subject: Option<Str>,
    pub topic: Option<Str>,
    pub key: Option<Str>,
    pub sequence: PackedSeq,
    pub facts: EventFacts,
    /// Dead-letter evidence read from the headers (which are not kept unless `detail` is).
    pub dead_letter: Option<Box<str>>,
    pub detail: Option<Box<EventDetail>>,
    /// Where the event's line is in its file, when its detail stays there (see [`LineSource`]).
    pub span: Option<LineSpan>,
}

/// A sequence number borrowed from a line.
#[derive(Clone, Copy, Debug)]
pub enum SeqView<'a> {
    Int(i64),
    Text(&'a str),
}

/// An event's fields, borrowed (from a [`DecodedEvent`] or straight from a decoded line).
#[derive(Debug)]
pub struct EventView<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub source: Option<&'a str>,
    pub correlation: Option<&'a str>,
    pub causation: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub key: Option<&'a str>,
    pub sequence: Option<SeqView<'a>>,
    pub facts: EventFacts,
    pub dead_letter: Option<Box<str>>,
}

/// A batch of packed events sharing one text buffer.
#[derive(Default)]
pub struct PackedEvents {
    pub text: String,
    pub events: Vec<PackedEvent>,
    /// Reads back the details of the events that carry a [`LineSpan`].
    pub lines: Option<std::sync::Arc<dyn LineSource>>,
}

impl std::fmt::Debug for PackedEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedEvents")
            .field("events", &self.events.len())
            .field("lines", &self.lines.is_some())
            .finish_non_exhaustive()
    }
}

impl PackedEvents {
    pub fn with_capacity(events: usize) -> Self {
        PackedEvents {
            text: String::with_capacity(events * 160),
            events: Vec::with_capacity(events),
            lines: None,
        }
    }

    /// A batch holding just `ev`, and its packed event taken out of it (for sources that hand
    /// over one event at a time).
    pub fn single(ev: DecodedEvent, keep_detail: bool) -> (PackedEvents, PackedEvent) {
        let mut one = PackedEvents::with_capacity(1);
        one.push(ev, keep_detail);
        let p = one.events.pop().expect("one event was pushed");
        (one, p)
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn str(&self, s: Str) -> &str {
        &self.text[s.start as usize..(s.start + s.len) as usize]
    }

    fn put(&mut self, text: &str) -> Str {
        let start = self.text.len();
        self.text.push_str(text);
        Str {
            start: start as u32,
            len: text.len() as u32,
            hash: Interner::hash(text),
        }
    }

    fn put_opt(&mut self, text: Option<&str>) -> Option<Str> {
        text.map(|t| self.put(t))
    }

    /// Packs an event; `keep_detail` keeps its headers and payload for the inspector.
    pub fn push(&mut self, ev: DecodedEvent, keep_detail: bool) {
        let view = EventView {
            id: &ev.id,
            event_type: &ev.event_type,
            source: ev.source.as_deref(),
            correlation: ev.correlation_id.as_deref(),
            causation: ev.causation_id.as_deref(),
            subject: ev.subject.as_deref(),
            topic: ev.topic.as_deref(),
            key: ev.key.as_deref(),
            sequence: match &ev.sequence {
                None => None,
                Some(Sequence::Int(n)) => Some(SeqView::Int(*n)),
                Some(Sequence::Text(t)) => Some(SeqView::Text(t)),
            },
            facts: EventFacts::of(&ev),
            dead_letter: ev.dead_letter_evidence().map(Into::into),
        };
        let packed = self.pack(view);
        let detail = keep_detail.then(|| {
            Box::new(EventDetail {
                headers: ev.headers,
                content_type: ev.content_type,
                payload: ev.payload,
            })
        });
        self.events.push(PackedEvent { detail, ..packed });
    }

    /// Packs an event given by borrowed fields (decoders use this to skip building a
    /// [`DecodedEvent`]); no detail is kept.
    pub fn push_view(&mut self, view: EventView) {
        let packed = self.pack(view);
        self.events.push(packed);
    }

    fn pack(&mut self, v: EventView) -> PackedEvent {
        let id = self.put(v.id);
        let event_type = self.put(v.event_type);
        let subject = self.put_opt(v.subject);
        let key = if v.key.is_some() && v.key == v.subject {
            subject
        } else {
            self.put_opt(v.key)
        };
        PackedEvent {
            id,
            event_type,
            source: self.put_opt(v.source),
            correlation: self.put_opt(v.correlation),
            causation: self.put_opt(v.causation),
            subject,
            topic: self.put_opt(v.topic),
            key,
            sequence: match v.sequence {
                None => PackedSeq::None,
                Some(SeqView::Int(n)) => PackedSeq::Int(n),
                Some(SeqView::Text(t)) => PackedSeq::Text(self.put(t)),
            },
            facts: v.facts,
            dead_letter: v.dead_letter,
            detail: None,
            span: None,
        }
    }
}
