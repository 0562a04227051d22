//! Which flows changed since the last update, so a view keyed on one flow rebuilds only when that
//! flow changed, not when anything anywhere did. Fed from the new events (their flow and their
//! cause's flow, which gains a follow-up) and from the events whose anomalies were raised or
//! withdrawn; each costs one lookup, nothing walks the session.

use crate::analysis::{Engine, FlowId};
use crate::store::EventIdx;

#[derive(Default)]
pub struct FlowChanges {
    seen_events: usize,
    /// Counts updates; a flow's revision is the update it last changed in.
    epoch: u64,
    changed_at: Vec<u64>,
    /// The flows changed in the last update, each once.
    pub touched: Vec<FlowId>,
}

impl FlowChanges {
    /// Records the flows changed by events added since the last call and by anomaly changes on
    /// `anomaly_events`.
    pub fn update(&mut self, engine: &Engine, anomaly_events: &[EventIdx]) {
        self.epoch += 1;
        self.touched.clear();
        let s = &engine.store;
        let n = s.len();
        for idx in self.seen_events as EventIdx..n as EventIdx {
            self.touch(engine.flows.flow_of(idx));
            if let Some(p) = s.get(idx).causation.and_then(|c| s.first_with_id(c)) {
                self.touch(engine.flows.flow_of(p));
            }
        }
        self.seen_events = n;
        for &e in anomaly_events {
            self.touch(engine.flows.flow_of(e));
        }
    }

    fn touch(&mut self, f: FlowId) {
        let i = f as usize;
        if i >= self.changed_at.len() {
            self.changed_at.resize(i + 1, 0);
        }
        if self.changed_at[i] != self.epoch {
            self.changed_at[i] = self.epoch;
            self.touched.push(f);
        }
    }

    /// Changes whenever the flow does (0 for a flow never seen changing).
    pub fn revision(&self, f: FlowId) -> u64 {
        self.changed_at.get(f as usize).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    fn push(e: &mut Engine, id: &str, corr: &str, cause: Option<&str>) {
        e.push(
            DecodedEvent {
                id: id.into(),
                event_type: "T".into(),
                correlation_id: Some(corr.into()),
                causation_id: cause.map(Into::into),
                ..Default::default()
            },
            0,
        );
    }

    #[test]
    fn only_the_flows_that_changed_get_a_new_revision() {
        let mut e = Engine::new(Config::default());
        push(&mut e, "a1", "A", None);
        push(&mut e, "b1", "B", None);
        let mut c = FlowChanges::default();
        c.update(&e, &[]);
        let (a, b) = (e.flows.flow_of(0), e.flows.flow_of(1));
        assert_eq!(c.touched, [a, b]);
        let (ra, rb) = (c.revision(a), c.revision(b));
        c.update(&e, &[]);
        assert!(c.touched.is_empty());
        assert_eq!((c.revision(a), c.revision(b)), (ra, rb));
        // A follow-up in another flow changes its cause's flow too.
        push(&mut e, "c1", "C", Some("a1"));
        c.update(&e, &[]);
        assert_eq!(c.touched, [e.flows.flow_of(2), a]);
        assert_ne!(c.revision(a), ra);
        assert_eq!(c.revision(b), rb);
        c.update(&e, &[1]);
        assert_eq!(c.touched, [b], "an anomaly change on b1");
    }
}
