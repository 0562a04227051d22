//! The detector's unit tests: the per-key rules as before, and the scopes inferred per source.

use crate::analysis::AnomalyKind::*;
use crate::analysis::testkit::*;

#[test]
fn out_of_order_in_offset_order_and_gap_withdrawn() {
    let e = run(vec![
        ev("s1", "T", "orders", 0).seq("o-1", 1).at("orders", 2, 10),
        ev("s3", "T", "orders", 1).seq("o-1", 3).at("orders", 2, 12),
        ev("s2", "T", "orders", 2).seq("o-1", 2).at("orders", 2, 13),
    ]);
    // 3 after 1 was a gap until 2 arrived; 2 after 3 in offset order is out of order.
    assert_eq!(found(&e), want(&[(OutOfOrder, "s2")]));
    let msg = &e.anomalies.active().next().unwrap().1.message;
    assert!(
        msg.contains("sequence 2 after 3 for subject o-1 (orders/2 offsets 13 > 12)"),
        "{msg}"
    );
}

#[test]
fn gap_stays_when_never_filled_and_keys_are_scoped_by_source() {
    let e = run(vec![
        ev("a", "T", "orders", 0).seq("o-1", 1),
        ev("b", "T", "orders", 1).seq("o-1", 4),
        ev("c", "T", "payments", 2).seq("o-1", 1),
        ev("d", "T", "orders", 3).seq("o-2", 9),
    ]);
    assert_eq!(found(&e), want(&[(SequenceGap, "b")]));
}

#[test]
fn late_arrival_in_file_is_placed_by_offset() {
    // Offsets say 1, 2, 3 but the file lists offset 3 before offset 2: log order is by offset,
    // so nothing is out of order.
    let e = run(vec![
        ev("a", "T", "orders", 0).seq("o-1", 1).at("orders", 0, 1),
        ev("c", "T", "orders", 2).seq("o-1", 3).at("orders", 0, 3),
        ev("b", "T", "orders", 1).seq("o-1", 2).at("orders", 0, 2),
    ]);
    assert_eq!(found(&e), want(&[]));
}

#[test]
fn kafka_key_when_no_subject_and_duplicates_skipped() {
    let mut a = ev("a", "T", "orders", 0);
    a.key = Some("k".into());
    a.sequence = Some(crate::model::Sequence::Int(5));
    let mut b = a.clone();
    b.id = "b".into();
    b.sequence = Some(crate::model::Sequence::Int(4));
    let e = run(vec![a.clone(), a, b]);
    assert_eq!(found(&e), want(&[(Duplicate, "a"), (OutOfOrder, "b")]));
}

#[test]
fn extreme_values_do_not_overflow() {
    let e = run(vec![
        ev("a", "T", "x", 0).seq("k", -2),
        ev("b", "T", "x", 1).seq("k", i64::MAX),
        ev("c", "T", "x", 2).seq("k", i64::MIN),
    ]);
    assert_eq!(found(&e), want(&[(OutOfOrder, "c"), (SequenceGap, "b")]));
    // Times at the ends of the representable range (1678 and 2262).
    let mut early = ev("p", "T", "x", 0).corr("c");
    early.time = Some(i64::MIN + 1);
    let mut late = ev("q", "T", "x", 0).corr("c").cause("p");
    late.time = Some(i64::MAX);
    let mut skewed = ev("r", "U", "x", 0).corr("c").cause("q");
    skewed.time = Some(i64::MIN + 1);
    let cfg = crate::analysis::Config {
        expect: vec!["U".into()],
        ..Default::default()
    };
    let e = run_with(cfg, vec![early, late, skewed]);
    assert_eq!(found(&e), want(&[(CauseAfterEffect, "r"), (Stuck, "r")]));
}

#[test]
fn key_state_stays_small() {
    assert!(std::mem::size_of::<super::KeySlot>() <= 12);
    assert!(std::mem::size_of::<super::scope::Scope>() <= 16);
    assert!(std::mem::size_of::<super::KeyFull>() <= 40);
    assert!(std::mem::size_of::<super::SourceState>() <= 32);
}

/// A per-source counter (CloudEvents Sequence extension) spread over `orders` subjects, `rounds`
/// events each, keyed by order over `partitions` partitions with dense offsets per partition.
fn per_source(orders: usize, rounds: usize, partitions: usize) -> Vec<crate::model::DecodedEvent> {
    let mut offsets = vec![0; partitions];
    let mut out = Vec::new();
    for round in 0..rounds {
        for o in 0..orders {
            let n = round * orders + o + 1;
            let p = o % partitions;
            offsets[p] += 1;
            out.push(
                ev(&format!("e{n}"), "T", "shop", n as i64)
                    .seq(&format!("ord-{o}"), n as i64)
                    .at("orders", p as i32, offsets[p]),
            );
        }
    }
    out
}

#[test]
fn per_source_counter_over_many_subjects_gives_no_false_alarm() {
    // One partition, then three: every order's own numbers jump by 8, the source's are contiguous.
    for partitions in [1, 3] {
        let e = run(per_source(8, 6, partitions));
        assert_eq!(found(&e), want(&[]), "{partitions} partitions");
    }
    // The partitions read at different speeds: partition 2 entirely first.
    let mut evs = per_source(8, 6, 3);
    evs.sort_by_key(|e| e.partition != Some(2));
    assert_eq!(found(&run(evs)), want(&[]));
    // One partition read entirely before the others, longer than the sample: the first 32
    // events all come from partition 0, whose orders' numbers step by 8 and never collide.
    let mut evs = per_source(8, 12, 3);
    evs.sort_by_key(|e| e.partition);
    assert_eq!(found(&run(evs)), want(&[]));
    // Two orders only, few events: decided at the end of input.
    assert_eq!(found(&run(per_source(2, 3, 1))), want(&[]));
}

