#[test]
fn indexes_never_wrap() {
    assert_eq!(super::next_index(0), 0);
    assert_eq!(super::next_index(u32::MAX as usize - 1), u32::MAX - 1);
    for full in [u32::MAX as usize, u32::MAX as usize + 1] {
        let r = std::panic::catch_unwind(|| super::next_index(full));
        assert!(r.is_err(), "index {full} must not wrap");
    }
}
#[test]
fn sentinel_values_are_not_lost() {
    let mut store = super::EventStore::new(false);
    let ev = crate::model::DecodedEvent {
        id: "a".into(),
        event_type: "T".into(),
        time: Some(i64::MIN),
        offset: Some(i64::MIN),
        partition: Some(i32::MIN),
        broker_ts: Some(5),
        ..Default::default()
    };
    let idx = store.append(ev, 0);
    let r = store.get(idx);
    assert_eq!(r.time(), Some(i64::MIN + 1));
    assert_eq!(r.offset(), Some(i64::MIN + 1));
    assert_eq!(r.partition(), Some(i32::MIN + 1));
    assert_eq!(r.broker_ts(), Some(5));
    assert_eq!(r.observed_at(), None);
}

#[test]
fn record_stays_compact() {
    assert!(std::mem::size_of::<super::EventRecord>() <= 112);
    // A detail kept in its file costs 8 bytes an event.
    let mut d = super::kept::Details::default();
    for i in 0..1000 {
        d.push_file(crate::model::LineSpan {
            offset: i * 300,
            len: 300,
        });
    }
    assert!(d.approx_bytes() <= 8 * 1024, "{}", d.approx_bytes());
}
