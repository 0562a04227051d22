//! Line decoders: one per input format, auto-detected per file. Each turns one line into a
//! [`DecodedEvent`] or says why it cannot; nothing here panics on bad input.

mod cloudevents;
mod frameworks;
mod kcat;
mod line;
mod native;
pub mod native_write;
pub mod profile;
pub mod record;
pub mod recording;
mod scan;
pub mod schema;
pub mod spans;
pub mod trace_context;
#[doc(hidden)]
pub use scan::agrees_with_serde;

use crate::model::{DecodedEvent, PackedEvents, Profile};
pub use profile::{FieldSpec, ProfileConfig};
use std::hash::Hasher;

/// Input formats (see README, "Trace formats").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Eventscope's JSON Lines trace format (optional `{"eventscope_trace":1}` first line).
    Native,
    /// CloudEvents JSON, structured mode, one event per line.
    CloudEvents,
    /// `kcat -J` output.
    Kcat,
    /// A recording: Kafka records as they came (trace format version 2,
    /// `{"eventscope_trace":2,"content":"kafka-records"}`), decoded as live records are.
    KafkaRecords,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "eventscope",
            Format::CloudEvents => "cloudevents",
            Format::Kcat => "kcat",
            Format::KafkaRecords => "kafka-records",
        }
    }
}

/// The newest trace format version this build reads, and the one recordings are written in.
/// Version 1: decoded events (what `gen` and `demo --out` still write, unchanged). Version 2 adds
/// the header line's `content`: `"events"` (the default, version 1's lines) or
/// `"kafka-records"` (a recording, [`recording`]). Every version up to this one is read.
pub const TRACE_VERSION: u64 = 2;

pub use crate::model::Problem;

/// What one line gave.
pub enum LineOutcome {
    Event(DecodedEvent),
    /// The event was kept but part of it could not be decoded.
    EventWithProblem(DecodedEvent, String),
    /// Blank line or trace metadata.
    Skip,
    Error(String),
}

/// The result of decoding a chunk of whole lines.
#[derive(Default)]
pub struct DecodedChunk {
    pub events: Vec<DecodedEvent>,
    pub problems: Vec<Problem>,
}

/// Decodes lines of one detected format.
#[derive(Clone, Debug)]
pub struct LineDecoder {
    pub format: Format,
    pub profiles: ProfileConfig,
    /// Keep payloads (the GUI shows them); `check` only needs their hash.
    pub keep_payload: bool,
}

/// Longest reason text kept for a bad line.
const MAX_REASON: usize = 200;

pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}

impl ProfileConfig {
    /// What the span exports (`--spans`) and the schema directory (`--schemas`, a `.proto` file
    /// that does not compile) could not give: each names its file and line.
    pub fn load_problems(&self) -> Vec<String> {
        let spans = self.spans.iter().flat_map(|s| s.problems());
        let schemas = self.schemas.iter().flat_map(|s| s.problems());
        spans.chain(schemas).cloned().collect()
    }
}

/// The native format's metadata line: `{"eventscope_trace":...}` (white space allowed).
fn is_trace_header(line: &[u8]) -> bool {
    let Some(rest) = line.trim_ascii_start().strip_prefix(b"{") else {
        return false;
    };
    rest.trim_ascii_start().starts_with(b"\"eventscope_trace\"")
}

