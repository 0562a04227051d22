//! The decoders' two paths: the packed one (fast when it can be) and the general one.

use eventscope::decode::{Format, LineDecoder, ProfileConfig, detect_format};
use eventscope::ingest::generate::generate;
use eventscope::model::PackedEvents;

/// The packed path (fast when it can be) gives exactly what the general path gives.
#[test]
fn packed_fast_path_agrees_with_the_general_path() {
    use eventscope::model::{PackedEvent, PackedSeq};
    fn view(b: &PackedEvents, p: &PackedEvent) -> String {
        let o = |x: Option<eventscope::model::Str>| x.map(|x| b.str(x).to_string());
        let seq = match p.sequence {
            PackedSeq::None => "-".to_string(),
            PackedSeq::Int(n) => n.to_string(),
            PackedSeq::Text(t) => format!("'{}'", b.str(t)),
        };
        format!(
            "{} {} {:?} {:?} {:?} {:?} {:?} {:?} {seq} {:?} {:?}",
            b.str(p.id),
            b.str(p.event_type),
            o(p.source),
            o(p.correlation),
            o(p.causation),
            o(p.subject),
            o(p.topic),
            o(p.key),
            p.facts,
            p.dead_letter
        )
    }
    let mut text = Vec::new();
    let faults = "dup=0.02,reorder=0.02,drop=0.02,poison=0.02,skew=0.02,conflict=0.02,orphan=0.02,cycle=0.02,gap=0.02";
    generate(3000, 5, &faults.parse().unwrap(), &mut text).unwrap();
    let mut inputs = vec![(Format::Native, text)];
    // First events of flows (no causationid) whose cause a profile finds, or does not.
    let t = r#""type":"T","source":"s","time":"2026-11-22T03:21:16.123Z","correlationid":"c","sequence":2,"subject":"o-1""#;
    let roots = [
        format!(r#"{{"id":"r1",{t}}}"#),
        format!(r#"{{"id":"r2",{t},"data":{{"causationId":"p1"}}}}"#),
        format!(r#"{{"id":"r3",{t},"data":{{"metadata":{{"causation_id":"p2"}}}}}}"#),
        format!(r#"{{"id":"r4",{t},"headers":[["ce_causationid","p3"]],"data":[1]}}"#),
        format!(r#"{{"id":"r5",{t},"headers":[["NServiceBus.RelatedTo","p4"]]}}"#),
        format!(r#"{{"id":"r6",{t},"data":{{"$causationId":"p5","initiatorId":"p6"}}}}"#),
        format!(
            r#"{{"id":"r7",{t},"data":{{"causationId":""}},"headers":[["x-causation-id",null]]}}"#
        ),
        format!(r#"{{"id":"r8",{t},"data":{{"specversion":"1.0","causationid":"p7"}}}}"#),
    ];
    inputs.push((Format::Native, roots.join("\n").into_bytes()));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    for f in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        inputs.push((detect_format(&bytes), bytes));
    }
    let mut fast_lines = 0;
    for (format, bytes) in inputs {
        let d = LineDecoder::new(format, ProfileConfig::default(), false);
        let (packed, problems) = d.decode_chunk_packed(&bytes, 1);
        let slow = d.decode_chunk(&bytes, 1);
        let mut general = PackedEvents::with_capacity(slow.events.len());
        for ev in slow.events {
            general.push(ev, false);
        }
        assert_eq!(problems, slow.problems);
        assert_eq!(packed.len(), general.len());
        for (a, b) in packed.events.iter().zip(&general.events) {
            assert_eq!(view(&packed, a), view(&general, b));
        }
        fast_lines += packed.len();
    }
    assert!(fast_lines > 3000);
}
