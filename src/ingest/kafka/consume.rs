//! Live Kafka, read-only: partitions are assigned directly from metadata (no consumer group, no
//! offset commits, even if the user passes `group.id`), new partitions and topics matching the
//! regex are picked up while running, and every record goes through the shared record decoder.
//! Records at or below a partition's last seen offset (a re-fetch after a reconnect) are skipped,
//! so nothing is counted twice; jumps forward are counted as gaps.

use super::diagnose::{self, Security};
use super::{KafkaOptions, StartFrom};
use crate::decode::{record, recording};
use crate::model::{DecodedEvent, Header, TsType, now_ns};
use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The librdkafka configuration: the user's properties over sensible defaults, then the settings
/// that keep Eventscope read-only (never commit, never store offsets) forced on top.
pub fn client_config(opts: &KafkaOptions) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &opts.brokers)
        .set("client.id", "eventscope")
        // The vendored OpenSSL does not know Debian's CA store; `probe` finds it.
        .set("ssl.ca.location", "probe")
        .set("enable.partition.eof", "false")
        .set("topic.metadata.refresh.interval.ms", "5000")
        .set("reconnect.backoff.max.ms", "2000")
        // librdkafka's default is 30 s: a TLS client at a plaintext port that never answers the
        // handshake would be reported only long after `record` gave up (8 s). 5 s is plenty for
        // TCP, TLS and SASL round trips; a user's value wins.
        .set("socket.connection.setup.timeout.ms", "5000");
    // librdkafka only assigns partitions with a group id configured. Assigning never joins the
    // group and nothing is committed, but librdkafka does look up the group's coordinator (on
    // clusters with group ACLs that lookup may be refused: harmless, reported once); a user's
    // group.id replaces this one.
    c.set(
        "group.id",
        format!("eventscope-{}-{}", std::process::id(), fastrand::u32(..)),
    );
    for (k, v) in &opts.properties {
        c.set(k, v);
    }
    c.set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false");
    // rdkafka sets librdkafka's log level from the `log` crate's, which nothing configures here:
    // without this, `-X debug=...` lines would be filtered out before reaching `Ctx::log`.
    // Info, not the default Error: a broker that hangs up ("Disconnected ... in state
    // APIVERSION_QUERY") is logged as an Info `FAIL` line, and that line is the only reason given.
    c.set_log_level(if std::env::var_os(LOG_ENV).is_some() {
        rdkafka::config::RDKafkaLogLevel::Debug
    } else {
        rdkafka::config::RDKafkaLogLevel::Info
    });
    c
}

/// When set, librdkafka's log lines go to stderr (its debug lines too, with `-X debug=...`).
const LOG_ENV: &str = "EVENTSCOPE_KAFKA_LOG";

/// Position of one assigned partition.
#[derive(Clone, Debug, Default)]
pub struct PartitionStatus {
    /// The next offset expected (last seen + 1), when something was seen.
    pub next: Option<i64>,
    pub received: u64,
}

#[derive(Clone, Debug, Default)]
pub struct KafkaStatus {
    /// A broker answered the last request (metadata or fetch).
    pub connected: bool,
    /// A broker answered at least once this session.
    pub ever_connected: bool,
    pub partitions: BTreeMap<(String, i32), PartitionStatus>,
    /// The latest errors, newest last.
    pub errors: VecDeque<String>,
    /// The latest error that names a broker and a cause (see [`KafkaStatus::reason`]), kept
    /// apart: librdkafka's alternating "0/1" and "1/1 brokers are down" summaries would push it
    /// out of `errors`.
    cause: Option<String>,
    /// The settings failures are explained against ([`Security::explain`]).
    security: Security,
    /// Why the broker's certificate failed verification, once found ([`diagnose::verify_detail`]).
    tls_detail: Option<String>,
    pub events: u64,
    /// Records skipped because their offset was already seen (re-fetched after a reconnect).
    pub repeats_skipped: u64,
    /// Offset jumps forward (compaction, transaction markers or lost records).
    pub gaps: u64,
}

/// Whether the session reaches its cluster, for the window's top bar and `record`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// Nothing answered yet and nothing failed yet.
    Connecting,
    Connected,
    /// No broker has ever answered; librdkafka's reason, naming the broker.
    Unreachable(String),
    /// Was connected, then lost (librdkafka retries by itself).
    Lost(String),
}

