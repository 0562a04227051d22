//! The demo's mini-bus alone (simulated services included, no decoding or analysis): events
//! appended per second of CPU. Target: >= 300,000 events/s on the 2-core CI machine.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventscope::ingest::demo::bus::SEC;
use eventscope::ingest::demo::{Demo, DemoOptions, HEADLESS_START};

/// Simulated seconds per iteration at 5,000 orders/s (about 45,000 events).
const SECONDS: i64 = 1;

fn run_bus() -> u64 {
    let opts = DemoOptions {
        rate: 5_000.0,
        faults: "dup=0.01,reorder=0.01,drop=0.005,poison=0.002"
            .parse()
            .unwrap(),
        ..DemoOptions::default()
    };
    let mut demo = Demo::new(&opts, HEADLESS_START, false);
    let mut n = 0;
    let mut t = HEADLESS_START;
    while t < HEADLESS_START + SECONDS * SEC {
        t += SEC / 50;
        demo.advance_to(t);
        n += demo.bus.out.len() as u64;
        demo.bus.out.clear();
    }
    n
}

fn bench(c: &mut Criterion) {
    let events = run_bus();
    let mut g = c.benchmark_group("demo_bus");
    g.throughput(Throughput::Elements(events));
    g.sample_size(20);
    g.bench_function("events", |b| b.iter(run_bus));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