fn clip(mut s: String) -> String {
    if s.len() > MAX_REASON {
        let mut cut = MAX_REASON;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

impl LineDecoder {
    pub fn new(format: Format, profiles: ProfileConfig, keep_payload: bool) -> Self {
        LineDecoder {
            format,
            profiles,
            keep_payload,
        }
    }

    pub fn decode_line(&self, line: &[u8], line_no: u64) -> LineOutcome {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            return LineOutcome::Skip;
        }
        if is_trace_header(line) {
            return match native::check_header(line) {
                Ok(()) => LineOutcome::Skip,
                Err(e) => LineOutcome::Error(e),
            };
        }
        let result = match self.format {
            Format::Native => native::decode(line, self),
            Format::CloudEvents => cloudevents::decode(line, self),
            Format::Kcat => kcat::decode(line, self),
            Format::KafkaRecords => recording::decode(line, self),
        };
        match result {
            Ok((mut ev, problem)) => {
                ev.line = line_no;
                match problem {
                    None => LineOutcome::Event(ev),
                    Some(p) => LineOutcome::EventWithProblem(ev, clip(p)),
                }
            }
            Err(e) => LineOutcome::Error(clip(e)),
        }
    }

    /// Decodes a buffer of whole lines; `first_line` is the 1-based number of its first line.
    pub fn decode_chunk(&self, bytes: &[u8], first_line: u64) -> DecodedChunk {
        let mut out = DecodedChunk {
            events: Vec::with_capacity(bytes.len() / 400 + 1),
            problems: Vec::new(),
        };
        for_each_line(bytes, first_line, |line, line_no| {
            match self.decode_line(line, line_no) {
                LineOutcome::Event(ev) => out.events.push(ev),
                LineOutcome::EventWithProblem(ev, reason) => {
                    out.events.push(ev);
                    out.problems.push(Problem {
                        line: line_no,
                        reason,
                        event_kept: true,
                    });
                }
                LineOutcome::Skip => {}
                LineOutcome::Error(reason) => out.problems.push(Problem {
                    line: line_no,
                    reason,
                    event_kept: false,
                }),
            }
        });
        out
    }

    /// Like [`LineDecoder::decode_chunk`], but packs the events (the file source's path). Lines
    /// that need nothing from the correlation profiles go straight from the scanner into the
    /// batch; the others take the general path. Both give the same packed event.
    pub fn decode_chunk_packed(
        &self,
        bytes: &[u8],
        first_line: u64,
    ) -> (PackedEvents, Vec<Problem>) {
        self.decode_chunk_spanned(bytes, first_line, None)
    }

    /// Like [`LineDecoder::decode_chunk_packed`]; with `first_byte` (the chunk's offset in its
    /// file) each event also gets its line's [`crate::model::LineSpan`], so its detail can stay
    /// in the file (decode with `keep_payload` off then: only the fast path's fields are kept).
    pub fn decode_chunk_spanned(
        &self,
        bytes: &[u8],
        first_line: u64,
        first_byte: Option<u64>,
    ) -> (PackedEvents, Vec<Problem>) {
        let mut out = PackedEvents::with_capacity(bytes.len() / 400 + 1);
        let mut problems = Vec::new();
        let explicit = match self.format {
            Format::Native => Some(Profile::Native),
            Format::CloudEvents => Some(Profile::CloudEvents),
            Format::Kcat | Format::KafkaRecords => None,
        };
        for_each_line(bytes, first_line, |line, line_no| {
            let before = out.events.len();
            self.pack_line(line, line_no, explicit, &mut out, &mut problems);
            if let (Some(first), Some(ev)) = (first_byte, out.events.get_mut(before)) {
                let at = line.as_ptr() as usize - bytes.as_ptr() as usize;
                ev.span = Some(crate::model::LineSpan {
                    offset: first + at as u64,
                    len: line.len() as u32,
                });
            }
        });
        (out, problems)
    }

    fn pack_line(
        &self,
        line: &[u8],
        line_no: u64,
        explicit: Option<Profile>,
        out: &mut PackedEvents,
        problems: &mut Vec<Problem>,
    ) {
        if let Some(explicit) = explicit {
            let raw = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(l) = scan::scan(raw)
                && (explicit == Profile::Native || l.specversion.is_some())
                && native::pack_fast(&l, line_no, self, explicit, out).is_some()
            {
                return;
            }
        }
        match self.decode_line(line, line_no) {
            LineOutcome::Event(ev) => out.push(ev, self.keep_payload),
            LineOutcome::EventWithProblem(ev, reason) => {
                out.push(ev, self.keep_payload);
                problems.push(Problem {
                    line: line_no,
                    reason,
                    event_kept: true,
                });
            }
            LineOutcome::Skip => {}
            LineOutcome::Error(reason) => problems.push(Problem {
                line: line_no,
                reason,
                event_kept: false,
            }),
        }
    }
}

/// Calls `f` with each line of `bytes` (without its `\n`) and its 1-based number.
fn for_each_line(bytes: &[u8], first_line: u64, mut f: impl FnMut(&[u8], u64)) {
    let mut line_no = first_line;
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        f(&bytes[start..end], line_no);
        start = end + 1;
        line_no += 1;
    }
}

