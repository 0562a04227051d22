//! Decoding rate of Confluent wire-format Avro records (~300 bytes, `--schemas`) next to the same
//! records sent as JSON, through `decode::record::decode` as the live source and recordings run
//! it (payload not kept, as in `check`), on one thread and on every core. Prints records/s: by
//! the wall clock, and by each thread's CPU time (what free cores would do on a shared machine).
//! `cargo bench --bench schema_decode` (the dev-dependencies need the default features).

use apache_avro::types::Value;
use eventscope::decode::ProfileConfig;
use eventscope::decode::record::{RawRecord, decode};
use eventscope::decode::schema::SchemaSet;
use std::sync::Arc;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECORDS: usize = 1_000_000;
/// Under `cargo test --all-targets` (no `--bench` argument, a debug build): a smoke run.
const SMOKE_RECORDS: usize = 1_000;

const SCHEMA: &str = r#"{"type":"record","name":"OrderPlaced","namespace":"shop","fields":[
  {"name":"eventId","type":"string"},{"name":"correlationId","type":"string"},
  {"name":"causationId","type":["null","string"]},{"name":"customer","type":"string"},
  {"name":"total","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
  {"name":"placedAt","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
    {"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"price","type":"double"}]}}},
  {"name":"note","type":"string"}]}"#;

fn avro_record(schema: &apache_avro::Schema, k: usize) -> Vec<u8> {
    let s = |t: String| Value::String(t);
    let lines = (0..5)
        .map(|i| {
            Value::Record(vec![
                ("sku".into(), s(format!("SKU-{k:06}-{i}"))),
                ("qty".into(), Value::Int(i + 1)),
                ("price".into(), Value::Double(9.99 + f64::from(i))),
            ])
        })
        .collect();
    let v = Value::Record(vec![
        ("eventId".into(), s(format!("evt-{k:012}"))),
        ("correlationId".into(), s(format!("order-{:010}", k / 3))),
        (
            "causationId".into(),
            Value::Union(1, Box::new(s(format!("evt-{:012}", k.saturating_sub(1))))),
        ),
        (
            "customer".into(),
            s(format!("customer-{:08}@example.com", k % 9973)),
        ),
        (
            "total".into(),
            Value::Decimal(vec![0x01u8, 0x86, 0x9F].into()),
        ),
        (
            "placedAt".into(),
            Value::TimestampMillis(1_764_324_000_000 + k as i64),
        ),
        ("lines".into(), Value::Array(lines)),
        (
            "note".into(),
            s("leave at the door, ring twice, thank you; if nobody answers, the neighbour at 4B takes it".into()),
        ),
    ]);
    let mut out = vec![0, 0, 0, 0, 1];
    out.extend(apache_avro::to_avro_datum(schema, v).unwrap());
    out
}

/// CPU time of the calling thread (the machine's cores are shared, so wall time alone says little
/// about what two free cores would do).
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Decodes every value on `threads` threads; prints the wall-clock rate and the rate `threads`
/// free cores would give (records over the busiest thread's CPU time).
fn rate(name: &str, values: &[Vec<u8>], profiles: &ProfileConfig, threads: usize) {
    let start = Instant::now();
    let chunk = values.len().div_ceil(threads);
    let cpu = std::thread::scope(|sc| {
        let handles: Vec<_> = values
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    let cpu = thread_cpu();
                    for (k, v) in part.iter().enumerate() {
                        let rec = RawRecord {
                            topic: Some("orders"),
                            partition: Some(0),
                            offset: Some(k as i64),
                            value: Some(v),
                            ..Default::default()
                        };
                        let (ev, problem) = decode(rec, profiles, false).unwrap();
                        assert!(problem.is_none() && ev.correlation_id.is_some());
                    }
                    thread_cpu() - cpu
                })
            })
            .collect();
        let cpus = handles.into_iter().map(|h| h.join().unwrap());
        cpus.fold(0.0, f64::max)
    });
    let secs = start.elapsed().as_secs_f64();
    let avg = values.iter().map(Vec::len).sum::<usize>() / values.len();
    let n = values.len() as f64;
    println!(
        "{name:<5} {threads} thread(s): {:>9.0} records/s wall, {:>9.0} records/s on {threads} free \
         core(s) ({} records, {avg} bytes on average)",
        n / secs,
        n / cpu,
        values.len()
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1.avsc"), SCHEMA).unwrap();
    let set = Arc::new(SchemaSet::load_dir(dir.path()).unwrap());
    let profiles = ProfileConfig {
        schemas: Some(set.clone()),
        ..Default::default()
    };
    let schema = apache_avro::Schema::parse_str(SCHEMA).unwrap();
    let n = if std::env::args().any(|a| a == "--bench") {
        RECORDS
    } else {
        SMOKE_RECORDS
    };
    let avro: Vec<Vec<u8>> = (0..n).map(|k| avro_record(&schema, k)).collect();
    // The same records as JSON: what the Avro decoder renders.
    let json: Vec<Vec<u8>> = avro
        .iter()
        .map(|v| set.decode(1, None, &v[5..]).unwrap().json.into_bytes())
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, cores] {
        rate("json", &json, &profiles, threads);
        rate("avro", &avro, &profiles, threads);
    }
}
