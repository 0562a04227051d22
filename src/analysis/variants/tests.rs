use super::report;
use crate::analysis::testkit::*;
use crate::analysis::{AnomalyKind, Config, Engine};
use crate::model::DecodedEvent;

/// The variants as text: "flows root: cause>effect cause>effect" per variant, by number.
fn shapes(e: &Engine) -> Vec<String> {
    let s = &e.store;
    report(e)
        .iter()
        .map(|r| {
            let edges: Vec<String> = r
                .edges
                .iter()
                .map(|p| format!("{}>{}", p.0.map_or("?", |c| s.str(c)), s.str(p.1)))
                .collect();
            format!("{} {}: {}", r.flows, r.root_type, edges.join(" "))
        })
        .collect()
}

/// Order `i` of correlation `o{i}`: Placed -> Paid -> Shipped, and Placed -> Reserved unless
/// `skip`, at second `t`.
fn order(i: usize, t: i64, skip: bool) -> Vec<DecodedEvent> {
    let c = format!("o{i}");
    let id = |s: &str| format!("{s}{i}");
    let mut v = vec![
        ev(&id("pl"), "Placed", "orders", t).corr(&c),
        ev(&id("pa"), "Paid", "pay", t)
            .millis(20)
            .corr(&c)
            .cause(&id("pl")),
        ev(&id("sh"), "Shipped", "ship", t)
            .millis(50)
            .corr(&c)
            .cause(&id("pa")),
    ];
    if !skip {
        v.push(
            ev(&id("re"), "Reserved", "inv", t)
                .millis(10)
                .corr(&c)
                .cause(&id("pl")),
        );
    }
    v
}

#[test]
fn known_variants_have_exact_counts_shares_and_edges() {
    let mut events: Vec<DecodedEvent> = (0..30)
        .flat_map(|i| order(i, i as i64, i % 10 == 3))
        .collect();
    // A retry: a second Paid for the same Placed, with its own Shipped; and an exact redelivery.
    events.push(ev("pa0-retry", "Paid", "pay", 100).corr("o0").cause("pl0"));
    events.push(
        ev("sh0-retry", "Shipped", "ship", 101)
            .corr("o0")
            .cause("pa0-retry"),
    );
    events.push(
        ev("re1", "Reserved", "inv", 1)
            .millis(10)
            .corr("o1")
            .cause("pl1"),
    );
    let e = run(events);
    assert_eq!(
        shapes(&e),
        [
            "27 Placed: Paid>Shipped Placed>Paid Placed>Reserved",
            "3 Placed: Paid>Shipped Placed>Paid",
        ]
    );
    let r = report(&e);
    assert_eq!((r[0].number, r[1].number), (1, 2));
    assert!((r[0].share - 0.9).abs() < 1e-9 && (r[1].share - 0.1).abs() < 1e-9);
    assert_eq!(r[0].p50_ns, Some(50_000_000), "Placed to Shipped: 50 ms");
    // The redelivered re1 is a duplicate: the only anomalous flow.
    assert_eq!((r[0].anomalous_flows, r[1].anomalous_flows), (1, 0));
    let stats = super::hop_stats(&e, e.variants.get(r[0].id).members(), &r[0].edges);
    let paid = stats
        .iter()
        .find(|h| e.store.str(h.pair.1) == "Paid")
        .unwrap();
    assert_eq!(paid.hops, 28, "27 flows, one with a retry");
    assert_eq!(paid.p50_ns, Some(20_000_000));
}

#[test]
fn a_growing_flow_moves_between_variants() {
    let mut e = Engine::new(Config::default());
    let mut seen = Vec::new();
    for ev in order(0, 0, false) {
        let idx = e.push(ev, 0);
        e.tick(idx as i64);
        let f = e.flows.flow_of(idx);
        let v = e.variants.variant_of(f).unwrap();
        assert_eq!(e.variants.get(v).flows(), 1);
        seen.push((v, e.variants.flow_edges(&e.store, f).len()));
    }
    assert_eq!(seen.iter().map(|s| s.1).collect::<Vec<_>>(), [0, 1, 2, 3]);
    let ids: std::collections::BTreeSet<_> = seen.iter().map(|s| s.0).collect();
    assert_eq!(ids.len(), 4, "a new variant at each step: {seen:?}");
    let live: Vec<_> = e.variants.all().iter().map(|v| v.flows()).collect();
    assert_eq!(live, [0, 0, 0, 1], "the flow left the variants it outgrew");
}

