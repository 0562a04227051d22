//! The flows filter: free text (matched in ids, types, services, keys and payloads, any case; for
//! events whose payload stays in their file, in the event's line as written there) and
//! `type:`, `service:`, `topic:`, `kind:<anomaly kind>`, `status:`, `has:anomaly`, `variant:N` (the
//! number in the Variants tab and `eventscope variants`) terms; all terms must match. `"quoted text"` is searched as it is. Anything else that cannot mean what it seems
//! to (an unknown key, a key without a value, brackets, an unclosed quote) is an error that says
//! why. Replay matches the flow as of the cursor. No egui here: tested as plain logic.

use crate::analysis::{AnomalyKind, Engine, FlowId, FlowStatus, REGISTRY};
use crate::model::Timestamp;

#[derive(Clone, Debug, PartialEq)]
enum Term {
    Text(String),
    Type(String),
    Service(String),
    Topic(String),
    Kind(AnomalyKind),
    Status(FlowStatus),
    HasAnomaly,
    Variant(u32),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    terms: Vec<Term>,
}

/// Every flow status, in the order the flows table sorts them (the CLI's words: `status:` takes
/// their names; anomalies are a separate matter, `has:anomaly`).
pub const STATUSES: [FlowStatus; 4] = [
    FlowStatus::Complete,
    FlowStatus::Open,
    FlowStatus::Stuck,
    FlowStatus::Failed,
];

/// The keys a term can start with (`key:value`).
pub const KEYS: [&str; 7] = [
    "type", "service", "topic", "kind", "status", "has", "variant",
];

/// Splits the text into words; a word in double quotes is taken as it is (spaces, colons and
/// brackets included). An unclosed quote is an error.
fn words(text: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or_else(|| format!("unclosed quote in {rest}: end it with \""))?;
            out.push((q[..end].to_string(), true));
            rest = q[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push((rest[..end].to_string(), false));
            rest = rest[end..].trim_start();
        }
    }
    Ok(out)
}

