//! Demo mode: a simulated e-commerce system on an in-process mini-bus ([`bus`]), with fault
//! injection and ground truth ([`shop`]). Its records go through the same record decoder as Kafka
//! records, so the analysis cannot tell the demo from a cluster.
//!
//! Live ([`spawn`]) the virtual clock follows the wall clock and batches go through the ingest
//! channel; headless ([`run_headless`]) the clock runs as fast as the CPU allows, from a fixed
//! start time, so a seed reproduces a run exactly.

pub mod avro;
pub mod bus;
pub mod shop;

use super::{Batch, SourceMessage, Waker};
pub use crate::analysis::truth::Fault;
use crate::analysis::truth::{self, Expected};
use crate::analysis::{Config, Engine};
use crate::decode::{ProfileConfig, record};
use crate::model::{DecodedEvent, PackedEvents, TsType, now_ns};
use bus::{Appended, Bus, MS, Ns, SEC};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use shop::{Shop, TOPICS, Tick};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// The faults the demo can inject, in the order of its rate array (and of the rates the GUI
/// saves). It cannot inject `gen`'s orphan, cycle and gap faults (its services never name a
/// missing or circular cause, nor skip a sequence number); `gen` cannot inject slow and stall
/// (its traces have no consumers).
pub const FAULTS: [Fault; 8] = [
    Fault::Dup,
    Fault::Reorder,
    Fault::Drop,
    Fault::Slow,
    Fault::Stall,
    Fault::Poison,
    Fault::Skew,
    Fault::Conflict,
];

/// Fault rates in [0, 1], indexed like [`FAULTS`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults(pub [f64; 8]);

impl Faults {
    /// The rate of `f` (0 for a fault the demo cannot inject).
    pub fn rate(&self, f: Fault) -> f64 {
        truth::rate_of(&FAULTS, &self.0, f)
    }
    /// Sets the rate of `f`; a fault the demo cannot inject is left out.
    pub fn set(&mut self, f: Fault, rate: f64) {
        if let Some(i) = FAULTS.iter().position(|&g| g == f) {
            self.0[i] = rate.clamp(0.0, 1.0);
        }
    }
    /// What the GUI starts with: anomalies of every kind within seconds, most flows healthy.
    pub fn modest() -> Faults {
        "dup=0.005,reorder=0.01,drop=0.005,slow=0.003,stall=0.01,poison=0.003,skew=0.005,conflict=0.003"
            .parse()
            .expect("valid")
    }
}

impl FromStr for Faults {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        truth::parse_faults(s, &FAULTS).map(Faults)
    }
}

/// One injected fault (the ground truth the GUI lists).
#[derive(Clone, Debug)]
pub struct Injected {
    pub at: Ns,
    pub fault: Fault,
    pub event_id: Option<Box<str>>,
    pub what: String,
}

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub seed: u64,
    /// New orders (flows) per second.
    pub rate: f64,
    pub faults: Faults,
    /// The stuck timeout of the analysis the demo is meant for.
    pub stuck_after: Ns,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 1,
            rate: 20.0,
            faults: Faults::default(),
            stuck_after: 5 * SEC,
        }
    }
}

/// The analysis settings that suit the demo system: its timeout, fixed (its normal latencies are
/// known to stay far below it), and the types that always have a follow-up declared (as a user
/// who knows their system would with `--expect`).
pub fn analysis_config(opts: &DemoOptions) -> Config {
    Config {
        stuck_after: opts.stuck_after,
        adaptive_timeout: false,
        expect: shop::expected_follow_ups(),
        ..Config::default()
    }
}

/// The bus and the system on it, plus the record decoder.
pub struct Demo {
    pub bus: Bus<Tick>,
    pub shop: Shop,
    profiles: ProfileConfig,
}

impl Demo {
    pub fn new(opts: &DemoOptions, start: Ns, keep_truth: bool) -> Demo {
        let mut bus = Shop::new_bus(start);
        // Longer than a stall (2x the stuck timeout), so a duplicate held back by one is known.
        bus.inbox_for = 2 * opts.stuck_after + 10 * SEC;
        let mut demo = Demo {
            bus,
            shop: Shop::new(
                opts.seed,
                opts.rate,
                opts.faults,
                opts.stuck_after,
                keep_truth,
            ),
            profiles: ProfileConfig::default(),
        };
        demo.shop.start(&mut demo.bus);
        demo
    }

