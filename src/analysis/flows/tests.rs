//! Flow stitching tests.

use crate::analysis::testkit::*;
use crate::analysis::{Engine, FlowStatus};

fn flows_of(e: &Engine) -> Vec<(String, Vec<String>)> {
    let mut v: Vec<_> = e
        .flows
        .iter()
        .map(|(_, f)| {
            let mut ids: Vec<_> = f
                .events
                .iter()
                .map(|&i| e.store.id_str(i).to_string())
                .collect();
            ids.sort();
            (e.store.str(f.key).to_string(), ids)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn uncorrelated_events_join_their_cause_in_any_order() {
    let events = vec![
        ev("x", "A", "s", 0).corr("C"),
        ev("w1", "B", "s", 1).cause("x"),
        ev("w2", "B", "s", 2).cause("w1"),
        ev("lone", "D", "s", 3),
        ev("y", "A", "s", 4).corr("C2").cause("missing"),
    ];
    let expected = vec![
        (
            "C".to_string(),
            vec!["w1".to_string(), "w2".into(), "x".into()],
        ),
        ("C2".to_string(), vec!["y".to_string()]),
        ("lone".to_string(), vec!["lone".to_string()]),
    ];
    assert_eq!(flows_of(&run(events.clone())), expected);
    let mut rev = events.clone();
    rev.reverse();
    assert_eq!(flows_of(&run(rev)), expected);
    let mut mid = events;
    mid.swap(0, 2);
    assert_eq!(flows_of(&run(mid)), expected);
}

#[test]
fn edges_latency_critical_path_placeholders_and_status() {
    let e = run(vec![
        ev("root", "OrderPlaced", "orders", 0).corr("C"),
        ev("a", "PaymentProcessed", "pay", 0)
            .millis(100)
            .corr("C")
            .cause("root"),
        ev("b", "InventoryReserved", "inv", 0)
            .millis(20)
            .corr("C")
            .cause("root"),
        ev("c", "OrderShipped", "ship", 1).corr("C").cause("a"),
        ev("d", "Note", "x", 1).corr("C").cause("ghost"),
    ]);
    let f = e.flows.by_key(e.store.strings.get("C").unwrap()).unwrap();
    let flow = e.flows.get(f);
    assert_eq!(flow.events.len(), 5);
    assert_eq!(flow.duration(), Some(1_000_000_000));
    assert_eq!(flow.services.len(), 5);
    let mut lat: Vec<_> = e
        .flows
        .edges(&e.store, f)
        .iter()
        .map(|x| x.latency.unwrap() / 1_000_000)
        .collect();
    lat.sort();
    assert_eq!(lat, [20, 100, 900]);
    let path: Vec<_> = e
        .flows
        .critical_path(&e.store, f)
        .iter()
        .map(|&i| e.store.id_str(i))
        .collect();
    assert_eq!(path, ["root", "a", "c"]);
    let missing: Vec<_> = e
        .flows
        .missing_causes(&e.store, f)
        .iter()
        .map(|s| e.store.str(*s))
        .collect();
    assert_eq!(missing, ["ghost"]);
    assert_eq!(e.status(f), FlowStatus::Complete);
    assert_eq!(e.correlation_of(flow.events[0]), Some("C"));
}

#[test]
fn members_through_a_correlation_stay_when_a_namesake_arrives() {
    // r1 is both an event id and the correlation id of p1; q1 belongs with p1 (flow r1) in
    // every order, also when r1 (whose own flow is Z) arrives last.
    let events = vec![
        ev("z1", "Z", "s", 0).corr("Z"),
        ev("r1", "R", "s", 1).cause("z1"),
        ev("p1", "P", "s", 2).corr("r1").cause("r1"),
        ev("q1", "Q", "s", 3).cause("p1"),
    ];
    let expected = vec![
        ("Z".to_string(), vec!["r1".to_string(), "z1".into()]),
        ("r1".to_string(), vec!["p1".to_string(), "q1".into()]),
    ];
    assert_eq!(flows_of(&run(events.clone())), expected);
    let mut last = events.clone();
    let r1 = last.remove(1);
    last.push(r1);
    assert_eq!(flows_of(&run(last)), expected);
}

#[test]
fn uncorrelated_cycle_is_keyed_the_same_in_any_order() {
    let a = ev("a", "T", "s", 0).cause("b");
    let b = ev("b", "T", "s", 0).cause("a");
    let want = vec![("a".to_string(), vec!["a".to_string(), "b".into()])];
    assert_eq!(flows_of(&run(vec![a.clone(), b.clone()])), want);
    assert_eq!(flows_of(&run(vec![b, a])), want);
}

#[test]
fn a_duplicate_does_not_keep_a_flow_open() {
    // "Placed" is learned to have follow-ups; a redelivered copy of a Placed that got its
    // follow-up must not make the flow look like it is still waiting.
    let mut events: Vec<_> = (0..6)
        .flat_map(|i| {
            let c = format!("C{i}");
            [
                ev(&format!("p{i}"), "Placed", "o", i * 60).corr(&c),
                ev(&format!("k{i}"), "Paid", "p", i * 60 + 1)
                    .corr(&c)
                    .cause(&format!("p{i}")),
            ]
        })
        .collect();
    events.push(ev("p0", "Placed", "o", 0).corr("C0"));
    let e = run(events);
    let f = e.flows.by_key(e.store.strings.get("C0").unwrap()).unwrap();
    assert_eq!(e.flows.get(f).events.len(), 3);
    assert_eq!(e.status(f), FlowStatus::Complete);
}

/// The flow key of `e` by definition, walking the causes one by one (no union-find): its
/// correlation id; else, through causes without one, the first correlation id met, the id of a
/// missing cause, the id of a root, or the smallest id of a cycle.
fn key_by_walking(e: &Engine, idx: u32) -> String {
    let s = &e.store;
    let mut r = s.get(idx);
    let mut path = vec![r.id];
    loop {
        if let Some(c) = r.correlation {
            return s.str(c).to_string();
        }
        let Some(cause) = r.causation else {
            return s.str(r.id).to_string();
        };
        if let Some(pos) = path.iter().position(|x| *x == cause) {
            return path[pos..]
                .iter()
                .map(|x| s.str(*x))
                .min()
                .unwrap()
                .to_string();
        }
        let Some(p) = s.first_with_id(cause) else {
            return s.str(cause).to_string();
        };
        path.push(cause);
        r = s.get(p);
    }
}

/// Random forests of events (some correlated, many not, missing causes, cycles, ids used as
/// correlation ids, redeliveries) in random arrival orders: every event's flow has the key the
/// definition gives, each key has one flow, and the grouping is the same in every order.
#[test]
fn flows_match_the_definition_in_any_arrival_order() {
    let mut rng = fastrand::Rng::with_seed(11);
    for round in 0..300 {
        let n = rng.usize(2..40);
        let name = |i: usize| format!("e{i}");
        let mut events: Vec<_> = (0..n)
            .map(|i| {
                let mut x = ev(&name(i), "T", "s", i as i64);
                match rng.u8(..10) {
                    0..=1 => x = x.corr(&format!("C{}", rng.usize(..3))),
                    2 => x = x.corr(&name(rng.usize(..n))),
                    _ => {}
                }
                match rng.u8(..10) {
                    0..=5 => x = x.cause(&name(rng.usize(..n))),
                    6 => x = x.cause(&format!("ghost{}", rng.usize(..3))),
                    _ => {}
                }
                x
            })
            .collect();
        // Some events never arrive (missing causes); some arrive twice.
        events.retain(|_| rng.u8(..10) > 0);
        for _ in 0..rng.usize(..3) {
            if let Some(x) = events.get(rng.usize(..events.len().max(1))).cloned() {
                events.push(x);
            }
        }
        let mut first: Option<Vec<(String, Vec<String>)>> = None;
        for _ in 0..4 {
            rng.shuffle(&mut events);
            let e = run(events.clone());
            let mut keys = std::collections::HashSet::new();
            for (fid, f) in e.flows.iter() {
                assert!(
                    keys.insert(f.key),
                    "round {round}: two flows keyed {}",
                    e.store.str(f.key)
                );
                for &i in &f.events {
                    assert_eq!(e.flows.flow_of(i), fid);
                    assert_eq!(
                        e.store.str(f.key),
                        key_by_walking(&e, i),
                        "round {round}: event {}",
                        e.store.id_str(i)
                    );
                }
            }
            let total: usize = e.flows.iter().map(|(_, f)| f.events.len()).sum();
            assert_eq!(total, events.len());
            let got = flows_of(&e);
            match &first {
                None => first = Some(got),
                Some(f) => assert_eq!(&got, f, "round {round}"),
            }
        }
    }
}

/// A chain without correlation ids arriving children first is placed with a bounded amount of
/// work per event (the old placement re-walked every waiting event's chain: cubic).
#[test]
fn reverse_chains_are_placed_in_linear_work() {
    let work = |n: usize| {
        let e = run(reverse_chain(n, None));
        assert_eq!(e.flows.len(), 1);
        e.flows.work()
    };
    let (small, big) = (work(1_000), work(8_000));
    assert!(big <= 3 * 8_000, "{small} -> {big}");
    assert!(big <= 8 * 2 * small.max(1_000), "{small} -> {big}");
}
