//! Per-event costs of the three stages: decode (a line to an event), stitch (store + flows) and
//! detect (the whole engine: store, flows and every detector). Input: `gen` output with faults.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use eventscope::analysis::{Config, Engine, Flows};
use eventscope::decode::{Format, LineDecoder, ProfileConfig};
use eventscope::ingest::generate::{Faults, generate};
use eventscope::model::PackedEvents;
use eventscope::store::EventStore;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: usize = 20_000;

fn trace() -> Vec<u8> {
    let mut out = Vec::new();
    let faults: Faults = "dup=0.01,reorder=0.01,drop=0.005,poison=0.002"
        .parse()
        .unwrap();
    generate(EVENTS, 7, &faults, &mut out).unwrap();
    out
}

/// Decoded and packed as the file source's threads do it (not timed).
fn packed(bytes: &[u8]) -> PackedEvents {
    LineDecoder::new(Format::Native, ProfileConfig::default(), false)
        .decode_chunk_packed(bytes, 1)
        .0
}

fn benches(c: &mut Criterion) {
    let bytes = trace();
    let n = packed(&bytes).len() as u64;
    let mut g = c.benchmark_group("per_event");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);

    // As the file source's decoder threads do it: lines to a packed batch.
    let decoder = LineDecoder::new(Format::Native, ProfileConfig::default(), false);
    g.bench_function("decode", |b| {
        b.iter(|| decoder.decode_chunk_packed(&bytes, 1).0.len())
    });

    g.bench_function("stitch", |b| {
        b.iter_batched(
            || packed(&bytes),
            |mut batch| {
                let mut store = EventStore::new(false);
                let mut flows = Flows::default();
                for p in std::mem::take(&mut batch.events) {
                    let (idx, _) = store.append_packed(&batch, p, 0);
                    flows.on_event(&store, idx, false);
                }
                flows.len()
            },
            BatchSize::LargeInput,
        )
    });

    let origin: Arc<str> = "bench".into();
    g.bench_function("detect", |b| {
        b.iter_batched(
            || packed(&bytes),
            |batch| {
                let mut engine = Engine::new(Config {
                    keep_details: false,
                    ..Config::default()
                });
                engine.ingest(&origin, batch, &[]);
                engine.finish(None);
                engine.anomalies.total()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