impl KafkaStatus {
    fn up(&mut self) {
        self.connected = true;
        self.ever_connected = true;
    }

    /// The latest error that says most: one naming a broker and a cause ("127.0.0.1:1/bootstrap:
    /// Connect to ipv4#127.0.0.1:1 failed: Connection refused", a TLS or SASL failure) over the
    /// summary "1/1 brokers are down" that librdkafka reports after it. What the failure points
    /// to follows librdkafka's words after "; " ([`Security::explain`], a rejected certificate's
    /// diagnosis).
    pub fn reason(&self) -> Option<&str> {
        self.cause
            .as_deref()
            .or(self.errors.back().map(String::as_str))
    }

    pub fn connection(&self) -> Connection {
        let reason = || self.reason().unwrap_or("no answer").to_string();
        match (self.connected, self.ever_connected) {
            (true, _) => Connection::Connected,
            (false, true) => Connection::Lost(reason()),
            (false, false) if self.errors.is_empty() => Connection::Connecting,
            (false, false) => Connection::Unreachable(reason()),
        }
    }

    /// The reason a failure gives, with what it points to ([`Security::explain`]) and why the
    /// broker's certificate was rejected when that is known.
    fn set_cause(&mut self, text: &str) {
        let mut c = self.security.explain(text);
        if let Some(d) = self
            .tls_detail
            .as_deref()
            .filter(|_| diagnose::is_verify_failure(text))
        {
            c.push_str("; ");
            c.push_str(d);
        }
        self.cause = Some(c);
    }

    fn error(&mut self, e: String) {
        self.connected = false;
        const TELLING: [&str; 5] = ["Connect to", "/bootstrap", "SSL", "SASL", "uthentication"];
        if TELLING.iter().any(|t| e.contains(t)) {
            // "Global error: BrokerTransportFailure (Local: Broker transport failure): " says
            // nothing the rest does not.
            let tidy = match e.strip_prefix("Global error: ") {
                Some(rest) => rest.split_once("): ").map_or(rest, |(_, r)| r),
                None => &e,
            };
            // A poll error ("Message consumption error: SSL (Local: SSL error)") names neither
            // the broker nor the cause: it never replaces a reason that does.
            if names_broker(tidy) || !self.cause.as_deref().is_some_and(names_broker) {
                self.set_cause(tidy);
            }
        }
        if self.errors.back() == Some(&e) {
            return;
        }
        if self.errors.len() >= 20 {
            self.errors.pop_front();
        }
        self.errors.push_back(e);
    }
}

/// Whether a reason names a broker, as librdkafka's failure lines do
/// ("ssl://127.0.0.1:9093/bootstrap: ...", "127.0.0.1:9092/1: ...").
fn names_broker(reason: &str) -> bool {
    reason
        .split_once(": ")
        .is_some_and(|(head, _)| head.contains('/') && head.contains(':'))
}

/// Collects client-level errors (broker down, authentication...) into the status.
struct Ctx {
    status: Arc<Mutex<KafkaStatus>>,
    /// A diagnosis of a rejected broker certificate was started (once per session).
    diagnosing: AtomicBool,
}

impl Ctx {
    /// A broker connection failed: the reason, explained; a rejected certificate is diagnosed
    /// on a thread of its own (a handshake may take seconds; this is librdkafka's thread).
    fn failed(&self, text: &str) {
        let mut s = self.status.lock().unwrap_or_else(|e| e.into_inner());
        s.set_cause(text);
        if !diagnose::is_verify_failure(text) || self.diagnosing.swap(true, Ordering::Relaxed) {
            return;
        }
        let (status, security, text) = (self.status.clone(), s.security.clone(), text.to_string());
        std::thread::spawn(move || {
            let Some(detail) = diagnose::verify_detail(&text, &security) else {
                return;
            };
            let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = s.cause.as_mut()
                && diagnose::is_verify_failure(c)
                && !c.contains(&detail)
            {
                c.push_str("; ");
                c.push_str(&detail);
            }
            s.tls_detail = Some(detail);
        });
    }
}

