//! The append-only event store: compact interned records in arrival order, plus the indexes the
//! analysis needs (by id, by causation id). Payloads and headers are kept only when asked for
//! (the GUI keeps them; `check` does not need them and keeps a hash of the payload instead):
//! events read from a plain file keep only where their line is
//! ([`LineSpan`](crate::model::LineSpan)) and are read back from the file on demand, as Wireshark
//! does with capture files; live events keep theirs in memory (within the live memory budget).

pub use crate::model::EventDetail;
use crate::model::{
    DecodedEvent, Interner, LineSource, LineSpan, PackedEvent, PackedEvents, PackedSeq, Str, Sym,
};
use kept::Kept;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

/// Position of an event in arrival order.
pub type EventIdx = u32;

/// Store look-ups made by this thread (tests only): the operation count that proves the
/// analysis linear for every input shape, whatever its implementation.
#[cfg(test)]
pub(crate) mod lookups {
    use std::cell::Cell;
    thread_local!(static COUNT: Cell<u64> = const { Cell::new(0) });
    pub fn add() {
        COUNT.with(|c| c.set(c.get() + 1));
    }
    pub fn take() -> u64 {
        COUNT.with(|c| c.replace(0))
    }
}

#[inline(always)]
fn count_lookup() {
    #[cfg(test)]
    lookups::add();
}

#[derive(Default)]
pub struct EventStore {
    pub strings: Interner,
    records: Vec<EventRecord>,
    details: kept::Details,
    keep_details: bool,
    origins: Vec<Arc<str>>,
    /// Per origin: where its events' lines can be read back (file sources).
    line_sources: Vec<Option<Arc<dyn LineSource>>>,
    /// Per interned string (indexed by `Sym::index`): the first event carrying it as its id and
    /// the head of the list of events naming it as their cause. Dense arrays, not hash maps: a
    /// symbol is already a small integer, and this keeps lookups to one cache line.
    by_sym: Vec<SymSlot>,
    /// Per event: the next event naming the same cause (a singly linked list, newest first).
    next_sibling: Vec<EventIdx>,
    /// Heap bytes held by `details` (for the memory budget).
    detail_bytes: usize,
    /// See [`EventStore::instance`].
    instance: u64,
}

fn detail_size(d: &EventDetail) -> usize {
    let payload = match &d.payload {
        crate::model::Payload::None => 0,
        crate::model::Payload::Json(raw) => raw.get().len(),
        crate::model::Payload::Bytes(b) => b.len(),
    };
    std::mem::size_of::<EventDetail>()
        + payload
        + d.headers
            .iter()
            .map(|h| 32 + h.name.len() + h.value.as_ref().map_or(0, |v| v.len()))
            .sum::<usize>()
}

const NONE: EventIdx = EventIdx::MAX;

/// At most this many bytes of neighbouring lines are read at once by
/// [`EventStore::for_each_file_line`]...
const LINE_RUN: u64 = 4 << 20;
/// ...when the next line starts at most this far after the last one ends (blank or
/// undecodable lines between them are read and skipped).
const LINE_GAP: u64 = 64 << 10;

/// The index the event appended after `len` events gets. `EventIdx` is 32 bits (it halves the
/// indexes' memory); past its range the store stops loudly instead of wrapping around and
/// mixing events up. (At 96 bytes a record that is ~410 GB of records, far beyond any budget.)
fn next_index(len: usize) -> EventIdx {
    match EventIdx::try_from(len) {
        Ok(i) if i < NONE => i,
        _ => panic!("the event store is full: it holds at most {NONE} events"),
    }
}

#[derive(Clone, Copy)]
struct SymSlot {
    first_event: EventIdx,
    first_child: EventIdx,
}

/// The events naming one id as their cause, newest first.
pub struct Children<'a> {
    next: &'a [EventIdx],
    at: EventIdx,
}

impl Iterator for Children<'_> {
    type Item = EventIdx;
    fn next(&mut self) -> Option<EventIdx> {
        if self.at == NONE {
            return None;
        }
        count_lookup();
        let e = self.at;
        self.at = self.next[e as usize];
        Some(e)
    }
}

