//! One Kafka record (topic, partition, offset, key, headers, value, timestamp) to an event. Shared by
//! every source that sees records rather than lines: kcat `-J` lines, the demo bus and live Kafka,
//! so the analysis cannot tell them apart. Ids and correlation come from the headers and/or the
//! JSON value through the profiles.

use super::{hash_bytes, profile, schema};
use crate::model::{DecodedEvent, Header, Payload, PayloadDecoder, Profile, Timestamp, TsType};
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

/// A wire-format body decoded with `--schemas`; `None` when the value is not in the wire format
/// or no schemas were given.
fn with_schema(
    bytes: &[u8],
    topic: Option<&str>,
    profiles: &profile::ProfileConfig,
) -> Option<Result<schema::Decoded, String>> {
    let id = confluent_schema_id(bytes)?;
    Some(profiles.schemas.as_ref()?.decode(id, topic, &bytes[5..]))
}

/// The problem of a value that could not be read in full: in the wire format with no schema (or
/// one that failed), or binary that no decoder recognised.
fn not_decoded(
    bytes: &[u8],
    guess: &schema::schemaless::Guess,
    why: Option<String>,
    place: &str,
) -> String {
    let what = match (confluent_schema_id(bytes), why) {
        (Some(id), Some(why)) => format!("Confluent wire format, schema id {id}: {why}"),
        (Some(id), None) => format!("Confluent wire format, schema id {id}: no schema"),
        (None, _) => "payload is binary".to_string(),
    };
    let kept = match guess.json {
        Some(_) => format!("read without a schema as {}", guess.decoder.name()),
        None => "kept as bytes".into(),
    };
    format!("{place}: {what} ({} bytes); {kept}", bytes.len())
}

/// A value that is not JSON and that no schema decoded (`why` says why a schema failed): read
/// without a schema. Returns the guess and the problem to report, if any: wire-format values
/// (their schema is missing or failed, even when the body could be read) and bytes shown as hex.
fn without_schema(
    bytes: &[u8],
    why: Option<String>,
    place: &dyn Fn() -> String,
) -> (schema::schemaless::Guess, Option<String>) {
    let guess = match confluent_schema_id(bytes) {
        Some(id) => schema::schemaless::guess_wire_body(id, &bytes[5..]),
        None => schema::schemaless::guess(bytes),
    };
    let failed = guess.decoder == PayloadDecoder::Hex || confluent_schema_id(bytes).is_some();
    let problem = failed.then(|| not_decoded(bytes, &guess, why, &place()));
    (guess, problem)
}

/// The type when no profile gave one.
fn fill_type(ev: &mut DecodedEvent, schema_name: Option<String>) {
    // The schema's record name comes after every profile (headers and payload fields), before
    // the topic; shortened to the simple name like the frameworks' qualified types (the full
    // name stays in the content type note).
    if ev.event_type.is_empty()
        && let Some(name) = schema_name
    {
        ev.event_type = super::frameworks::simple_name(&name).into();
        ev.provenance.event_type = Profile::Schema;
    }
    if ev.event_type.is_empty() {
        match &ev.topic {
            Some(t) => {
                ev.event_type = t.clone();
                ev.provenance.event_type = Profile::Topic;
            }
            None => ev.event_type = "unknown".into(),
        }
    }
}

/// What a value that is not JSON gave.
#[derive(Default)]
struct ReadValue {
    /// The payload as JSON text, when it became JSON.
    json: Option<String>,
    /// The schema's record or message name.
    name: Option<String>,
    decoder: PayloadDecoder,
    /// The content type note.
    note: Option<String>,
    problem: Option<String>,
    /// Where the top-level fields are in `json`, when the decoder said.
    top: Option<Vec<schema::TopField>>,
}

