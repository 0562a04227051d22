//! `stuck`: an event of a type that normally has follow-ups, still without a child after the
//! timeout.
//!
//! A type "normally has follow-ups" when it is declared (`--expect TYPE`) or learned: at least 80%
//! of at least 5 other instances of the type that can be judged had a child (an instance can be
//! judged once it has a child or is older than the timeout). The timeout for a type is
//! `max(--stuck-after, 3 x p99 of its first-child latency)`; ages are measured against `now`
//! (wall clock live, the latest event time or `--now` for files). A stuck event is withdrawn when a
//! child arrives, and an event that was dead-lettered is never stuck (the dead letter explains it).
//! The latency of a follow-up that came only after its event was flagged is not learned (else
//! one outage would raise the timeout until the next goes unflagged).

use super::{Ctx, Detector, flags};
use crate::analysis::anomaly::{AnomalyId, AnomalyKind};
use crate::model::{Sym, Timestamp, format_duration};
use crate::store::{EventIdx, EventStore};
use hdrhistogram::Histogram;
use rustc_hash::{FxHashMap, FxHashSet};

/// Learned types need at least this many other judged instances...
pub const MIN_INSTANCES: usize = 5;
/// ...of which at least this share had a child.
pub const MIN_SHARE: f64 = 0.8;

#[derive(Default)]
struct TypeStats {
    /// Instances known to have had a child.
    with_child: usize,
    /// First-child latency in microseconds.
    latency: Option<Histogram<u64>>,
    /// Instances without a child when last looked at (entries that got one since are dropped
    /// lazily, when judged).
    pending: Vec<EventIdx>,
    /// The event time the type was first learned to have follow-ups at (replay's flow status).
    learned_since: Option<Timestamp>,
    /// Instances that arrived without a child and have none yet (`pending` without its stale
    /// entries), for `learned_since`.
    childless: usize,
}

impl TypeStats {
    fn record_latency(&mut self, ns: i64) {
        let h = self
            .latency
            .get_or_insert_with(|| Histogram::new(2).expect("histogram"));
        let _ = h.record((ns.max(0) / 1_000) as u64);
    }
    /// The learned rule: at least [`MIN_SHARE`] of at least [`MIN_INSTANCES`] other judged
    /// instances had a child, given how many childless instances count as judged.
    fn learned(&self, childless_judged: usize) -> bool {
        let others = self.with_child + childless_judged.saturating_sub(1);
        others >= MIN_INSTANCES && self.with_child as f64 >= MIN_SHARE * others as f64
    }

    /// Notes when the type is first learned (`clock`: the latest event time seen).
    fn note_learned(&mut self, clock: Option<Timestamp>) {
        if self.learned_since.is_none() && self.learned(self.childless) {
            self.learned_since = Some(clock.unwrap_or(Timestamp::MIN));
        }
    }

    fn p99_ns(&self) -> i64 {
        self.latency
            .as_ref()
            .map_or(0, |h| h.value_at_quantile(0.99) as i64 * 1_000)
    }
}

/// One bit per event.
#[derive(Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn get(&self, e: EventIdx) -> bool {
        self.0
            .get(e as usize / 64)
            .is_some_and(|w| w & (1 << (e % 64)) != 0)
    }
    fn set(&mut self, e: EventIdx) {
        let i = e as usize / 64;
        if i >= self.0.len() {
            self.0.resize(i + 1, 0);
        }
        self.0[i] |= 1 << (e % 64);
    }
}

#[derive(Default)]
pub struct StuckDetector {
    types: FxHashMap<Sym, TypeStats>,
    /// Instances that have had a child (counted once in `with_child`).
    has_child: Bits,
    /// Instances explained by a dead-letter copy: never stuck.
    excused: Bits,
    flagged: FxHashMap<EventIdx, AnomalyId>,
    /// Ids seen on dead-letter copies, for originals that arrive after their copy.
    dead_lettered: FxHashSet<Sym>,
}

fn first_child_latency(s: &EventStore, parent: EventIdx, children: &[EventIdx]) -> Option<i64> {
    let pt = s.get(parent).effective_time()?;
    children
        .iter()
        .filter_map(|&c| s.get(c).effective_time())
        .min()
        .map(|ct| ct.saturating_sub(pt))
}

impl StuckDetector {
    fn counts(cx: &Ctx, e: EventIdx) -> bool {
        cx.has(e, flags::FIRST_OF_ID) && !cx.is_repeat(e)
    }

    fn withdraw(&mut self, cx: &mut Ctx, e: EventIdx) {
        if let Some(id) = self.flagged.remove(&e) {
            cx.anomalies.withdraw(id);
        }
    }

