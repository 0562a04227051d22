//! String interning: every repeated string (types, sources, topics, ids, keys) is stored once and
//! named by a 4-byte [`Sym`].
//!
//! Written by hand rather than with an interner crate because the store needs things at once that
//! the crates we looked at (lasso, string-interner) do not all give: `NonZeroU32` keys so
//! `Option<Sym>` stays 4 bytes, hashes computed ahead of time on the decoder threads, strings
//! packed into large chunks (no allocation per string, so a million ids cost ~50 bytes each), and
//! a way to prefetch a string's slot before it is looked up. Loading is bound by cache misses on
//! this table (nearly every event brings a new id), and a general-purpose hash table does not say
//! where a key's slot is.

use std::hash::BuildHasher;
use std::num::NonZeroU32;

/// An interned string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Sym(NonZeroU32);

impl Sym {
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
    /// The symbol whose [`Sym::index`] is `i`.
    pub fn from_index(i: usize) -> Sym {
        let n = u32::try_from(i + 1).expect("fewer than 4 billion symbols");
        Sym(NonZeroU32::new(n).expect("symbols start at 1"))
    }
}

const CHUNK: usize = 1 << 20;
/// Slots in the smallest table (a power of two).
const MIN_SLOTS: usize = 64;

#[derive(Default)]
pub struct Interner {
    chunks: Vec<String>,
    /// (chunk, start, len) per symbol.
    spans: Vec<(u32, u32, u32)>,
    /// Open addressing with linear probing. A slot holds the upper 32 bits of the string's hash
    /// above its symbol (0 = empty; symbols start at 1), so a probe only reads the text of a
    /// string whose hash matches. At most 3/4 full.
    slots: Vec<u64>,
}

fn slot_tag(hash: u64) -> u64 {
    hash & 0xffff_ffff_0000_0000
}

fn slot_sym(slot: u64) -> Sym {
    Sym(NonZeroU32::new(slot as u32).expect("occupied slot"))
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Approximate heap bytes held (text, spans and table).
    pub fn approx_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity()).sum::<usize>()
            + self.spans.capacity() * 12
            + self.slots.capacity() * 8
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        Self::span_str(&self.chunks, &self.spans, sym)
    }

    /// Makes room for `strings` more strings.
    pub fn reserve(&mut self, strings: usize) {
        self.spans.reserve(strings);
        self.grow_to(self.spans.len() + strings);
    }

    /// Resizes the table so `strings` strings fit within the load limit.
    fn grow_to(&mut self, strings: usize) {
        let want = (strings + strings / 3 + 1)
            .next_power_of_two()
            .max(MIN_SLOTS);
        if want <= self.slots.len() {
            return;
        }
        let mut slots = vec![0u64; want];
        let mask = want - 1;
        for i in 0..self.spans.len() {
            let sym = Sym(NonZeroU32::new(i as u32 + 1).expect("symbols start at 1"));
            let hash = Self::hash(self.resolve(sym));
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = slot_tag(hash) | u64::from(sym.0.get());
        }
        self.slots = slots;
    }

    /// Asks the CPU to fetch the slot where a string with this hash would be, ahead of an
    /// [`Interner::intern_hashed`] of it a little later.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        if self.slots.is_empty() {
            return;
        }
        let at = hash as usize & (self.slots.len() - 1);
        let p = self.slots[at..].as_ptr();
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch only hints the cache and never faults; `p` points into `slots`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }

    /// Where `text` (of hash `hash`) is, or the empty slot where it would go.
    fn find(&self, text: &str, hash: u64) -> Result<Sym, usize> {
        let mask = self.slots.len() - 1;
        let tag = slot_tag(hash);
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Err(at);
            }
            if slot_tag(slot) == tag {
                let sym = slot_sym(slot);
                if Self::span_str(&self.chunks, &self.spans, sym) == text {
                    return Ok(sym);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// The symbol of `text` if it was interned already.
    pub fn get(&self, text: &str) -> Option<Sym> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(text, Self::hash(text)).ok()
    }

    /// The hash `intern_hashed` expects (decoder threads compute it ahead of time).
    pub fn hash(text: &str) -> u64 {
        rustc_hash::FxBuildHasher.hash_one(text)
    }

    pub fn intern(&mut self, text: &str) -> Sym {
        self.intern_hashed(text, Self::hash(text))
    }

    /// Interns `text` whose [`Interner::hash`] is `hash`.
    pub fn intern_hashed(&mut self, text: &str, hash: u64) -> Sym {
        if (self.spans.len() + 1) * 4 > self.slots.len() * 3 {
            self.grow_to(self.spans.len() + 1);
        }
        let at = match self.find(text, hash) {
            Ok(sym) => return sym,
            Err(at) => at,
        };
        let need = text.len();
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= need);
        if !fits {
            self.chunks.push(String::with_capacity(CHUNK.max(need)));
        }
        let chunk_no = self.chunks.len() - 1;
        let chunk = &mut self.chunks[chunk_no];
        let start = chunk.len();
        chunk.push_str(text);
        self.spans
            .push((chunk_no as u32, start as u32, need as u32));
        let n = u32::try_from(self.spans.len()).expect("fewer than 4 billion strings");
        self.slots[at] = slot_tag(hash) | u64::from(n);
        Sym(NonZeroU32::new(n).expect("symbols start at 1"))
    }

    fn span_str<'a>(chunks: &'a [String], spans: &[(u32, u32, u32)], sym: Sym) -> &'a str {
        let (c, s, l) = spans[sym.index()];
        &chunks[c as usize][s as usize..(s + l) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once() {
        let mut i = Interner::new();
        let a = i.intern("orders");
        let b = i.intern("payments");
        assert_ne!(a, b);
        assert_eq!(i.intern("orders"), a);
        assert_eq!(i.resolve(b), "payments");
        assert_eq!(i.get("payments"), Some(b));
        assert_eq!(i.get("nope"), None);
        let big = "x".repeat(3 << 20);
        let s = i.intern(&big);
        assert_eq!(i.resolve(s).len(), big.len());
        assert_eq!(i.resolve(a), "orders");
    }

    #[test]
    fn survives_growth_and_colliding_slots() {
        let mut i = Interner::new();
        let syms: Vec<Sym> = (0..10_000).map(|n| i.intern(&format!("id-{n}"))).collect();
        assert_eq!(i.len(), 10_000);
        for (n, &s) in syms.iter().enumerate() {
            let text = format!("id-{n}");
            assert_eq!(i.resolve(s), text);
            assert_eq!(i.intern(&text), s);
            assert_eq!(i.get(&text), Some(s));
        }
        // A hash that lands every string on the same slot still finds each by its text.
        let mut j = Interner::new();
        let a = j.intern_hashed("a", 7);
        let b = j.intern_hashed("b", 7);
        assert_ne!(a, b);
        assert_eq!(j.intern_hashed("a", 7), a);
        assert_eq!(j.intern_hashed("b", 7), b);
        j.prefetch(7);
        assert_eq!(Interner::new().get("x"), None);
    }
}