    pub fn advance_to(&mut self, t: Ns) {
        self.bus.advance_to(t, &mut self.shop);
    }

    /// Decodes an appended record exactly as a Kafka record (observed at its append time).
    pub fn decode(&self, rec: &Appended, keep_payload: bool) -> DecodedEvent {
        let raw = record::RawRecord {
            topic: Some(TOPICS[rec.topic as usize].name),
            partition: Some(rec.partition as i32),
            offset: Some(rec.offset),
            key: Some(rec.msg.key.as_bytes()),
            broker_ts: Some(rec.broker_ts),
            ts_type: TsType::LogAppend,
            headers: rec.msg.headers.clone(),
            value: Some(rec.msg.value.as_bytes()),
            observed_at: Some(rec.broker_ts),
        };
        match record::decode(raw, &self.profiles, keep_payload) {
            Ok((ev, _)) => ev,
            // Every demo record has a ce_id; this cannot happen.
            Err(e) => unreachable!("demo record without an id: {e}"),
        }
    }

    /// Takes the records appended since the last call, decoded.
    pub fn take_events(&mut self, keep_payload: bool) -> Vec<DecodedEvent> {
        let out = std::mem::take(&mut self.bus.out);
        out.iter().map(|r| self.decode(r, keep_payload)).collect()
    }
}

/// What a headless run produced.
pub struct HeadlessReport {
    pub engine: Engine,
    pub injected: Vec<Injected>,
    /// What the analysis must flag (sorted, unique).
    pub truth: Vec<Expected>,
    /// Every anomaly the analysis raised while the demo ran, withdrawn ones included (a stuck
    /// event that got its follow-up late was still flagged when it happened).
    pub raised: Vec<Expected>,
    pub flows_started: u64,
    /// Virtual start and end.
    pub start: Ns,
    pub end: Ns,
}

/// Where headless runs start: 2026-01-01T00:00:00Z.
pub const HEADLESS_START: Ns = 1_767_225_600 * SEC;
/// Detector tick period in headless runs (the live app ticks about as often).
pub const TICK: Ns = 100 * MS;

/// Runs the demo for `duration` of virtual time, as fast as possible, through the live analysis
/// (ticked every [`TICK`]); `sink` sees every event in arrival order. New faults stop one stuck
/// timeout (plus 2 s) before the end and the run continues until every flow has settled, so every
/// injected fault can be judged.
pub fn run_headless(
    opts: &DemoOptions,
    duration: Ns,
    keep_payload: bool,
    mut sink: impl FnMut(&DecodedEvent),
) -> HeadlessReport {
    let start = HEADLESS_START;
    let mut demo = Demo::new(opts, start, true);
    demo.shop.flows_until = start + duration;
    let quiet = opts.stuck_after + 2 * SEC;
    demo.shop.faults_until = if duration > 2 * quiet {
        start + duration - quiet
    } else {
        start + duration / 2
    };
    let mut config = analysis_config(opts);
    config.keep_details = keep_payload;
    let mut engine = Engine::new(config);
    let origin: Arc<str> = "demo".into();
    let o = engine.store.origin_index(&origin);
    let mut t = start;
    let mut settled_at = None;
    loop {
        t += TICK;
        demo.advance_to(t);
        for ev in demo.take_events(keep_payload) {
            sink(&ev);
            engine.push(ev, o);
        }
        engine.tick(t);
        if t >= start + duration && demo.bus.next_due().is_none_or(|d| d > t + 60 * SEC) {
            let s = *settled_at.get_or_insert(t);
            if t - s > quiet {
                break;
            }
        }
    }
    demo.shop.judge_remaining(t);
    let mut truth = demo.shop.truth.take().unwrap_or_default();
    truth.sort();
    truth.dedup();
    let mut raised: Vec<Expected> = engine
        .anomalies
        .all()
        .iter()
        .filter_map(|a| {
            a.event.map(|e| Expected {
                kind: a.kind,
                event_id: engine.store.id_str(e).to_string(),
            })
        })
        .collect();
    raised.sort();
    raised.dedup();
    HeadlessReport {
        engine,
        injected: std::mem::take(&mut demo.shop.injected),
        truth,
        raised,
        flows_started: demo.shop.flows_started,
        start,
        end: t,
    }
}