/// One unquoted word as a term; unknown keys, empty values and brackets are errors (the filter
/// has no grouping or operators: every term must match).
fn term(word: &str) -> Result<Term, String> {
    if word.contains(['(', ')']) {
        return Err(format!(
            "'{word}': the filter has no grouping (every term must match); to search for brackets, quote them: \"{word}\""
        ));
    }
    let Some((key, v)) = word.split_once(':') else {
        return Ok(Term::Text(word.to_lowercase()));
    };
    // Only a word-like key is one: "09:00" or "a:b:c" stay text when the key is not a name.
    if !key.chars().all(|c| c.is_ascii_alphabetic() || c == '_') || key.is_empty() {
        return Ok(Term::Text(word.to_lowercase()));
    }
    if !KEYS.contains(&key) {
        return Err(format!(
            "unknown key '{key}:' (keys: {}); to search for the text, quote it: \"{word}\"",
            KEYS.map(|k| format!("{k}:")).join(" ")
        ));
    }
    if v.is_empty() {
        return Err(format!("'{key}:' needs a value"));
    }
    Ok(match key {
        "type" => Term::Type(v.to_lowercase()),
        "service" => Term::Service(v.to_lowercase()),
        "topic" => Term::Topic(v.to_lowercase()),
        "kind" => Term::Kind(AnomalyKind::from_name(v).ok_or_else(|| {
            let names: Vec<&str> = REGISTRY.iter().map(|k| k.name).collect();
            format!("unknown anomaly kind '{v}' (one of {})", names.join(", "))
        })?),
        "status" => {
            let v = v.to_lowercase();
            let st = STATUSES.into_iter().find(|s| s.name() == v);
            Term::Status(st.ok_or_else(|| {
                let names: Vec<&str> = STATUSES.iter().map(|s| s.name()).collect();
                format!("unknown status '{v}' (one of {})", names.join(", "))
            })?)
        }
        "variant" => Term::Variant(v.parse().map_err(|_| {
            format!("variant:{v}: a variant number (the Variants tab's #), e.g. variant:2")
        })?),
        _ if v == "anomaly" => Term::HasAnomaly,
        _ => return Err(format!("has:{v}: only has:anomaly is known")),
    })
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, String> {
        let terms = words(text)?
            .into_iter()
            .map(|(w, quoted)| {
                if quoted {
                    Ok(Term::Text(w.to_lowercase()))
                } else {
                    term(&w)
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Filter { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, engine: &Engine, flow: FlowId) -> bool {
        self.matches_at(engine, flow, None)
    }

    /// Whether the flow as of replay time `at` matches (`None`: now): only its events up to
    /// then, its state and the anomalies active then.
    pub fn matches_at(&self, engine: &Engine, flow: FlowId, at: Option<Timestamp>) -> bool {
        self.terms.iter().all(|t| term_matches(t, engine, flow, at))
    }
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

fn term_matches(term: &Term, engine: &Engine, flow: FlowId, at: Option<Timestamp>) -> bool {
    let s = &engine.store;
    let f = engine.flows.get(flow);
    let any = |pred: &dyn Fn(u32) -> bool| {
        (f.events.iter()).any(|&e| engine.happened_by(e, at) && pred(e))
    };
    match term {
        Term::Type(t) => any(&|e| contains(s.str(s.get(e).event_type), t)),
        Term::Service(v) => any(&|e| s.opt_str(s.get(e).source).is_some_and(|x| contains(x, v))),
        Term::Topic(v) => any(&|e| s.opt_str(s.get(e).topic).is_some_and(|x| contains(x, v))),
        Term::Kind(k) => engine.flow_anomalies_at(flow, at).any(|a| a.kind == *k),
        Term::HasAnomaly => engine.flow_anomalies_at(flow, at).next().is_some(),
        Term::Status(st) => engine.status_at(flow, at) == *st,
        Term::Variant(n) => {
            let v = &engine.variants;
            v.by_number(*n)
                .is_some_and(|n| v.variant_of(flow) == Some(n))
        }
        Term::Text(t) => {
            contains(s.str(f.key), t)
                || any(&|e| {
                    let r = s.get(e);
                    contains(s.str(r.id), t)
                        || contains(s.str(r.event_type), t)
                        || s.opt_str(r.source).is_some_and(|x| contains(x, t))
                        || s.opt_str(r.key).is_some_and(|x| contains(x, t))
                        || s.payload_text(e).is_some_and(|p| contains(&p, t))
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::{DecodedEvent, Payload};

    fn engine() -> Engine {
        let mut e = Engine::new(Config::default());
        let mk = |id: &str, ty: &str, src: &str, corr: &str, data: &str| DecodedEvent {
            id: id.into(),
            event_type: ty.into(),
            source: Some(src.into()),
            correlation_id: Some(corr.into()),
            topic: Some(format!("{src}-topic").into()),
            payload: Payload::Json(serde_json::value::RawValue::from_string(data.into()).unwrap()),
            data_hash: data.len() as u64,
            ..Default::default()
        };
        e.push(
            mk("a1", "OrderPlaced", "orders", "c1", r#"{"sku":"X-42"}"#),
            0,
        );
        e.push(mk("b1", "PaymentFailed", "payments", "c2", "{}"), 0);
        e.push(mk("b1", "PaymentFailed", "payments", "c2", "{}"), 0);
        e
    }

    fn hits(e: &Engine, f: &str) -> Vec<String> {
        let f = Filter::parse(f).unwrap();
        e.flows
            .iter()
            .filter(|(id, _)| f.matches(e, *id))
            .map(|(_, fl)| e.store.str(fl.key).to_string())
            .collect()
    }

    #[test]
    fn terms_select_flows() {
        let e = engine();
        assert_eq!(hits(&e, ""), ["c1", "c2"]);
        assert_eq!(hits(&e, "x-42"), ["c1"], "payload text");
        assert_eq!(hits(&e, "type:payment"), ["c2"]);
        assert_eq!(hits(&e, "service:orders"), ["c1"]);
        assert_eq!(hits(&e, "topic:payments-topic"), ["c2"]);
        assert_eq!(hits(&e, "kind:duplicate"), ["c2"]);
        assert_eq!(hits(&e, "has:anomaly"), ["c2"]);
        assert_eq!(hits(&e, "status:failed"), ["c2"]);
        assert_eq!(hits(&e, "status:complete"), ["c1"]);
        assert_eq!(hits(&e, "C1 service:orders"), ["c1"]);
        assert!(hits(&e, "c1 service:payments").is_empty());
        assert!(
            Filter::parse("kind:nope")
                .unwrap_err()
                .contains("unknown anomaly kind")
        );
        assert!(Filter::parse("status:late").is_err());
        assert_eq!(hits(&e, "\"X-42\""), ["c1"], "quoted text");
        assert_eq!(
            hits(&e, "09:00"),
            Vec::<String>::new(),
            "a colon after digits is text"
        );
        for bad in ["((", "a)", "nope:x", "type:", "\"open", "kind:", "has:x"] {
            assert!(Filter::parse(bad).is_err(), "{bad} is an error");
        }
        assert!(Filter::parse("((").unwrap_err().contains("no grouping"));
        assert!(
            Filter::parse("foo:bar")
                .unwrap_err()
                .contains("unknown key 'foo:'")
        );
        assert!(Filter::parse("\"((\"").is_ok(), "quoted brackets are text");
        let mut e = e;
        e.finish(None);
        assert_eq!(
            hits(&e, "variant:1"),
            ["c1"],
            "one flow each: by root type's name"
        );
        assert_eq!(hits(&e, "variant:2"), ["c2"]);
        assert!(hits(&e, "variant:3").is_empty());
        assert!(
            Filter::parse("variant:x")
                .unwrap_err()
                .contains("variant number")
        );
        assert!(
            Filter::parse("status:ok")
                .unwrap_err()
                .contains("one of complete, open, stuck, failed"),
            "the CLI's status words only"
        );
    }
}
