//! Live Kafka, read-only: partitions are assigned directly from metadata (no consumer group, no
//! offset commits, even if the user passes `group.id`), new partitions and topics matching the
//! regex are picked up while running, and every record goes through the shared record decoder.
//! Records at or below a partition's last seen offset (a re-fetch after a reconnect) are skipped,
//! so nothing is counted twice; jumps forward are counted as gaps.

use super::{Batch, SourceMessage, Waker};
use crate::decode::{Problem, ProfileConfig, record};
use crate::model::{DecodedEvent, Header, PackedEvents, Timestamp, TsType, parse_time};
use crossbeam_channel::Sender;
use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where consumption starts in each partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFrom {
    Beginning,
    End,
    /// The last N records of each partition.
    Last(i64),
    /// The first record at or after this time (ns since the epoch).
    Time(Timestamp),
}

impl std::str::FromStr for StartFrom {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "beginning" | "earliest" => Ok(StartFrom::Beginning),
            "end" | "latest" => Ok(StartFrom::End),
            _ if s.starts_with('-') => s[1..]
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(StartFrom::Last)
                .ok_or_else(|| format!("'{s}': -N needs a positive count, e.g. -1000")),
            _ => parse_time(s)
                .map(StartFrom::Time)
                .ok_or_else(|| format!("'{s}': expected beginning, end, -N or an RFC 3339 time")),
        }
    }
}

/// Everything needed to connect, as the command line and the connect dialog give it.
#[derive(Clone, Debug)]
pub struct KafkaOptions {
    pub brokers: String,
    pub topics: Vec<String>,
    pub topic_regex: Option<Regex>,
    pub from: StartFrom,
    /// librdkafka properties (`-X key=value`, `--config FILE`), in order; later ones win.
    pub properties: Vec<(String, String)>,
    pub profiles: ProfileConfig,
    pub keep_payload: bool,
}

/// Property names whose values are secrets: never logged, shown or saved.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "passphrase",
        "secret",
        "jaas",
        "token",
        "oauthbearer.config",
        "private.key",
        "ssl.key.pem",
        "credentials",
    ]
    .iter()
    .any(|w| k.contains(w))
        // Any other PEM but a CA or a certificate may hold a key.
        || (k.ends_with(".pem") && !k.contains("ca") && !k.contains("certificate"))
}

/// `key=value` with the value hidden when it is a secret.
pub fn redacted(key: &str, value: &str) -> String {
    if is_secret(key) {
        format!("{key}=***")
    } else {
        format!("{key}={value}")
    }
}

/// Parses a Java-style client.properties file (`key=value` or `key: value`, `#`/`!` comments).
pub fn read_properties(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .or_else(|| line.split_once(':'))
            .ok_or_else(|| format!("{}:{}: expected key=value", path.display(), i + 1))?;
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(out)
}

/// Parses `-X key=value`.
pub fn parse_property(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}': expected key=value (a librdkafka property)"))?;
    Ok((k.trim().to_string(), v.to_string()))
}

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
        .set("reconnect.backoff.max.ms", "2000");
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
    c
}

/// Position of one assigned partition.
#[derive(Clone, Debug, Default)]
pub struct PartitionStatus {
    /// The next offset expected (last seen + 1), when something was seen.
    pub next: Option<i64>,
    pub received: u64,
}

#[derive(Clone, Debug, Default)]
pub struct KafkaStatus {
    pub connected: bool,
    pub partitions: BTreeMap<(String, i32), PartitionStatus>,
    /// The latest errors, newest last.
    pub errors: VecDeque<String>,
    pub events: u64,
    /// Records skipped because their offset was already seen (re-fetched after a reconnect).
    pub repeats_skipped: u64,
    /// Offset jumps forward (compaction, transaction markers or lost records).
    pub gaps: u64,
}

impl KafkaStatus {
    fn error(&mut self, e: String) {
        self.connected = false;
        if self.errors.back() == Some(&e) {
            return;
        }
        if self.errors.len() >= 20 {
            self.errors.pop_front();
        }
        self.errors.push_back(e);
    }
}

/// Collects client-level errors (broker down, authentication...) into the status.
struct Ctx {
    status: Arc<Mutex<KafkaStatus>>,
}

