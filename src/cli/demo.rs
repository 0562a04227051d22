//! `eventscope demo`: the simulated e-commerce system. With `--headless` it runs as fast as it can
//! for `--duration` of simulated time, writes the trace (`--out`) and its ground truth (`--truth`),
//! and checks that the live analysis flagged every injected fault; without, it opens the window.

use crate::analysis::truth;
use crate::decode::native_write;
use crate::ingest::demo::{DemoOptions, FAULTS, Faults, HeadlessReport, run_headless};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Run without a window, in simulated time, as fast as possible.
    #[arg(long)]
    pub headless: bool,
    /// How long to run: simulated time headless, real time with --to-kafka.
    #[arg(long, default_value = "60s", value_parser = super::parse_duration_ns)]
    pub duration: i64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// New orders (flows) per second, up to 10000.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Fault rates, e.g. dup=0.01,reorder=0.01,drop=0.005,poison=0.002 (faults: dup, reorder,
    /// drop, slow, stall, poison, skew, conflict). Default: none headless, modest ones in the
    /// window.
    #[arg(long)]
    pub faults: Option<Faults>,
    /// The stuck timeout the demo's analysis uses (slow and stall faults last twice as long).
    #[arg(long, default_value = "5s", value_parser = super::parse_duration_ns)]
    pub stuck_after: i64,
    /// Write the trace here, in the native format (.gz compresses).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the expected anomalies here (JSON Lines: kind, event_id).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Publish the demo's traffic to a real Kafka cluster (live, until --duration or Ctrl-C)
    /// instead of opening the window.
    #[arg(long, requires = "brokers")]
    pub to_kafka: bool,
    /// Brokers for --to-kafka.
    #[arg(long, short = 'b')]
    pub brokers: Option<String>,
    /// librdkafka properties for --to-kafka (security.protocol, sasl.*, ssl.*...).
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_kv)]
    pub property: Vec<(String, String)>,
    /// The values --to-kafka publishes: json (as the demo makes them) or avro (Confluent wire
    /// format, one schema per event type, written into --schemas DIR as <id>.avsc).
    #[arg(long, value_enum, default_value = "json", requires = "to_kafka")]
    pub format: DemoFormat,
    /// Where --format avro writes its schemas (read them with `--schemas DIR`).
    #[arg(long, value_name = "DIR", required_if_eq("format", "avro"))]
    pub schemas: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoFormat {
    Json,
    Avro,
}

/// `-X key=value`, as `record` and `kafka` take it.
fn parse_kv(s: &str) -> Result<(String, String), String> {
    crate::ingest::kafka::parse_property(s)
}

/// `demo --to-kafka`: the demo system, live, publishing every record it appends to the cluster
/// (same topic, key, headers and value; Kafka's partitioner places it by key).
#[cfg(feature = "kafka")]
pub fn run_to_kafka(args: &DemoArgs) -> i32 {
    use rdkafka::config::ClientConfig;
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    let opts = args.options(args.faults.unwrap_or(Faults::modest()));
    let mut cfg = ClientConfig::new();
    cfg.set(
        "bootstrap.servers",
        args.brokers.as_deref().unwrap_or_default(),
    )
    .set("ssl.ca.location", "probe")
    .set("linger.ms", "20");
    for (k, v) in &args.property {
        cfg.set(k, v);
    }
    let producer: ThreadedProducer<DefaultProducerContext> = match cfg.create() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("eventscope demo: cannot create the Kafka producer: {e}");
            return 2;
        }
    };
    let avro = match (&args.schemas, args.format) {
        (Some(dir), DemoFormat::Avro) => {
            match crate::ingest::demo::avro::AvroEncoder::write_schemas(dir) {
                Ok(a) => {
                    eprintln!(
                        "demo: Avro schemas written to {} (read with --schemas)",
                        dir.display()
                    );
                    Some(a)
                }
                Err(e) => {
                    eprintln!("eventscope demo: {e}");
                    return 2;
                }
            }
        }
        _ => None,
    };
    let now = crate::model::now_ns;
    let start = now();
    let mut demo = crate::ingest::demo::Demo::new(&opts, start, false);
    let (mut sent, mut failed) = (0u64, 0u64);
    eprintln!(
        "demo: publishing to {} at {} orders/s (Ctrl-C stops)",
        args.brokers.as_deref().unwrap_or_default(),
        opts.rate
    );
    while now() - start < args.duration {
        demo.advance_to(now());
        for rec in std::mem::take(&mut demo.bus.out) {
            let mut headers = OwnedHeaders::new();
            for h in &rec.msg.headers {
                headers = headers.insert(Header {
                    key: &h.name,
                    value: h.raw(),
                });
            }
            let topic = crate::ingest::demo::shop::TOPICS[rec.topic as usize].name;
            // A value that does not fit its schema (the poison fault's) goes as it is.
            let encoded = (avro.as_ref()).and_then(|a| a.encode(rec.msg.facts.ty, &rec.msg.value));
            let value = encoded.as_deref().unwrap_or(rec.msg.value.as_bytes());
            let record = BaseRecord::to(topic)
                .key(&*rec.msg.key)
                .payload(value)
                .headers(headers);
            match producer.send(record) {
                Ok(()) => sent += 1,
                Err((e, _)) => {
                    failed += 1;
                    if failed <= 5 {
                        eprintln!("eventscope demo: {topic}: {e}");
                    }
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = producer.flush(std::time::Duration::from_secs(10));
    eprintln!("demo: published {sent} records ({failed} failed)");
    if failed > 0 { 1 } else { 0 }
}

impl DemoArgs {
    pub fn options(&self, default_faults: Faults) -> DemoOptions {
        DemoOptions {
            seed: self.seed,
            rate: self.rate.clamp(0.01, 10_000.0),
            faults: self.faults.unwrap_or(default_faults),
            stuck_after: self.stuck_after,
        }
    }
}

fn open_out(path: &PathBuf) -> std::io::Result<Box<dyn Write>> {
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(file)
    })
}

/// Runs headless; returns the exit code (0 all faults flagged, 1 some missed, 2 I/O error).
pub fn run_headless_cli(args: &DemoArgs) -> i32 {
    let report = match run_writing_trace(args) {
        Ok(report) => report,
        Err(e) => {
            eprintln!(
                "eventscope demo: {}: {e}",
                args.out.as_ref().unwrap().display()
            );
            return 2;
        }
    };
    if let Some(p) = &args.truth {
        let written = std::fs::File::create(p).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            truth::write_jsonl(&report.truth, &mut w)?;
            w.flush()
        });
        if let Err(e) = written {
            eprintln!("eventscope demo: {}: {e}", p.display());
            return 2;
        }
    }
    summarize(args, &report)
}