/// Reads a value that is not JSON (`broken`: why, when it starts like JSON): with its schema,
/// else without one.
fn read_value(
    bytes: &[u8],
    broken: Option<serde_json::Error>,
    topic: Option<&str>,
    profiles: &profile::ProfileConfig,
    place: &dyn Fn() -> String,
) -> ReadValue {
    if let Some(e) = broken {
        // Text that starts like JSON but does not parse: shown as text, and a problem.
        let problem = format!(
            "{}: payload is not JSON: {e} ({} bytes); kept as bytes",
            place(),
            bytes.len()
        );
        return ReadValue {
            decoder: PayloadDecoder::Text,
            note: Some("text/plain (starts like JSON, does not parse)".into()),
            problem: Some(problem),
            ..Default::default()
        };
    }
    match with_schema(bytes, topic, profiles) {
        Some(Ok(d)) => ReadValue {
            json: Some(d.json),
            name: d.name,
            decoder: d.decoder,
            note: Some(d.note),
            problem: None,
            top: d.top,
        },
        failed => {
            let why = failed.and_then(Result::err);
            let (guess, problem) = without_schema(bytes, why, place);
            ReadValue {
                json: guess.json,
                name: None,
                decoder: guess.decoder,
                note: Some(guess.note),
                problem,
                top: None,
            }
        }
    }
}

/// The value as JSON: `Err(Some(why))` when it starts like JSON and does not parse, `Err(None)`
/// when it does not look like JSON (or is not text).
fn as_json(text: Option<&str>) -> Result<&RawValue, Option<serde_json::Error>> {
    let looks_json = text.is_some_and(|t| t.trim_start().starts_with(['{', '[', '"']));
    match text.filter(|_| looks_json) {
        Some(t) => serde_json::from_str::<&RawValue>(t).map_err(Some),
        None => Err(None),
    }
}

/// Decodes a record. The second value is a problem to report (the event is still kept).
pub fn decode(
    rec: RawRecord,
    profiles: &profile::ProfileConfig,
    keep_payload: bool,
) -> Result<(DecodedEvent, Option<String>), String> {
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
    let mut read = ReadValue::default();
    let mut fields = None;
    match rec.value {
        Some(bytes) => {
            ev.data_hash = hash_bytes(bytes);
            let text = std::str::from_utf8(bytes).ok();
            // An object that `serde_json::Value` reads is JSON (`RawValue` reads all it reads):
            // when the payload is not kept, that parse is the only one, and serves the profiles.
            fields = text
                .filter(|t| !keep_payload && t.trim_start().starts_with('{'))
                .and_then(profile::Fields::parse);
            match (text, &fields) {
                (Some(t), Some(_)) => json_text = Some(t.trim_matches([' ', '\t', '\n', '\r'])),
                _ => match as_json(text) {
                    Ok(raw) => {
                        json_text = Some(raw.get());
                        if keep_payload {
                            ev.payload = Payload::Json(raw.to_owned());
                        }
                    }
                    Err(broken) => {
                        read = read_value(bytes, broken, rec.topic, profiles, &place);
                        ev.provenance.payload = read.decoder;
                        ev.content_type = read.note.take().map(Into::into);
                        if read.json.is_none() && keep_payload {
                            ev.payload = Payload::Bytes(bytes.into());
                        }
                    }
                },
            }
        }
        None => ev.provenance.payload = PayloadDecoder::None,
    }
    if let Some(json) = read.json.as_deref() {
        json_text = Some(json);
    }
    let known = match (fields, read.top.as_deref()) {
        (Some(f), _) => profile::Known::Fields(f),
        (None, Some(top)) => profile::Known::Top(top),
        (None, None) => profile::Known::Nothing,
    };
    profile::complete_known(&mut ev, json_text, known, profiles);
    if let Some(json) = read.json.filter(|_| keep_payload) {
        ev.payload = RawValue::from_string(json).map_or(Payload::None, Payload::Json);
    }
    let (schema_name, problem) = (read.name, read.problem);
    fill_type(&mut ev, schema_name);
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
