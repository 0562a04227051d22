//! The flows filter: free text (matched in ids, types, services, keys and payloads, any case; for
//! events whose payload stays in their file, in the event's line as written there) and
//! `type:`, `service:`, `topic:`, `kind:<anomaly kind>`, `status:`, `has:anomaly` terms; all terms
//! must match. No egui here: tested as plain logic.

use crate::analysis::{AnomalyKind, Engine, FlowId, FlowStatus};

#[derive(Clone, Debug, PartialEq)]
enum Term {
    Text(String),
    Type(String),
    Service(String),
    Topic(String),
    Kind(AnomalyKind),
    Status(FlowStatus),
    HasAnomaly,
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

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let term = match word.split_once(':') {
                Some(("type", v)) => Term::Type(v.to_lowercase()),
                Some(("service", v)) => Term::Service(v.to_lowercase()),
                Some(("topic", v)) => Term::Topic(v.to_lowercase()),
                Some(("kind", v)) => Term::Kind(AnomalyKind::from_name(v).ok_or_else(|| {
                    format!("unknown anomaly kind '{v}' (e.g. duplicate, stuck, out_of_order)")
                })?),
                Some(("status", v)) => {
                    let v = v.to_lowercase();
                    let st = STATUSES.into_iter().find(|s| s.name() == v);
                    Term::Status(st.ok_or_else(|| {
                        let names: Vec<&str> = STATUSES.iter().map(|s| s.name()).collect();
                        format!("unknown status '{v}' (one of {})", names.join(", "))
                    })?)
                }
                Some(("has", "anomaly")) => Term::HasAnomaly,
                Some(("has", v)) => return Err(format!("has:{v}: only has:anomaly is known")),
                _ => Term::Text(word.to_lowercase()),
            };
            terms.push(term);
        }
        Ok(Filter { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, engine: &Engine, flow: FlowId) -> bool {
        self.terms.iter().all(|t| term_matches(t, engine, flow))
    }
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

fn term_matches(term: &Term, engine: &Engine, flow: FlowId) -> bool {
    let s = &engine.store;
    let f = engine.flows.get(flow);
    let any = |pred: &dyn Fn(u32) -> bool| f.events.iter().any(|&e| pred(e));
    match term {
        Term::Type(t) => any(&|e| contains(s.str(s.get(e).event_type), t)),
        Term::Service(v) => any(&|e| s.opt_str(s.get(e).source).is_some_and(|x| contains(x, v))),
        Term::Topic(v) => any(&|e| s.opt_str(s.get(e).topic).is_some_and(|x| contains(x, v))),
        Term::Kind(k) => engine.flow_anomalies(flow).any(|a| a.kind == *k),
        Term::HasAnomaly => engine.flow_anomalies(flow).next().is_some(),
        Term::Status(st) => engine.status(flow) == *st,
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
        assert!(
            Filter::parse("status:ok")
                .unwrap_err()
                .contains("one of complete, open, stuck, failed"),
            "the CLI's status words only"
        );
    }
}
