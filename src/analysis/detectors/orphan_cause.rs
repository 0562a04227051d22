//! `orphan_cause`: a causation id that names an event never seen. Judged at the end of input, or
//! live once the stuck timeout has passed (and withdrawn if the cause turns up after all). A cause
//! from a profile whose causes may never be on Kafka (`Profile::cause_may_be_external`: Axon's
//! parent is often a command) is an external trigger, not an orphan: never flagged.

use super::{Ctx, Detector, flags};
use crate::analysis::anomaly::{AnomalyId, AnomalyKind};
use crate::model::{Sym, Timestamp, format_duration};
use crate::store::EventIdx;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

#[derive(Default)]
pub struct OrphanCauseDetector {
    /// Events whose cause was unknown when they arrived, in arrival order.
    pending: Vec<EventIdx>,
    raised: FxHashMap<Sym, SmallVec<[AnomalyId; 1]>>,
}

impl OrphanCauseDetector {
    fn judge(&mut self, cx: &mut Ctx, now: Timestamp, timeout: Option<i64>) {
        let s = cx.store;
        let mut keep = Vec::new();
        for &e in &self.pending {
            let r = s.get(e);
            let Some(cause) = r.causation else { continue };
            if s.first_with_id(cause).is_some() {
                continue;
            }
            let seen_at = r.observed_at().or(r.effective_time());
            if let Some(t) = timeout
                && seen_at.is_none_or(|at| now.saturating_sub(at) <= t)
            {
                keep.push(e);
                continue;
            }
            let when = match timeout {
                Some(t) => format!("not seen within {}", format_duration(t)),
                None => "never seen".to_string(),
            };
            let id = cx.anomalies.raise(
                AnomalyKind::OrphanCause,
                Some(e),
                vec![cause],
                format!(
                    "{} {} names cause {}, {when}",
                    s.str(r.event_type),
                    s.str(r.id),
                    s.str(cause)
                ),
                Some(s.location_label(e)),
            );
            // An orphan since its event came (at the end of input), or since the timeout ran out.
            if let Some(t) = r.effective_time() {
                let since = timeout.map_or(t, |x| t.saturating_add(x).saturating_add(1));
                cx.anomalies.backdate(id, since);
            }
            self.raised.entry(cause).or_default().push(id);
        }
        self.pending = keep;
    }
}

impl Detector for OrphanCauseDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::OrphanCause]
    }

    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if cx.is_repeat(idx) {
            return;
        }
        let s = cx.store;
        let r = s.get(idx);
        if let Some(c) = r.causation
            && !r.provenance().causation.cause_may_be_external()
            && s.first_with_id(c).is_none()
        {
            self.pending.push(idx);
        }
        if cx.has(idx, flags::FIRST_OF_ID)
            && let Some(ids) = self.raised.remove(&r.id)
        {
            for id in ids {
                cx.anomalies.withdraw(id);
            }
        }
    }

    fn on_tick(&mut self, cx: &mut Ctx, now: Timestamp) {
        let timeout = cx.config.stuck_after;
        self.judge(cx, now, Some(timeout));
    }

    fn on_finish(&mut self, cx: &mut Ctx, now: Timestamp) {
        self.judge(cx, now, None);
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::testkit::*;
    use crate::analysis::{Config, Engine};

    #[test]
    fn judged_at_end_of_input() {
        let e = run(vec![
            ev("a", "A", "x", 0),
            ev("b", "B", "x", 1).cause("ghost"),
            ev("c", "B", "x", 2).cause("a"),
        ]);
        assert_eq!(found(&e), want(&[(OrphanCause, "b")]));
        assert_eq!(
            e.store
                .str(e.anomalies.active().next().unwrap().1.related[0]),
            "ghost"
        );
    }

    #[test]
    fn a_cause_that_may_be_external_is_no_orphan() {
        let mut axon = ev("b", "B", "x", 1).cause("command-1");
        axon.provenance.causation = crate::model::Profile::Axon;
        let e = run(vec![
            ev("a", "A", "x", 0),
            axon,
            ev("c", "B", "x", 2).cause("ghost"),
        ]);
        assert_eq!(found(&e), want(&[(OrphanCause, "c")]));
    }

    #[test]
    fn live_after_timeout_and_withdrawn_when_the_cause_arrives() {
        let mut e = Engine::new(Config::default());
        e.push(ev("b", "B", "x", 0).cause("late"), 0);
        let t0 = 1_767_225_600 * 1_000_000_000i64;
        e.tick(t0 + 10_000_000_000);
        assert!(found(&e).is_empty());
        e.tick(t0 + 31_000_000_000);
        assert_eq!(found(&e), want(&[(OrphanCause, "b")]));
        e.push(ev("late", "A", "x", 0), 0);
        assert!(found(&e).is_empty());
    }
}
