//! One Kafka record (topic, partition, offset, key, headers, value, timestamp) to an event. Shared by
//! every source that sees records rather than lines: kcat `-J` lines, the demo bus and live Kafka,
//! so the analysis cannot tell them apart. Ids and correlation come from the headers and/or the
//! JSON value through the profiles.

use super::{hash_bytes, profile};
use crate::model::{DecodedEvent, Header, Payload, Profile, Timestamp, TsType};
use serde_json::value::RawValue;

/// A record as a client hands it over: key, header values and value are its bytes (a recording
/// writes them as they are, `decode::recording`).
#[derive(Clone, Debug, Default)]
pub struct RawRecord<'a> {
    pub topic: Option<&'a str>,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub broker_ts: Option<Timestamp>,
    pub ts_type: TsType,
    pub headers: Vec<Header>,
    pub value: Option<&'a [u8]>,
    pub observed_at: Option<Timestamp>,
}

/// The Confluent Schema Registry wire format: magic byte 0, then a 4-byte big-endian schema id.
pub fn confluent_schema_id(value: &[u8]) -> Option<u32> {
    match value {
        [0, a, b, c, d, ..] if value.len() > 5 => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// Decodes a record. The second value is a problem to report (the event is still kept).
pub fn decode(
    rec: RawRecord,
    profiles: &profile::ProfileConfig,
    keep_payload: bool,
) -> Result<(DecodedEvent, Option<String>), String> {
    let mut problem = None;
    let mut ev = DecodedEvent {
        topic: rec.topic.map(Into::into),
        partition: rec.partition,
        offset: rec.offset,
        // The event's key is text; a key that is not UTF-8 shows lossily (a recording keeps its
        // bytes).
        key: rec.key.map(|k| String::from_utf8_lossy(k).into()),
        broker_ts: rec.broker_ts,
        ts_type: rec.ts_type,
        observed_at: rec.observed_at,
        headers: rec.headers,
        ..Default::default()
    };
    let place = || {
        format!(
            "{}/{}@{}",
            rec.topic.unwrap_or("?"),
            rec.partition.map_or("?".into(), |p| p.to_string()),
            rec.offset.map_or("?".into(), |o| o.to_string())
        )
    };
    let mut json_text = None;
    if let Some(bytes) = rec.value {
        ev.data_hash = hash_bytes(bytes);
        let text = std::str::from_utf8(bytes).ok();
        let looks_json = text.is_some_and(|t| t.trim_start().starts_with(['{', '[', '"']));
        match text
            .filter(|_| looks_json)
            .map(serde_json::from_str::<&RawValue>)
        {
            Some(Ok(raw)) => {
                json_text = Some(raw.get());
                if keep_payload {
                    ev.payload = Payload::Json(raw.to_owned());
                }
            }
            _ => {
                let what = match confluent_schema_id(bytes) {
                    Some(id) => format!("Confluent wire format, schema id {id}"),
                    None if text.is_some() => "payload is not JSON".to_string(),
                    None => "payload is binary".to_string(),
                };
                problem = Some(format!(
                    "{}: {what} ({} bytes); kept as bytes",
                    place(),
                    bytes.len()
                ));
                if keep_payload {
                    ev.payload = Payload::Bytes(bytes.into());
                }
            }
        }
    }
    profile::complete(&mut ev, json_text, profiles);
    if ev.event_type.is_empty() {
        match &ev.topic {
            Some(t) => {
                ev.event_type = t.clone();
                ev.provenance.event_type = Profile::Topic;
            }
            None => ev.event_type = "unknown".into(),
        }
    }
    if ev.id.is_empty() {
        return Err(format!(
            "{}: no event id: no profile found one and the record has no topic/partition/offset",
            place()
        ));
    }
    Ok((ev, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confluent_wire_format_is_named_with_its_schema_id() {
        let value = [0u8, 0, 0, 1, 44, 2, 3, 4];
        let rec = RawRecord {
            topic: Some("t"),
            partition: Some(0),
            offset: Some(7),
            value: Some(&value),
            ..Default::default()
        };
        let (ev, problem) = decode(rec, &Default::default(), true).unwrap();
        assert_eq!(ev.id.as_ref(), "t/0@7");
        let problem = problem.unwrap();
        assert!(problem.contains("schema id 300"), "{problem}");
        assert!(problem.contains("t/0@7"), "{problem}");
        assert!(matches!(ev.payload, Payload::Bytes(_)));
        assert_eq!(confluent_schema_id(b"{}"), None);
    }
}
