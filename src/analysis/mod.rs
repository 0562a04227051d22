//! Stitching, flows and anomaly detection, fed incrementally: [`Engine::push`] takes one event at a
//! time and updates flows and anomalies; nothing is recomputed over all events.

pub mod anomaly;
pub mod budget;
pub mod detectors;
pub mod flows;
mod status;
#[cfg(test)]
pub(crate) mod testkit;
pub mod truth;
pub mod union_find;
pub mod variants;

use crate::model::{
    DecodedEvent, PackedEvent, PackedEvents, PayloadDecoder, Problem, Profile, Timestamp,
};
use crate::store::{EventIdx, EventStore};
pub use anomaly::{Anomalies, Anomaly, AnomalyId, AnomalyKind, KindInfo, REGISTRY, Severity};
use detectors::{Ctx, Detector, Detectors, InputProblem, flags};
pub use flows::{Edge, Flow, FlowId, Flows};
use regex::Regex;
pub use status::FlowStatus;
use std::sync::Arc;

/// Analysis settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Minimum time without a follow-up before an event is `stuck` (ns). Default 30 s.
    pub stuck_after: i64,
    /// Grow the stuck timeout with each type's latency (`max(stuck_after, 3 x p99)`); off, the
    /// timeout is `stuck_after` exactly (the demo, whose latencies are known, turns it off).
    pub adaptive_timeout: bool,
    /// Types declared to always have follow-ups (`--expect`).
    pub expect: Vec<String>,
    /// Topics whose events are dead letters.
    pub dead_letter_topics: Regex,
    /// Keep payloads and headers in the store (for the inspector).
    pub keep_details: bool,
    /// Keep flow variants (`analysis::variants`; `check --no-unusual` turns them off with
    /// `unusual`).
    pub variants: bool,
    /// Flag `unusual_flow` (needs `variants`).
    pub unusual: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            stuck_after: 30_000_000_000,
            adaptive_timeout: true,
            expect: Vec::new(),
            dead_letter_topics: Regex::new(detectors::dead_letter::DEFAULT_TOPIC_PATTERN)
                .expect("valid pattern"),
            keep_details: true,
            variants: true,
            unusual: true,
        }
    }
}

/// Counts kept while loading.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub events: u64,
    /// Input lines that could not be decoded (in full or in part).
    pub undecodable: u64,
    /// Latest event time seen.
    pub max_time: Option<Timestamp>,
    /// Events per profile that supplied the correlation id.
    pub correlation_profiles: Vec<(Profile, u64)>,
    /// Events per payload decoder (indexed by `PayloadDecoder as usize`).
    pub payload_decoders: [u64; PayloadDecoder::ALL.len()],
}

/// The store plus everything derived from it.
pub struct Engine {
    pub config: Config,
    pub store: EventStore,
    pub flows: Flows,
    pub variants: variants::Variants,
    pub anomalies: Anomalies,
    pub stats: Stats,
    flags: Vec<u8>,
    pub(crate) detectors: Detectors,
}

impl Engine {
    pub fn new(config: Config) -> Self {
        Engine {
            store: EventStore::new(config.keep_details),
            config,
            flows: Flows::default(),
            variants: variants::Variants::default(),
            anomalies: Anomalies::default(),
            stats: Stats::default(),
            flags: Vec::new(),
            detectors: Detectors::default(),
        }
    }

    /// Runs `f` on every registered detector with the one shared context. `dead_letter_header`
    /// is the evidence of the event being classified, if any.
    fn run_detectors(
        &mut self,
        dead_letter_header: Option<&str>,
        mut f: impl FnMut(&mut dyn Detector, &mut Ctx),
    ) {
        let mut cx = Ctx {
            store: &self.store,
            anomalies: &mut self.anomalies,
            config: &self.config,
            flags: &self.flags,
            dead_letter_header,
        };
        self.detectors.for_each(|d| f(d, &mut cx));
    }

    /// Makes room for about `events` more events.
    pub fn reserve(&mut self, events: usize) {
        self.store.reserve(events);
        self.flags.reserve(events);
        self.flows.reserve(events);
        if self.config.variants {
            self.variants.reserve(events);
        }
        // Up to one ordering key per event (e.g. each entity's single event). Room that is never
        // used is address space the process never touches; too little costs a copy of every key
        // state at the doubling, and the freed copy stays resident for a while.
        self.detectors.sequence.reserve(events);
    }

