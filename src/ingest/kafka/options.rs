//! What to connect to and how: [`KafkaRequest`] is what a user asked for (the command line or
//! the connect dialog), checked once by [`KafkaRequest::build`] into [`KafkaOptions`].

use crate::decode::ProfileConfig;
use crate::model::{Timestamp, parse_time};
use regex::Regex;
use std::sync::Arc;

/// Where consumption starts in each partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartFrom {
    Beginning,
    #[default]
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

/// Everything needed to connect, checked. Its `Debug` hides secret property values.
#[derive(Clone, Debug)]
pub struct KafkaOptions {
    pub brokers: String,
    pub topics: Vec<String>,
    pub topic_regex: Option<Regex>,
    pub from: StartFrom,
    /// librdkafka properties (`-X key=value`, `--config FILE`), in order; later ones win.
    pub properties: Properties,
    pub profiles: ProfileConfig,
    pub keep_payload: bool,
    /// Also hand over each record as it came, as a recording line (`eventscope record`).
    pub record_lines: bool,
}

impl KafkaOptions {
    /// The origin name for events from these brokers.
    pub fn origin(&self) -> Arc<str> {
        format!("kafka://{}", self.brokers).into()
    }

    /// "brokers · topic, /regex/" for status lines.
    pub fn description(&self) -> String {
        format!(
            "{} · {}",
            self.brokers,
            self.topics
                .iter()
                .cloned()
                .chain(self.topic_regex.as_ref().map(|r| format!("/{r}/")))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// A named topic, or one the regex matches (never an internal `__` topic).
    pub fn wants_topic(&self, name: &str) -> bool {
        self.topics.iter().any(|t| t == name)
            || self
                .topic_regex
                .as_ref()
                .is_some_and(|r| !name.starts_with("__") && r.is_match(name))
    }
}

/// What a user asked to connect to, as typed: surrounding spaces and blank topics do not count.
/// Its `Debug` hides secret property values.
#[derive(Clone, Debug, Default)]
pub struct KafkaRequest {
    pub brokers: String,
    pub topics: Vec<String>,
    /// A regex for more topics; blank means none.
    pub topic_regex: String,
    pub from: StartFrom,
    /// Applied in order over the defaults (later ones win).
    pub properties: Properties,
    pub profiles: ProfileConfig,
    pub keep_payload: bool,
}

/// librdkafka properties (`-X key=value`, `--config FILE`), in order; later ones win. Its
/// `Debug` shows secret values as `***` (a panic message or a log line may print the options).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Properties(pub Vec<(String, String)>);

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| super::redacted(k, v)))
            .finish()
    }
}

impl std::ops::Deref for Properties {
    type Target = Vec<(String, String)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<Vec<(String, String)>> for Properties {
    fn from(v: Vec<(String, String)>) -> Self {
        Properties(v)
    }
}

impl FromIterator<(String, String)> for Properties {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Properties(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = &'a (String, String);
    type IntoIter = std::slice::Iter<'a, (String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Why a [`KafkaRequest`] cannot be used. The text names the fields as the connect dialog
/// shows them; the command line words the first two after its flags.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestError {
    NoBrokers,
    NoTopic,
    BadRegex(String),
    /// A property given by reference (`@env:NAME`, `@file:PATH`) that cannot be read.
    Property(String),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::NoBrokers | RequestError::NoTopic => {
                f.write_str("give brokers and at least one topic or a regex")
            }
            RequestError::BadRegex(e) => write!(f, "topic regex: {e}"),
            RequestError::Property(e) => f.write_str(e),
        }
    }
}