impl EventStore {
    pub fn new(keep_details: bool) -> Self {
        static STORES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        EventStore {
            keep_details,
            instance: STORES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            ..Default::default()
        }
    }

    /// A number no other store of this process has: what was worked out from this store's
    /// event indexes (a search's hits) is known to be stale when the number changes (a memory
    /// budget's rebuild makes a new store).
    pub fn instance(&self) -> u64 {
        self.instance
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Makes room for `events` more events (and about as many distinct strings), so loading a
    /// large file does not keep growing and copying the arrays.
    pub fn reserve(&mut self, events: usize) {
        self.records.reserve(events);
        self.next_sibling.reserve(events);
        // Up to two new symbols per event (its id and a key of its own) cost only address space
        // here; the interner's table is touched wherever entries land, so it is sized tighter.
        self.by_sym.reserve(2 * events);
        self.strings.reserve(events + events / 4);
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

    /// Appends one event (packs it first; sources with many events send packed batches).
    pub fn append(&mut self, ev: DecodedEvent, origin: u16) -> EventIdx {
        let keep = self.keep_details;
        let (one, p) = PackedEvents::single(ev, keep);
        self.append_packed(&one, p, origin).0
    }

    /// Appends a packed event of `batch`; returns its index and its dead-letter evidence.
    pub fn append_packed(
        &mut self,
        batch: &PackedEvents,
        p: PackedEvent,
        origin: u16,
    ) -> (EventIdx, Option<Box<str>>) {
        let s = &mut self.strings;
        let mut sym = |x: Str| s.intern_hashed(batch.str(x), x.hash);
        let id = sym(p.id);
        let event_type = sym(p.event_type);
        let source = p.source.map(&mut sym);
        let correlation = p.correlation.map(&mut sym);
        let causation = p.causation.map(&mut sym);
        let subject = p.subject.map(&mut sym);
        let topic = p.topic.map(&mut sym);
        let key = p.key.map(&mut sym);
        let sequence = match p.sequence {
            PackedSeq::None => Seq::None,
            PackedSeq::Int(n) => Seq::Int(n),
            PackedSeq::Text(t) => Seq::Text(sym(t)),
        };
        let names = Names {
            id,
            event_type,
            source,
            correlation,
            causation,
            subject,
            topic,
            key,
        };
        let record = EventRecord::new(names, sequence, &p.facts, origin);
        let idx = next_index(self.records.len());
        let slot = self.slot_mut(record.id);
        if slot.first_event == NONE {
            slot.first_event = idx;
        }
        let mut sibling = NONE;
        if let Some(c) = record.causation {
            let slot = self.slot_mut(c);
            sibling = slot.first_child;
            slot.first_child = idx;
        }
        self.next_sibling.push(sibling);
        self.records.push(record);
        if self.keep_details {
            match (p.detail, p.span) {
                (Some(d), _) => {
                    self.detail_bytes += detail_size(&d);
                    self.details.push_memory(*d);
                }
                (None, Some(span)) => self.details.push_file(span),
                (None, None) => self.details.push_none(),
            }
        }
        (idx, p.dead_letter)
    }

    pub fn get(&self, idx: EventIdx) -> &EventRecord {
        count_lookup();
        &self.records[idx as usize]
    }

    pub fn records(&self) -> &[EventRecord] {
        &self.records
    }

    /// The event as a decoder would produce it (for "copy as JSON" and recordings); a detail
    /// kept in a file is read back from it.
    pub fn decoded(&self, idx: EventIdx) -> DecodedEvent {
        let d = self.detail(idx);
        let mut ev = self.decoded_record(idx);
        if let Some(d) = d {
            let d = d.into_owned();
            ev.headers = d.headers;
            ev.content_type = d.content_type;
            ev.payload = d.payload;
        }
        ev
    }

    /// The event's record as a decoded event, without its detail.
    pub fn decoded_record(&self, idx: EventIdx) -> DecodedEvent {
        let r = self.get(idx);
        let owned = |s: Option<Sym>| s.map(|s| Box::<str>::from(self.str(s)));
        DecodedEvent {
            id: self.str(r.id).into(),
            event_type: self.str(r.event_type).into(),
            source: owned(r.source),
            time: r.time(),
            correlation_id: owned(r.correlation),
            causation_id: owned(r.causation),
            sequence: match r.sequence() {
                Seq::None => None,
                Seq::Int(n) => Some(crate::model::Sequence::Int(n)),
                Seq::Text(t) => Some(crate::model::Sequence::Text(self.str(t).into())),
            },
            subject: owned(r.subject),
            topic: owned(r.topic),
            partition: r.partition(),
            offset: r.offset(),
            key: owned(r.key),
            broker_ts: r.broker_ts(),
            ts_type: r.ts_type(),
            observed_at: r.observed_at(),
            headers: Vec::new(),
            content_type: None,
            payload: crate::model::Payload::None,
            data_hash: r.data_hash,
            provenance: r.provenance(),
            line: r.line(),
        }
    }

    /// Approximate heap bytes held by the store.
    pub fn approx_bytes(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<EventRecord>()
            + self.details.approx_bytes()
            + self.detail_bytes
            + self.strings.approx_bytes()
            + self.by_sym.capacity() * std::mem::size_of::<SymSlot>()
            + self.next_sibling.capacity() * 4
    }

    /// The event's headers and payload, when kept (read back from its file when they stay
    /// there; `None` when that fails: [`EventStore::read_detail`] says why).
    pub fn detail(&self, idx: EventIdx) -> Option<Cow<'_, EventDetail>> {
        self.read_detail(idx).ok().flatten()
    }

    /// Like [`EventStore::detail`], with the reason a detail kept in a file could not be read
    /// back (the file is gone, or changed since it was loaded).
    pub fn read_detail(&self, idx: EventIdx) -> Result<Option<Cow<'_, EventDetail>>, String> {
        let span = match self.details.get(idx as usize) {
            Kept::None => return Ok(None),
            Kept::Memory(d) => return Ok(Some(Cow::Borrowed(d))),
            Kept::File(span) => span,
        };
        let r = self.get(idx);
        let origin = self.origin(r.origin);
        let source = self
            .line_source(r.origin)
            .ok_or_else(|| format!("{origin}: not readable"))?;
        let ev = source
            .read_event(span, r.line())
            .map_err(|e| format!("{origin}:{}: {e}", r.line()))?;
        if *ev.id != *self.str(r.id) || ev.data_hash != r.data_hash {
            return Err(format!(
                "{origin}:{}: the file changed since it was loaded",
                r.line()
            ));
        }
        Ok(Some(Cow::Owned(EventDetail {
            headers: ev.headers,
            content_type: ev.content_type,
            payload: ev.payload,
        })))
    }

