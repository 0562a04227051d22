//! The real app driven headless by egui_kittest (no rendering):
//! 1. CPU time per frame with 1,000,000 events in 200,000 flows loaded, a 500-event flow selected
//!    (flows table, timeline, flow graph, inspector and anomalies all on screen). Target <= 8 ms.
//! 2. Frames per second while the demo ingests about 50,000 events/s. Target >= 30.

use criterion::Criterion;
use egui_kittest::Harness;
use eventscope::analysis::Config;
use eventscope::app::{EventscopeApp, Launch};
use eventscope::ingest::demo::DemoOptions;
use eventscope::model::DecodedEvent;
use eventscope::session::Session;
use eventscope::ui::Command;
use std::time::{Duration, Instant};

/// `cargo test --all-targets` runs this without --bench: a small smoke run then.
fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn flows() -> usize {
    if smoke() { 2_000 } else { 200_000 }
}
const PER_FLOW: usize = 5;
const BIG_FLOW: usize = 500;

fn loaded_session() -> Session {
    let mut s = Session::new(Config::default());
    let e = &mut s.engine;
    e.reserve(flows() * PER_FLOW);
    let base = 1_767_225_600_000_000_000i64;
    let types = [
        "OrderPlaced",
        "PaymentProcessed",
        "InventoryReserved",
        "OrderConfirmed",
        "EmailSent",
    ];
    let services = ["orders", "payments", "inventory", "orders", "notifications"];
    let mut n = 0usize;
    for f in 0..flows() {
        let size = if f == flows() / 2 { BIG_FLOW } else { PER_FLOW };
        let t0 = base + f as i64 * 5_000_000;
        for k in 0..size {
            let ty = k % 5;
            e.push(
                DecodedEvent {
                    id: format!("e{f}-{k}").into(),
                    event_type: types[ty].into(),
                    source: Some(services[ty].into()),
                    correlation_id: Some(format!("flow-{f:06}").into()),
                    // A chain in small flows, a binary tree in the big one (500 nodes drawn).
                    causation_id: (k > 0).then(|| {
                        format!(
                            "e{f}-{}",
                            if size == BIG_FLOW { (k - 1) / 2 } else { k - 1 }
                        )
                        .into()
                    }),
                    time: Some(t0 + k as i64 * 1_000_000),
                    topic: Some(services[ty].into()),
                    partition: Some((f % 3) as i32),
                    offset: Some(n as i64),
                    data_hash: n as u64,
                    ..Default::default()
                },
                0,
            );
            n += 1;
            if n >= flows() * PER_FLOW {
                break;
            }
        }
    }
    e.finish(None);
    s
}

fn frame_time(c: &mut Criterion) {
    let t = Instant::now();
    let session = loaded_session();
    eprintln!(
        "loaded {} events in {} flows in {:.1} s",
        session.engine.stats.events,
        session.engine.flows.len(),
        t.elapsed().as_secs_f64()
    );
    let big = session
        .engine
        .flows
        .flow_of((flows() / 2 * PER_FLOW) as u32);
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |cc| EventscopeApp::with_session(cc, session));
    h.state_mut().commands.push(Command::SelectFlow(big));
    h.run_steps(10);
    assert_eq!(
        h.state().view.graph.counts(),
        (BIG_FLOW, BIG_FLOW - 1),
        "graph drawn"
    );
    c.bench_function("gui_frame_1M_events_200k_flows", |b| b.iter(|| h.step()));
}

fn frames_while_ingesting() {
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(|cc| {
            EventscopeApp::new(
                cc,
                Launch::Demo(DemoOptions {
                    rate: 8_000.0,
                    ..Default::default()
                }),
            )
        });
    h.run_steps(30);
    let (e0, t0) = (h.state().session.engine.stats.events, Instant::now());
    let mut frames = 0u64;
    while t0.elapsed() < Duration::from_secs(if smoke() { 1 } else { 8 }) {
        h.step();
        frames += 1;
    }
    let dt = t0.elapsed().as_secs_f64();
    let events = h.state().session.engine.stats.events - e0;
    println!(
        "gui_while_ingesting: {:.0} frames/s while ingesting {:.0} events/s (demo at 8,000 orders/s)",
        frames as f64 / dt,
        events as f64 / dt
    );
}

fn main() {
    let mut c = Criterion::default().sample_size(30).configure_from_args();
    frame_time(&mut c);
    frames_while_ingesting();
    c.final_summary();
}
