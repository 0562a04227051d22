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
    assert!(std::mem::size_of::<super::EventRecord>() <= 96);
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

#[test]
fn packed_fields_read_back_as_written() {
    use crate::model::{PayloadDecoder, Profile, Provenance, Sequence, TsType};
    for (i, p) in Profile::ALL.iter().enumerate() {
        assert_eq!(*p as usize, i, "Profile::ALL in discriminant order");
    }
    for (i, p) in PayloadDecoder::ALL.iter().enumerate() {
        assert_eq!(*p as usize, i, "PayloadDecoder::ALL in discriminant order");
    }
    let mut store = super::EventStore::new(false);
    let cases = [
        (
            Some(Sequence::Int(i64::MIN)),
            TsType::LogAppend,
            0u64,
            0usize,
        ),
        (
            Some(Sequence::Int(-1)),
            TsType::Create,
            u32::MAX as u64 + 7,
            5,
        ),
        (
            Some(Sequence::Text("v7".into())),
            TsType::None,
            super::MAX_LINE,
            15,
        ),
        (None, TsType::Create, 123, 9),
    ];
    for (n, (sequence, ts_type, line, profile)) in cases.into_iter().enumerate() {
        let provenance = Provenance {
            id: Profile::ALL[profile],
            event_type: Profile::ALL[15 - profile],
            correlation: Profile::ALL[(profile + 3) % 16],
            causation: Profile::ALL[(profile + 7) % 16],
            sequence: Profile::ALL[(profile + 1) % 16],
            subject: Profile::ALL[(profile + 2) % 16],
            payload: PayloadDecoder::ALL[profile % PayloadDecoder::ALL.len()],
        };
        let ev = crate::model::DecodedEvent {
            id: format!("e{n}").into(),
            event_type: "T".into(),
            sequence: sequence.clone(),
            ts_type,
            line,
            provenance,
            ..Default::default()
        };
        let idx = store.append(ev, 0);
        let back = store.decoded_record(idx);
        assert_eq!(back.sequence, sequence);
        assert_eq!(back.ts_type, ts_type);
        assert_eq!(back.line, line);
        assert_eq!(back.provenance, provenance);
    }
    let too_far = crate::model::DecodedEvent {
        id: "far".into(),
        event_type: "T".into(),
        line: super::MAX_LINE + 1,
        ..Default::default()
    };
    let r = std::panic::catch_unwind(move || super::EventStore::new(false).append(too_far, 0));
    assert!(
        r.is_err(),
        "a line past the record's range is refused, not wrapped"
    );
}
