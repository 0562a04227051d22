//! `cause_after_effect`: an event whose time is earlier than its cause's time. Both times are
//! shown as they are; nothing is "fixed". Checked when the child arrives and, for children that
//! arrived first, when the cause arrives.

use super::{Ctx, Detector, flags};
use crate::analysis::anomaly::AnomalyKind;
use crate::model::{format_duration, format_time};
use crate::store::EventIdx;

#[derive(Default)]
pub struct CauseAfterEffectDetector;

fn check(cx: &mut Ctx, child: EventIdx, parent: EventIdx) {
    let s = cx.store;
    let (c, p) = (s.get(child), s.get(parent));
    let (Some(ct), Some(pt)) = (c.time(), p.time()) else {
        return;
    };
    if ct < pt {
        cx.anomalies.raise(
            AnomalyKind::CauseAfterEffect,
            Some(child),
            vec![p.id],
            format!(
                "{} at {} is {} before its cause {} ({} at {})",
                s.str(c.event_type),
                format_time(ct),
                format_duration(pt.saturating_sub(ct)),
                s.str(p.id),
                s.str(p.event_type),
                format_time(pt)
            ),
            Some(s.location_label(child)),
        );
    }
}

impl Detector for CauseAfterEffectDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::CauseAfterEffect]
    }

    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if cx.is_repeat(idx) {
            return;
        }
        let s = cx.store;
        let r = s.get(idx);
        if let Some(parent) = r.causation.and_then(|c| s.first_with_id(c))
            && parent != idx
            && !cx.is_repeat(parent)
        {
            check(cx, idx, parent);
        }
        if cx.has(idx, flags::FIRST_OF_ID) {
            for child in s.children_of(r.id) {
                if child < idx && !cx.is_repeat(child) {
                    check(cx, child, idx);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::testkit::*;

    #[test]
    fn either_arrival_order() {
        let events = vec![
            ev("p", "A", "x", 10),
            ev("c", "B", "y", 9).cause("p"),
            ev("ok", "B", "y", 10).cause("p"),
        ];
        assert_eq!(
            found(&run(events.clone())),
            want(&[(CauseAfterEffect, "c")])
        );
        // Children first: judged when the cause arrives.
        let rev: Vec<_> = events.into_iter().rev().collect();
        assert_eq!(found(&run(rev)), want(&[(CauseAfterEffect, "c")]));
    }
}
