//! Kafka in a session, two ways to the same engine under the same live tick and memory budget:
//! consumed on its own thread and drained like any source (the window), or consumed on the
//! caller's thread with each record shown to a [`Tap`] before the analysis gets it
//! (`eventscope record` writes it to the recording).

use super::{Session, SourceKind, SourceState};
use crate::analysis::Config;
use crate::analysis::budget::Budget;
use crate::ingest::Waker;
use crate::ingest::kafka::{self, Connection, Decoded, Delivered, KafkaOptions, KafkaStatus};
use crate::model::{DecodedEvent, Problem};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Sees a Kafka session's records on the consuming thread ([`Session::consume_kafka`]).
pub trait Tap {
    /// Each record, before the analysis gets it: as it came, as a recording line
    /// (`decode::recording`, no newline), and decoded. False stops after this one.
    fn record(&mut self, line: &str, event: &DecodedEvent) -> bool;
    /// After each delivery of records, maybe none: about every 50 ms and before any call that
    /// may block. False stops.
    fn delivered(&mut self) -> bool;
    /// A record that was kept without being fully decoded (a schema missing, say), and why.
    fn problem(&mut self, _reason: &str) {}
}

impl Session {
    /// A live session of one Kafka source, not consuming yet.
    pub fn for_kafka(opts: &KafkaOptions, max_memory: u64) -> Session {
        // Details are kept: an eviction rebuilds the engine from them (dead-letter headers).
        let mut s = Session::new(Config::default());
        s.budget = Budget::of_process(max_memory);
        s.sources
            .push(SourceState::new(opts.origin(), SourceKind::Kafka, 0));
        s
    }

    /// A session consuming Kafka live on its own thread ([`Session::drain`] takes the records).
    pub fn with_kafka(opts: KafkaOptions, max_memory: u64, waker: Waker) -> Session {
        let mut s = Session::for_kafka(&opts, max_memory);
        s.waker = Some(waker.clone());
        s.kafka = Some(kafka::spawn(opts, s.tx.clone(), Some(waker)));
        s
    }

    /// Whether the running Kafka source reaches its cluster; `None` without one (never
    /// connected to Kafka, or disconnected).
    pub fn kafka_connection(&self) -> Option<Connection> {
        let k = self.kafka.as_ref()?;
        let s = k.status.lock().unwrap_or_else(|e| e.into_inner());
        Some(s.connection())
    }

    /// Stops consuming Kafka; what arrived stays, as a finished (no longer live) session.
    pub fn disconnect(&mut self) {
        if self.kafka.take().is_some() {
            for s in &mut self.sources {
                if s.kind == SourceKind::Kafka {
                    s.finished = true;
                }
            }
            self.engine.finish(None);
        }
    }

    /// Consumes on this thread until `stop` is set or `tap` says stop: each record goes to the
    /// tap (as it came and decoded), then to the analysis, and the live tick and budget run after each delivery.
    pub fn consume_kafka(
        &mut self,
        opts: &KafkaOptions,
        stop: &AtomicBool,
        status: &Arc<Mutex<KafkaStatus>>,
        tap: &mut impl Tap,
    ) -> Result<(), String> {
        let origin = opts.origin();
        let opts = &KafkaOptions {
            record_lines: true,
            ..opts.clone()
        };
        kafka::consume(opts, stop, status, |records| {
            let more = self.feed(&origin, records, tap);
            // The tap's turn (e.g. to flush) comes before the tick, which may take a while.
            let go = tap.delivered();
            self.tick_live(Instant::now());
            more && go
        })
    }

    /// Analyses decoded records as a drained batch would be. False when the tap said stop.
    fn feed(&mut self, origin: &Arc<str>, records: Decoded, tap: &mut impl Tap) -> bool {
        let o = self.engine.store.origin_index(origin);
        let (mut fed, mut problems) = (0, Vec::new());
        let mut more = true;
        for Delivered {
            event: ev,
            problem,
            line,
        } in records
        {
            more = tap.record(line.as_deref().unwrap_or_default(), &ev);
            let idx = self.engine.push(ev, o);
            fed += 1;
            if let Some(reason) = problem {
                tap.problem(&reason);
                let p = Problem {
                    line: 0,
                    reason,
                    event_kept: true,
                };
                self.engine.report_problem(origin, &p, Some(idx));
                problems.push(p);
            }
            if !more {
                break;
            }
        }
        self.account(origin, fed, &problems, 0);
        more
    }
}
