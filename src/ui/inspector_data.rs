//! The inspector's detail of the selected event: its headers and payload, read (from memory or
//! back from its file) and parsed (or hex-dumped) once when the selection changes, not per frame.

use crate::analysis::Engine;
use crate::model::{EventDetail, Payload};
use crate::store::EventIdx;

/// Hex dumps show at most this many bytes.
const HEX_MAX: usize = 4096;

#[derive(Debug, Default, PartialEq)]
pub enum PayloadView {
    #[default]
    None,
    Json(serde_json::Value),
    /// JSON text that does not parse as a value, shown as it is.
    Text(String),
    Hex(String),
    /// The detail could not be read back from the file (gone, or changed since it was loaded).
    Unreadable(String),
}

#[derive(Default)]
pub struct InspectorData {
    event: Option<EventIdx>,
    /// Headers and content type (the payload is in `payload`).
    pub detail: Option<EventDetail>,
    pub payload: PayloadView,
}

impl InspectorData {
    pub fn update(&mut self, engine: &Engine, selected: Option<EventIdx>) {
        if self.event == selected {
            return;
        }
        self.event = selected;
        self.detail = None;
        let detail = match selected.map(|e| engine.store.read_detail(e)) {
            None | Some(Ok(None)) => None,
            Some(Ok(Some(d))) => Some(d.into_owned()),
            Some(Err(e)) => {
                self.payload = PayloadView::Unreadable(e);
                return;
            }
        };
        self.payload = match detail.as_ref().map(|d| &d.payload) {
            Some(Payload::Json(raw)) => match serde_json::from_str(raw.get()) {
                Ok(v) => PayloadView::Json(v),
                Err(_) => PayloadView::Text(raw.get().to_string()),
            },
            // Text that is not JSON (the `text` decoder) shows as text, other bytes as hex.
            Some(Payload::Bytes(b)) if crate::decode::schema::schemaless::is_text(b) => {
                PayloadView::Text(String::from_utf8_lossy(b).into_owned())
            }
            Some(Payload::Bytes(b)) => PayloadView::Hex(hex_dump(b, HEX_MAX)),
            _ => PayloadView::None,
        };
        // The payload is shown parsed: only the rest of the detail is kept.
        self.detail = detail.map(|d| EventDetail {
            payload: Payload::None,
            ..d
        });
    }
}

fn hex_dump(b: &[u8], max: usize) -> String {
    let mut out = String::new();
    for (i, chunk) in b[..b.len().min(max)].chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|x| format!("{x:02x}")).collect();
        let text: String = chunk
            .iter()
            .map(|&c| {
                if c.is_ascii_graphic() || c == b' ' {
                    c as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!("{:08x}  {:<48} {text}\n", i * 16, hex.join(" ")));
    }
    if b.len() > max {
        out.push_str(&format!("… {} more bytes", b.len() - max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    #[test]
    fn payload_parsed_once_per_selection() {
        let mut e = Engine::new(Config::default());
        e.push(
            DecodedEvent {
                id: "a".into(),
                event_type: "T".into(),
                payload: Payload::Json(
                    serde_json::value::RawValue::from_string(r#"{"k":[1,2]}"#.into()).unwrap(),
                ),
                ..Default::default()
            },
            0,
        );
        e.push(
            DecodedEvent {
                id: "b".into(),
                event_type: "T".into(),
                payload: Payload::Bytes(b"hi\x00".to_vec().into()),
                ..Default::default()
            },
            0,
        );
        let mut d = InspectorData::default();
        d.update(&e, Some(0));
        assert_eq!(
            d.payload,
            PayloadView::Json(serde_json::json!({"k": [1, 2]}))
        );
        d.update(&e, Some(1));
        assert_eq!(
            d.payload,
            PayloadView::Hex(format!("00000000  {:<48} hi.\n", "68 69 00"))
        );
        e.push(
            DecodedEvent {
                id: "c".into(),
                event_type: "T".into(),
                payload: Payload::Bytes(b"order 7 shipped\n".to_vec().into()),
                ..Default::default()
            },
            0,
        );
        d.update(&e, Some(2));
        assert_eq!(d.payload, PayloadView::Text("order 7 shipped\n".into()));
        d.update(&e, None);
        assert_eq!(d.payload, PayloadView::None);
    }
}
