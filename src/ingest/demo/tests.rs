use super::bus::{MS, SEC};
use super::*;
use crate::analysis::AnomalyKind;
use std::collections::BTreeSet;

fn opts(seed: u64, faults: &str) -> DemoOptions {
    DemoOptions {
        seed,
        rate: 20.0,
        faults: faults.parse().unwrap(),
        ..DemoOptions::default()
    }
}

fn kinds(set: &[Expected]) -> BTreeSet<&'static str> {
    set.iter().map(|e| e.kind.name()).collect()
}

fn missed(report: &HeadlessReport) -> Vec<&Expected> {
    report
        .truth
        .iter()
        .filter(|t| report.raised.binary_search(t).is_err())
        .collect()
}

#[test]
fn without_faults_nothing_is_ever_flagged() {
    for seed in [1, 2] {
        let r = run_headless(&opts(seed, ""), 120 * SEC, false, |_| {});
        assert!(r.engine.stats.events > 15_000, "{}", r.engine.stats.events);
        assert!(r.truth.is_empty(), "{:?}", &r.truth[..r.truth.len().min(5)]);
        assert!(r.injected.is_empty());
        assert!(
            r.raised.is_empty(),
            "seed {seed}: {:?}",
            &r.raised[..r.raised.len().min(5)]
        );
        // Failed payments take the saga's compensation path.
        let s = &r.engine.store;
        let cancelled = (0..s.len() as u32)
            .filter(|e| s.str(s.get(*e).event_type) == "OrderCancelled")
            .count();
        assert!(cancelled > 20, "{cancelled}");
    }
}

#[test]
fn each_fault_alone_is_flagged_on_the_right_events_and_nothing_else() {
    for fault in FAULTS {
        let rate = if fault == Fault::Dup { 0.005 } else { 0.02 };
        let spec = format!("{}={rate}", fault.name());
        let r = run_headless(&opts(7, &spec), 120 * SEC, false, |_| {});
        assert!(!r.truth.is_empty(), "{spec}: nothing injected");
        assert!(r.injected.iter().all(|i| i.fault == fault), "{spec}");
        let miss = missed(&r);
        assert!(
            miss.is_empty(),
            "{spec}: {} of {} missed, e.g. {:?}",
            miss.len(),
            r.truth.len(),
            &miss[..miss.len().min(3)]
        );
        let want = fault.anomaly().name();
        assert_eq!(kinds(&r.truth), BTreeSet::from([want]), "{spec}");
        assert_eq!(kinds(&r.raised), BTreeSet::from([want]), "{spec}");
        if fault.anomaly() != AnomalyKind::Stuck {
            // Deterministic kinds: exactly the injected events, no more.
            assert_eq!(r.raised, r.truth, "{spec}");
        }
        // Every injected fault that names an event is on an event the analysis flagged.
        for i in &r.injected {
            if let Some(id) = &i.event_id
                && fault != Fault::Dup
            {
                assert!(
                    r.raised.iter().any(|e| *e.event_id == **id),
                    "{spec}: {} not flagged",
                    i.what
                );
            }
        }
    }
}

#[test]
fn all_faults_together_are_all_flagged() {
    let all: Vec<String> = FAULTS
        .iter()
        .map(|f| format!("{}=0.01", f.name()))
        .collect();
    for seed in [3, 4] {
        let r = run_headless(&opts(seed, &all.join(",")), 150 * SEC, false, |_| {});
        let miss = missed(&r);
        assert!(
            miss.is_empty(),
            "seed {seed}: {} of {} missed: {:?}",
            miss.len(),
            r.truth.len(),
            &miss[..miss.len().min(5)]
        );
        let injected: BTreeSet<&str> = r.injected.iter().map(|i| i.fault.name()).collect();
        assert_eq!(injected.len(), FAULTS.len(), "{injected:?}");
        let mut allowed: BTreeSet<&str> = FAULTS.iter().map(|f| f.anomaly().name()).collect();
        // Faults together can make flows look complete but of a rare shape for a while: while
        // the shipping consumer stalls, so many OrderConfirmed wait that the type no longer
        // counts as having follow-ups, and their flows end there (seed 4: 4 notes, each
        // withdrawn when the consumer resumes).
        allowed.insert(AnomalyKind::UnusualFlow.name());
        assert!(
            kinds(&r.raised).is_subset(&allowed),
            "{:?}",
            kinds(&r.raised)
        );
    }
}

