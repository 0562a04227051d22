//! Replay's view of the anomalies: which were active at the cursor, per kind, from the raise and
//! withdrawal times each anomaly carries. Per kind, the anomalies sorted by raise time and their
//! withdrawals sorted by time; the ones active at the cursor are bits of a Fenwick tree, so counts
//! and the n-th row of a list cost a logarithm, and moving the cursor costs the raises and
//! withdrawals it passes (a playing cursor never rescans the list). The index is built when
//! replay starts and rebuilt when anomalies change meanwhile (at most every `REFRESH` seconds).

use super::flows_data::REFRESH;
use crate::analysis::anomaly::KIND_COUNT;
use crate::analysis::{AnomalyId, AnomalyKind, Engine, REGISTRY, Severity};
use crate::model::Timestamp;

/// Counts over positions with prefix sums and rank search in O(log n). Hand-written: the whole
/// structure is the two loops below, smaller than any crate's API.
#[derive(Default)]
struct Fenwick(Vec<i32>);

impl Fenwick {
    fn from_bits(bits: &[bool]) -> Fenwick {
        let mut t: Vec<i32> = bits.iter().map(|&b| i32::from(b)).collect();
        for i in 0..t.len() {
            let j = i | (i + 1);
            if j < t.len() {
                t[j] += t[i];
            }
        }
        Fenwick(t)
    }

    fn add(&mut self, mut i: usize, d: i32) {
        while i < self.0.len() {
            self.0[i] += d;
            i |= i + 1;
        }
    }

    fn total(&self) -> usize {
        let (mut i, mut sum) = (self.0.len(), 0);
        while i > 0 {
            sum += self.0[i - 1];
            i &= i - 1;
        }
        sum.max(0) as usize
    }

    /// The position of the `k`-th set bit (0-based).
    fn nth(&self, k: usize) -> Option<usize> {
        let (mut pos, mut rest) = (0usize, k as i32 + 1);
        let mut step = self.0.len().next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= self.0.len() && self.0[next - 1] < rest {
                pos = next;
                rest -= self.0[next - 1];
            }
            step /= 2;
        }
        (pos < self.0.len()).then_some(pos)
    }
}

#[derive(Default)]
struct KindTimes {
    /// Anomaly ids by (raise time, id).
    order: Vec<AnomalyId>,
    raised: Vec<Timestamp>,
    /// (withdrawal time, position in `order`), sorted.
    withdrawn: Vec<(Timestamp, u32)>,
    active: Fenwick,
}

impl KindTimes {
    /// Moves the active set from cursor `from` to `to`: the raises and withdrawals in between.
    fn shift(&mut self, from: Timestamp, to: Timestamp) {
        let (lo, hi, d) = if to > from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let a = self.raised.partition_point(|&t| t <= lo);
        let b = self.raised.partition_point(|&t| t <= hi);
        for pos in a..b {
            self.active.add(pos, d);
        }
        let a = self.withdrawn.partition_point(|w| w.0 <= lo);
        let b = self.withdrawn.partition_point(|w| w.0 <= hi);
        for &(_, pos) in &self.withdrawn[a..b] {
            self.active.add(pos as usize, -d);
        }
    }
}

/// The anomalies active at the replay cursor.
#[derive(Default)]
pub struct ReplayAnomalies {
    /// (anomalies raised, generation) the index was built from, and when.
    built: Option<((usize, u64), f64)>,
    /// The cursor the active bits are for.
    at: Timestamp,
    kinds: Vec<KindTimes>,
}

impl ReplayAnomalies {
    /// Follows the cursor `at` (`None`: replay is off, the index is dropped). Returns true when
    /// anomalies changed but the rebuild waits for a later call (ask for a frame then).
    pub fn update(&mut self, engine: &Engine, at: Option<Timestamp>, now: f64) -> bool {
        let Some(at) = at else {
            *self = ReplayAnomalies::default();
            return false;
        };
        let a = &engine.anomalies;
        let key = (a.all().len(), a.generation);
        match self.built {
            Some((k, _)) if k == key => {}
            Some((_, t)) if now - t < REFRESH => {
                self.move_to(at);
                return true;
            }
            _ => {
                self.build(engine, at);
                self.built = Some((key, now));
                return false;
            }
        }
        self.move_to(at);
        false
    }

