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
    let mut demo = Demo::new(&opts, HEADLESS_START, false);
    let mut engine = Engine::new(analysis_config(&opts));
    let o = engine.store.origin_index(&Arc::from("demo"));
    let mut budget = Budget::of_process(budget_bytes);
    let (mut peak_est, mut peak_rss, mut total) = (0usize, 0u64, 0u64);
    let started = Instant::now();
    let mut t = HEADLESS_START;
    let end = HEADLESS_START + seconds * SEC;
    while t < end {
        t += SEC / 10;
        demo.advance_to(t);
        for ev in demo.take_events(true) {
            engine.push(ev, o);
            total += 1;
        }
        if (t - HEADLESS_START) % SEC == 0 {
            engine.tick(t);
        }
        if (t - HEADLESS_START) % (2 * SEC) == 0 {
            peak_est = peak_est.max(engine.approx_bytes());
            peak_rss = peak_rss.max(rss_bytes());
            let before = rss_bytes();
            if budget.enforce(&mut engine) && std::env::var_os("EVENTSCOPE_BENCH_VERBOSE").is_some()
            {
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
                total,
                engine.approx_bytes() as f64 / 1048576.0,
                rss_bytes() as f64 / 1048576.0,
                budget.compactions
            );
        }
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "live_memory: {total} events in {seconds} s simulated ({:.0} events/s simulated, {:.0} events/s of CPU); \
         budget {:.0} MiB; peak engine estimate {:.0} MiB; peak RSS {:.0} MiB; evicted {} flows / {} events in {} compactions; \
         {} events, {} flows and {} active anomalies kept at the end; {}",
        total as f64 / seconds as f64,
        total as f64 / wall,
        budget_bytes as f64 / 1048576.0,
        peak_est as f64 / 1048576.0,
        peak_rss as f64 / 1048576.0,
        budget.evicted_flows,
        budget.evicted_events,
        budget.compactions,
        engine.store.len(),
        engine.flows.len(),
        engine.anomalies.total(),
        if peak_rss <= budget_bytes {
            "within the budget"
        } else {
            "OVER the budget"
        }
    );
}
