//! `eventscope kafka` (the window, live) and `eventscope record` (headless capture to the native
//! trace format): the same connection flags, kcat-style `-X` and Kafka's client.properties.

use super::check::ProfileArgs;
use crate::analysis::{Config, Engine};
use crate::decode::native_write;
use crate::ingest::kafka::{self, KafkaOptions, KafkaStatus, StartFrom};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Args, Debug, Clone)]
pub struct KafkaArgs {
    /// Bootstrap brokers, HOST:PORT[,HOST:PORT...].
    #[arg(long, short = 'b', required = true)]
    pub brokers: String,
    /// A topic to read (repeatable).
    #[arg(long, short = 't')]
    pub topic: Vec<String>,
    /// Also every topic whose name matches (checked again every few seconds).
    #[arg(long, value_name = "RE")]
    pub topic_regex: Option<String>,
    /// Where to start in each partition: beginning, end, -N (last N records) or an RFC 3339 time.
    #[arg(long, default_value = "end", allow_hyphen_values = true)]
    pub from: StartFrom,
    /// A librdkafka property, as in kcat (security.protocol, sasl.mechanisms, ssl.*...).
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = kafka::parse_property)]
    pub property: Vec<(String, String)>,
    /// A client.properties file (applied before -X).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Memory budget for the analysis; the oldest finished flows without anomalies are evicted
    /// first when it is reached (recordings are never affected).
    #[arg(long, default_value = "2GiB", value_parser = parse_bytes)]
    pub max_memory: u64,
    #[command(flatten)]
    pub ids: ProfileArgs,
}

/// "2GiB", "512MiB", "1.5GB", "1000000" (bytes).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}': expected a size like 2GiB"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        u => {
            return Err(format!(
                "'{s}': unknown unit '{u}' (B, KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    Ok((n * mult) as u64)
}

impl KafkaArgs {
    pub fn options(&self, keep_payload: bool) -> Result<KafkaOptions, String> {
        if self.topic.is_empty() && self.topic_regex.is_none() {
            return Err("name at least one --topic or a --topic-regex".into());
        }
        let mut properties = match &self.config {
            Some(p) => kafka::read_properties(p)?,
            None => Vec::new(),
        };
        properties.extend(self.property.iter().cloned());
        Ok(KafkaOptions {
            brokers: self.brokers.clone(),
            topics: self.topic.clone(),
            topic_regex: self
                .topic_regex
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| format!("--topic-regex: {e}"))?,
            from: self.from,
            properties,
            profiles: self.ids.to_config()?,
            keep_payload,
        })
    }
}

#[derive(Args, Debug, Clone)]
pub struct RecordArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// The trace file to write (native format, flushed at least every second).
    #[arg(long, required = true)]
    pub out: PathBuf,
    /// Stop after this many events.
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Stop after this long.
    #[arg(long, value_parser = super::parse_duration_ns)]
    pub duration: Option<i64>,
}

/// Runs `record`; returns the exit code (0 done, 2 bad arguments or I/O error).
pub fn record(args: &RecordArgs) -> i32 {
    let opts = match args.kafka.options(true) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("eventscope record: {e}");
            return 2;
        }
    };
    let file = match std::fs::File::create(&args.out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("eventscope record: {}: {e}", args.out.display());
            return 2;
        }
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let header = native_write::header_line(&[
        ("recorder", "eventscope record".into()),
        ("brokers", opts.brokers.clone().into()),
        ("topics", opts.topics.clone().into()),
        ("started", crate::model::format_time(now_ns()).into()),
    ]);
    let mut io_error = writeln!(out, "{header}").err();
    let status = Arc::new(Mutex::new(KafkaStatus::default()));
    let stop = AtomicBool::new(false);
    // Details are kept: an eviction rebuilds the engine from them (dead-letter headers).
    let mut engine = Engine::new(Config::default());
    let origin = kafka::origin(&opts);
    let o = engine.store.origin_index(&origin);
    let mut budget = crate::analysis::budget::Budget::of_process(args.kafka.max_memory);
    let started = Instant::now();
    let mut last_flush = Instant::now();
    let mut written = 0u64;
    let mut line = String::with_capacity(1024);
    let (props, secret): (Vec<_>, Vec<_>) = opts
        .properties
        .iter()
        .partition(|(k, _)| !kafka::is_secret(k));
    eprintln!(
        "recording {} from {} to {} ({}{} properties{})",
        opts.topics.join(", "),
        opts.brokers,
        args.out.display(),
        props.len(),
        if secret.is_empty() { "" } else { " +" },
        if secret.is_empty() {
            String::new()
        } else {
            format!("{} secret, not shown", secret.len())
        }
    );
    let result = kafka::consume(&opts, &stop, &status, |records| {
        for (ev, problem) in records {
            line.clear();
            native_write::write_event(&ev, &mut line);
            line.push('\n');
            if io_error.is_none() {
                io_error = out.write_all(line.as_bytes()).err();
            }
            written += 1;
            let idx = engine.push(ev, o);
            if let Some(reason) = problem {
                let p = crate::model::Problem {
                    line: 0,
                    reason,
                    event_kept: true,
                };
                engine.report_problem(&origin, &p, Some(idx));
            }
            if args.max_events.is_some_and(|m| written >= m) {
                break;
            }
        }
        // Flushed at every call (about every 50 ms, and before any call that may block), so a
        // killed recorder loses at most that much.
        if io_error.is_none() {
            io_error = out.flush().err();
        }
        if last_flush.elapsed() >= Duration::from_millis(500) {
            last_flush = Instant::now();
            engine.tick(now_ns());
            budget.enforce(&mut engine);
        }
        io_error.is_none()
            && args.max_events.is_none_or(|m| written < m)
            && args
                .duration
                .is_none_or(|d| started.elapsed().as_nanos() < d as u128)
    });
    if io_error.is_none() {
        io_error = out.flush().err();
    }
    if let Some(e) = io_error {
        eprintln!("eventscope record: {}: {e}", args.out.display());
        return 2;
    }
    if let Err(e) = result {
        eprintln!("eventscope record: {e}");
        return 2;
    }
    engine.finish(None);
    let s = status.lock().unwrap_or_else(|e| e.into_inner()).clone();
    eprintln!(
        "recorded {written} events from {} partitions to {}; {} undecodable; {} anomalies; \
         {} repeats skipped, {} offset gaps; evicted from the analysis: {} flows, {} events",
        s.partitions.len(),
        args.out.display(),
        engine.stats.undecodable,
        engine.anomalies.total(),
        s.repeats_skipped,
        s.gaps,
        budget.evicted_flows,
        budget.evicted_events,
    );
    for e in s.errors.iter().rev().take(3) {
        eprintln!("  last error: {e}");
    }
    0
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_bytes("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_bytes("512 MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("1.5GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        assert!(parse_bytes("2 parsecs").is_err());
    }
}
