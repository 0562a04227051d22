//! `kcat -J` output: `{"topic","partition","offset","tstype","ts","broker","headers":[k,v,...],"key","payload"}`.
//! Ids and correlation come from headers and/or the JSON payload through the profiles.

use super::line::Text;
use super::native::ms_to_ns;
use super::{LineDecoder, record};
use crate::model::{DecodedEvent, Header, TsType};
use record::RawRecord;
use serde::Deserialize;

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
    let mut odd_headers = false;
    let headers = l.headers.map_or_else(Vec::new, |hs| {
        odd_headers = hs.len() % 2 == 1;
        hs.chunks_exact(2)
            .map(|kv| Header {
                name: kv[0].as_ref().map_or("", |t| &t.0).into(),
                value: kv[1].as_ref().map(|t| t.0.as_ref().into()),
                bytes: None,
            })
            .collect()
    });
    let rec = RawRecord {
        topic: l.topic.as_ref().map(|t| &*t.0),
        partition: l.partition,
        offset: l.offset,
        key: l.key.as_ref().map(|t| t.0.as_bytes()),
        broker_ts: l.ts.and_then(ms_to_ns),
        ts_type: l.tstype.map_or(TsType::None, |t| TsType::parse(&t.0)),
        headers,
        value: l.payload.as_ref().map(|p| p.0.as_bytes()),
        observed_at: None,
    };
    let place = format!(
        "{}/{}@{}",
        rec.topic.unwrap_or("?"),
        rec.partition.map_or("?".into(), |p| p.to_string()),
        rec.offset.map_or("?".into(), |o| o.to_string())
    );
    let (ev, problem) = record::decode(rec, &dec.profiles, dec.keep_payload)?;
    let problem = match (odd_headers, problem) {
        (true, Some(p)) => Some(format!(
            "{p}; odd number of header entries, last one dropped"
        )),
        (true, None) => Some(format!(
            "{place}: odd number of header entries; last one dropped"
        )),
        (false, p) => p,
    };
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
            br#"{"topic":"t","partition":0,"offset":9,"payload":"{hello","key":null}"#,
            1,
        );
        let LineOutcome::EventWithProblem(ev, why) = out else {
            panic!()
        };
        assert_eq!(ev.id.as_ref(), "t/0@9");
        assert_eq!(ev.provenance.id, Profile::Transport);
        assert!(why.contains("t/0@9: payload is not JSON"), "{why}");
        // Text that does not start like JSON is read as text, not flagged.
        let out = d.decode_line(
            br#"{"topic":"t","partition":0,"offset":10,"payload":"hello","key":null}"#,
            1,
        );
        let LineOutcome::Event(ev) = out else {
            panic!()
        };
        assert_eq!(ev.provenance.payload, crate::model::PayloadDecoder::Text);
    }
}
