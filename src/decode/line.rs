//! The borrowed view of one line of the native format (also CloudEvents structured mode, which uses
//! the same names): filled by the fast scanner (`scan`) or by serde, read by the native decoder.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A JSON string (borrowed when it has no escapes) or number, as text.
pub(super) struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

impl Text<'_> {
    pub(super) fn boxed(self) -> Box<str> {
        self.0.into()
    }
}

/// A JSON value's text exactly as it appears in the line (valid JSON: serde_json or the fast
/// scanner checked it).
#[derive(Clone, Copy, Debug)]
pub(super) struct RawJson<'a>(pub &'a str);

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|r| RawJson(r.get()))
    }
}

/// Headers as `[name, value]` pairs.
pub(super) type HeaderPairs<'a> = Vec<(Text<'a>, Option<Text<'a>>)>;

/// One event line of the native format (also CloudEvents structured mode, which uses the same names).
#[derive(Deserialize, Default)]
pub(super) struct EventLine<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow, rename = "type")]
    pub event_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub source: Option<Text<'a>>,
    #[serde(borrow)]
    pub specversion: Option<Text<'a>>,
    #[serde(borrow)]
    pub time: Option<Text<'a>>,
    #[serde(borrow)]
    pub correlationid: Option<Text<'a>>,
    #[serde(borrow)]
    pub causationid: Option<Text<'a>>,
    #[serde(borrow)]
    pub sequence: Option<Text<'a>>,
    #[serde(borrow)]
    pub subject: Option<Text<'a>>,
    #[serde(borrow)]
    pub topic: Option<Text<'a>>,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    #[serde(borrow)]
    pub key: Option<Text<'a>>,
    pub ts: Option<i64>,
    #[serde(borrow)]
    pub tstype: Option<Text<'a>>,
    #[serde(borrow)]
    pub observed_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub headers: Option<HeaderPairs<'a>>,
    #[serde(borrow)]
    pub datacontenttype: Option<Text<'a>>,
    #[serde(borrow)]
    pub data: Option<RawJson<'a>>,
    #[serde(borrow)]
    pub data_base64: Option<Text<'a>>,
}
