//! The native trace format: JSON Lines, CloudEvents names for the event and kcat names for the
//! transport (README, "Native trace format").

use super::line::{EventLine, RawJson, Text};
use super::{Format, LineDecoder, TRACE_VERSION, hash_bytes, profile, recording};
use crate::model::{
    DecodedEvent, EventFacts, EventView, Header, PackedEvents, Payload, PayloadDecoder, Profile,
    Provenance, SeqView, Sequence, Timestamp, TsType, dead_letter_evidence, parse_time,
};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct TraceHeader<'a> {
    eventscope_trace: u64,
    /// Version 2: `events` (the default) or `kafka-records` (a recording).
    #[serde(borrow)]
    content: Option<Text<'a>>,
}

/// The format a trace header line announces (checked by [`check_header`] when it is read).
pub(super) fn header_format(line: &[u8]) -> Format {
    match serde_json::from_slice::<TraceHeader>(line) {
        Ok(h)
            if h.content
                .as_ref()
                .is_some_and(|c| c.0 == recording::CONTENT) =>
        {
            Format::KafkaRecords
        }
        _ => Format::Native,
    }
}

pub(super) fn check_header(line: &[u8]) -> Result<(), String> {
    let h: TraceHeader =
        serde_json::from_slice(line).map_err(|e| format!("bad trace header: {e}"))?;
    if h.eventscope_trace > TRACE_VERSION || h.eventscope_trace == 0 {
        return Err(format!(
            "trace format version {} is not supported (this build reads versions 1 to {TRACE_VERSION})",
            h.eventscope_trace
        ));
    }
    match h.content.as_ref().map(|c| &*c.0) {
        None | Some("events") => Ok(()),
        Some(c) if c == recording::CONTENT && h.eventscope_trace >= 2 => Ok(()),
        Some(c) => Err(format!(
            "trace content '{c}' is not supported in version {} (known: events, {})",
            h.eventscope_trace,
            recording::CONTENT
        )),
    }
}

/// Epoch milliseconds to nanoseconds.
pub(super) fn ms_to_ns(ms: i64) -> Option<Timestamp> {
    ms.checked_mul(1_000_000)
}

/// RFC 3339 text, or epoch milliseconds as digits.
fn parse_time_or_ms(text: &str) -> Option<Timestamp> {
    match text.parse::<i64>() {
        Ok(ms) => ms_to_ns(ms),
        Err(_) => parse_time(text),
    }
}

/// Packs a scanned line straight into `out` when no correlation profile could change it (every
/// identifying field present, valid time, no overrides, payload not kept): the common case, with
/// no intermediate [`DecodedEvent`]. Returns `None` when the line needs the general path, which
/// gives the same result the slow way.
fn text<'b>(t: &'b Option<Text>) -> Option<&'b str> {
    t.as_ref().map(|t| &*t.0)
}

/// Overrides, kept payloads, base64 payloads and spans need the general path, and so does an id
/// a recording derived from the trace context or the transport: it is credited to that profile
/// and its content hashed (`trace_context::finish`).
fn needs_general_path(l: &EventLine, dec: &LineDecoder) -> bool {
    let p = &dec.profiles;
    dec.keep_payload
        || p.has_overrides()
        || l.data_base64.is_some()
        || p.spans.is_some()
        || text(&l.id).is_some_and(|id| super::trace_context::looks_derived(id) || id.contains('@'))
}

