//! `eventscope kafka` (the window, live) and `eventscope record` (headless capture of each record as
//! it came, trace format version 2): the same connection flags, kcat-style `-X` and Kafka's
//! client.properties.

use super::check::ProfileArgs;
use crate::decode::recording;
use crate::decode::schema::{SchemaSet, sidecar};
use crate::ingest::kafka::{
    self, Connection, KafkaOptions, KafkaRequest, KafkaStatus, RequestError, StartFrom,
};
use crate::model::{DecodedEvent, now_ns};
use crate::session::{Session, Tap};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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
        let mut properties = match &self.config {
            Some(p) => kafka::read_properties(p)?,
            None => Vec::new(),
        };
        properties.extend(self.ids.registry_url());
        properties.extend(self.property.iter().cloned());
        let profiles = self.ids.to_config()?;
        for p in profiles.load_problems() {
            eprintln!("eventscope: {p}");
        }
        KafkaRequest {
            brokers: self.brokers.clone(),
            topics: self.topic.clone(),
            topic_regex: self.topic_regex.clone().unwrap_or_default(),
            from: self.from,
            properties: properties.into(),
            profiles,
            keep_payload,
        }
        .build()
        // Named after the flags.
        .map_err(|e| match e {
            RequestError::NoBrokers => "give the brokers (-b HOST:PORT)".into(),
            RequestError::NoTopic => "name at least one --topic or a --topic-regex".into(),
            RequestError::BadRegex(e) => format!("--topic-regex: {e}"),
            RequestError::Property(e) => e,
        })
    }
}

#[derive(Args, Debug, Clone)]
pub struct RecordArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// The recording to write (trace format version 2: each record as it came; flushed at least
    /// every second).
    #[arg(long, required = true)]
    pub out: PathBuf,
    /// Stop after this many events.
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Stop after this long.
    #[arg(long, value_parser = super::parse_duration_ns)]
    pub duration: Option<i64>,
    /// Give up (exit 2) when no broker answered within this long.
    #[arg(long, default_value = "8s", value_parser = super::parse_duration_ns)]
    pub connect_timeout: i64,
    /// `json` also prints the live session's summary when recording stops, as the same
    /// `{"summary":{...}}` line `check --format json` prints, so a replay can be compared to it.
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::check::OutputFormat,
}

/// Writes each record to the recording as the session consumes it.
struct Recorder {
    out: std::io::BufWriter<std::fs::File>,
    io_error: Option<std::io::Error>,
    written: u64,
    max_events: Option<u64>,
    duration: Option<i64>,
    started: Instant,
    link: Link,
    sidecar: Sidecar,
    /// (second of the recording, problems said in it).
    problems_said: (u64, u32),
}

const PROBLEMS_PER_SECOND: u32 = 5;

/// The recording's schemas (`<out>.schemas.json`, `decode::schema::sidecar`): written when
/// recording starts and again whenever the registry gave a new schema.
struct Sidecar {
    schemas: Option<Arc<SchemaSet>>,
    recording: PathBuf,
    written: Option<u64>,
}

impl Sidecar {
    fn update(&mut self) -> std::io::Result<()> {
        let Some(set) = &self.schemas else {
            return Ok(());
        };
        let generation = set.generation();
        if self.written != Some(generation) {
            sidecar::write(set, &self.recording).map_err(|e| {
                let path = sidecar::path_for(&self.recording);
                std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
            })?;
            self.written = Some(generation);
        }
        Ok(())
    }
}

/// Watches the connection for `record`: says when it fails or comes back, and gives up when no
/// broker ever answered within the connect timeout.
struct Link {
    status: Arc<Mutex<KafkaStatus>>,
    brokers: String,
    connect_timeout: i64,
    said: Option<std::mem::Discriminant<Connection>>,
    gave_up: bool,
}

impl Link {
    /// False when it is time to give up.
    fn check(&mut self, started: Instant) -> bool {
        let s = self.status.lock().unwrap_or_else(|e| e.into_inner());
        let c = s.connection();
        let kind = std::mem::discriminant(&c);
        if self.said != Some(kind) {
            match &c {
                Connection::Unreachable(r) | Connection::Lost(r) => {
                    eprintln!("eventscope record: {}: {r}", self.brokers);
                }
                Connection::Connected if self.said.is_some() => {
                    eprintln!("eventscope record: connected to {}", self.brokers);
                }
                _ => {}
            }
            self.said = Some(kind);
        }
        self.gave_up =
            !s.ever_connected && started.elapsed().as_nanos() >= self.connect_timeout as u128;
        !self.gave_up
    }

    /// Why the recording failed if no broker ever answered.
    fn failure(&self) -> Option<String> {
        let s = self.status.lock().unwrap_or_else(|e| e.into_inner());
        (!s.ever_connected).then(|| {
            let waited = crate::model::format_duration(self.connect_timeout);
            let reason = s.reason().unwrap_or("no answer");
            if self.gave_up {
                format!(
                    "no broker of {} answered within {waited}: {reason}",
                    self.brokers
                )
            } else {
                format!("never connected to {}: {reason}", self.brokers)
            }
        })
    }
}

