//! `duplicate` and `conflicting_duplicate`: an event whose (source, id) was seen before, with the
//! same type and data (a redelivery) or not (an id reused for something else).

use super::{Ctx, flags};
use crate::analysis::anomaly::AnomalyKind;
use crate::model::Sym;
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

/// Uses the store's id index for the common case (an id seen again from the same source); only
/// ids shared by several sources need a map of their own.
#[derive(Default)]
pub struct DuplicateDetector {
    other_sources: FxHashMap<(Option<Sym>, Sym), EventIdx>,
}

impl DuplicateDetector {
    /// Classifies a new event; returns the flags to set on it.
    pub fn classify(&mut self, cx: &mut Ctx, idx: EventIdx) -> u8 {
        let s = cx.store;
        let r = s.get(idx);
        let Some(first_of_id) = s.first_with_id(r.id).filter(|f| *f != idx) else {
            return 0;
        };
        let first =
            if s.get(first_of_id).source == r.source && !cx.has(first_of_id, flags::DEAD_LETTER) {
                first_of_id
            } else {
                *self.other_sources.entry((r.source, r.id)).or_insert(idx)
            };
        if first == idx {
            return 0;
        }
        let f = s.get(first);
        let where_first = s.location_label(first);
        let id = s.str(r.id);
        if f.event_type == r.event_type && f.data_hash == r.data_hash {
            cx.anomalies.raise(
                AnomalyKind::Duplicate,
                Some(idx),
                vec![r.id],
                format!(
                    "event {id} ({}) was already seen at {where_first} with the same type and data",
                    s.str(r.event_type)
                ),
                Some(s.location_label(idx)),
            );
            flags::EXACT_DUPLICATE
        } else {
            let what = if f.event_type != r.event_type {
                format!(
                    "type {} here, {} there",
                    s.str(r.event_type),
                    s.str(f.event_type)
                )
            } else {
                format!("same type {} but different data", s.str(r.event_type))
            };
            cx.anomalies.raise(
                AnomalyKind::ConflictingDuplicate,
                Some(idx),
                vec![r.id],
                format!(
                    "id {id} from {} was already used at {where_first}: {what}",
                    s.opt_str(r.source).unwrap_or("(no source)")
                ),
                Some(s.location_label(idx)),
            );
            flags::CONFLICTING
        }
    }
}
