//! `duplicate` and `conflicting_duplicate`: an event whose (source, id) was seen before, with the
//! same type and data (a redelivery) or not (an id reused for something else).
//!
//! An event without an id of its own (its id derived from its trace context or its Kafka
//! position) gets a new id when it is sent again, so it is also a `duplicate` when an earlier one
//! had the same content: the decoder's content hash for such events covers topic, key, value and
//! the headers other than trace context (`decode::trace_context`).

use super::{Ctx, Detector, flags};
use crate::analysis::anomaly::AnomalyKind;
use crate::model::{Profile, Sym};
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

/// Uses the store's id index for the common case (an id seen again from the same source); only
/// ids shared by several sources need a map of their own.
#[derive(Default)]
pub struct DuplicateDetector {
    other_sources: FxHashMap<(Option<Sym>, Sym), EventIdx>,
    /// Content hash -> first event with that content, for events without an id of their own.
    by_content: FxHashMap<u64, EventIdx>,
}

/// Whether the event's id was derived (trace context, Kafka position) rather than its own.
fn derived_id(p: Profile) -> bool {
    matches!(p, Profile::TraceContext | Profile::Transport)
}

impl DuplicateDetector {
    /// A re-send of an event without an id of its own: same content as an earlier one, new id.
    fn resent(&mut self, cx: &mut Ctx, idx: EventIdx) -> u8 {
        let s = cx.store;
        let r = s.get(idx);
        if !derived_id(r.provenance().id) {
            return 0;
        }
        let first = *self.by_content.entry(r.data_hash).or_insert(idx);
        if first == idx {
            return 0;
        }
        let f = s.get(first);
        if f.topic != r.topic || f.key != r.key || f.event_type != r.event_type {
            // A hash collision: not the same content after all.
            return 0;
        }
        cx.anomalies.raise(
            AnomalyKind::Duplicate,
            Some(idx),
            vec![r.id, f.id],
            format!(
                "{} {} has no id of its own and the same topic, key, value and headers as {} \
                 (at {}) except trace context",
                s.str(r.event_type),
                s.str(r.id),
                s.str(f.id),
                s.location_label(first)
            ),
            Some(s.location_label(idx)),
        );
        flags::EXACT_DUPLICATE
    }
}

impl Detector for DuplicateDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::Duplicate, AnomalyKind::ConflictingDuplicate]
    }

    /// Classifies a new event; returns the flags to set on it. A dead-letter copy is not a
    /// duplicate of its original.
    fn classify(&mut self, cx: &mut Ctx, idx: EventIdx, so_far: u8) -> u8 {
        if so_far & flags::DEAD_LETTER != 0 {
            return 0;
        }
        let s = cx.store;
        let r = s.get(idx);
        let Some(first_of_id) = s.first_with_id(r.id).filter(|f| *f != idx) else {
            return self.resent(cx, idx);
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

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::testkit::*;

    #[test]
    fn exact_and_conflicting() {
        let e = run(vec![
            ev("a", "OrderPlaced", "orders", 0).data(1),
            ev("a", "OrderPlaced", "orders", 1).data(1),
            ev("a", "OrderPlaced", "orders", 2).data(1),
            ev("a", "OrderPlaced", "orders", 3).data(2),
            ev("a", "Other", "orders", 4).data(1),
            // Same id from another source is a different event.
            ev("a", "OrderPlaced", "billing", 5).data(9),
        ]);
        let f = found(&e);
        assert_eq!(f.iter().filter(|x| x.0 == Duplicate).count(), 2);
        assert_eq!(f.iter().filter(|x| x.0 == ConflictingDuplicate).count(), 2);
        assert_eq!(f.len(), 4);
    }

    #[test]
    fn a_dead_letter_copy_is_not_a_duplicate() {
        let e = run(vec![
            ev("a", "OrderPlaced", "orders", 0).at("orders", 0, 1),
            ev("a", "OrderPlaced", "orders", 1).at("orders.DLT", 0, 1),
        ]);
        assert_eq!(found(&e), want(&[(DeadLetter, "a")]));
    }
}