pub(super) fn pack_fast(
    l: &EventLine,
    line: u64,
    dec: &LineDecoder,
    explicit: Profile,
    out: &mut PackedEvents,
) -> Option<()> {
    let p = &dec.profiles;
    if needs_general_path(l, dec) {
        return None;
    }
    let id = text(&l.id).filter(|t| !t.is_empty())?;
    let event_type = text(&l.event_type).filter(|t| !t.is_empty())?;
    let source = text(&l.source)?;
    let correlation = text(&l.correlationid)?;
    // A first event of a flow has no cause: the profiles may still find one in its headers or
    // payload, looked up exactly as `build` does.
    let found_cause;
    let (causation, causation_from) = match text(&l.causationid) {
        Some(c) => (Some(c), explicit),
        None => {
            let headers: Vec<Header> = l
                .headers
                .iter()
                .flatten()
                .map(|(n, v)| Header::from_bytes(&n.0, v.as_ref().map(|v| v.0.as_bytes())))
                .collect();
            found_cause = profile::Lookup::new(&headers, l.data.map(|d| d.0))
                .find(p, profile::Field::Causation);
            match &found_cause {
                Some((c, from)) => (Some(c.as_str()), *from),
                None => (None, Profile::None),
            }
        }
    };
    let subject = text(&l.subject)?;
    let sequence = match Sequence::from_text(text(&l.sequence)?) {
        Sequence::Int(n) => SeqView::Int(n),
        Sequence::Text(_) => SeqView::Text(text(&l.sequence)?),
    };
    let time = Some(parse_time(text(&l.time)?)?);
    let dead_letter = l
        .headers
        .as_ref()
        .and_then(|hs| {
            dead_letter_evidence(
                hs.iter()
                    .map(|(n, v)| (&*n.0, v.as_ref().map(|v| v.0.as_bytes()))),
            )
        })
        .map(Into::into);
    let provenance = Provenance {
        id: explicit,
        event_type: explicit,
        correlation: explicit,
        causation: causation_from,
        sequence: explicit,
        subject: explicit,
        payload: PayloadDecoder::Json,
    };
    out.push_view(EventView {
        id,
        event_type,
        source: Some(source),
        correlation: Some(correlation),
        causation,
        subject: Some(subject),
        topic: text(&l.topic),
        key: text(&l.key),
        sequence: Some(sequence),
        facts: EventFacts {
            time,
            broker_ts: l.ts.and_then(ms_to_ns),
            observed_at: text(&l.observed_at).and_then(parse_time_or_ms),
            offset: l.offset,
            partition: l.partition,
            ts_type: text(&l.tstype).map_or(TsType::None, TsType::parse),
            provenance,
            data_hash: l.data.map_or(0, |d| hash_bytes(d.0.as_bytes())),
            line,
        },
        dead_letter,
    });
    Some(())
}

pub(super) fn decode(
    line: &[u8],
    dec: &LineDecoder,
) -> Result<(DecodedEvent, Option<String>), String> {
    let l = super::scan::parse(line)?;
    build(l, dec, Profile::Native)
}

/// Builds an event from a parsed line; `explicit` is the profile credited for explicit fields.
pub(super) fn build(
    l: EventLine,
    dec: &LineDecoder,
    explicit: Profile,
) -> Result<(DecodedEvent, Option<String>), String> {
    let mut problem = None;
    let mut ev = DecodedEvent::default();
    if let Some(id) = l.id {
        ev.id = id.boxed();
        ev.provenance.id = explicit;
    }
    if let Some(t) = l.event_type {
        ev.event_type = t.boxed();
        ev.provenance.event_type = explicit;
    }
    ev.source = l.source.map(Text::boxed);
    if let Some(t) = l.time {
        ev.time = parse_time(&t.0);
        if ev.time.is_none() {
            problem = Some(format!(
                "time '{}' is not RFC 3339; kept without event time",
                t.0
            ));
        }
    }
    if let Some(c) = l.correlationid {
        ev.correlation_id = Some(c.boxed());
        ev.provenance.correlation = explicit;
    }
    if let Some(c) = l.causationid {
        ev.causation_id = Some(c.boxed());
        ev.provenance.causation = explicit;
    }
    if let Some(s) = l.sequence {
        ev.sequence = Some(Sequence::from_text(&s.0));
        ev.provenance.sequence = explicit;
    }
    if let Some(s) = l.subject {
        ev.subject = Some(s.boxed());
        ev.provenance.subject = explicit;
    }
    ev.topic = l.topic.map(Text::boxed);
    ev.partition = l.partition;
    ev.offset = l.offset;
    ev.key = l.key.map(Text::boxed);
    ev.broker_ts = l.ts.and_then(ms_to_ns);
    ev.ts_type = l.tstype.map_or(TsType::None, |t| TsType::parse(&t.0));
    if let Some(o) = l.observed_at {
        ev.observed_at = parse_time_or_ms(&o.0);
    }
    if let Some(hs) = l.headers {
        ev.headers = hs
            .into_iter()
            .map(|(n, v)| Header {
                name: n.boxed(),
                value: v.map(Text::boxed),
                bytes: None,
            })
            .collect();
    }
    ev.content_type = l.datacontenttype.map(Text::boxed);
    let json_text = take_payload(
        &mut ev,
        l.data,
        l.data_base64,
        dec.keep_payload,
        &mut problem,
    );
    profile::complete(&mut ev, json_text, &dec.profiles);
    if ev.id.is_empty() {
        return Err("no event id: no \"id\" field and no correlation profile found one".into());
    }
    if ev.event_type.is_empty() {
        return Err("no event type: no \"type\" field and no correlation profile found one".into());
    }
    Ok((ev, problem))
}

