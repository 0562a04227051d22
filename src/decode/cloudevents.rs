//! CloudEvents JSON, structured mode: one event per line with `specversion`, `id`, `source`, `type`
//! and the Correlation (`correlationid`, `causationid`) and Sequence (`sequence`) extensions.
//! Binary mode (`ce_` headers) is handled by the `cloudevents-binary` profile in any format with headers.

use super::LineDecoder;
use super::native::build;
use crate::model::{DecodedEvent, Profile};

pub(super) fn decode(
    line: &[u8],
    dec: &LineDecoder,
) -> Result<(DecodedEvent, Option<String>), String> {
    let l = super::scan::parse(line)?;
    if l.specversion.is_none() {
        return Err("not a CloudEvent: no \"specversion\" attribute".into());
    }
    build(l, dec, Profile::CloudEvents)
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::model::Profile;

    #[test]
    fn structured() {
        let d = LineDecoder::new(Format::CloudEvents, ProfileConfig::default(), false);
        let LineOutcome::Event(ev) = d.decode_line(
            br#"{"specversion":"1.0","id":"a","source":"/orders","type":"shop.OrderPlaced","correlationid":"c","data":{"causationId":"p"}}"#,
            1,
        ) else {
            panic!()
        };
        assert_eq!(ev.provenance.correlation, Profile::CloudEvents);
        assert_eq!(ev.causation_id.as_deref(), Some("p"));
        assert_eq!(ev.provenance.causation, Profile::Common);
        assert!(matches!(
            d.decode_line(br#"{"id":"a","type":"t"}"#, 2),
            LineOutcome::Error(_)
        ));
    }
}
