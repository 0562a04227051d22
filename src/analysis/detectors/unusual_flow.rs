//! `unusual_flow`: a complete flow whose variant (see `analysis::variants`) holds under 1% of
//! the complete flows of its root type, once that root type has at least 200 complete flows.
//! The evidence names the variant, its share and the first difference from the root type's usual
//! variant (the one with the most complete flows): "variant 7: 3 of 1,204 OrderPlaced flows; the
//! usual variant has InventoryReserved after OrderPlaced; this one has none".
//!
//! Whether a flow is complete is its status (nothing awaits a follow-up, nothing stuck, nothing
//! failed), which only the engine knows: it judges the flows that changed at every live tick and
//! all of them at the end of input, then calls [`UnusualFlowDetector::judge`]. A flag is
//! withdrawn when its flow changes variant, stops being complete, or its variant grows past 1%.
//! Off with `--no-unusual` (`Config::unusual`).

use super::Detector;
use crate::analysis::anomaly::{Anomalies, AnomalyId, AnomalyKind};
use crate::analysis::flows::FlowId;
use crate::analysis::variants::{Pair, VariantId, Variants};
use crate::model::Sym;
use crate::store::EventStore;
use rustc_hash::FxHashMap;

/// Root types are judged once they have this many complete flows...
pub const MIN_COMPLETE: u32 = 200;
/// ...and a variant is unusual below this share of them (percent).
pub const MAX_PERCENT: u64 = 1;

#[derive(Default)]
pub struct UnusualFlowDetector {
    flagged: FxHashMap<FlowId, (AnomalyId, VariantId)>,
}

impl Detector for UnusualFlowDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        // Raised from `judge`, which the engine calls with flow statuses (see the module docs).
        &[AnomalyKind::UnusualFlow]
    }
}

/// Whether variant `v` is unusual: see the module docs.
pub fn is_rare(variants: &Variants, v: VariantId) -> bool {
    let var = variants.get(v);
    let root = variants.root_stats(var.root_type);
    root.complete >= MIN_COMPLETE
        && var.complete > 0
        && u64::from(var.complete) * 100 < MAX_PERCENT * u64::from(root.complete)
}

/// 1204 -> "1,204".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "B after A" (or "B with an unknown cause").
pub fn edge_words(store: &EventStore, (cause, effect): Pair) -> String {
    match cause {
        Some(c) => format!("{} after {}", store.str(effect), store.str(c)),
        None => format!("{} with an unknown cause", store.str(effect)),
    }
}

impl UnusualFlowDetector {
    /// Flags the complete flows of unusual variants and withdraws flags that no longer hold.
    /// `variants` must be ranked.
    pub fn judge(&mut self, store: &EventStore, variants: &Variants, anomalies: &mut Anomalies) {
        let stale: Vec<FlowId> = self
            .flagged
            .iter()
            .filter(|&(&f, &(_, v))| {
                variants.variant_of(f) != Some(v)
                    || !variants.is_complete(f)
                    || !is_rare(variants, v)
            })
            .map(|(&f, _)| f)
            .collect();
        for f in stale {
            if let Some((id, _)) = self.flagged.remove(&f) {
                anomalies.withdraw(id);
            }
        }
        let mut usual: FxHashMap<Sym, VariantId> = FxHashMap::default();
        let all = variants.all();
        for (v, var) in all.iter().enumerate() {
            let (Some(r), true) = (var.root_type, var.complete > 0) else {
                continue;
            };
            let best = usual.entry(r).or_insert(v as VariantId);
            let b = &all[*best as usize];
            if (var.complete, std::cmp::Reverse(var.number))
                > (b.complete, std::cmp::Reverse(b.number))
            {
                *best = v as VariantId;
            }
        }
        let mut found = Vec::new();
        for v in 0..all.len() as VariantId {
            if !is_rare(variants, v) {
                continue;
            }
            let var = variants.get(v);
            let fresh: Vec<FlowId> = var
                .members()
                .iter()
                .copied()
                .filter(|&f| variants.is_complete(f) && !self.flagged.contains_key(&f))
                .collect();
            if fresh.is_empty() {
                continue;
            }
            let why = evidence(
                store,
                variants,
                v,
                var.root_type.and_then(|r| usual.get(&r)),
            );
            found.extend(fresh.into_iter().map(|f| (f, v, why.clone())));
        }
        found.sort_unstable_by_key(|x| variants.root_event(x.0));
        for (f, v, why) in found {
            let Some(root) = variants.root_event(f) else {
                continue;
            };
            let id = anomalies.raise(
                AnomalyKind::UnusualFlow,
                Some(root),
                Vec::new(),
                why,
                Some(store.location_label(root)),
            );
            self.flagged.insert(f, (id, v));
        }
    }
}

/// "variant N: c of T Root flows; <first difference from the usual variant>".
fn evidence(
    store: &EventStore,
    variants: &Variants,
    v: VariantId,
    usual: Option<&VariantId>,
) -> String {
    let var = variants.get(v);
    let root = variants.root_stats(var.root_type);
    let mut text = format!(
        "variant {}: {} of {} {} flows",
        var.number,
        thousands(u64::from(var.complete)),
        thousands(u64::from(root.complete)),
        var.root_type.map_or("", |r| store.str(r))
    );
    let Some(&u) = usual else {
        return text;
    };
    let (ours, theirs) = (variants.edges(store, v), variants.edges(store, u));
    let missing: Vec<Pair> = theirs
        .iter()
        .filter(|p| !ours.contains(p))
        .copied()
        .collect();
    let extra: Vec<Pair> = ours
        .iter()
        .filter(|p| !theirs.contains(p))
        .copied()
        .collect();
    let more = (missing.len() + extra.len()).saturating_sub(1);
    if let Some(&p) = missing.first() {
        text += &format!(
            "; the usual variant has {}; this one has none",
            edge_words(store, p)
        );
    } else if let Some(&p) = extra.first() {
        text += &format!(
            "; this one has {}; the usual variant has none",
            edge_words(store, p)
        );
    }
    if more > 0 {
        text += &format!(" (+{more} more differences)");
    }
    text
}