    /// Records that `parent` has a follow-up (once per parent).
    /// `waited`: the parent had arrived without a child (it is among the type's pending ones).
    fn got_child(&mut self, cx: &mut Ctx, parent: EventIdx, children: &[EventIdx], waited: bool) {
        if self.has_child.get(parent) {
            return;
        }
        self.has_child.set(parent);
        let s = cx.store;
        let lat = first_child_latency(s, parent, children);
        let st = self.types.entry(s.get(parent).event_type).or_default();
        st.with_child += 1;
        if waited {
            st.childless = st.childless.saturating_sub(1);
        }
        st.note_learned(cx.anomalies.clock);
        // A follow-up that came only after the event was flagged is an outage, not the type's
        // normal latency: learning it would raise the timeout until later outages go unflagged.
        if let Some(l) = lat
            && !self.flagged.contains_key(&parent)
        {
            st.record_latency(l);
        }
        self.withdraw(cx, parent);
    }

    /// Whether events of type `ty` are declared or learned (by `at`, when given) to have
    /// follow-ups, for flow status (now or as of a replay time). The same for every event of the
    /// type, so flow status asks it once per type; whether an event was excused (dead-lettered)
    /// or has had its follow-up is [`StuckDetector::excused`] and [`StuckDetector::has_child`].
    pub fn type_expects_follow_up(
        &self,
        store: &EventStore,
        expect: &[String],
        ty: Sym,
        at: Option<Timestamp>,
    ) -> bool {
        let Some(st) = self.types.get(&ty) else {
            return false;
        };
        // Every childless instance counts here: the question is whether the type has follow-ups.
        expect.iter().any(|x| x == store.str(ty))
            || (st.learned(st.pending.len())
                && at.is_none_or(|t| st.learned_since.is_some_and(|l| l <= t)))
    }

    /// Whether `e` has had a follow-up.
    pub fn has_child(&self, e: EventIdx) -> bool {
        self.has_child.get(e)
    }

    /// Whether `e` waits for nothing (it was dead-lettered).
    pub fn excused(&self, e: EventIdx) -> bool {
        self.excused.get(e)
    }

    fn judge(&mut self, cx: &mut Ctx, now: Timestamp) {
        let s = cx.store;
        let mut found = Vec::new();
        let (has_child, excused) = (&self.has_child, &self.excused);
        for (&ty, st) in self.types.iter_mut() {
            st.pending.retain(|&e| !has_child.get(e) && !excused.get(e));
            let expected = cx.config.expect.iter().any(|x| x == s.str(ty));
            if !expected && st.with_child < MIN_INSTANCES {
                continue;
            }
            let timeout = if cx.config.adaptive_timeout {
                cx.config.stuck_after.max(st.p99_ns().saturating_mul(3))
            } else {
                cx.config.stuck_after
            };
            let old: Vec<(EventIdx, i64)> = st
                .pending
                .iter()
                .filter_map(|&e| {
                    let age = now.saturating_sub(s.get(e).effective_time()?);
                    (age > timeout).then_some((e, age))
                })
                .collect();
            let others = st.with_child + old.len().saturating_sub(1);
            if !(expected || st.learned(old.len())) {
                continue;
            }
            let why = if expected {
                "declared with --expect".to_string()
            } else {
                format!(
                    "{} had a follow-up in {:.0}% of {} other judged cases",
                    s.str(ty),
                    100.0 * st.with_child as f64 / others as f64,
                    others
                )
            };
            // Stuck since both its timeout ran out and its type was known to have follow-ups.
            let known = if expected {
                Timestamp::MIN
            } else {
                st.learned_since.unwrap_or(now)
            };
            for (e, age) in old {
                if !self.flagged.contains_key(&e) {
                    let since = (s.get(e).effective_time()).map_or(now, |t| {
                        t.saturating_add(timeout).saturating_add(1).max(known)
                    });
                    found.push((e, age, timeout, why.clone(), since));
                }
            }
        }
        found.sort_unstable_by_key(|f| f.0);
        for (e, age, timeout, why, since) in found {
            let r = s.get(e);
            let id = cx.anomalies.raise(
                AnomalyKind::Stuck,
                Some(e),
                vec![],
                format!(
                    "{} {} has no follow-up after {} (timeout {}; {why})",
                    s.str(r.event_type),
                    s.str(r.id),
                    format_duration(age),
                    format_duration(timeout)
                ),
                Some(s.location_label(e)),
            );
            cx.anomalies.backdate(id, since);
            self.flagged.insert(e, id);
        }
    }
}

