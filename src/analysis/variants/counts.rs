//! A flow's count per edge type: inline and searched in order while small (most flows have a
//! handful of edge types), a hash map beyond, so a flow with thousands of distinct edge types
//! still costs constant time per event. Hand-written: two dozen lines, where a small-map crate
//! would add a dependency for the same thing.

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

const INLINE_MAX: usize = 16;

#[derive(Clone, Debug)]
pub enum PairCounts {
    Few(SmallVec<[(u32, u32); 4]>),
    Many(FxHashMap<u32, u32>),
}

impl Default for PairCounts {
    fn default() -> Self {
        PairCounts::Few(SmallVec::new())
    }
}

/// Whether an edge type entered or left the set.
pub enum Change {
    Appeared,
    Gone,
    Same,
}

fn change(before: u32, after: u32) -> Change {
    match (before, after) {
        (0, a) if a > 0 => Change::Appeared,
        (b, 0) if b > 0 => Change::Gone,
        _ => Change::Same,
    }
}

impl PairCounts {
    /// Adds `by` to the count of `pair` (never below zero).
    pub fn add(&mut self, pair: u32, by: i64) -> Change {
        let apply = |n: u32| (i64::from(n) + by).clamp(0, i64::from(u32::MAX)) as u32;
        match self {
            PairCounts::Few(v) => {
                if let Some(i) = v.iter().position(|(p, _)| *p == pair) {
                    let before = v[i].1;
                    let after = apply(before);
                    if after == 0 {
                        v.swap_remove(i);
                    } else {
                        v[i].1 = after;
                    }
                    return change(before, after);
                }
                let after = apply(0);
                if after > 0 {
                    v.push((pair, after));
                    if v.len() > INLINE_MAX {
                        *self = PairCounts::Many(v.iter().copied().collect());
                    }
                }
                change(0, after)
            }
            PairCounts::Many(m) => {
                let before = m.get(&pair).copied().unwrap_or(0);
                let after = apply(before);
                if after == 0 {
                    m.remove(&pair);
                } else {
                    m.insert(pair, after);
                }
                change(before, after)
            }
        }
    }

    /// (edge type, count) of every edge type with a count, in no particular order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (u32, u32)> + '_> {
        match self {
            PairCounts::Few(v) => Box::new(v.iter().copied()),
            PairCounts::Many(m) => Box::new(m.iter().map(|(&p, &n)| (p, n))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_stay_exact_across_the_switch_to_a_map() {
        let mut c = PairCounts::default();
        for p in 0..40 {
            assert!(matches!(c.add(p, 1), Change::Appeared));
            assert!(matches!(c.add(p, 2), Change::Same));
        }
        assert!(matches!(c, PairCounts::Many(_)));
        assert!(matches!(c.add(7, -3), Change::Gone));
        let mut all: Vec<_> = c.iter().collect();
        all.sort_unstable();
        assert_eq!(all.len(), 39);
        assert!(all.iter().all(|&(p, n)| p != 7 && n == 3));
    }
}
