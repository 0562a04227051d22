//! `causation_cycle`: causation links that form a cycle, including an event caused by itself.
//! A cycle can only close when an event arrives that others already name as their cause, so the
//! walk up its ancestors runs only then, and it is bounded by a visited set: it never loops.

use super::{Ctx, Detector, flags};
use crate::analysis::anomaly::AnomalyKind;
use crate::store::EventIdx;
use rustc_hash::FxHashSet;

#[derive(Default)]
pub struct CausationCycleDetector;

impl Detector for CausationCycleDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::CausationCycle]
    }

    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if !cx.has(idx, flags::FIRST_OF_ID) || cx.is_repeat(idx) {
            return;
        }
        let s = cx.store;
        let r = s.get(idx);
        let Some(cause) = r.causation else { return };
        let id = r.id;
        if cause == id {
            cx.anomalies.raise(
                AnomalyKind::CausationCycle,
                Some(idx),
                vec![],
                format!(
                    "{} {} names itself as its cause",
                    s.str(r.event_type),
                    s.str(id)
                ),
                Some(s.location_label(idx)),
            );
            return;
        }
        if !s.has_children(id) {
            return;
        }
        let mut path = vec![cause];
        let mut visited = FxHashSet::default();
        let mut cur = cause;
        while visited.insert(cur) {
            let Some(p) = s.first_with_id(cur) else {
                return;
            };
            let Some(next) = s.get(p).causation else {
                return;
            };
            if next == id {
                let chain: Vec<&str> = std::iter::once(id)
                    .chain(path.iter().copied())
                    .chain([id])
                    .map(|x| s.str(x))
                    .collect();
                cx.anomalies.raise(
                    AnomalyKind::CausationCycle,
                    Some(idx),
                    path,
                    format!("causation cycle: {}", chain.join(" <- ")),
                    Some(s.location_label(idx)),
                );
                return;
            }
            path.push(next);
            cur = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::testkit::*;

    #[test]
    fn self_and_longer_cycles_terminate() {
        let e = run(vec![
            ev("self", "T", "x", 0).corr("c0").cause("self"),
            ev("a", "T", "x", 1).corr("c1").cause("c"),
            ev("b", "T", "x", 1).corr("c1").cause("a"),
            ev("c", "T", "x", 1).corr("c1").cause("b"),
        ]);
        assert_eq!(
            found(&e),
            want(&[(CausationCycle, "c"), (CausationCycle, "self")])
        );
        let c = e
            .anomalies
            .active()
            .find(|(_, a)| e.store.id_str(a.event.unwrap()) == "c")
            .unwrap()
            .1;
        assert_eq!(c.message, "causation cycle: c <- b <- a <- c");
        let f = e.flows.by_key(e.store.strings.get("c1").unwrap()).unwrap();
        assert_eq!(e.flows.critical_path(&e.store, f).len(), 3);
    }
}
