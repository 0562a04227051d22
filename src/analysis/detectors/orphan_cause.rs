//! `orphan_cause`: a causation id that names an event never seen. Judged at the end of input, or
//! live once the stuck timeout has passed (and withdrawn if the cause turns up after all).

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
            let seen_at = r.observed_at.or(r.effective_time());
            if let Some(t) = timeout
                && seen_at.is_none_or(|at| now - at <= t)
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
            self.raised.entry(cause).or_default().push(id);
        }
        self.pending = keep;
    }
}

impl Detector for OrphanCauseDetector {
    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if cx.is_repeat(idx) {
            return;
        }
        let s = cx.store;
        let r = s.get(idx);
        if let Some(c) = r.causation
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