/// Detects the format from the first lines of a file: the native header line (its `content` tells
/// a recording from decoded events), else the first line
/// that is a JSON object (`specversion` -> CloudEvents, `payload`/`broker` -> kcat, else native).
pub fn detect_format(head: &[u8]) -> Format {
    for line in head.split(|b| *b == b'\n').take(1000) {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        if is_trace_header(line) {
            return native::header_format(line);
        }
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(line)
        else {
            continue;
        };
        if map.contains_key("specversion") {
            return Format::CloudEvents;
        }
        if map.contains_key("payload") || (map.contains_key("broker") && map.contains_key("offset"))
        {
            return Format::Kcat;
        }
        return Format::Native;
    }
    Format::Native
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(format: Format) -> LineDecoder {
        LineDecoder::new(format, ProfileConfig::default(), true)
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect_format(b"{\"eventscope_trace\":1}\n"), Format::Native);
        assert_eq!(
            detect_format(b"\n{\"specversion\":\"1.0\",\"id\":\"1\"}"),
            Format::CloudEvents
        );
        assert_eq!(
            detect_format(b"garbage\n{\"topic\":\"t\",\"payload\":null}"),
            Format::Kcat
        );
        assert_eq!(
            detect_format(b"{\"id\":\"1\",\"type\":\"T\"}"),
            Format::Native
        );
        assert_eq!(detect_format(b"\x00\x01\xff"), Format::Native);
    }

    #[test]
    fn bad_lines_are_reported_and_loading_continues() {
        let text = b"{\"id\":\"a\",\"type\":\"T\"}\n{\"id\":\"b\",\n\xff\xfe\n\x00\x00\n{\"type\":\"NoId\"}\n{\"id\":\"c\",\"type\":\"T\"}\r\n{\"id\":\"d\",\"type\"";
        let out = dec(Format::Native).decode_chunk(text, 1);
        let ids: Vec<_> = out.events.iter().map(|e| e.id.to_string()).collect();
        assert_eq!(ids, ["a", "c"]);
        let lines: Vec<_> = out.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 7]);
        assert!(out.problems.iter().all(|p| !p.reason.is_empty()));
    }

    #[test]
    fn deep_nesting_and_huge_lines_do_not_crash() {
        let deep = format!(
            "{{\"id\":\"a\",\"type\":\"T\",\"data\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let d = dec(Format::Native);
        let _ = d.decode_line(deep.as_bytes(), 1);
        let _ = dec(Format::Kcat).decode_line(deep.as_bytes(), 1);
        let _ = dec(Format::KafkaRecords).decode_line(deep.as_bytes(), 1);
        let deep_value = format!(
            "{{\"topic\":\"t\",\"value\":{{\"json\":{}{}}}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let _ = dec(Format::KafkaRecords).decode_line(deep_value.as_bytes(), 1);
        let big = format!(
            "{{\"id\":\"a\",\"type\":\"T\",\"data\":\"{}\"}}",
            "x".repeat(10 << 20)
        );
        assert!(matches!(
            d.decode_line(big.as_bytes(), 1),
            LineOutcome::Event(_)
        ));
        let unclosed = "[".repeat(1 << 20);
        assert!(matches!(
            d.decode_line(unclosed.as_bytes(), 1),
            LineOutcome::Error(_)
        ));
    }

    #[test]
    fn header_version_checked() {
        let d = dec(Format::Native);
        assert!(matches!(
            d.decode_line(br#"{"eventscope_trace":1,"source":"x"}"#, 1),
            LineOutcome::Skip
        ));
        assert!(matches!(
            d.decode_line(br#"{"eventscope_trace":99}"#, 1),
            LineOutcome::Error(_)
        ));
    }
}