    /// Appends one event and updates flows and anomalies.
    pub fn push(&mut self, ev: DecodedEvent, origin: u16) -> EventIdx {
        let (one, p) = PackedEvents::single(ev, self.config.keep_details);
        self.push_packed(&one, p, origin)
    }

    /// Appends one packed event of `batch` and updates flows and anomalies.
    pub fn push_packed(&mut self, batch: &PackedEvents, p: PackedEvent, origin: u16) -> EventIdx {
        let profile = p.facts.provenance.correlation;
        match self
            .stats
            .correlation_profiles
            .iter_mut()
            .find(|(q, _)| *q == profile)
        {
            Some((_, n)) => *n += 1,
            None => self.stats.correlation_profiles.push((profile, 1)),
        }
        self.stats.payload_decoders[p.facts.provenance.payload as usize] += 1;
        let (idx, dlq_header) = self.store.append_packed(batch, p, origin);
        self.stats.events += 1;
        let r = self.store.get(idx);
        if let Some(t) = r.effective_time() {
            self.stats.max_time = Some(self.stats.max_time.map_or(t, |m| m.max(t)));
        }
        self.anomalies.clock = self.stats.max_time;
        let mut f = if self.store.first_with_id(r.id) == Some(idx) {
            flags::FIRST_OF_ID
        } else {
            0
        };
        self.flags.push(f);
        self.run_detectors(dlq_header.as_deref(), |d, cx| f |= d.classify(cx, idx, f));
        // A dead-letter copy that arrived before its original stands in for it only until the
        // original arrives: from then on causation links resolve to the original.
        if f & (flags::FIRST_OF_ID | flags::EXACT_DUPLICATE | flags::DEAD_LETTER) == 0
            && let Some(first) = self.store.first_with_id(self.store.get(idx).id)
            && self.flags[first as usize] & flags::DEAD_LETTER != 0
        {
            let id = self.store.get(idx).id;
            self.store.set_canonical(id, idx);
            self.flags[first as usize] &= !flags::FIRST_OF_ID;
            f |= flags::FIRST_OF_ID;
        }
        self.flags[idx as usize] = f;
        let repeat = f & (flags::EXACT_DUPLICATE | flags::DEAD_LETTER) != 0;
        self.flows.on_event(&self.store, idx, repeat);
        if self.config.variants {
            let canonical = f & flags::FIRST_OF_ID != 0;
            self.variants
                .on_event(&self.store, &mut self.flows, idx, canonical);
        } else if self.flows.has_moves() {
            self.flows.take_moves();
        }
        self.run_detectors(None, |d, cx| d.on_event(cx, idx));
        idx
    }

    /// Records input that could not be decoded. `event` is the event kept from that line, if any.
    pub fn report_problem(&mut self, origin: &str, problem: &Problem, event: Option<EventIdx>) {
        self.stats.undecodable += 1;
        // Line 0: a record of a live source, located by its topic/partition@offset.
        let location = match (problem.line, event) {
            (0, Some(e)) => self.store.location_label(e),
            (0, None) => origin.to_string(),
            (line, _) => format!("{origin}:{line}"),
        };
        let input = InputProblem {
            problem,
            location,
            event,
        };
        self.run_detectors(None, |d, cx| d.on_problem(cx, &input));
    }

    /// Adds a decoded batch from `origin` (events first, then the problems of its lines).
    pub fn ingest(&mut self, origin: &Arc<str>, mut events: PackedEvents, problems: &[Problem]) {
        let o = self.store.origin_index(origin);
        if let Some(lines) = events.lines.take() {
            self.store.set_line_source(o, lines);
        }
        // Lines whose event was kept despite a problem: the problem is attached to that event.
        let mut kept: rustc_hash::FxHashMap<u64, Option<EventIdx>> = problems
            .iter()
            .filter(|p| p.event_kept)
            .map(|p| (p.line, None))
            .collect();
        let packed = std::mem::take(&mut events.events);
        // Nearly every event brings a new id, whose interner slot is a cache miss: ask for the
        // slots of the strings a few events ahead while this one is processed.
        const AHEAD: usize = 8;
        let ahead: Vec<[u64; 3]> = packed
            .iter()
            .map(|p| {
                let h = |s: Option<crate::model::Str>| s.map_or(p.id.hash, |s| s.hash);
                [p.id.hash, h(p.correlation), h(p.causation)]
            })
            .collect();
        for (i, p) in packed.into_iter().enumerate() {
            if let Some(hashes) = ahead.get(i + AHEAD) {
                for &h in hashes {
                    self.store.strings.prefetch(h);
                }
            }
            let line = p.facts.line;
            let idx = self.push_packed(&events, p, o);
            if let Some(slot) = kept.get_mut(&line) {
                *slot = Some(idx);
            }
        }
        for p in problems {
            let event = if p.event_kept {
                kept.get(&p.line).copied().flatten()
            } else {
                None
            };
            self.report_problem(origin, p, event);
        }
    }