#[test]
fn per_source_counter_still_flags_a_lower_number_and_a_real_gap() {
    // A lower number injected in partition 0 after the source counted to 48.
    let mut evs = per_source(8, 6, 3);
    evs.push(
        ev("late", "T", "shop", 99)
            .seq("ord-3", 20)
            .at("orders", 0, 100),
    );
    let e = run(evs);
    assert_eq!(found(&e), want(&[(OutOfOrder, "late")]));
    let msg = &e.anomalies.active().next().unwrap().1.message;
    assert!(
        msg.contains("sequence 20 after 47 for source shop (orders/0 offsets 100 > 18)"),
        "{msg}"
    );
    // Number 30 never produced: one gap on the union, on the event after the hole.
    let evs: Vec<_> = per_source(8, 6, 3)
        .into_iter()
        .filter(|e| &*e.id != "e30")
        .collect();
    let e = run(evs);
    assert_eq!(found(&e), want(&[(SequenceGap, "e31")]));
    let msg = &e.anomalies.active().next().unwrap().1.message;
    assert!(
        msg.contains("sequence 31 after 29 for source shop: 30 missing"),
        "{msg}"
    );
}

#[test]
fn lower_number_from_another_partition_is_not_out_of_order() {
    // One key over two partitions: arrival order across them means nothing; the union 1..4 is
    // complete. A hole below the first number seen is still found: 5 and 8 then 3, no 4, 6, 7.
    let e = run(vec![
        ev("a", "T", "s", 0).seq("k", 3).at("t", 1, 0),
        ev("b", "T", "s", 1).seq("k", 4).at("t", 1, 1),
        ev("c", "T", "s", 2).seq("k", 1).at("t", 0, 0),
        ev("d", "T", "s", 3).seq("k", 2).at("t", 0, 1),
    ]);
    assert_eq!(found(&e), want(&[]));
    let e = run(vec![
        ev("a", "T", "s", 0).seq("k", 5).at("t", 1, 0),
        ev("b", "T", "s", 1).seq("k", 8).at("t", 1, 1),
        ev("c", "T", "s", 2).seq("k", 1).at("t", 0, 0),
        ev("d", "T", "s", 3).seq("k", 6).at("t", 0, 1),
        ev("f", "T", "s", 4).seq("k", 7).at("t", 0, 2),
    ]);
    // 1 then 5 (from another partition): 2..4 missing, raised on the event holding 5.
    assert_eq!(found(&e), want(&[(SequenceGap, "a")]));
}

#[test]
fn per_key_counters_stay_per_key() {
    // Every order counts from 1, as gen and the demo do: order 2 skips 2.
    let mut evs = Vec::new();
    for o in 0..6 {
        for n in 1..=3 {
            if o == 2 && n == 2 {
                continue;
            }
            evs.push(
                ev(&format!("o{o}-{n}"), "T", "orders", o * 3 + n).seq(&format!("ord-{o}"), n),
            );
        }
    }
    assert_eq!(found(&run(evs)), want(&[(SequenceGap, "o2-3")]));
    // Per-account counters read from their middle (recorded from the end of the topic): no
    // number repeats across keys, but each key steps by one; a real gap stays a gap.
    let mut evs = Vec::new();
    for round in 0..12 {
        for a in 0..4 {
            let n = 1000 * (a + 1) + round;
            if a == 1 && round == 5 {
                continue;
            }
            evs.push(ev(&format!("a{a}-{round}"), "T", "ledger", n).seq(&format!("acct-{a}"), n));
        }
    }
    assert_eq!(found(&run(evs)), want(&[(SequenceGap, "a1-6")]));
}

/// One key in one partition whose offsets arrive backwards: store look-ups per event do not grow
/// with the key's size (each late event re-judged the whole key before).
#[test]
fn a_big_key_arriving_backwards_takes_constant_work_per_event() {
    let per_event = |n: i64| {
        let evs: Vec<_> = (0..n)
            .rev()
            .map(|i| ev(&format!("e{i}"), "T", "s", i).seq("k", i).at("t", 0, i))
            .collect();
        crate::store::lookups::take();
        let e = run(evs);
        let per = crate::store::lookups::take() as f64 / n as f64;
        assert_eq!(found(&e), want(&[]));
        per
    };
    let (small, big) = (per_event(500), per_event(4_000));
    assert!(big <= small * 1.5 + 2.0, "{small} -> {big}");
}

/// Memory per event (issue 11): an ordering key seen once costs an 8-byte slot and its text's
/// entry in the dense table, not a whole key state (56 bytes before).
#[test]
fn one_event_keys_cost_little() {
    let n = 20_000;
    let evs: Vec<_> = (0..n)
        .map(|i| ev(&format!("e{i}"), "T", "s", i).seq(&format!("k{i}"), 1))
        .collect();
    let e = run(evs);
    let per_event = e.detectors.sequence.approx_bytes() / n as usize;
    assert!(per_event <= 40, "{per_event} bytes per event");
    // A source per device, one event each: no evidence is kept for a source seen once.
    let evs: Vec<_> = (0..n)
        .map(|i| ev(&format!("e{i}"), "T", &format!("/dev/{i}"), i).seq(&format!("k{i}"), 1))
        .collect();
    let e = run(evs);
    let per_event = e.detectors.sequence.approx_bytes() / n as usize;
    assert!(per_event <= 120, "{per_event} bytes per event");
}
