//! `eventscope check FILE...`: loads trace files, runs the whole analysis, prints the anomalies
//! and a summary. Exit code: 0 without `error` anomalies, 1 with any, 2 on usage or I/O failure.

use crate::analysis::{Anomaly, Config, Engine, REGISTRY, Severity};
use crate::decode::schema::SchemaSet;
use crate::decode::{FieldSpec, ProfileConfig, profile::parse_profile, spans::SpanIndex};
use crate::ingest::SourceMessage;
use crate::ingest::file::{FileOptions, load_files};
use crate::model::{PayloadDecoder, parse_time};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Where ids come from (shared by every command that reads events).
#[derive(Args, Debug, Clone, Default)]
pub struct ProfileArgs {
    /// Correlation profile: auto, cloudevents-binary, cloudevents, nservicebus, masstransit, axon,
    /// eventstoredb, common, tracecontext (restricts the ids, not the type).
    #[arg(long, default_value = "auto")]
    pub profile: String,
    /// Where the event id comes from: header:NAME or a JSON pointer into the payload (/meta/id).
    #[arg(long, value_name = "SPEC")]
    pub id: Option<FieldSpec>,
    /// Where the event type comes from (header:NAME or /json/pointer).
    #[arg(long = "type", value_name = "SPEC")]
    pub event_type: Option<FieldSpec>,
    /// Where the correlation id comes from (header:NAME or /json/pointer).
    #[arg(long, value_name = "SPEC")]
    pub correlation: Option<FieldSpec>,
    /// Where the causation id comes from (header:NAME or /json/pointer).
    #[arg(long, value_name = "SPEC")]
    pub causation: Option<FieldSpec>,
    /// Where the sequence comes from (header:NAME or /json/pointer).
    #[arg(long, value_name = "SPEC")]
    pub sequence: Option<FieldSpec>,
    /// Where the subject (ordering key) comes from (header:NAME or /json/pointer).
    #[arg(long, value_name = "SPEC")]
    pub subject: Option<FieldSpec>,
    /// A directory of schemas for Confluent wire-format payloads: `.avsc` (Avro), `.desc`
    /// (Protobuf FileDescriptorSet), `.proto` (Protobuf sources, imports relative to DIR) and
    /// `.json` (JSON Schema) files, matched by schema id (`ids.json` `{"42": "orders-value.avsc"}` or a
    /// file `42.avsc`) or by subject `<topic>-value` (README, "Schemas").
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// A Confluent Schema Registry for the schemas of wire-format payloads, by id (read only,
    /// each id fetched once). Its settings are Confluent's client properties, given with -X:
    /// schema.registry.basic.auth.user.info=USER:PASS, schema.registry.ssl.ca.location,
    /// schema.registry.ssl.certificate.location, schema.registry.ssl.key.location,
    /// schema.registry.ssl.key.password (an encrypted PKCS#8 key).
    #[arg(long, value_name = "URL")]
    pub schema_registry: Option<String>,
    /// OpenTelemetry span export (OTLP/JSON or Jaeger JSON), for causation between events that
    /// carry only a W3C traceparent (repeatable).
    #[arg(long, value_name = "FILE")]
    pub spans: Vec<PathBuf>,
}

impl ProfileArgs {
    /// `--schema-registry URL` as the property it stands for.
    pub fn registry_url(&self) -> Option<(String, String)> {
        (self.schema_registry.clone()).map(|u| ("schema.registry.url".to_string(), u))
    }

    /// The settings with the Schema Registry client of `--schema-registry` and the
    /// `schema.registry.*` properties among `properties` (any other property is an error: files
    /// are read without Kafka).
    pub fn to_config_with_registry(
        &self,
        properties: &[(String, String)],
    ) -> Result<ProfileConfig, String> {
        let mut config = self.to_config()?;
        let all: Vec<_> = self
            .registry_url()
            .into_iter()
            .chain(properties.iter().cloned())
            .collect();
        let (registry, other) = crate::ingest::registry::split(&all);
        if let Some((k, _)) = other.first() {
            return Err(format!(
                "-X {k}: only schema.registry.* properties apply when reading files"
            ));
        }
        crate::ingest::registry::attach(&mut config, &registry)?;
        Ok(config)
    }

    pub fn to_config(&self) -> Result<ProfileConfig, String> {
        Ok(ProfileConfig {
            only: parse_profile(&self.profile)?,
            id: self.id.clone(),
            event_type: self.event_type.clone(),
            correlation: self.correlation.clone(),
            causation: self.causation.clone(),
            sequence: self.sequence.clone(),
            subject: self.subject.clone(),
            schemas: match &self.schemas {
                Some(dir) => Some(std::sync::Arc::new(SchemaSet::load_dir(dir)?)),
                None => None,
            },
            spans: if self.spans.is_empty() {
                None
            } else {
                Some(std::sync::Arc::new(SpanIndex::load(&self.spans)))
            },
        })
    }
}

