//! `kcat -J` output: `{"topic","partition","offset","tstype","ts","broker","headers":[k,v,...],"key","payload"}`.
//! Ids and correlation come from headers and/or the JSON payload through the profiles.

use super::native::{Text, ms_to_ns};
use super::{LineDecoder, hash_bytes, profile};
use crate::model::{DecodedEvent, Header, Payload, TsType};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct KcatLine<'a> {
    #[serde(borrow)]
    topic: Option<Text<'a>>,
    partition: Option<i32>,
    offset: Option<i64>,
    #[serde(borrow)]
    tstype: Option<Text<'a>>,
    ts: Option<i64>,
    #[serde(borrow)]
    headers: Option<Vec<Option<Text<'a>>>>,
    #[serde(borrow)]
    key: Option<Text<'a>>,
    #[serde(borrow)]
    payload: Option<Text<'a>>,
}

pub(super) fn decode(
    line: &[u8],
    dec: &LineDecoder,
) -> Result<(DecodedEvent, Option<String>), String> {
    let l: KcatLine = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let mut problem = None;
    let mut ev = DecodedEvent {
        topic: l.topic.map(Text::boxed),
        partition: l.partition,
        offset: l.offset,
        key: l.key.map(Text::boxed),
        broker_ts: l.ts.and_then(ms_to_ns),
        ts_type: l.tstype.map_or(TsType::None, |t| TsType::parse(&t.0)),
        ..Default::default()
    };
    let place = || {
        format!(
            "{}/{}@{}",
            ev.topic.as_deref().unwrap_or("?"),
            ev.partition.map_or("?".into(), |p| p.to_string()),
            ev.offset.map_or("?".into(), |o| o.to_string())
        )
    };
    if let Some(hs) = l.headers {
        if hs.len() % 2 == 1 {
            problem = Some(format!(
                "{}: odd number of header entries; last one dropped",
                place()
            ));
        }
        ev.headers = hs
            .chunks_exact(2)
            .map(|kv| {
                let name = kv[0].as_ref().map_or("", |t| &t.0).into();
                Header {
                    name,
                    value: kv[1].as_ref().map(|t| t.0.as_ref().into()),
                }
            })
            .collect();
    }
    let mut json_text = None;
    let payload_text;
    if let Some(p) = l.payload {
        payload_text = p.0;
        ev.data_hash = hash_bytes(payload_text.as_bytes());
        let trimmed = payload_text.trim_start();
        let looks_json = trimmed.starts_with(['{', '[', '"']);
        match looks_json.then(|| serde_json::from_str::<&RawValue>(&payload_text)) {
            Some(Ok(raw)) => {
                json_text = Some(raw.get());
                if dec.keep_payload {
                    ev.payload = Payload::Json(raw.to_owned());
                }
            }
            _ => {
                problem = Some(format!(
                    "{}: payload is not JSON ({} bytes); kept as bytes",
                    place(),
                    payload_text.len()
                ));
                if dec.keep_payload {
                    ev.payload = Payload::Bytes(payload_text.as_bytes().into());
                }
            }
        }
    }
    profile::complete(&mut ev, json_text, &dec.profiles);
    if ev.event_type.is_empty() {
        ev.event_type = ev.topic.clone().unwrap_or_else(|| "unknown".into());
    }
    if ev.id.is_empty() {
        return Err(
            "no event id: no profile found one and the line has no topic/partition/offset".into(),
        );
    }
    Ok((ev, problem))
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::model::Profile;

    #[test]
    fn kcat_line_with_binary_mode_headers() {
        let d = LineDecoder::new(Format::Kcat, ProfileConfig::default(), true);
        let line = br#"{"topic":"orders","partition":1,"offset":5,"tstype":"create","ts":1700000000000,"broker":1,"headers":["ce_id","e1","ce_type","OrderPlaced","ce_correlationid","c1","x","1","x","2"],"key":"order-1","payload":"{\"total\":3}"}"#;
        let LineOutcome::Event(ev) = d.decode_line(line, 1) else {
            panic!()
        };
        assert_eq!(ev.id.as_ref(), "e1");
        assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
        assert_eq!(ev.provenance.id, Profile::CloudEventsBinary);
        assert_eq!(ev.headers.len(), 5);
        assert_eq!(ev.key.as_deref(), Some("order-1"));
    }

    #[test]
    fn non_json_payload_kept_and_flagged() {
        let d = LineDecoder::new(Format::Kcat, ProfileConfig::default(), true);
        let out = d.decode_line(
            br#"{"topic":"t","partition":0,"offset":9,"payload":"hello","key":null}"#,
            1,
        );
        let LineOutcome::EventWithProblem(ev, why) = out else {
            panic!()
        };
        assert_eq!(ev.id.as_ref(), "t/0@9");
        assert_eq!(ev.provenance.id, Profile::Transport);
        assert!(why.contains("t/0@9"), "{why}");
    }
}
