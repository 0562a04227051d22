//! Fuzzes the line decoders of every format, format detection, and then stitching and the anomaly
//! detectors on whatever events came out.
#![no_main]

use eventscope::analysis::{Config, Engine};
use eventscope::decode::{
    DecodedChunk, Format, LineDecoder, LineOutcome, ProfileConfig, detect_format,
};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

const FORMATS: [Format; 4] = [
    Format::Native,
    Format::CloudEvents,
    Format::Kcat,
    Format::KafkaRecords,
];

/// `Config::default()`, built once: compiling its dead-letter regex took over half of each run.
/// Cloning shares the compiled regex, so every engine still gets exactly the default config.
static DEFAULT_CONFIG: LazyLock<Config> = LazyLock::new(Config::default);

fuzz_target!(|data: &[u8]| {
    let _ = detect_format(data);
    // The hand-written fast paths read exactly what serde_json and chrono read.
    if let Err(e) = eventscope::decode::agrees_with_serde(data) {
        panic!("{e}");
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = eventscope::model::parse_time_agrees_with_chrono(text)
    {
        panic!("{e}");
    }

    for format in FORMATS {
        let dec = LineDecoder::new(format, ProfileConfig::default(), true);
        let mut engine = Engine::new(DEFAULT_CONFIG.clone());

        // The whole input as a single line (may contain '\n'; decoders must cope).
        match dec.decode_line(data, 1) {
            LineOutcome::Event(ev) | LineOutcome::EventWithProblem(ev, _) => {
                engine.push(ev, 0);
            }
            LineOutcome::Skip | LineOutcome::Error(_) => {}
        }

        // The input as a chunk of lines.
        let DecodedChunk { events, problems } = dec.decode_chunk(data, 1);
        for p in &problems {
            assert!(p.line >= 1);
        }

        // The packed path (straight from the scanner when it can) must agree with the general
        // one, and feed an engine the way the file source does.
        let fast = LineDecoder::new(format, ProfileConfig::default(), false);
        let (packed, packed_problems) = fast.decode_chunk_packed(data, 1);
        let general = fast.decode_chunk(data, 1);
        assert_eq!(packed.len(), general.events.len(), "packed path lost or added events");
        assert_eq!(packed_problems, general.problems, "packed path reported other problems");
        let mut packed_engine = Engine::new(DEFAULT_CONFIG.clone());
        packed_engine.ingest(&std::sync::Arc::from("fuzz"), packed, &packed_problems);
        packed_engine.finish(None);
        for ev in events {
            engine.push(ev, 0);
        }
        engine.finish(None);

        // What the CLI/GUI ask of a finished engine.
        let flows: Vec<_> = engine.flows.iter().map(|(id, _)| id).collect();
        for id in flows {
            let _ = engine.status(id);
            let _ = engine.flow_anomalies(id).count();
            let _ = engine.flows.get(id).duration();
            let _ = engine.flows.edges(&engine.store, id);
            let _ = engine.flows.missing_causes(&engine.store, id);
            let _ = engine.flows.critical_path(&engine.store, id);
        }
        for e in 0..engine.store.len() as u32 {
            let _ = engine.correlation_of(e);
        }
    }
});