impl ClientContext for Ctx {
    /// librdkafka's log lines go to stderr when [`LOG_ENV`] is set.
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        if std::env::var_os(LOG_ENV).is_some() {
            eprintln!("librdkafka {level:?} {fac}: {message}");
        }
        // A broker connection failed, and why ("127.0.0.1:9092/bootstrap: Disconnected (after
        // 0ms in state APIVERSION_QUERY)"): often the only place librdkafka says so.
        if fac == "FAIL" {
            self.failed(message.split_once("]: ").map_or(message, |(_, m)| m));
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let mut s = self.status.lock().unwrap_or_else(|e| e.into_inner());
        s.error(format!("{error}: {reason}"));
    }
}
impl ConsumerContext for Ctx {}

/// One record handed to the caller: its event, a problem when it was not fully decoded, and, when
/// the options ask for it ([`KafkaOptions::record_lines`]), the record as it came, as a recording
/// line (`decode::recording`).
pub struct Delivered {
    pub event: DecodedEvent,
    pub problem: Option<String>,
    pub line: Option<String>,
}

/// Decoded records handed to the caller.
pub type Decoded = Vec<Delivered>;

/// Consumes until `stop` is set or `on_records` returns false. Calls `on_records` about every
/// 50 ms, with the records that arrived (maybe none).
pub fn consume(
    opts: &KafkaOptions,
    stop: &AtomicBool,
    status: &Arc<Mutex<KafkaStatus>>,
    mut on_records: impl FnMut(Decoded) -> bool,
) -> Result<(), String> {
    status.lock().unwrap_or_else(|e| e.into_inner()).security = Security::of(opts);
    let consumer: BaseConsumer<Ctx> = client_config(opts)
        .create_with_context(Ctx {
            status: status.clone(),
            diagnosing: AtomicBool::new(false),
        })
        .map_err(|e| format!("cannot create the Kafka client: {e}"))?;
    let mut assigned: HashSet<(String, i32)> = HashSet::new();
    let mut last_meta: Option<Instant> = None;
    let mut next: HashMap<(String, i32), i64> = HashMap::new();
    let mut pending: Decoded = Vec::new();
    let mut last_flush = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if last_meta.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
            // The caller gets its chance (e.g. to flush) before a call that may block.
            if !on_records(std::mem::take(&mut pending)) {
                return Ok(());
            }
            let first = last_meta.is_none();
            let result = assign_new(&consumer, opts, &mut assigned, first);
            last_meta = Some(Instant::now());
            let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(()) => s.up(),
                Err(e) => s.error(e),
            }
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let key = (m.topic().to_string(), m.partition());
                let offset = m.offset();
                let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
                s.up();
                if let Some(&want) = next.get(&key) {
                    if offset < want {
                        s.repeats_skipped += 1;
                        continue;
                    }
                    if offset > want {
                        s.gaps += 1;
                    }
                }
                next.insert(key.clone(), offset + 1);
                let p = s.partitions.entry(key).or_default();
                p.next = Some(offset + 1);
                p.received += 1;
                s.events += 1;
                drop(s);
                pending.push(decode(opts, &m));
            }
            Some(Err(e)) => status
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .error(e.to_string()),
            None => {}
        }
        if pending.len() >= 2000 || last_flush.elapsed() > Duration::from_millis(50) {
            last_flush = Instant::now();
            if !on_records(std::mem::take(&mut pending)) {
                return Ok(());
            }
        }
    }
    if !pending.is_empty() {
        on_records(pending);
    }
    Ok(())
}

fn decode<M: Message>(opts: &KafkaOptions, m: &M) -> Delivered {
    let (broker_ts, ts_type) = match m.timestamp() {
        rdkafka::Timestamp::CreateTime(ms) => (ms.checked_mul(1_000_000), TsType::Create),
        rdkafka::Timestamp::LogAppendTime(ms) => (ms.checked_mul(1_000_000), TsType::LogAppend),
        rdkafka::Timestamp::NotAvailable => (None, TsType::None),
    };
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| Header::from_bytes(h.key, h.value))
                .collect()
        })
        .unwrap_or_default();
    let rec = record::RawRecord {
        topic: Some(m.topic()),
        partition: Some(m.partition()),
        offset: Some(m.offset()),
        key: m.key(),
        broker_ts,
        ts_type,
        headers,
        value: m.payload(),
        observed_at: Some(now_ns()),
    };
    let line = opts.record_lines.then(|| {
        let mut line = String::with_capacity(256 + m.payload().map_or(0, <[u8]>::len));
        recording::write_record(&rec, &mut line);
        line
    });
    match record::decode(rec, &opts.profiles, opts.keep_payload) {
        Ok((event, problem)) => Delivered {
            event,
            problem,
            line,
        },
        // Every record has topic/partition/offset, which always make an id.
        Err(e) => unreachable!("{e}"),
    }
}

