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
        // Some events never arrive (missing causes); some arrive twice, or are dead-lettered
        // later (repeats: they must not set their flow's times).
        events.retain(|_| rng.u8(..10) > 0);
        for _ in 0..rng.usize(..3) {
            if let Some(x) = events.get(rng.usize(..events.len().max(1))).cloned() {
                events.push(x);
            }
        }
        if let Some(x) = events.get(rng.usize(..events.len().max(1))).cloned() {
            events.push(x.millis(500_000).at("orders.DLT", 0, 0));
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
            assert_times_by_definition(&e, round);
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

/// Each flow's first and last time are those of its members other than repeats (all members
/// when it has nothing else), however the flow was built (events moved in, flows merged).
fn assert_times_by_definition(e: &Engine, round: usize) {
    use crate::analysis::detectors::flags;
    for (_, f) in e.flows.iter() {
        let repeat =
            |i: u32| e.flags[i as usize] & (flags::EXACT_DUPLICATE | flags::DEAD_LETTER) != 0;
        let own: Vec<u32> = f.events.iter().copied().filter(|&i| !repeat(i)).collect();
        let timed = if own.is_empty() {
            &f.events[..]
        } else {
            &own[..]
        };
        let times = timed
            .iter()
            .filter_map(|&i| e.store.get(i).effective_time());
        assert_eq!(f.first(), times.clone().min(), "round {round}");
        assert_eq!(f.last(), times.max(), "round {round}");
    }
}

fn ids(e: &Engine, events: &[u32]) -> Vec<String> {
    events
        .iter()
        .map(|&i| e.store.id_str(i).to_string())
        .collect()
}

/// A redelivered copy and dead-letter copies (by topic and by header), each arriving long after
/// the flow ended, neither extend its duration nor end its critical path; nor does a
/// dead-letter copy that arrives before its original.
#[test]
fn repeats_never_set_durations_or_lie_on_the_critical_path() {
    let flow = vec![
        ev("root", "Placed", "orders", 0)
            .corr("C")
            .at("orders", 0, 0),
        ev("a", "Paid", "pay", 1)
            .corr("C")
            .cause("root")
            .at("payments", 0, 0),
        ev("b", "Shipped", "ship", 2)
            .corr("C")
            .cause("a")
            .at("ship", 0, 0),
    ];
    let redelivered = ev("b", "Shipped", "ship", 100)
        .corr("C")
        .cause("a")
        .at("ship", 0, 1);
    let dead_lettered =
        ev("a", "Paid", "pay", 200)
            .corr("C")
            .cause("root")
            .at("payments.DLT", 0, 0);
    let by_header = ev("root", "Placed", "orders", 300)
        .corr("C")
        .at("orders", 0, 7)
        .header("kafka_dlt-exception-message", "boom");
    let mut later = flow.clone();
    later.extend([
        redelivered.clone(),
        dead_lettered.clone(),
        by_header.clone(),
    ]);
    let mut copies_first = vec![dead_lettered, by_header];
    copies_first.extend(flow);
    copies_first.push(redelivered);
    for events in [later, copies_first] {
        let e = run(events);
        let f = e.flows.by_key(e.store.strings.get("C").unwrap()).unwrap();
        assert_eq!(e.flows.get(f).events.len(), 6);
        assert_eq!(e.flows.get(f).duration(), Some(2_000_000_000));
        let path = e.flows.critical_path(&e.store, f);
        assert_eq!(ids(&e, &path), ["root", "a", "b"]);
        assert!(
            path.iter()
                .all(|&i| e.store.get(i).topic != e.store.strings.get("payments.DLT"))
        );
        assert!(
            path.iter().all(|&i| e.store.get(i).offset() == Some(0)),
            "originals only"
        );
        let mut lat: Vec<_> = e
            .flows
            .edges(&e.store, f)
            .iter()
            .map(|x| x.latency)
            .collect();
        lat.sort();
        assert_eq!(lat, [Some(1_000_000_000); 2]);
    }
}

/// Without correlation ids the chain is placed through moves and merges (children first): the
/// redelivered copy still does not count, in any arrival order that keeps it after its original.
#[test]
fn repeats_do_not_count_in_chains_placed_children_first() {
    let chain = [
        ev("r", "T", "s", 0),
        ev("c1", "T", "s", 1).cause("r"),
        ev("c2", "T", "s", 2).cause("c1"),
    ];
    let again = ev("c2", "T", "s", 50).cause("c1");
    let mut orders = vec![];
    for first in 0..3 {
        for second in (0..3).filter(|&x| x != first) {
            let third = 3 - first - second;
            let mut v: Vec<_> = [first, second, third]
                .iter()
                .map(|&i| chain[i].clone())
                .collect();
            v.push(again.clone());
            orders.push(v);
        }
    }
    for events in orders {
        let e = run(events);
        assert_eq!(e.flows.len(), 1);
        let (f, flow) = e.flows.iter().next().unwrap();
        assert_eq!(flow.duration(), Some(2_000_000_000));
        let path = e.flows.critical_path(&e.store, f);
        assert_eq!(ids(&e, &path), ["r", "c1", "c2"]);
        let end = e.store.get(path[2]).effective_time();
        assert_eq!(
            end,
            e.store
                .get(path[0])
                .effective_time()
                .map(|t| t + 2_000_000_000),
            "the path ends at the original, not at its redelivery"
        );
    }
}

/// A recording of a dead-letter topic alone: the flow is timed by its copies, and its critical
/// path runs through them (there is nothing else).
#[test]
fn a_flow_of_dead_letter_copies_alone_is_timed_by_them() {
    let e = run(vec![
        ev("x", "Placed", "o", 0).corr("C").at("orders.DLT", 0, 0),
        ev("y", "Paid", "p", 5)
            .corr("C")
            .cause("x")
            .at("orders.DLT", 0, 1),
    ]);
    let f = e.flows.by_key(e.store.strings.get("C").unwrap()).unwrap();
    assert_eq!(e.flows.get(f).duration(), Some(5_000_000_000));
    assert_eq!(ids(&e, &e.flows.critical_path(&e.store, f)), ["x", "y"]);
}

#[test]
fn flow_stays_compact() {
    assert!(std::mem::size_of::<crate::analysis::Flow>() <= 72);
}

/// The critical path against its definition on random forests in one flow (with redeliveries,
/// dead-letter copies and clock skew): a chain from a root down causation links, whose (time
/// span, events) is the largest over every event's chain up to its root.
#[test]
fn critical_path_is_the_longest_chain_by_definition() {
    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..300 {
        let n = rng.usize(1..40);
        let mut events: Vec<_> = (0..n)
            .map(|i| {
                let x = ev(&format!("e{i}"), "T", "s", 0)
                    .millis(rng.i64(0..5_000))
                    .corr("C");
                match i {
                    0 => x,
                    _ if rng.u8(..5) == 0 => x.cause(&format!("ghost{}", rng.usize(..3))),
                    _ if rng.u8(..5) == 0 => x,
                    _ => x.cause(&format!("e{}", rng.usize(..i))),
                }
            })
            .collect();
        for _ in 0..rng.usize(..3) {
            let x = events[rng.usize(..n)].clone().millis(rng.i64(0..90_000));
            events.push(if rng.bool() {
                x.at("orders.DLT", 0, 0)
            } else {
                x
            });
        }
        // Effects in another flow are on that flow's paths, not on this one's.
        for i in 0..rng.usize(..4) {
            let cause = format!("e{}", rng.usize(..n));
            events.push(ev(&format!("d{i}"), "T", "s", 99).corr("D").cause(&cause));
        }
        rng.shuffle(&mut events);
        let e = run(events);
        let f = e.flows.by_key(e.store.strings.get("C").unwrap()).unwrap();
        let s = &e.store;
        let time = |i: u32| s.get(i).effective_time().unwrap();
        let parent = |i: u32| {
            let p = s.first_with_id(s.get(i).causation?)?;
            (!e.flows.is_repeat(p) && e.flows.flow_of(p) == f).then_some(p)
        };
        let chain_up = |mut i: u32| {
            let mut chain = vec![i];
            while let Some(p) = parent(i) {
                chain.push(p);
                i = p;
            }
            chain.reverse();
            chain
        };
        let score = |c: &[u32]| (time(*c.last().unwrap()) - time(c[0]), c.len());
        let best = e
            .flows
            .get(f)
            .events
            .iter()
            .copied()
            .filter(|&i| !e.flows.is_repeat(i));
        let best = best.map(|i| score(&chain_up(i))).max().unwrap();
        let path = e.flows.critical_path(s, f);
        assert_eq!(
            path,
            chain_up(*path.last().unwrap()),
            "round {round}: a chain from a root"
        );
        assert_eq!(score(&path), best, "round {round}");
    }
}