/// How trace files are read and analysed: the options `check`, `events`, `variants`, `export` and
/// `diff` share.
#[derive(Args, Debug, Clone)]
pub struct AnalysisArgs {
    /// Minimum time without a follow-up before an event is stuck.
    #[arg(long, default_value = "30s", value_parser = super::parse_duration_ns)]
    pub stuck_after: i64,
    /// "Now" for judging stuck events (RFC 3339); default: the latest event time.
    #[arg(long, value_parser = parse_now)]
    pub now: Option<i64>,
    /// An event type that must always have a follow-up (repeatable).
    #[arg(long, value_name = "TYPE")]
    pub expect: Vec<String>,
    /// Regular expression for dead-letter topic names.
    #[arg(long, value_name = "REGEX")]
    pub dlq_pattern: Option<String>,
    /// Decoder threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// A Schema Registry setting (schema.registry.basic.auth.user.info=USER:PASS,
    /// schema.registry.ssl.*), as in Confluent's clients.
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = crate::ingest::kafka::parse_property)]
    pub property: Vec<(String, String)>,
    /// Do not flag unusual_flow (flows of a variant under 1% of their root type's).
    #[arg(long)]
    pub no_unusual: bool,
    #[command(flatten)]
    pub ids: ProfileArgs,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Trace files: native JSONL, recordings, kcat -J output or CloudEvents JSON, optionally .gz.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Also list every flow (text format).
    #[arg(long)]
    pub flows: bool,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

impl CheckArgs {
    /// How the files are read: the profiles and threads given, payloads not kept.
    pub fn file_options(&self) -> Result<FileOptions, String> {
        let a = &self.analysis;
        Ok(FileOptions {
            profiles: a.ids.to_config_with_registry(&a.property)?,
            keep_payload: false,
            threads: a.threads,
        })
    }
}

pub(super) fn parse_now(text: &str) -> Result<i64, String> {
    parse_time(text)
        .ok_or_else(|| format!("'{text}' is not an RFC 3339 time (e.g. 2026-11-22T10:00:00Z)"))
}

/// The analysis settings the arguments ask for (variants only for `unusual_flow`).
pub fn config(args: &CheckArgs) -> Result<Config, String> {
    let args = &args.analysis;
    let mut config = Config {
        stuck_after: args.stuck_after,
        expect: args.expect.clone(),
        keep_details: false,
        variants: !args.no_unusual,
        unusual: !args.no_unusual,
        ..Config::default()
    };
    if let Some(p) = &args.dlq_pattern {
        config.dead_letter_topics =
            regex::Regex::new(p).map_err(|e| format!("--dlq-pattern: {e}"))?;
    }
    Ok(config)
}

/// Loads the files into a finished engine. Returns the engine and the I/O errors met.
pub fn analyse(args: &CheckArgs) -> Result<(Engine, Vec<String>), String> {
    analyse_with(args, config(args)?)
}

/// [`analyse`] with the given settings.
/// `config.keep_details` also keeps payloads and headers (for exports).
pub fn analyse_with(args: &CheckArgs, config: Config) -> Result<(Engine, Vec<String>), String> {
    let mut opts = args.file_options()?;
    opts.keep_payload = config.keep_details;
    let mut engine = Engine::new(config);
    // The cap keeps the up-front reservation modest; past it the tables grow as they go.
    engine.reserve(crate::ingest::file::reserve_for(&args.files));
    // A span export or a schema file that could not be read in full is an input error like a
    // missing file.
    let mut io_errors: Vec<String> = opts.profiles.load_problems();
    load_files(&args.files, &opts, |msg| match msg {
        SourceMessage::Batch(b) => engine.ingest(&b.origin, b.events, &b.problems),
        SourceMessage::Finished { error: Some(e), .. } => io_errors.push(e),
        SourceMessage::Finished { .. } => {}
    });
    engine.finish(args.analysis.now);
    Ok((engine, io_errors))
}

/// Active anomalies in a stable order: by event in arrival order, then as raised.
pub fn sorted_anomalies(engine: &Engine) -> Vec<&Anomaly> {
    let mut list: Vec<_> = engine.anomalies.active().collect();
    list.sort_by_key(|(id, a)| (a.event.unwrap_or(u32::MAX), *id));
    list.into_iter().map(|(_, a)| a).collect()
}

pub fn anomaly_json(engine: &Engine, a: &Anomaly) -> Value {
    let s = &engine.store;
    let mut v = json!({
        "kind": a.kind.name(),
        "severity": a.severity.name(),
        "group": a.kind.info().group.name(),
        "event_id": a.event.map(|e| s.id_str(e)),
        "correlation_id": a.event.and_then(|e| engine.correlation_of(e)),
        "related_event_ids": a.related.iter().map(|r| s.str(*r)).collect::<Vec<_>>(),
        "message": a.message,
        "location": a.location,
    });
    if let Some(e) = a.event {
        let r = s.get(e);
        let p = r.provenance();
        v["event_type"] = json!(s.str(r.event_type));
        v["source"] = json!(s.opt_str(r.source));
        v["profiles"] = super::events::profiles_json(&p);
        v["decoder"] = json!(p.payload.name());
    }
    v
}