#[test]
fn a_seed_reproduces_the_run() {
    let run = |seed| {
        let mut lines = Vec::new();
        run_headless(&opts(seed, "dup=0.02,poison=0.02"), 20 * SEC, true, |e| {
            let mut s = String::new();
            crate::decode::native_write::write_event(e, &mut s);
            lines.push(s);
        });
        lines
    };
    let a = run(5);
    assert!(a.len() > 1000);
    assert_eq!(a, run(5));
    assert_ne!(a, run(6));
}

#[test]
fn the_bus_keeps_per_partition_offsets_and_dead_letters_after_retries() {
    let o = opts(9, "poison=1");
    let mut demo = Demo::new(&o, HEADLESS_START, false);
    demo.shop.rate = 5.0;
    demo.advance_to(HEADLESS_START + 3 * SEC);
    demo.shop.stop();
    demo.advance_to(HEADLESS_START + 10 * SEC);
    let recs = std::mem::take(&mut demo.bus.out);
    let mut next = std::collections::HashMap::new();
    for r in &recs {
        let slot = next.entry((r.topic, r.partition)).or_insert(0);
        assert_eq!(r.offset, *slot, "offsets are dense per partition");
        *slot += 1;
        assert_eq!(r.partition, demo.bus.partition_of(r.topic, &r.msg.key));
    }
    let placed = recs.iter().filter(|r| r.topic == shop::ORDERS).count();
    let dead: Vec<_> = recs
        .iter()
        .filter(|r| r.topic == shop::ORDERS_DLT)
        .collect();
    // Both consumers of OrderPlaced (payments, inventory) give up on each poison message.
    assert_eq!(dead.len(), 2 * placed);
    let ev = demo.decode(dead[0], true);
    assert!(
        ev.header("kafka_dlt-exception-message")
            .unwrap()
            .contains("deserialize")
    );
    assert_eq!(ev.header("kafka_dlt-original-topic"), Some("orders"));
    // Three retries with backoff 100, 200, 400 ms before the dead letter.
    assert_eq!(demo.bus.stats.redelivered, 2 * 3 * placed as u64);
    assert!(dead[0].broker_ts - recs[0].broker_ts >= 700 * MS);
    // Everything is acknowledged: committed offsets reach the end of each partition.
    for (&(t, p), &end) in &next {
        for g in 0..shop::GROUPS.len() as u8 {
            if shop::GROUPS[g as usize].topics.contains(&t) {
                assert_eq!(demo.bus.committed(g, t, p), end, "group {g} on {t}/{p}");
            }
        }
    }
}

#[test]
fn idempotent_consumers_skip_duplicates_and_stalls_hold_consumption() {
    let mut demo = Demo::new(&opts(11, "dup=1"), HEADLESS_START, false);
    demo.advance_to(HEADLESS_START + 2 * SEC);
    demo.shop.stop();
    demo.advance_to(HEADLESS_START + 10 * SEC);
    assert!(demo.bus.stats.skipped_duplicates > 0);
    // Competing consumers: both members of a group took their share of the partitions.
    let members = demo.bus.handled_per_member(shop::G_PAYMENTS);
    assert_eq!(members.len(), 2, "{members:?}");
    assert!(members.iter().all(|n| *n > 0), "{members:?}");
    let before = demo.bus.handled(shop::G_SHIPPING);
    demo.bus.stall(shop::G_SHIPPING, HEADLESS_START + 20 * SEC);
    demo.shop.start(&mut demo.bus);
    demo.advance_to(HEADLESS_START + 19 * SEC);
    assert_eq!(demo.bus.handled(shop::G_SHIPPING), before, "stalled");
    demo.advance_to(HEADLESS_START + 21 * SEC);
    assert!(demo.bus.handled(shop::G_SHIPPING) > before, "caught up");
}