    /// Text to search for the event's payload: the payload kept in memory, or the event's line
    /// as it is in its file (which holds the payload as written there).
    pub fn payload_text(&self, idx: EventIdx) -> Option<Cow<'_, str>> {
        match self.details.get(idx as usize) {
            Kept::None => None,
            Kept::Memory(d) => match &d.payload {
                crate::model::Payload::None => None,
                crate::model::Payload::Json(raw) => Some(Cow::Borrowed(raw.get())),
                crate::model::Payload::Bytes(b) => Some(String::from_utf8_lossy(b)),
            },
            Kept::File(span) => {
                let line = self
                    .line_source(self.get(idx).origin)?
                    .read_line(span)
                    .ok()?;
                Some(Cow::Owned(String::from_utf8_lossy(&line).into_owned()))
            }
        }
    }

    /// Whether the event's detail stays in its file (read back when asked for).
    pub fn detail_in_file(&self, idx: EventIdx) -> bool {
        matches!(self.details.get(idx as usize), Kept::File(_))
    }

    /// Calls `f` with each event in `range` whose detail stays in its file and the event's line
    /// as it is there. Neighbouring lines of one file are read together, up to [`LINE_RUN`] bytes
    /// a read, rather than a read per line: a search through a million lines takes a few hundred
    /// reads. A run that cannot be read (the file is gone or shorter) is skipped.
    pub fn for_each_file_line(&self, range: Range<EventIdx>, mut f: impl FnMut(EventIdx, &[u8])) {
        let mut run: Vec<(EventIdx, LineSpan)> = Vec::new();
        let mut run_origin = 0;
        let mut flush = |run: &mut Vec<(EventIdx, LineSpan)>, origin: u16| {
            let (Some(first), Some(last)) = (run.first(), run.last()) else {
                return;
            };
            let start = first.1.offset;
            let len = last.1.offset + u64::from(last.1.len) - start;
            let bytes = self.line_source(origin).and_then(|src| {
                src.read_line(LineSpan {
                    offset: start,
                    len: len as u32,
                })
                .ok()
            });
            if let Some(bytes) = bytes {
                for &(idx, span) in run.iter() {
                    let at = (span.offset - start) as usize;
                    f(idx, &bytes[at..at + span.len as usize]);
                }
            }
            run.clear();
        };
        for idx in range {
            let Kept::File(span) = self.details.get(idx as usize) else {
                continue;
            };
            let origin = self.get(idx).origin;
            let joins = run.last().is_some_and(|&(_, last)| {
                let end = last.offset + u64::from(last.len);
                origin == run_origin
                    && span.offset >= end
                    && span.offset - end <= LINE_GAP
                    && span.offset + u64::from(span.len) - run[0].1.offset <= LINE_RUN
            });
            if !joins {
                flush(&mut run, run_origin);
                run_origin = origin;
            }
            run.push((idx, span));
        }
        flush(&mut run, run_origin);
    }

    /// Where the events of `origin` can be read back.
    pub fn set_line_source(&mut self, origin: u16, source: Arc<dyn LineSource>) {
        let i = origin as usize;
        if self.line_sources.len() <= i {
            self.line_sources.resize(i + 1, None);
        }
        if self.line_sources[i].is_none() {
            self.line_sources[i] = Some(source);
        }
    }

    fn line_source(&self, origin: u16) -> Option<&Arc<dyn LineSource>> {
        self.line_sources.get(origin as usize)?.as_ref()
    }

    fn slot_mut(&mut self, sym: Sym) -> &mut SymSlot {
        let i = sym.index();
        if i >= self.by_sym.len() {
            self.by_sym.resize(
                i + 1,
                SymSlot {
                    first_event: NONE,
                    first_child: NONE,
                },
            );
        }
        &mut self.by_sym[i]
    }

    fn slot(&self, sym: Sym) -> Option<&SymSlot> {
        self.by_sym.get(sym.index())
    }

    /// Makes `idx` the event that causation links to `id` resolve to (used when the first event
    /// with that id was only a dead-letter copy of it).
    pub fn set_canonical(&mut self, id: Sym, idx: EventIdx) {
        self.slot_mut(id).first_event = idx;
    }

    /// The event that causation links to `id` resolve to: the first that carried it.
    pub fn first_with_id(&self, id: Sym) -> Option<EventIdx> {
        count_lookup();
        self.slot(id).map(|s| s.first_event).filter(|e| *e != NONE)
    }

    /// Events that name `id` as their cause, newest first.
    pub fn children_of(&self, id: Sym) -> Children<'_> {
        Children {
            next: &self.next_sibling,
            at: self.slot(id).map_or(NONE, |s| s.first_child),
        }
    }

    /// The events after `e` in its cause's list of children (older ones: the list is newest
    /// first), so a walk over a causation tree needs no stack of iterators.
    pub fn siblings_after(&self, e: EventIdx) -> Children<'_> {
        Children {
            next: &self.next_sibling,
            at: self.next_sibling[e as usize],
        }
    }

    pub fn has_children(&self, id: Sym) -> bool {
        self.slot(id).is_some_and(|s| s.first_child != NONE)
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
        Some(match (r.partition(), r.offset()) {
            (Some(p), Some(o)) => format!("{topic}/{p}@{o}"),
            (Some(p), None) => format!("{topic}/{p}"),
            _ => topic.to_string(),
        })
    }

    /// "file:line" or "topic/partition@offset": where to look for this event.
    pub fn location_label(&self, idx: EventIdx) -> String {
        let r = self.get(idx);
        match self.transport_label(idx) {
            Some(t) if r.line() == 0 => t,
            _ => format!("{}:{}", self.origin(r.origin), r.line()),
        }
    }
}

#[cfg(test)]
mod tests;

mod record;
#[cfg(test)]
use record::MAX_LINE;
use record::Names;
pub use record::{EventRecord, Seq};

mod kept;