    /// Live sources: judges time-dependent anomalies against the wall clock `now`.
    pub fn tick(&mut self, now: Timestamp) {
        self.anomalies.clock = Some(now);
        self.run_detectors(None, |d, cx| d.on_tick(cx, now));
        self.judge_variants(now, false);
    }

    /// End of input: judges what is still open. `now` defaults to the latest event time.
    pub fn finish(&mut self, now: Option<Timestamp>) {
        let now = now.or(self.stats.max_time).unwrap_or(0);
        self.anomalies.clock = Some(now);
        self.run_detectors(None, |d, cx| d.on_finish(cx, now));
        self.judge_variants(now, true);
    }

    /// Judges whether flows are complete now, numbers the variants and judges `unusual_flow`
    /// (status depends on time and on what other detectors learned, so it is judged here, at
    /// ticks and at the end, not per event). Only flows quiet for `stuck_after` before `now`
    /// count as complete (a flow still growing passes through shapes that are rare only for a
    /// moment, and a trace cut off mid-flow ends in some); at a live tick the flows that changed
    /// are judged (those not yet quiet again at a later tick), at the end (`all`) every flow.
    fn judge_variants(&mut self, now: Timestamp, all: bool) {
        if !self.config.variants {
            return;
        }
        let mut judged = Vec::new();
        // At the end every flow is judged: one pass over the store for all their statuses.
        let statuses = all.then(|| self.statuses());
        for f in self.variants.to_judge(&self.flows, all) {
            let flow = self.flows.get(f);
            if flow.events.is_empty() {
                continue;
            }
            let settled = flow
                .last()
                .is_none_or(|t| now.saturating_sub(t) >= self.config.stuck_after);
            if settled {
                let status = statuses
                    .as_ref()
                    .map_or_else(|| self.status(f), |s| s[f as usize]);
                judged.push((f, status == FlowStatus::Complete));
            } else if all {
                judged.push((f, false));
            } else {
                self.variants.requeue(f);
            }
        }
        self.variants.set_complete(&judged);
        self.variants.rank(&self.store);
        if self.config.unusual {
            self.detectors
                .unusual
                .judge(&self.store, &self.variants, &mut self.anomalies);
        }
    }

    /// The correlation id to report for an event: its own, else its flow's when that is one.
    pub fn correlation_of(&self, e: EventIdx) -> Option<&str> {
        let r = self.store.get(e);
        if let Some(c) = r.correlation {
            return Some(self.store.str(c));
        }
        let f = self.flows.get(self.flows.flow_of(e));
        f.correlated.then(|| self.store.str(f.key))
    }

    /// Whether event `e` had happened by `at` (`None`: now; events without a time always count).
    pub fn happened_by(&self, e: EventIdx, at: Option<Timestamp>) -> bool {
        at.is_none_or(|t| self.store.get(e).effective_time().is_none_or(|x| x <= t))
    }

    /// Anomalies on the events of a flow that were active at `at` (`None`: now).
    pub fn flow_anomalies_at(
        &self,
        flow: FlowId,
        at: Option<Timestamp>,
    ) -> impl Iterator<Item = &Anomaly> {
        self.flows
            .get(flow)
            .events
            .iter()
            .filter(move |&&e| self.happened_by(e, at))
            .flat_map(move |&e| self.anomalies.on_event_at(e, at))
    }

    /// Active anomalies on the events of a flow.
    pub fn flow_anomalies(&self, flow: FlowId) -> impl Iterator<Item = &Anomaly> {
        self.flow_anomalies_at(flow, None)
    }
}