impl Tap for Recorder {
    /// The record as it came (`decode::recording`), not the decoded event: a recording replays
    /// exactly as the live session saw it.
    fn record(&mut self, line: &str, _: &DecodedEvent) -> bool {
        if self.io_error.is_none() {
            self.io_error = self
                .out
                .write_all(line.as_bytes())
                .and_then(|()| self.out.write_all(b"\n"))
                .err();
        }
        self.written += 1;
        self.max_events.is_none_or(|m| self.written < m)
    }

    /// Said on stderr as it happens (at most [`PROBLEMS_PER_SECOND`]; all are counted in the
    /// summary line), so a Schema Registry that went away is noticed while recording.
    fn problem(&mut self, reason: &str) {
        let second = self.started.elapsed().as_secs();
        if self.problems_said.0 != second {
            self.problems_said = (second, 0);
        }
        if self.problems_said.1 < PROBLEMS_PER_SECOND {
            self.problems_said.1 += 1;
            eprintln!("eventscope record: {reason}");
        }
    }

    /// Flushed at every delivery (about every 50 ms, and before any call that may block), so a
    /// killed recorder loses at most that much.
    fn delivered(&mut self) -> bool {
        if self.io_error.is_none() {
            self.io_error = self.out.flush().err();
        }
        if self.io_error.is_none() {
            self.io_error = self.sidecar.update().err();
        }
        self.link.check(self.started)
            && self.io_error.is_none()
            && self.max_events.is_none_or(|m| self.written < m)
            && self
                .duration
                .is_none_or(|d| self.started.elapsed().as_nanos() < d as u128)
    }
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
    let status = Arc::new(Mutex::new(KafkaStatus::default()));
    let mut rec = match start_recording(args, &opts, status.clone()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eventscope record: {}: {e}", args.out.display());
            return 2;
        }
    };
    announce(args, &opts);
    let mut session = Session::for_kafka(&opts, args.kafka.max_memory);
    let result = session.consume_kafka(&opts, &AtomicBool::new(false), &status, &mut rec);
    if rec.io_error.is_none() {
        rec.io_error = rec.out.flush().err();
    }
    if rec.io_error.is_none() {
        rec.io_error = rec.sidecar.update().err();
    }
    if let Some(e) = rec.io_error {
        eprintln!("eventscope record: {}: {e}", args.out.display());
        return 2;
    }
    if let Err(e) = result {
        eprintln!("eventscope record: {e}");
        return 2;
    }
    if let Some(e) = rec.link.failure() {
        eprintln!("eventscope record: {e}; recorded nothing");
        return 2;
    }
    session.engine.finish(None);
    let s = status.lock().unwrap_or_else(|e| e.into_inner()).clone();
    eprintln!(
        "recorded {} events from {} partitions to {}; {} undecodable; {} anomalies; \
         {} repeats skipped, {} offset gaps; evicted from the analysis: {} flows, {} events",
        rec.written,
        s.partitions.len(),
        args.out.display(),
        session.engine.stats.undecodable,
        session.engine.anomalies.total(),
        s.repeats_skipped,
        s.gaps,
        session.budget.evicted_flows,
        session.budget.evicted_events,
    );
    for e in s.errors.iter().rev().take(3) {
        eprintln!("  last error: {e}");
    }
    if args.format == super::check::OutputFormat::Json {
        println!("{}", super::check::summary_json(&session.engine, 0, &[]));
    }
    0
}

/// Creates the recording and writes its header line.
fn start_recording(
    args: &RecordArgs,
    opts: &KafkaOptions,
    status: Arc<Mutex<KafkaStatus>>,
) -> std::io::Result<Recorder> {
    let file = std::fs::File::create(&args.out)?;
    // A sidecar left by an earlier recording at this path would not belong to this one.
    let old = sidecar::path_for(&args.out);
    if opts.profiles.schemas.is_none() && old.exists() {
        std::fs::remove_file(old)?;
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let header = recording::header_line(&[
        ("recorder", "eventscope record".into()),
        ("brokers", opts.brokers.clone().into()),
        ("topics", opts.topics.clone().into()),
        ("started", crate::model::format_time(now_ns()).into()),
    ]);
    // A failed write is reported with the first later one, as any write error.
    let io_error = writeln!(out, "{header}").err();
    Ok(Recorder {
        out,
        io_error,
        written: 0,
        max_events: args.max_events,
        duration: args.duration,
        started: Instant::now(),
        problems_said: (0, 0),
        sidecar: Sidecar {
            schemas: opts.profiles.schemas.clone(),
            recording: args.out.clone(),
            written: None,
        },
        link: Link {
            status,
            brokers: opts.brokers.clone(),
            connect_timeout: args.connect_timeout,
            said: None,
            gave_up: false,
        },
    })
}

/// What is recorded from where, the number of properties but never a secret one.
fn announce(args: &RecordArgs, opts: &KafkaOptions) {
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
