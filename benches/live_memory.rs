//! A long live session within the memory budget: the demo system at about 20,000 events/s for an
//! hour of (simulated) time, through the live analysis with payloads kept (as the window does),
//! the budget enforced every 2 s. Prints peak estimated size, peak RSS and what was evicted.
//!
//! EVENTSCOPE_BENCH_SECONDS (default 3600) and EVENTSCOPE_BENCH_BUDGET (default 2GiB) change it.

use eventscope::analysis::Engine;
use eventscope::analysis::budget::Budget;
use eventscope::cli::kafka::parse_bytes;
use eventscope::ingest::demo::bus::SEC;
use eventscope::ingest::demo::{Demo, DemoOptions, Faults, HEADLESS_START, analysis_config};
use std::sync::Arc;
use std::time::Instant;

// The allocator of the eventscope binary (see src/main.rs), so RSS means the same here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_bytes() -> u64 {
    eventscope::analysis::budget::process_rss()
}

/// What one run measured.
#[derive(Default)]
struct Peaks {
    estimate: usize,
    rss: u64,
    events: u64,
}

fn main() {
    eventscope::setup_process_memory();
    // `cargo test --all-targets` runs this without --bench: a short smoke run then.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let seconds: i64 = std::env::var("EVENTSCOPE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if smoke { 5 } else { 3600 });
    let budget_bytes =
        parse_bytes(&std::env::var("EVENTSCOPE_BENCH_BUDGET").unwrap_or_else(|_| "2GiB".into()))
            .expect("budget");
    let opts = DemoOptions {
        rate: 2_700.0,
        faults: Faults::modest(),
        ..DemoOptions::default()
    };
    let mut engine = Engine::new(analysis_config(&opts));
    let mut budget = Budget::of_process(budget_bytes);
    let started = Instant::now();
    let peaks = run(&opts, seconds, &mut engine, &mut budget);
    report(
        &peaks,
        seconds,
        started.elapsed().as_secs_f64(),
        &engine,
        &budget,
        budget_bytes,
    );
}

/// The demo for `seconds` of simulated time into `engine`, ticked every second and kept within
/// `budget` every two (simulated time: the live session's wall-clock cadence would not apply).
fn run(opts: &DemoOptions, seconds: i64, engine: &mut Engine, budget: &mut Budget) -> Peaks {
    let mut demo = Demo::new(opts, HEADLESS_START, false);
    let o = engine.store.origin_index(&Arc::from("demo"));
    let mut peaks = Peaks::default();
    let mut t = HEADLESS_START;
    let end = HEADLESS_START + seconds * SEC;
    while t < end {
        t += SEC / 10;
        demo.advance_to(t);
        for ev in demo.take_events(true) {
            engine.push(ev, o);
            peaks.events += 1;
        }
        if (t - HEADLESS_START) % SEC == 0 {
            engine.tick(t);
        }
        if (t - HEADLESS_START) % (2 * SEC) == 0 {
            peaks.estimate = peaks.estimate.max(engine.approx_bytes());
            peaks.rss = peaks.rss.max(rss_bytes());
            let before = rss_bytes();
            if budget.enforce(engine) && std::env::var_os("EVENTSCOPE_BENCH_VERBOSE").is_some() {
                eprintln!(
                    "  compaction {}: RSS {:.0} -> {:.0} MiB, engine now {:.0} MiB (estimate), {} events",
                    budget.compactions,
                    before as f64 / 1048576.0,
                    rss_bytes() as f64 / 1048576.0,
                    engine.approx_bytes() as f64 / 1048576.0,
                    engine.store.len()
                );
            }
        }
        if (t - HEADLESS_START) % (600 * SEC) == 0 {
            eprintln!(
                "  {} min simulated: {} events, engine {:.0} MiB (estimate), RSS {:.0} MiB, {} compactions",
                (t - HEADLESS_START) / SEC / 60,
                peaks.events,
                engine.approx_bytes() as f64 / 1048576.0,
                rss_bytes() as f64 / 1048576.0,
                budget.compactions
            );
        }
    }
    peaks
}

fn report(p: &Peaks, seconds: i64, wall: f64, engine: &Engine, budget: &Budget, budget_bytes: u64) {
    let total = p.events;
    println!(
        "live_memory: {total} events in {seconds} s simulated ({:.0} events/s simulated, {:.0} events/s of CPU); \
         budget {:.0} MiB; peak engine estimate {:.0} MiB; peak RSS {:.0} MiB; evicted {} flows / {} events in {} compactions; \
         {} events, {} flows and {} active anomalies kept at the end; {}",
        total as f64 / seconds as f64,
        total as f64 / wall,
        budget_bytes as f64 / 1048576.0,
        p.estimate as f64 / 1048576.0,
        p.rss as f64 / 1048576.0,
        budget.evicted_flows,
        budget.evicted_events,
        budget.compactions,
        engine.store.len(),
        engine.flows.len(),
        engine.anomalies.total(),
        if p.rss <= budget_bytes {
            "within the budget"
        } else {
            "OVER the budget"
        }
    );
}