#[test]
fn arrival_order_does_not_change_the_variants() {
    let events: Vec<DecodedEvent> = (0..20)
        .flat_map(|i| order(i, i as i64, i % 4 == 0))
        .collect();
    let want = shapes(&run(events.clone()));
    let mut rev = events.clone();
    rev.reverse();
    assert_eq!(shapes(&run(rev)), want);
    // Without correlation ids the chains stitch through causation alone (flows merge).
    let bare: Vec<DecodedEvent> = events
        .into_iter()
        .rev()
        .map(|mut e| {
            e.correlation_id = None;
            e
        })
        .collect();
    assert_eq!(shapes(&run(bare)), want);
}

#[test]
fn orphans_and_cycles_have_edges_of_their_own() {
    let mut events = order(0, 0, false);
    events.push(ev("fraud", "Scored", "x", 0).corr("o0").cause("ghost"));
    let e = run(events);
    assert_eq!(
        shapes(&e),
        ["1 Placed: ?>Scored Paid>Shipped Placed>Paid Placed>Reserved"]
    );
    let e = run(vec![
        ev("a", "R", "s", 0).cause("b"),
        ev("b", "R", "s", 1).cause("a"),
    ]);
    assert_eq!(
        shapes(&e),
        ["1 R: R>R"],
        "a cycle's root is its earliest event"
    );
}

/// `n` orders (those in `skipped` without Reserved), then an unrelated event a minute later, so
/// that every order has been quiet for the 30 s a flow must be to count as complete.
fn unusual(n: usize, skipped: &[usize]) -> Engine {
    let mut events: Vec<DecodedEvent> = (0..n)
        .flat_map(|i| order(i, i as i64, skipped.contains(&i)))
        .collect();
    events.push(ev("later", "Tick", "clock", n as i64 + 60));
    run(events)
}

#[test]
fn unusual_flows_are_flagged_with_evidence_once_the_root_type_has_200_complete_flows() {
    let e = unusual(300, &[5, 150]);
    let got: Vec<_> = e.anomalies.active().map(|(_, a)| a).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|a| a.kind == AnomalyKind::UnusualFlow));
    assert_eq!(e.store.id_str(got[0].event.unwrap()), "pl5");
    assert_eq!(
        got[0].message,
        "variant 2: 2 of 300 Placed flows; the usual variant has Reserved after Placed; this one has none"
    );
    // 199 complete flows: not judged yet; 3 of 300 is 1%: not unusual.
    assert_eq!(unusual(199, &[5]).anomalies.total(), 0);
    assert_eq!(unusual(300, &[5, 6, 7]).anomalies.total(), 0);
    let off = Config {
        unusual: false,
        ..Config::default()
    };
    let mut events: Vec<DecodedEvent> = (0..300).flat_map(|i| order(i, i as i64, i == 5)).collect();
    events.push(ev("later", "Tick", "clock", 360));
    assert_eq!(run_with(off, events).anomalies.total(), 0);
    // The orders of the last 30 s of the input may still grow: not judged.
    let cut: Vec<DecodedEvent> = (0..300)
        .flat_map(|i| order(i, i as i64, i == 295))
        .collect();
    assert_eq!(run(cut).anomalies.total(), 0);
}

#[test]
fn a_flag_is_withdrawn_when_the_variant_becomes_usual() {
    let mut e = Engine::new(Config::default());
    for ev in (0..300).flat_map(|i| order(i, i as i64, i == 5)) {
        e.push(ev, 0);
    }
    e.tick((1_767_225_600 + 400) * 1_000_000_000);
    assert_eq!(e.anomalies.count(AnomalyKind::UnusualFlow), 1);
    for ev in (300..310).flat_map(|i| order(i, i as i64, true)) {
        e.push(ev, 0);
    }
    e.push(ev("later", "Tick", "clock", 400), 0);
    e.finish(None);
    assert_eq!(e.anomalies.count(AnomalyKind::UnusualFlow), 0);
}