/// The headless run, writing its events to `--out` as they arrive (if given); an error is about
/// `--out`.
fn run_writing_trace(args: &DemoArgs) -> std::io::Result<HeadlessReport> {
    let opts = args.options(Faults::default());
    let mut out = args.out.as_ref().map(open_out).transpose()?;
    let mut write_error = None;
    if let Some(w) = out.as_mut()
        && let Err(e) = writeln!(w, "{}", trace_header(args))
    {
        write_error = Some(e);
    }
    let mut line = String::with_capacity(1024);
    let report = run_headless(&opts, args.duration, true, |ev| {
        if let (Some(w), None) = (out.as_mut(), &write_error) {
            line.clear();
            native_write::write_event(ev, &mut line);
            line.push('\n');
            if let Err(e) = w.write_all(line.as_bytes()) {
                write_error = Some(e);
            }
        }
    });
    if let Some(w) = out.as_mut()
        && write_error.is_none()
        && let Err(e) = w.flush()
    {
        write_error = Some(e);
    }
    drop(out);
    match write_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

fn trace_header(args: &DemoArgs) -> String {
    native_write::header_line(&[
        ("generator", "eventscope demo".into()),
        ("seed", args.seed.into()),
        (
            "stuck_after",
            humantime::format_duration(std::time::Duration::from_nanos(args.stuck_after as u64))
                .to_string()
                .into(),
        ),
    ])
}

/// Prints what was injected and what the live analysis flagged; the exit code is 1 if it missed
/// any expected anomaly.
fn summarize(args: &DemoArgs, report: &HeadlessReport) -> i32 {
    let missed: Vec<_> = report
        .truth
        .iter()
        .filter(|t| report.raised.binary_search(t).is_err())
        .collect();
    let mut by_fault = String::new();
    for f in FAULTS {
        let n = report.injected.iter().filter(|i| i.fault == f).count();
        if n > 0 {
            by_fault.push_str(&format!(" {}={n}", f.name()));
        }
    }
    eprintln!(
        "demo: {} orders, {} events in {} simulated (seed {}); injected:{}; the live analysis \
         flagged {} of {} expected anomalies",
        report.flows_started,
        report.engine.stats.events,
        humantime::format_duration(std::time::Duration::from_secs(
            (args.duration / 1_000_000_000) as u64
        )),
        args.seed,
        if by_fault.is_empty() {
            " none".to_string()
        } else {
            by_fault
        },
        report.truth.len() - missed.len(),
        report.truth.len()
    );
    for m in missed.iter().take(20) {
        eprintln!("  missed: {} on {}", m.kind.name(), m.event_id);
    }
    if missed.is_empty() { 0 } else { 1 }
}