pub fn summary_json(engine: &Engine, files: usize, io_errors: &[String]) -> Value {
    let by_kind: serde_json::Map<String, Value> = REGISTRY
        .iter()
        .map(|k| (k.name.to_string(), json!(engine.anomalies.count(k.kind))))
        .collect();
    let by_sev: serde_json::Map<String, Value> = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.name().to_string(),
                json!(engine.anomalies.count_severity(*s)),
            )
        })
        .collect();
    let profiles: serde_json::Map<String, Value> = engine
        .stats
        .correlation_profiles
        .iter()
        .map(|(p, n)| (p.name().to_string(), json!(n)))
        .collect();
    // What read the payloads (`decode::record`): only the decoders that read something.
    let decoders: serde_json::Map<String, Value> = PayloadDecoder::ALL
        .iter()
        .zip(engine.stats.payload_decoders)
        .filter(|(_, n)| *n > 0)
        .map(|(d, n)| (d.name().to_string(), json!(n)))
        .collect();
    json!({"summary": {
        "files": files,
        "events": engine.stats.events,
        "flows": engine.flows.len(),
        "anomalies": engine.anomalies.total(),
        "by_kind": by_kind,
        "by_severity": by_sev,
        "undecodable": engine.stats.undecodable,
        "correlation_profiles": profiles,
        "decoders": decoders,
        "io_errors": io_errors,
    }})
}

pub fn run(args: &CheckArgs) -> i32 {
    let (engine, io_errors) = match analyse(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("eventscope check: {e}");
            return 2;
        }
    };
    for e in &io_errors {
        eprintln!("eventscope check: {e}");
    }
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let _ = match args.format {
        OutputFormat::Json => write_json(&mut out, &engine, args.files.len(), &io_errors),
        OutputFormat::Text => write_text(&mut out, &engine, args, &io_errors),
    };
    let _ = out.flush();
    if !io_errors.is_empty() {
        2
    } else if engine.anomalies.count_severity(Severity::Error) > 0 {
        1
    } else {
        0
    }
}

fn write_json(
    out: &mut impl Write,
    engine: &Engine,
    files: usize,
    io_errors: &[String],
) -> std::io::Result<()> {
    for a in sorted_anomalies(engine) {
        writeln!(out, "{}", anomaly_json(engine, a))?;
    }
    writeln!(out, "{}", summary_json(engine, files, io_errors))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn write_text(
    out: &mut impl Write,
    engine: &Engine,
    args: &CheckArgs,
    io_errors: &[String],
) -> std::io::Result<()> {
    let s = &engine.store;
    for a in sorted_anomalies(engine) {
        let id = a.event.map_or("-", |e| s.id_str(e));
        writeln!(
            out,
            "{:<8} {:<22} {:<38} {}",
            a.severity.name(),
            a.kind.name(),
            id,
            a.message
        )?;
    }
    if args.flows {
        writeln!(out, "\nflows:")?;
        let statuses = engine.statuses();
        for (f, flow) in engine.flows.iter() {
            let services: Vec<_> = flow.services.iter().map(|x| s.str(*x)).collect();
            let path = engine.flows.critical_path(s, f);
            writeln!(
                out,
                "  {:<38} {:>5} events  {:<9} {:>10}  critical path {} events  [{}]",
                s.str(flow.key),
                flow.events.len(),
                statuses[f as usize].name(),
                flow.duration()
                    .map_or("-".into(), crate::model::format_duration),
                path.len(),
                services.join(", ")
            )?;
        }
    }
    let a = &engine.anomalies;
    writeln!(
        out,
        "\n{} in {} from {}; {} ({} errors, {} warnings, {} notes); {}",
        plural(engine.stats.events as usize, "event"),
        plural(engine.flows.len(), "flow"),
        plural(args.files.len(), "file"),
        plural(a.total(), "anomaly").replace("anomalys", "anomalies"),
        a.count_severity(Severity::Error),
        a.count_severity(Severity::Warning),
        a.count_severity(Severity::Note),
        plural(engine.stats.undecodable as usize, "undecodable line"),
    )?;
    let kinds: Vec<String> = REGISTRY
        .iter()
        .filter(|k| a.count(k.kind) > 0)
        .map(|k| format!("{} {}", k.name, a.count(k.kind)))
        .collect();
    if !kinds.is_empty() {
        writeln!(out, "by kind: {}", kinds.join(", "))?;
    }
    let profiles: Vec<String> = engine
        .stats
        .correlation_profiles
        .iter()
        .map(|(p, n)| format!("{} {n}", p.name()))
        .collect();
    if !profiles.is_empty() {
        writeln!(out, "correlation ids from: {}", profiles.join(", "))?;
    }
    for e in io_errors {
        writeln!(out, "I/O error: {e}")?;
    }
    Ok(())
}