impl Detector for StuckDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::Stuck]
    }

    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        let s = cx.store;
        let r = s.get(idx);
        if cx.has(idx, flags::DEAD_LETTER) {
            self.dead_lettered.insert(r.id);
            if let Some(orig) = s.first_with_id(r.id).filter(|&o| o != idx) {
                self.excused.set(orig);
                self.withdraw(cx, orig);
            }
            return;
        }
        if cx.is_repeat(idx) {
            return;
        }
        // As a child (any event that is not a repeat, even one reusing an id): its parent has a
        // follow-up now.
        if let Some(parent) = r.causation.and_then(|c| s.first_with_id(c))
            && parent != idx
            && Self::counts(cx, parent)
        {
            self.got_child(cx, parent, &[idx], true);
        }
        // As a parent: only the first event with an id (causation links resolve to it).
        if !Self::counts(cx, idx) {
            return;
        }
        if self.dead_lettered.contains(&r.id) {
            self.excused.set(idx);
        }
        let kids: Vec<EventIdx> = s
            .children_of(r.id)
            .filter(|&c| c != idx && !cx.is_repeat(c))
            .collect();
        if kids.is_empty() {
            let st = self.types.entry(r.event_type).or_default();
            st.pending.push(idx);
            st.childless += 1;
            st.note_learned(cx.anomalies.clock);
        } else {
            self.got_child(cx, idx, &kids, false);
        }
    }

    fn on_tick(&mut self, cx: &mut Ctx, now: Timestamp) {
        self.judge(cx, now);
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::Config;
    use crate::analysis::testkit::*;

    fn pairs(n: usize, start: i64) -> Vec<crate::model::DecodedEvent> {
        (0..n)
            .flat_map(|i| {
                let t = start + i as i64 * 60;
                [
                    ev(&format!("p{i}"), "Placed", "orders", t),
                    ev(&format!("c{i}"), "Paid", "pay", t)
                        .millis(50)
                        .cause(&format!("p{i}")),
                ]
            })
            .collect()
    }

    #[test]
    fn learned_type_without_follow_up() {
        let mut events = pairs(6, 0);
        events.push(ev("lonely", "Placed", "orders", 400));
        events.push(ev("young", "Placed", "orders", 480));
        events.push(ev("end", "Other", "x", 500));
        // "young" is 20 s old at the end: not yet past the 30 s timeout.
        assert_eq!(found(&run(events)), want(&[(Stuck, "lonely")]));
    }

    #[test]
    fn too_few_instances_or_too_low_share_is_not_learned() {
        let mut events = pairs(4, 0);
        events.push(ev("lonely", "Placed", "orders", 400));
        events.push(ev("end", "Other", "x", 500));
        assert!(found(&run(events.clone())).is_empty());
        let expect = Config {
            expect: vec!["Placed".into()],
            ..Config::default()
        };
        assert_eq!(found(&run_with(expect, events)), want(&[(Stuck, "lonely")]));
    }

    #[test]
    fn withdrawn_when_a_child_arrives_and_dead_letters_are_not_stuck() {
        let mut e = crate::analysis::Engine::new(Config::default());
        for ev in pairs(6, 0) {
            e.push(ev, 0);
        }
        e.push(ev("late", "Placed", "orders", 400), 0);
        e.push(ev("dlq", "Placed", "orders", 400), 0);
        e.push(ev("dlq", "Placed", "orders", 401).at("orders.DLT", 0, 0), 0);
        let now = (1_767_225_600 + 500) * 1_000_000_000;
        e.tick(now);
        assert_eq!(found(&e), want(&[(DeadLetter, "dlq"), (Stuck, "late")]));
        e.push(ev("kid", "Paid", "pay", 501).cause("late"), 0);
        assert_eq!(found(&e), want(&[(DeadLetter, "dlq")]));
    }

    #[test]
    fn timeout_grows_with_p99_latency() {
        // Follow-ups come 20 s after their cause: timeout = 3 x 20 s = 60 s, so a 45 s old
        // childless event is not stuck yet.
        let mut events: Vec<_> = (0..8)
            .flat_map(|i| {
                let t = i as i64 * 100;
                [
                    ev(&format!("p{i}"), "Slow", "a", t),
                    ev(&format!("c{i}"), "Done", "b", t + 20).cause(&format!("p{i}")),
                ]
            })
            .collect();
        events.push(ev("waiting", "Slow", "a", 1000));
        events.push(ev("end", "Other", "x", 1045));
        assert!(found(&run(events)).is_empty());
    }
}
