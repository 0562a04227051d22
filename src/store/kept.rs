//! What the store keeps of each event's detail (headers, payload), in 8 bytes an event: nothing,
//! the index of a detail held in memory, or where the event's line lies in its file (the usual
//! case for a file the window opened: the detail stays there). Packed by hand, as no enum holding
//! a box or a (64-bit offset, length) span fits in 8 bytes.

use crate::model::{EventDetail, LineSpan};

/// Bits of a line's length in a packed span (lines are at most 64 MiB: `file::MAX_LINE_BYTES`).
const LEN_BITS: u32 = 27;
/// Bits of a line's offset in a packed span (files up to 64 GiB); a span beyond either is
/// kept on the side.
const OFFSET_BITS: u32 = 63 - LEN_BITS;

/// One event's detail, as read.
pub(super) enum Kept<'a> {
    None,
    Memory(&'a EventDetail),
    File(LineSpan),
}

/// Per event one `u64`: 0 for nothing; low bit 1: a span (length, then offset, above it);
/// low bits 10: the index of a detail in `memory` (above them); low bits 00: one plus the
/// index of a span in `far`.
#[derive(Default)]
pub(super) struct Details {
    packed: Vec<u64>,
    memory: Vec<EventDetail>,
    far: Vec<LineSpan>,
}

impl Details {
    pub fn push_none(&mut self) {
        self.packed.push(0);
    }

    pub fn push_memory(&mut self, detail: EventDetail) {
        self.packed.push((self.memory.len() as u64) << 2 | 2);
        self.memory.push(detail);
    }

    pub fn push_file(&mut self, span: LineSpan) {
        if span.offset < 1 << OFFSET_BITS && u64::from(span.len) < 1 << LEN_BITS {
            self.packed
                .push(span.offset << (LEN_BITS + 1) | u64::from(span.len) << 1 | 1);
        } else {
            self.far.push(span);
            self.packed.push((self.far.len() as u64) << 2);
        }
    }

    pub fn get(&self, idx: usize) -> Kept<'_> {
        match self.packed.get(idx).copied() {
            None | Some(0) => Kept::None,
            Some(v) if v & 1 == 1 => Kept::File(LineSpan {
                offset: v >> (LEN_BITS + 1),
                len: ((v >> 1) & ((1 << LEN_BITS) - 1)) as u32,
            }),
            Some(v) if v & 3 == 2 => Kept::Memory(&self.memory[(v >> 2) as usize]),
            Some(v) => Kept::File(self.far[(v >> 2) as usize - 1]),
        }
    }

    /// Heap bytes of the table itself (the details in memory count their own: `detail_size`;
    /// here only the room for more).
    pub fn approx_bytes(&self) -> usize {
        self.packed.capacity() * 8
            + (self.memory.capacity() - self.memory.len()) * std::mem::size_of::<EventDetail>()
            + self.far.capacity() * std::mem::size_of::<LineSpan>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_details_read_back_as_kept() {
        let mut d = Details::default();
        let span = |offset, len| LineSpan { offset, len };
        d.push_none();
        d.push_file(span(123_456_789_012, 64 << 20));
        d.push_memory(EventDetail::default());
        d.push_file(span(1 << 40, 10));
        d.push_file(span(0, 1));
        assert!(matches!(d.get(0), Kept::None));
        assert!(matches!(d.get(1), Kept::File(s) if s == span(123_456_789_012, 64 << 20)));
        assert!(matches!(d.get(2), Kept::Memory(_)));
        assert!(
            matches!(d.get(3), Kept::File(s) if s == span(1 << 40, 10)),
            "kept on the side"
        );
        assert!(matches!(d.get(4), Kept::File(s) if s == span(0, 1)));
        assert!(matches!(d.get(5), Kept::None));
    }
}
