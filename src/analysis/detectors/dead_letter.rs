//! `dead_letter`: an event on a dead-letter topic (name matches the configured pattern, by default
//! dlq / dead-letter / `.DLT`) or carrying dead-letter headers (Spring Kafka, Kafka Connect,
//! MassTransit, NServiceBus, RabbitMQ-style; read by `DecodedEvent::dead_letter_evidence`).

use super::{Ctx, Detector, flags};
use crate::analysis::anomaly::AnomalyKind;
use crate::model::Sym;
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

/// Default topic pattern (case-insensitive).
pub const DEFAULT_TOPIC_PATTERN: &str = r"(?i)(dlq|dead[-_.]?letters?|\.dlt$|[-_]dlt$)";

/// Raises `dead_letter` when the event is a dead-letter one; returns whether it is.
/// Remembers the pattern's verdict per topic: topics are few, events many.
#[derive(Default)]
pub struct DeadLetterDetector {
    topic_is_dlq: FxHashMap<Sym, bool>,
}

impl Detector for DeadLetterDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::DeadLetter]
    }

    /// Raises `dead_letter` and flags the event when it is a dead-letter one.
    fn classify(&mut self, cx: &mut Ctx, idx: EventIdx, _so_far: u8) -> u8 {
        let s = cx.store;
        let header = cx.dead_letter_header;
        let r = s.get(idx);
        let topic = r.topic.filter(|t| {
            *self
                .topic_is_dlq
                .entry(*t)
                .or_insert_with(|| cx.config.dead_letter_topics.is_match(s.str(*t)))
        });
        if raise(cx, idx, topic.map(|t| s.str(t)), header) {
            flags::DEAD_LETTER
        } else {
            0
        }
    }
}

fn raise(cx: &mut Ctx, idx: EventIdx, topic: Option<&str>, header: Option<&str>) -> bool {
    let s = cx.store;
    let r = s.get(idx);
    if topic.is_none() && header.is_none() {
        return false;
    }
    let mut msg = format!("{} {}", s.str(r.event_type), s.str(r.id));
    if let Some(t) = topic {
        msg.push_str(&format!(" is on dead-letter topic {t}"));
    } else {
        msg.push_str(" was dead-lettered");
    }
    if let Some(h) = header {
        msg.push_str(&format!(" ({h})"));
    }
    let related = s
        .first_with_id(r.id)
        .filter(|f| *f != idx)
        .map(|_| vec![r.id])
        .unwrap_or_default();
    cx.anomalies.raise(
        AnomalyKind::DeadLetter,
        Some(idx),
        related,
        msg,
        Some(s.location_label(idx)),
    );
    true
}

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::testkit::*;

    #[test]
    fn topics_and_headers() {
        let e = run(vec![
            ev("a", "T", "x", 0).at("orders.DLT", 0, 0),
            ev("b", "T", "x", 0).at("payments-dlq", 0, 0),
            ev("c", "T", "x", 0).at("dead-letter-queue", 0, 0),
            ev("d", "T", "x", 0)
                .at("orders", 0, 0)
                .header("kafka_dlt-exception-message", "boom"),
            ev("e", "T", "x", 0).at("orders", 0, 1),
            ev("f", "T", "x", 0).at("builtin", 0, 1),
        ]);
        assert_eq!(
            found(&e),
            want(&[
                (DeadLetter, "a"),
                (DeadLetter, "b"),
                (DeadLetter, "c"),
                (DeadLetter, "d")
            ])
        );
        let d = e
            .anomalies
            .active()
            .find(|(_, a)| e.store.id_str(a.event.unwrap()) == "d")
            .unwrap()
            .1;
        assert!(d.message.contains("boom"), "{}", d.message);
    }

    #[test]
    fn an_original_after_its_dead_letter_copy_is_the_canonical_event() {
        // The copy comes first (e.g. `check orders.DLT.jsonl orders.jsonl`): causality is still
        // judged against the original, and the original is not stuck.
        let mut events = vec![
            ev("a", "Placed", "orders", 10)
                .corr("C")
                .at("orders.DLT", 0, 0),
        ];
        events.push(ev("a", "Placed", "orders", 10).corr("C").at("orders", 0, 0));
        events.push(ev("b", "Paid", "pay", 9).corr("C").cause("a"));
        let e = run(events);
        assert_eq!(
            found(&e),
            want(&[(CauseAfterEffect, "b"), (DeadLetter, "a")])
        );
        let expect = crate::analysis::Config {
            expect: vec!["Lonely".into()],
            ..Default::default()
        };
        let e = run_with(
            expect,
            vec![
                ev("x", "Lonely", "s", 0).at("s-dlq", 0, 0),
                ev("x", "Lonely", "s", 0).at("s", 0, 0),
                ev("end", "T", "s", 600),
            ],
        );
        assert_eq!(found(&e), want(&[(DeadLetter, "x")]));
    }
}
