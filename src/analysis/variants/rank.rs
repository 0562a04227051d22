//! Variant numbers: most flows first, ties by root type and edges by name.

use super::{VariantId, Variants};
use crate::store::EventStore;

impl Variants {
    /// Variant `number` (1-based, as of the last [`Variants::rank`]).
    pub fn by_number(&self, number: u32) -> Option<VariantId> {
        let i = (number as usize).checked_sub(1)?;
        self.ranked.get(i).copied()
    }

    /// The variants with flows, most flows first (as of the last [`Variants::rank`]).
    pub fn ranked(&self) -> &[VariantId] {
        &self.ranked
    }

    /// Numbers the variants with flows: most flows first, then root type and edges by name (so
    /// the numbers do not depend on arrival order). Work: the variants ever made.
    pub fn rank(&mut self, store: &EventStore) {
        for v in &mut self.variants {
            v.number = 0;
        }
        let mut keyed: Vec<(usize, String, VariantId)> = (0..self.variants.len() as VariantId)
            .filter(|&v| !self.variants[v as usize].members.is_empty())
            .map(|v| {
                (
                    self.variants[v as usize].members.len(),
                    self.sort_key(store, v),
                    v,
                )
            })
            .collect();
        keyed.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        self.ranked = keyed.into_iter().map(|(_, _, v)| v).collect();
        self.rankings += 1;
        for (i, &v) in self.ranked.iter().enumerate() {
            self.variants[v as usize].number = i as u32 + 1;
        }
    }

    fn sort_key(&self, store: &EventStore, v: VariantId) -> String {
        let root = self.variants[v as usize]
            .root_type
            .map_or("", |r| store.str(r));
        let mut key = root.to_string();
        for (c, e) in self.edges(store, v) {
            key.push('\u{1}');
            key.push_str(c.map_or("", |c| store.str(c)));
            key.push('\u{2}');
            key.push_str(store.str(e));
        }
        key
    }
}