/// Commands for a live demo.
#[derive(Clone, Debug)]
pub enum DemoControl {
    Start,
    Stop,
    SetRate(f64),
    SetFaults(Faults),
    Shutdown,
}

/// What a live demo shows about itself (shared with the UI).
#[derive(Clone, Debug, Default)]
pub struct DemoStatus {
    pub running: bool,
    pub rate: f64,
    pub faults: Faults,
    pub flows_started: u64,
    pub bus: bus::BusStats,
    /// Injected faults by kind, indexed by `Fault as usize`, and the latest few.
    pub injected_by_fault: [u64; Fault::COUNT],
    pub recent: Vec<Injected>,
    /// Groups currently stalled, by name.
    pub stalled: Vec<&'static str>,
}

/// A running live demo.
pub struct DemoHandle {
    pub control: Sender<DemoControl>,
    pub status: Arc<Mutex<DemoStatus>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for DemoHandle {
    fn drop(&mut self) {
        let _ = self.control.send(DemoControl::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the demo on its own thread, paced by the wall clock; its events go to `tx` as batches
/// from origin "demo" about every 20 ms, and `waker` is called after each.
pub fn spawn(
    opts: DemoOptions,
    keep_payload: bool,
    tx: Sender<SourceMessage>,
    waker: Waker,
) -> DemoHandle {
    let (control, rx) = crossbeam_channel::unbounded();
    let status = Arc::new(Mutex::new(DemoStatus::default()));
    let shared = status.clone();
    let thread = std::thread::Builder::new()
        .name("demo".into())
        .spawn(move || live_loop(opts, keep_payload, tx, waker, rx, shared))
        .expect("spawn demo thread");
    DemoHandle {
        control,
        status,
        thread: Some(thread),
    }
}

fn live_loop(
    opts: DemoOptions,
    keep_payload: bool,
    tx: Sender<SourceMessage>,
    waker: Waker,
    rx: Receiver<DemoControl>,
    status: Arc<Mutex<DemoStatus>>,
) {
    let origin: Arc<str> = "demo".into();
    let mut demo = Demo::new(&opts, now_ns(), false);
    let mut by_fault = [0u64; Fault::COUNT];
    let mut seen_injected = 0;
    loop {
        loop {
            match rx.try_recv() {
                Ok(DemoControl::Start) => demo.shop.start(&mut demo.bus),
                Ok(DemoControl::Stop) => demo.shop.stop(),
                Ok(DemoControl::SetRate(r)) => demo.shop.rate = r.clamp(0.01, 10_000.0),
                Ok(DemoControl::SetFaults(f)) => demo.shop.faults = f,
                Ok(DemoControl::Shutdown) | Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => break,
            }
        }
        demo.advance_to(now_ns());
        let records = std::mem::take(&mut demo.bus.out);
        if !records.is_empty() {
            let mut events = PackedEvents::with_capacity(records.len());
            for r in &records {
                events.push(demo.decode(r, keep_payload), keep_payload);
            }
            let batch = Batch {
                origin: origin.clone(),
                events,
                problems: Vec::new(),
                bytes_read: 0,
            };
            if tx.send(SourceMessage::Batch(batch)).is_err() {
                return;
            }
            waker();
        }
        {
            let injected = &demo.shop.injected;
            for i in &injected[seen_injected..] {
                by_fault[i.fault as usize] += 1;
            }
            seen_injected = injected.len();
            let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
            s.running = demo.shop.running();
            s.rate = demo.shop.rate;
            s.faults = demo.shop.faults;
            s.flows_started = demo.shop.flows_started;
            s.bus = demo.bus.stats.clone();
            s.injected_by_fault = by_fault;
            s.recent = injected[injected.len().saturating_sub(20)..].to_vec();
            let now = demo.bus.now;
            s.stalled = shop::GROUPS
                .iter()
                .enumerate()
                .filter(|(g, _)| demo.bus.stalled_until(*g as u8) > now)
                .map(|(_, g)| g.name)
                .collect();
        }
        // The injected list only feeds the counters above: keep it short in long sessions.
        if demo.shop.injected.len() > 10_000 {
            demo.shop.injected.drain(..5_000);
            seen_injected = demo.shop.injected.len();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests;