/// Sets the payload from JSON `data` or `data_base64` bytes (kept only with `keep`; hashed always).
/// Returns the JSON text, which the correlation profiles read.
fn take_payload<'a>(
    ev: &mut DecodedEvent,
    data: Option<RawJson<'a>>,
    data_base64: Option<Text>,
    keep: bool,
    problem: &mut Option<String>,
) -> Option<&'a str> {
    if let Some(RawJson(text)) = data {
        ev.data_hash = hash_bytes(text.as_bytes());
        if keep && let Ok(raw) = RawValue::from_string(text.to_owned()) {
            ev.payload = Payload::Json(raw);
        }
        return Some(text);
    }
    if let Some(b64) = data_base64 {
        match base64::engine::general_purpose::STANDARD.decode(b64.0.as_bytes()) {
            Ok(bytes) => {
                ev.data_hash = hash_bytes(&bytes);
                if keep {
                    ev.payload = Payload::Bytes(bytes.into());
                }
            }
            Err(e) => *problem = Some(format!("data_base64 is not base64 ({e}); payload dropped")),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::model::{Payload, Profile, Sequence};

    #[test]
    fn full_line() {
        let line = br#"{"id":"e1","type":"OrderPlaced","source":"orders","time":"2026-11-22T03:21:16.123Z","correlationid":"c1","causationid":"p0","sequence":"7","subject":"order-42","topic":"orders","partition":2,"offset":1044,"key":"order-42","ts":1763781676123,"tstype":"create","observed_at":"2026-11-22T03:21:16.200Z","headers":[["a","1"],["a","2"],["n",null]],"datacontenttype":"application/json","data":{"x":[1,2]}}"#;
        let d = LineDecoder::new(Format::Native, ProfileConfig::default(), true);
        let LineOutcome::Event(ev) = d.decode_line(line, 3) else {
            panic!()
        };
        assert_eq!(ev.id.as_ref(), "e1");
        assert_eq!(ev.sequence, Some(Sequence::Int(7)));
        assert_eq!(ev.headers.len(), 3);
        assert_eq!(ev.headers[1].value.as_deref(), Some("2"));
        assert_eq!(ev.partition, Some(2));
        assert_eq!(ev.broker_ts, Some(1763781676123 * 1_000_000));
        assert_eq!(ev.provenance.correlation, Profile::Native);
        assert_eq!(ev.line, 3);
        assert!(matches!(ev.payload, Payload::Json(ref j) if j.get() == r#"{"x":[1,2]}"#));
    }

    #[test]
    fn base64_and_bad_time_keep_the_event() {
        let d = LineDecoder::new(Format::Native, ProfileConfig::default(), true);
        let out = d.decode_line(
            br#"{"id":1,"type":"T","time":"noon","data_base64":"AAEC"}"#,
            1,
        );
        let LineOutcome::EventWithProblem(ev, why) = out else {
            panic!()
        };
        assert!(why.contains("noon"));
        assert_eq!(ev.id.as_ref(), "1");
        assert!(matches!(ev.payload, Payload::Bytes(ref b) if b[..] == [0, 1, 2]));
    }

    #[test]
    fn complete_lines_take_the_fast_path() {
        let d = LineDecoder::new(Format::Native, ProfileConfig::default(), false);
        let line = br#"{"id":"e1","type":"T","source":"s","time":"2026-11-22T03:21:16.123Z","correlationid":"c","causationid":"p","sequence":2,"subject":"o-1","data":{"x":1}}"#;
        let l = crate::decode::scan::scan(line).unwrap();
        let mut out = crate::model::PackedEvents::default();
        assert!(super::pack_fast(&l, 1, &d, Profile::Native, &mut out).is_some());
        assert_eq!(out.str(out.events[0].id), "e1");
        // Missing causation: none, or what a profile finds in the headers or payload.
        let l = crate::decode::scan::scan(br#"{"id":"e2","type":"T","source":"s","time":"2026-11-22T03:21:16.123Z","correlationid":"c","sequence":2,"subject":"o-1"}"#).unwrap();
        assert!(super::pack_fast(&l, 2, &d, Profile::Native, &mut out).is_some());
        assert!(out.events[1].causation.is_none());
        assert_eq!(out.events[1].facts.provenance.causation, Profile::None);
        let l = crate::decode::scan::scan(br#"{"id":"e3","type":"T","source":"s","time":"2026-11-22T03:21:16.123Z","correlationid":"c","sequence":2,"subject":"o-1","headers":[["X-Causation-Id","p9"]]}"#).unwrap();
        assert!(super::pack_fast(&l, 3, &d, Profile::Native, &mut out).is_some());
        assert_eq!(out.events[2].causation.map(|c| out.str(c)), Some("p9"));
        assert_eq!(out.events[2].facts.provenance.causation, Profile::Common);
    }
}