    fn build(&mut self, engine: &Engine, at: Timestamp) {
        let all = engine.anomalies.all();
        let mut kinds: Vec<KindTimes> = (0..KIND_COUNT).map(|_| KindTimes::default()).collect();
        for (id, a) in all.iter().enumerate() {
            kinds[a.kind as usize].order.push(id as AnomalyId);
        }
        for k in &mut kinds {
            // Raised in id order, and nearly in time order too: the sort is close to linear.
            k.order.sort_by_key(|&id| all[id as usize].raised_at);
            k.raised = k
                .order
                .iter()
                .map(|&id| all[id as usize].raised_at)
                .collect();
            k.withdrawn = (k.order.iter().enumerate())
                .filter_map(|(pos, &id)| Some((all[id as usize].withdrawn_at?, pos as u32)))
                .collect();
            k.withdrawn.sort_unstable();
            let bits: Vec<bool> = (k.order.iter())
                .map(|&id| all[id as usize].active_at(Some(at)))
                .collect();
            k.active = Fenwick::from_bits(&bits);
        }
        self.kinds = kinds;
        self.at = at;
    }

    fn move_to(&mut self, at: Timestamp) {
        if at != self.at {
            for k in &mut self.kinds {
                k.shift(self.at, at);
            }
            self.at = at;
        }
    }

    /// Anomalies of `kind` active at the cursor.
    pub fn count(&self, kind: AnomalyKind) -> usize {
        self.kinds
            .get(kind as usize)
            .map_or(0, |k| k.active.total())
    }

    pub fn count_severity(&self, sev: Severity) -> usize {
        (REGISTRY.iter())
            .filter(|k| k.severity == sev)
            .map(|k| self.count(k.kind))
            .sum()
    }

    pub fn total(&self) -> usize {
        REGISTRY.iter().map(|k| self.count(k.kind)).sum()
    }

    /// The `i`-th newest (by raise time) anomaly of `kind` active at the cursor.
    pub fn nth_newest(&self, kind: AnomalyKind, i: usize) -> Option<AnomalyId> {
        let k = self.kinds.get(kind as usize)?;
        let n = k.active.total();
        let pos = k.active.nth(n.checked_sub(i + 1)?)?;
        k.order.get(pos).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;

    #[test]
    fn fenwick_ranks() {
        let f = Fenwick::from_bits(&[true, false, true, true, false, true]);
        assert_eq!(f.total(), 4);
        let found: Vec<_> = (0..5).map(|k| f.nth(k)).collect();
        assert_eq!(found, [Some(0), Some(2), Some(3), Some(5), None]);
    }

    /// Counts and lists as of every cursor agree with filtering every anomaly by its times,
    /// whichever way the cursor moves.
    #[test]
    fn active_at_the_cursor_matches_a_full_scan() {
        let mut e = Engine::new(Config::default());
        let mut rng = fastrand::Rng::with_seed(7);
        for i in 0..300 {
            e.anomalies.clock = Some(rng.i64(0..100));
            let kind = if i % 3 == 0 {
                AnomalyKind::Stuck
            } else {
                AnomalyKind::Duplicate
            };
            let id = e.anomalies.raise(kind, None, vec![], format!("a{i}"), None);
            if rng.bool() {
                e.anomalies.clock = Some(rng.i64(0..120));
                e.anomalies.withdraw(id);
            }
        }
        let mut r = ReplayAnomalies::default();
        let mut now = 0.0;
        for at in [50, 0, 99, 30, 31, 200, -5, 64] {
            now += 1.0;
            assert!(!r.update(&e, Some(at), now));
            for kind in [AnomalyKind::Stuck, AnomalyKind::Duplicate] {
                let mut want: Vec<(Timestamp, AnomalyId)> = (e.anomalies.all().iter())
                    .enumerate()
                    .filter(|(_, a)| a.kind == kind && a.active_at(Some(at)))
                    .map(|(id, a)| (a.raised_at, id as AnomalyId))
                    .collect();
                want.sort();
                want.reverse();
                let got: Vec<AnomalyId> = (0..r.count(kind))
                    .map(|i| r.nth_newest(kind, i).unwrap())
                    .collect();
                let want: Vec<AnomalyId> = want.into_iter().map(|x| x.1).collect();
                assert_eq!(got, want, "at {at}");
            }
        }
        assert!(!r.update(&e, None, now));
        assert_eq!(r.total(), 0);
    }
}