impl ClientContext for Ctx {
    /// librdkafka's log lines go to stderr when EVENTSCOPE_KAFKA_LOG is set (with `-X debug=...`).
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        if std::env::var_os("EVENTSCOPE_KAFKA_LOG").is_some() {
            eprintln!("librdkafka {level:?} {fac}: {message}");
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let mut s = self.status.lock().unwrap_or_else(|e| e.into_inner());
        s.error(format!("{error}: {reason}"));
    }
}
impl ConsumerContext for Ctx {}

fn now_ns() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The origin name for events from these brokers.
pub fn origin(opts: &KafkaOptions) -> Arc<str> {
    format!("kafka://{}", opts.brokers).into()
}

/// Decoded records handed to the caller: events, with a problem for the ones not fully decoded.
pub type Decoded = Vec<(DecodedEvent, Option<String>)>;

/// Consumes until `stop` is set or `on_records` returns false. Calls `on_records` about every
/// 50 ms, with the records that arrived (maybe none).
pub fn consume(
    opts: &KafkaOptions,
    stop: &AtomicBool,
    status: &Arc<Mutex<KafkaStatus>>,
    mut on_records: impl FnMut(Decoded) -> bool,
) -> Result<(), String> {
    let consumer: BaseConsumer<Ctx> = client_config(opts)
        .create_with_context(Ctx {
            status: status.clone(),
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
                Ok(()) => s.connected = true,
                Err(e) => s.error(e),
            }
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let key = (m.topic().to_string(), m.partition());
                let offset = m.offset();
                let mut s = status.lock().unwrap_or_else(|e| e.into_inner());
                s.connected = true;
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

fn decode<M: Message>(opts: &KafkaOptions, m: &M) -> (DecodedEvent, Option<String>) {
    let (broker_ts, ts_type) = match m.timestamp() {
        rdkafka::Timestamp::CreateTime(ms) => (ms.checked_mul(1_000_000), TsType::Create),
        rdkafka::Timestamp::LogAppendTime(ms) => (ms.checked_mul(1_000_000), TsType::LogAppend),
        rdkafka::Timestamp::NotAvailable => (None, TsType::None),
    };
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| Header {
                    name: h.key.into(),
                    value: h.value.map(|v| String::from_utf8_lossy(v).into()),
                })
                .collect()
        })
        .unwrap_or_default();
    let key = m.key().map(String::from_utf8_lossy);
    let rec = record::RawRecord {
        topic: Some(m.topic()),
        partition: Some(m.partition()),
        offset: Some(m.offset()),
        key: key.as_deref(),
        broker_ts,
        ts_type,
        headers,
        value: m.payload(),
        observed_at: Some(now_ns()),
    };
    match record::decode(rec, &opts.profiles, opts.keep_payload) {
        Ok(x) => x,
        // Every record has topic/partition/offset, which always make an id.
        Err(e) => unreachable!("{e}"),
    }
}