impl KafkaRequest {
    /// Checks the request: brokers given, at least one topic or a regex, the regex valid, and
    /// reads property values given by reference ([`super::resolve_value`]).
    pub fn build(self) -> Result<KafkaOptions, RequestError> {
        let brokers = self.brokers.trim().to_string();
        let topics: Vec<String> = self
            .topics
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        let regex = Some(self.topic_regex.trim())
            .filter(|r| !r.is_empty())
            .map(Regex::new)
            .transpose()
            .map_err(|e| RequestError::BadRegex(e.to_string()))?;
        if brokers.is_empty() {
            return Err(RequestError::NoBrokers);
        }
        if topics.is_empty() && regex.is_none() {
            return Err(RequestError::NoTopic);
        }
        // `schema.registry.*` configure the registry client, not librdkafka.
        let (registry, properties) = super::super::registry::split(&self.properties);
        let mut profiles = self.profiles;
        super::super::registry::attach(&mut profiles, &registry).map_err(RequestError::Property)?;
        let properties = properties
            .into_iter()
            .map(|(k, v)| super::resolve_value(&k, &v).map(|v| (k, v)))
            .collect::<Result<_, _>>()
            .map_err(RequestError::Property)?;
        Ok(KafkaOptions {
            brokers,
            topics,
            topic_regex: regex,
            from: self.from,
            properties,
            profiles,
            keep_payload: self.keep_payload,
            record_lines: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(brokers: &str, topics: &[&str], regex: &str) -> KafkaRequest {
        KafkaRequest {
            brokers: brokers.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            topic_regex: regex.into(),
            ..Default::default()
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

    #[test]
    fn topics_by_name_or_regex_but_never_internal() {
        let o = request("b:1", &["orders"], "^pay").build().unwrap();
        assert!(o.wants_topic("orders"));
        assert!(o.wants_topic("payments"));
        assert!(!o.wants_topic("shipping"));
        let all = request("b:1", &[], ".*").build().unwrap();
        assert!(!all.wants_topic("__consumer_offsets"));
    }

    #[test]
    fn requests_are_trimmed_and_checked() {
        let o = request(" b:1 ", &[" orders ", "", "  "], "  ")
            .build()
            .unwrap();
        assert_eq!(
            (o.brokers.as_str(), o.topics.as_slice()),
            ("b:1", &["orders".to_string()][..])
        );
        assert!(o.topic_regex.is_none());
        assert_eq!(o.description(), "b:1 · orders");
        assert_eq!(&*o.origin(), "kafka://b:1");
        assert_eq!(
            request(" ", &["orders"], "").build().unwrap_err(),
            RequestError::NoBrokers
        );
        assert_eq!(
            request("b:1", &[" "], " ").build().unwrap_err(),
            RequestError::NoTopic
        );
        let bad = request("b:1", &[], "(").build().unwrap_err();
        assert!(bad.to_string().starts_with("topic regex: "), "{bad}");
    }

    #[test]
    fn secrets_are_read_by_reference_and_never_debug_printed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key-password");
        std::fs::write(&file, "from-a-file\n").unwrap();
        let mut r = request("b:1", &["orders"], "");
        r.properties = vec![
            ("sasl.password".into(), "typed-secret".into()),
            (
                "ssl.key.password".into(),
                format!("@file:{}", file.display()),
            ),
            ("ssl.ca.location".into(), "/ca.pem".into()),
        ]
        .into();
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("typed-secret") && shown.contains("/ca.pem"),
            "{shown}"
        );
        let o = r.clone().build().unwrap();
        assert_eq!(
            o.properties[1].1, "from-a-file",
            "read, without the line break"
        );
        let shown = format!("{o:?}");
        assert!(
            !shown.contains("typed-secret") && !shown.contains("from-a-file"),
            "{shown}"
        );
        assert!(shown.contains("sasl.password=***"), "{shown}");
        r.properties = vec![("sasl.password".into(), "@env:EVENTSCOPE_NO_SUCH_VAR".into())].into();
        assert_eq!(
            r.build().unwrap_err().to_string(),
            "sasl.password: environment variable EVENTSCOPE_NO_SUCH_VAR is not set"
        );
    }
}