/// Assigns partitions of wanted topics that are not assigned yet (incrementally: partitions
/// already assigned keep their position). Partitions found after the first assignment are new
/// since the session started, so they are read from their beginning.
fn assign_new(
    consumer: &BaseConsumer<Ctx>,
    opts: &KafkaOptions,
    assigned: &mut HashSet<(String, i32)>,
    first: bool,
) -> Result<(), String> {
    let md = consumer
        .fetch_metadata(None, Duration::from_secs(5))
        .map_err(|e| format!("metadata from {}: {e}", opts.brokers))?;
    let from = if first {
        opts.from
    } else {
        StartFrom::Beginning
    };
    let mut fresh = TopicPartitionList::new();
    for t in md.topics() {
        if !opts.wants_topic(t.name()) {
            continue;
        }
        for p in t.partitions() {
            if !assigned.contains(&(t.name().to_string(), p.id())) {
                let offset = match from {
                    StartFrom::Beginning => Offset::Beginning,
                    StartFrom::End => Offset::End,
                    StartFrom::Last(n) => Offset::OffsetTail(n),
                    StartFrom::Time(ns) => Offset::Offset(ns / 1_000_000),
                };
                fresh
                    .add_partition_offset(t.name(), p.id(), offset)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    if fresh.count() == 0 {
        return Ok(());
    }
    if let StartFrom::Time(_) = from {
        fresh = consumer
            .offsets_for_times(fresh, Duration::from_secs(10))
            .map_err(|e| format!("offsets for --from time: {e}"))?;
    }
    consumer
        .incremental_assign(&fresh)
        .map_err(|e| format!("assign: {e}"))?;
    for e in fresh.elements() {
        assigned.insert((e.topic().to_string(), e.partition()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::kafka::KafkaRequest;

    fn opts(props: &[(&str, &str)]) -> KafkaOptions {
        KafkaRequest {
            brokers: "127.0.0.1:1".into(),
            topics: vec!["orders".into()],
            topic_regex: "^pay".into(),
            from: StartFrom::End,
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            keep_payload: true,
            ..Default::default()
        }
        .build()
        .unwrap()
    }

    /// SCRAM is tried against tansu in tests/secure; PLAIN cannot be (tansu does not offer it):
    /// the configuration path of both is checked here.
    #[test]
    fn sasl_and_tls_settings_pass_through_but_commits_stay_off() {
        let o = opts(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "s3cret"),
            ("enable.auto.commit", "true"),
            ("group.id", "mine"),
            ("ssl.ca.location", "/etc/ssl/certs/ca-certificates.crt"),
        ]);
        let c = client_config(&o);
        assert_eq!(c.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(c.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
        assert_eq!(c.get("sasl.password"), Some("s3cret"));
        assert_eq!(c.get("group.id"), Some("mine"));
        assert_eq!(c.get("enable.auto.commit"), Some("false"), "never commits");
        assert_eq!(
            c.get("ssl.ca.location"),
            Some("/etc/ssl/certs/ca-certificates.crt"),
            "user wins"
        );
        assert_eq!(
            client_config(&opts(&[])).get("ssl.ca.location"),
            Some("probe")
        );
        // librdkafka accepts the SASL/SCRAM and TLS settings (it is built with both).
        let consumer: Result<BaseConsumer, _> = c.create();
        assert!(consumer.is_ok(), "{:?}", consumer.err());
        use crate::ingest::kafka::{is_secret, redacted};
        assert_eq!(redacted("sasl.password", "s3cret"), "sasl.password=***");
        assert_eq!(redacted("sasl.username", "alice"), "sasl.username=alice");
        assert!(is_secret("sasl.oauthbearer.config") && is_secret("ssl.key.password"));
    }
}