fn topic_wanted(opts: &KafkaOptions, name: &str) -> bool {
    opts.topics.iter().any(|t| t == name)
        || opts
            .topic_regex
            .as_ref()
            .is_some_and(|r| !name.starts_with("__") && r.is_match(name))
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
        if !topic_wanted(opts, t.name()) {
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

/// A running live source.
pub struct KafkaHandle {
    pub status: Arc<Mutex<KafkaStatus>>,
    pub description: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for KafkaHandle {
    /// Stops the thread without waiting for it (it may be inside a blocking metadata call; the
    /// window must not freeze): it ends on its own within seconds.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.thread.take());
    }
}

/// Starts consuming on its own thread; batches go to `tx`.
pub fn spawn(opts: KafkaOptions, tx: Sender<SourceMessage>, waker: Option<Waker>) -> KafkaHandle {
    let status = Arc::new(Mutex::new(KafkaStatus::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let description = format!(
        "{} · {}",
        opts.brokers,
        opts.topics
            .iter()
            .cloned()
            .chain(opts.topic_regex.as_ref().map(|r| format!("/{r}/")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (st, sp) = (status.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("kafka".into())
        .spawn(move || {
            let origin = origin(&opts);
            let keep = opts.keep_payload;
            let result = consume(&opts, &sp, &st, |records| {
                if records.is_empty() {
                    return true;
                }
                let mut events = PackedEvents::with_capacity(records.len());
                let mut batches = Vec::new();
                for (ev, problem) in records {
                    match problem {
                        None => events.push(ev, keep),
                        // One batch per record with a problem, so the problem attaches to it.
                        Some(reason) => {
                            let mut one = PackedEvents::with_capacity(1);
                            one.push(ev, keep);
                            batches.push(Batch {
                                origin: origin.clone(),
                                events: one,
                                problems: vec![Problem {
                                    line: 0,
                                    reason,
                                    event_kept: true,
                                }],
                                bytes_read: 0,
                            });
                        }
                    }
                }
                batches.insert(
                    0,
                    Batch {
                        origin: origin.clone(),
                        events,
                        problems: Vec::new(),
                        bytes_read: 0,
                    },
                );
                for b in batches {
                    let mut msg = SourceMessage::Batch(b);
                    // Wait for room, but notice a stop (a paused window drains nothing).
                    loop {
                        match tx.send_timeout(msg, Duration::from_millis(100)) {
                            Ok(()) => break,
                            Err(crossbeam_channel::SendTimeoutError::Timeout(m)) => {
                                if sp.load(Ordering::Relaxed) {
                                    return false;
                                }
                                msg = m;
                            }
                            Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => {
                                return false;
                            }
                        }
                    }
                }
                if let Some(w) = &waker {
                    w();
                }
                true
            });
            let _ = tx.send(SourceMessage::Finished {
                origin,
                error: result.err(),
            });
        })
        .expect("spawn kafka thread");
    KafkaHandle {
        status,
        description,
        stop,
        thread: Some(thread),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(props: &[(&str, &str)]) -> KafkaOptions {
        KafkaOptions {
            brokers: "127.0.0.1:1".into(),
            topics: vec!["orders".into()],
            topic_regex: Some(Regex::new("^pay").unwrap()),
            from: StartFrom::End,
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            profiles: ProfileConfig::default(),
            keep_payload: true,
        }
    }

    #[test]
    fn start_positions_parse() {
        assert_eq!("beginning".parse(), Ok(StartFrom::Beginning));
        assert_eq!("end".parse(), Ok(StartFrom::End));
        assert_eq!("-1000".parse(), Ok(StartFrom::Last(1000)));
        assert!(matches!(
            "2026-11-22T10:00:00Z".parse(),
            Ok(StartFrom::Time(_))
        ));
        assert!("-0".parse::<StartFrom>().is_err());
        assert!(
            "yesterday"
                .parse::<StartFrom>()
                .unwrap_err()
                .contains("RFC 3339")
        );
    }

    /// SASL cannot be tried against the test broker: its configuration path is checked here.
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
        assert_eq!(redacted("sasl.password", "s3cret"), "sasl.password=***");
        assert_eq!(redacted("sasl.username", "alice"), "sasl.username=alice");
        assert!(is_secret("sasl.oauthbearer.config") && is_secret("ssl.key.password"));
    }

    #[test]
    fn properties_files_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("client.properties");
        std::fs::write(
            &p,
            "# comment\nsecurity.protocol=SSL\n! other\nsasl.username: bob\n\n",
        )
        .unwrap();
        assert_eq!(
            read_properties(&p).unwrap(),
            [
                ("security.protocol".into(), "SSL".into()),
                ("sasl.username".into(), "bob".into())
            ]
        );
        std::fs::write(&p, "oops\n").unwrap();
        assert!(
            read_properties(&p)
                .unwrap_err()
                .contains("client.properties:1")
        );
        assert_eq!(parse_property("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_property("novalue").is_err());
    }

    #[test]
    fn topics_by_name_or_regex_but_never_internal() {
        let o = opts(&[]);
        assert!(topic_wanted(&o, "orders"));
        assert!(topic_wanted(&o, "payments"));
        assert!(!topic_wanted(&o, "shipping"));
        let all = KafkaOptions {
            topic_regex: Some(Regex::new(".*").unwrap()),
            ..o
        };
        assert!(!topic_wanted(&all, "__consumer_offsets"));
    }
}
