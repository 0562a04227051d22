//! String interning: every repeated string (types, sources, topics, ids, keys) is stored once and
//! named by a 4-byte [`Sym`].
//!
//! Written by hand rather than with an interner crate because the store needs three things at once
//! that the crates we looked at (lasso, string-interner) do not all give: `NonZeroU32` keys so
//! `Option<Sym>` stays 4 bytes, a fast non-cryptographic hasher, and strings packed into large
//! chunks (no allocation per string) so a million ids cost ~50 bytes each.

use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::num::NonZeroU32;

/// An interned string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Sym(NonZeroU32);

impl Sym {
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

const CHUNK: usize = 1 << 20;

#[derive(Default)]
pub struct Interner {
    chunks: Vec<String>,
    /// (chunk, start, len) per symbol.
    spans: Vec<(u32, u32, u32)>,
    table: HashTable<Sym>,
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
            + self.table.capacity() * 8
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        let (c, s, l) = self.spans[sym.index()];
        &self.chunks[c as usize][s as usize..(s + l) as usize]
    }

    /// Makes room for `strings` more strings.
    pub fn reserve(&mut self, strings: usize) {
        self.spans.reserve(strings);
        let Self {
            chunks,
            spans,
            table,
        } = self;
        table.reserve(strings, |&sym| Self::hash_sym(chunks, spans, sym));
    }

    /// Rehashing while the table grows: the hash of an interned string.
    fn hash_sym(chunks: &[String], spans: &[(u32, u32, u32)], sym: Sym) -> u64 {
        Self::hash(Self::span_str(chunks, spans, sym))
    }

    /// The symbol of `text` if it was interned already.
    pub fn get(&self, text: &str) -> Option<Sym> {
        let hash = Self::hash(text);
        self.table
            .find(hash, |&sym| {
                Self::span_str(&self.chunks, &self.spans, sym) == text
            })
            .copied()
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
        let Self {
            chunks,
            spans,
            table,
        } = self;
        let entry = table.entry(
            hash,
            |&sym| Self::span_str(chunks, spans, sym) == text,
            |&sym| Self::hash_sym(chunks, spans, sym),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => *o.get(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let need = text.len();
                let fits = chunks
                    .last()
                    .is_some_and(|c| c.capacity() - c.len() >= need);
                if !fits {
                    chunks.push(String::with_capacity(CHUNK.max(need)));
                }
                let chunk_no = chunks.len() - 1;
                let chunk = &mut chunks[chunk_no];
                let start = chunk.len();
                chunk.push_str(text);
                spans.push((chunk_no as u32, start as u32, need as u32));
                let sym =
                    Sym(NonZeroU32::new(spans.len() as u32).expect("more than 4 billion strings"));
                v.insert(sym);
                sym
            }
        }
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
}
