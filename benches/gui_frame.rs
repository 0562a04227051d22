//! The real app driven headless by egui_kittest (no rendering):
//! 1. CPU time per frame with 1,000,000 events in 200,000 flows loaded, a 500-event flow selected
//!    (flows table, timeline, flow graph, inspector and anomalies all on screen). Target <= 8 ms.
//! 2. The first frame after selecting a 20,000-event causation chain and a 5,000-event fan-out
//!    (in the same 1M-event session; the frame that builds the flow's tree and summarised graph
//!    and draws it), on the flow graph and the waterfall tab. Target <= 100 ms. Then the frame
//!    time with each of them on screen (criterion).
//! 3. Frames per second while the demo ingests about 50,000 events/s. Target >= 30.

use criterion::Criterion;
use egui_kittest::Harness;
use eventscope::analysis::Config;
use eventscope::app::{EventscopeApp, Launch};
use eventscope::ingest::demo::DemoOptions;
use eventscope::model::DecodedEvent;
use eventscope::session::Session;
use eventscope::ui::{CenterTab, Command};
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
const CHAIN: usize = 20_000;
const FAN_OUT: usize = 5_000;

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
    big_flows(e, base);
    e.finish(None);
    s
}

/// A 20,000-event causation chain and a 5,000-event fan-out (types cycling through five).
fn big_flows(e: &mut eventscope::analysis::Engine, base: i64) {
    for (flow, n) in [("chain", CHAIN), ("fan", FAN_OUT + 1)] {
        for k in 0..n {
            let cause = match (flow, k) {
                (_, 0) => None,
                ("chain", _) => Some(format!("{flow}-{}", k - 1)),
                _ => Some(format!("{flow}-0")),
            };
            e.push(
                DecodedEvent {
                    id: format!("{flow}-{k}").into(),
                    event_type: ["A", "B", "C", "D", "E"][k % 5].into(),
                    source: Some(["s1", "s2", "s3"][k % 3].into()),
                    correlation_id: Some(flow.into()),
                    causation_id: cause.map(Into::into),
                    time: Some(base + k as i64 * 1_000_000),
                    ..Default::default()
                },
                0,
            );
        }
    }
}

/// This thread's CPU time in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// Selects the flow keyed `key` on `tab` and times the frame that builds and draws it; returns
/// the number of nodes drawn.
fn first_frame(h: &mut Harness<'static, EventscopeApp>, key: &str, tab: CenterTab) -> usize {
    let e = &h.state().session.engine;
    let f = (0..e.flows.len() as u32)
        .find(|&f| e.store.str(e.flows.get(f).key) == key)
        .expect("flow");
    h.state_mut().view.center = tab;
    h.state_mut().commands.push(Command::SelectFlow(f));
    let (w, c) = (Instant::now(), thread_cpu());
    h.step();
    let (wall, cpu) = (w.elapsed().as_secs_f64(), thread_cpu() - c);
    let v = &h.state().view;
    assert_eq!(v.graph.flow(), Some(f), "built in that frame");
    println!(
        "gui_first_frame {key} ({} events) on {tab:?}: {:.1} ms wall, {:.1} ms CPU (target <= 100 ms), {} nodes, {} waterfall rows",
        v.graph.data.events,
        wall * 1e3,
        cpu * 1e3,
        v.graph.data.nodes.len(),
        v.graph.waterfall.rows.len()
    );
    v.graph.data.nodes.len()
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
    assert!(h.state().view.graph.counts().0 > 10, "graph drawn");
    c.bench_function("gui_frame_1M_events_200k_flows", |b| b.iter(|| h.step()));
    for (key, tab) in [
        ("chain", CenterTab::FlowGraph),
        ("fan", CenterTab::FlowGraph),
        ("chain", CenterTab::Waterfall),
        ("fan", CenterTab::Waterfall),
    ] {
        // Another flow first, so the selection builds from nothing.
        h.state_mut().commands.push(Command::SelectFlow(big));
        h.run_steps(3);
        assert!(first_frame(&mut h, key, tab) >= 5);
        h.run_steps(3);
        c.bench_function(&format!("gui_frame_1M_events_{key}_{tab:?}"), |b| {
            b.iter(|| h.step())
        });
    }
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
