//! The flows filter: free text (matched in ids, types, services, keys and payloads, any case; for
//! events whose payload stays in their file, in the event's line as written there) and
//! `type:`, `service:`, `topic:`, `kind:<anomaly kind>`, `status:`, `has:anomaly`, `variant:N` (the
//! number in the Variants tab and `eventscope variants`) terms; all terms must match. `"quoted text"` is searched as it is. Anything else that cannot mean what it seems
//! to (an unknown key, a key without a value, brackets, an unclosed quote) is an error that says
//! why. Replay matches the flow as of the cursor. No egui here: tested as plain logic.

use crate::analysis::{AnomalyKind, Engine, FlowId, FlowStatus, REGISTRY};
use crate::model::{Sym, Timestamp};
use crate::store::{EventIdx, EventStore};
use regex::bytes::{Regex, RegexBuilder};
use std::cell::RefCell;

#[derive(Clone, Debug, PartialEq)]
enum Term {
    Text(TextTerm),
    Type(TextTerm),
    Service(TextTerm),
    Topic(TextTerm),
    Kind(AnomalyKind),
    Status(FlowStatus),
    HasAnomaly,
    Variant(u32),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    terms: Vec<Term>,
}

/// Every flow status, in the order the flows table sorts them (the CLI's words: `status:` takes
/// their names; anomalies are a separate matter, `has:anomaly`).
pub const STATUSES: [FlowStatus; 4] = [
    FlowStatus::Complete,
    FlowStatus::Open,
    FlowStatus::Stuck,
    FlowStatus::Failed,
];

/// The keys a term can start with (`key:value`).
pub const KEYS: [&str; 7] = [
    "type", "service", "topic", "kind", "status", "has", "variant",
];

/// Splits the text into words; a word in double quotes is taken as it is (spaces, colons and
/// brackets included). An unclosed quote is an error.
fn words(text: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or_else(|| format!("unclosed quote in {rest}: end it with \""))?;
            out.push((q[..end].to_string(), true));
            rest = q[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push((rest[..end].to_string(), false));
            rest = rest[end..].trim_start();
        }
    }
    Ok(out)
}

/// One unquoted word as a term; unknown keys, empty values and brackets are errors (the filter
/// has no grouping or operators: every term must match).
fn term(word: &str) -> Result<Term, String> {
    if word.contains(['(', ')']) {
        return Err(format!(
            "'{word}': the filter has no grouping (every term must match); to search for brackets, quote them: \"{word}\""
        ));
    }
    let Some((key, v)) = word.split_once(':') else {
        return Ok(Term::Text(TextTerm::new(word)));
    };
    // Only a word-like key is one: "09:00" or "a:b:c" stay text when the key is not a name.
    if !key.chars().all(|c| c.is_ascii_alphabetic() || c == '_') || key.is_empty() {
        return Ok(Term::Text(TextTerm::new(word)));
    }
    if !KEYS.contains(&key) {
        return Err(format!(
            "unknown key '{key}:' (keys: {}); to search for the text, quote it: \"{word}\"",
            KEYS.map(|k| format!("{k}:")).join(" ")
        ));
    }
    if v.is_empty() {
        return Err(format!("'{key}:' needs a value"));
    }
    Ok(match key {
        "type" => Term::Type(TextTerm::new(v)),
        "service" => Term::Service(TextTerm::new(v)),
        "topic" => Term::Topic(TextTerm::new(v)),
        "kind" => Term::Kind(AnomalyKind::from_name(v).ok_or_else(|| {
            let names: Vec<&str> = REGISTRY.iter().map(|k| k.name).collect();
            format!("unknown anomaly kind '{v}' (one of {})", names.join(", "))
        })?),
        "status" => {
            let v = v.to_lowercase();
            let st = STATUSES.into_iter().find(|s| s.name() == v);
            Term::Status(st.ok_or_else(|| {
                let names: Vec<&str> = STATUSES.iter().map(|s| s.name()).collect();
                format!("unknown status '{v}' (one of {})", names.join(", "))
            })?)
        }
        "variant" => Term::Variant(v.parse().map_err(|_| {
            format!("variant:{v}: a variant number (the Variants tab's #), e.g. variant:2")
        })?),
        _ if v == "anomaly" => Term::HasAnomaly,
        _ => return Err(format!("has:{v}: only has:anomaly is known")),
    })
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, String> {
        let terms = words(text)?
            .into_iter()
            .map(|(w, quoted)| {
                if quoted {
                    Ok(Term::Text(TextTerm::new(&w)))
                } else {
                    term(&w)
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Filter { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, engine: &Engine, flow: FlowId) -> bool {
        self.matches_at(engine, flow, None)
    }

    /// Whether the flow as of replay time `at` matches (`None`: now): only its events up to
    /// then, its state and the anomalies active then.
    pub fn matches_at(&self, engine: &Engine, flow: FlowId, at: Option<Timestamp>) -> bool {
        self.terms.iter().all(|t| term_matches(t, engine, flow, at))
    }
}

/// A text to find, in any case (free text, or the value of `type:`, `service:`, `topic:`). What it
/// has found is remembered for the store it searched, so a table rebuild as data arrives searches
/// only the new events: which strings (types, services, keys: few and repeated) contain it; and
/// for free text, which events' lines (for events whose detail stays in their file) contain it,
/// found by reading the lines in large runs on a few threads.
#[derive(Clone, Debug)]
struct TextTerm {
    text: String,
    re: Regex,
    found: RefCell<Found>,
}

#[derive(Clone, Debug, Default)]
struct Found {
    /// The store searched ([`EventStore::instance`]); another one starts over.
    store: u64,
    /// Events whose lines were searched: `0..lines_searched`.
    lines_searched: usize,
    /// One bit per event: its line contains the text.
    line_hits: Vec<u64>,
    /// Per string (by `Sym::index`): 0 not looked at yet, 1 no, 2 contains the text.
    strings: Vec<u8>,
}

/// New events to search before the search of lines is shared among threads.
const PARALLEL_LINES: usize = 50_000;

impl PartialEq for TextTerm {
    fn eq(&self, other: &TextTerm) -> bool {
        self.text == other.text
    }
}

impl TextTerm {
    fn new(text: &str) -> TextTerm {
        let re = RegexBuilder::new(&regex::escape(text))
            .case_insensitive(true)
            .build()
            .expect("an escaped text is a valid pattern");
        TextTerm {
            text: text.to_lowercase(),
            re,
            found: RefCell::default(),
        }
    }

    fn is_in(&self, text: &str) -> bool {
        self.re.is_match(text.as_bytes())
    }

    /// Forgets what was found in another store than `s`.
    fn sync(&self, s: &EventStore) {
        let mut f = self.found.borrow_mut();
        if f.store != s.instance() {
            *f = Found {
                store: s.instance(),
                ..Found::default()
            };
        }
    }

    /// Whether the string contains the text (looked at once per string and store; after
    /// [`TextTerm::sync`]).
    fn in_sym(&self, s: &EventStore, sym: Sym) -> bool {
        let mut f = self.found.borrow_mut();
        let i = sym.index();
        if f.strings.len() <= i {
            f.strings.resize(i + 1, 0);
        }
        if f.strings[i] == 0 {
            f.strings[i] = 1 + u8::from(self.is_in(s.str(sym)));
        }
        f.strings[i] == 2
    }

    /// Whether the event's line in its file contains the text (after [`TextTerm::search_lines`]).
    fn in_line(&self, e: EventIdx) -> bool {
        let f = self.found.borrow();
        (f.line_hits.get(e as usize / 64)).is_some_and(|w| w >> (e % 64) & 1 == 1)
    }

    /// Searches the lines of the events added since the last search (all of them for a store
    /// not searched before).
    fn search_lines(&self, s: &EventStore) {
        self.sync(s);
        let mut f = self.found.borrow_mut();
        let (from, to) = (f.lines_searched, s.len());
        if from >= to {
            return;
        }
        f.line_hits.resize(to.div_ceil(64), 0);
        let threads = if to - from >= PARALLEL_LINES {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        } else {
            1
        };
        let share = (to - from).div_ceil(threads);
        let re = &self.re;
        let hits: Vec<Vec<EventIdx>> = std::thread::scope(|scope| {
            let parts: Vec<_> = (0..threads)
                .map(|i| {
                    let a = (from + i * share).min(to) as EventIdx;
                    let b = (from + (i + 1) * share).min(to) as EventIdx;
                    scope.spawn(move || {
                        let mut hits = Vec::new();
                        s.for_each_file_line(a..b, |e, line| {
                            if re.is_match(line) {
                                hits.push(e);
                            }
                        });
                        hits
                    })
                })
                .collect();
            (parts.into_iter())
                .map(|p| p.join().expect("line search thread"))
                .collect()
        });
        for e in hits.into_iter().flatten() {
            f.line_hits[e as usize / 64] |= 1 << (e % 64);
        }
        f.lines_searched = to;
    }
}

fn term_matches(term: &Term, engine: &Engine, flow: FlowId, at: Option<Timestamp>) -> bool {
    let s = &engine.store;
    let f = engine.flows.get(flow);
    let any = |pred: &dyn Fn(u32) -> bool| {
        (f.events.iter()).any(|&e| engine.happened_by(e, at) && pred(e))
    };
    match term {
        Term::Type(t) => {
            t.sync(s);
            any(&|e| t.in_sym(s, s.get(e).event_type))
        }
        Term::Service(t) => {
            t.sync(s);
            any(&|e| s.get(e).source.is_some_and(|x| t.in_sym(s, x)))
        }
        Term::Topic(t) => {
            t.sync(s);
            any(&|e| s.get(e).topic.is_some_and(|x| t.in_sym(s, x)))
        }
        Term::Kind(k) => engine.flow_anomalies_at(flow, at).any(|a| a.kind == *k),
        Term::HasAnomaly => engine.flow_anomalies_at(flow, at).next().is_some(),
        Term::Status(st) => engine.status_at(flow, at) == *st,
        Term::Variant(n) => {
            let v = &engine.variants;
            v.by_number(*n)
                .is_some_and(|n| v.variant_of(flow) == Some(n))
        }
        Term::Text(t) => {
            t.search_lines(s);
            t.in_sym(s, f.key)
                || any(&|e| {
                    let r = s.get(e);
                    // Ids are nearly all different: not worth remembering.
                    t.is_in(s.str(r.id))
                        || t.in_sym(s, r.event_type)
                        || r.source.is_some_and(|x| t.in_sym(s, x))
                        || r.key.is_some_and(|x| t.in_sym(s, x))
                        || match s.detail_in_file(e) {
                            true => t.in_line(e),
                            false => s.payload_text(e).is_some_and(|p| t.is_in(&p)),
                        }
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::{DecodedEvent, Payload};

    fn engine() -> Engine {
        let mut e = Engine::new(Config::default());
        let mk = |id: &str, ty: &str, src: &str, corr: &str, data: &str| DecodedEvent {
            id: id.into(),
            event_type: ty.into(),
            source: Some(src.into()),
            correlation_id: Some(corr.into()),
            topic: Some(format!("{src}-topic").into()),
            payload: Payload::Json(serde_json::value::RawValue::from_string(data.into()).unwrap()),
            data_hash: data.len() as u64,
            ..Default::default()
        };
        e.push(
            mk("a1", "OrderPlaced", "orders", "c1", r#"{"sku":"X-42"}"#),
            0,
        );
        e.push(mk("b1", "PaymentFailed", "payments", "c2", "{}"), 0);
        e.push(mk("b1", "PaymentFailed", "payments", "c2", "{}"), 0);
        e
    }

    fn hits(e: &Engine, f: &str) -> Vec<String> {
        let f = Filter::parse(f).unwrap();
        e.flows
            .iter()
            .filter(|(id, _)| f.matches(e, *id))
            .map(|(_, fl)| e.store.str(fl.key).to_string())
            .collect()
    }

    /// Loads the files as the window does (details stay in the files).
    fn load(engine: &mut Engine, paths: &[std::path::PathBuf]) {
        let opts = crate::ingest::file::FileOptions::default();
        crate::ingest::file::load_files(paths, &opts, |msg| {
            if let crate::ingest::SourceMessage::Batch(b) = msg {
                engine.ingest(&b.origin, b.events, &b.problems);
            }
        });
    }

    #[test]
    fn text_in_lines_kept_in_files_is_found_in_any_case_and_as_files_grow() {
        let dir = tempfile::tempdir().unwrap();
        let line = |i: usize, corr: &str, note: &str| {
            format!(
                r#"{{"id":"e{i}","type":"T","source":"s","correlationid":"{corr}","time":"2026-01-01T00:00:00Z","data":{{"note":"{note}"}}}}"#
            )
        };
        // Enough events for the search of lines to be shared among threads, with blank and
        // undecodable lines between them; the text sits at the first, a middle and the last line.
        let n = super::PARALLEL_LINES + 1000;
        let mut a = String::new();
        for i in 0..n {
            let note = match i {
                0 => "Needle-Zq9",
                i if i == n / 2 => "a NEEDLE-zq9 here",
                i if i == n - 1 => "needle-zq9",
                _ => "hay",
            };
            a += &line(i, &format!("c{i}"), note);
            a += if i % 1000 == 7 {
                "\n\nnot json\n"
            } else {
                "\n"
            };
        }
        let pa = dir.path().join("a.jsonl");
        std::fs::write(&pa, a).unwrap();
        let mut e = Engine::new(Config::default());
        load(&mut e, std::slice::from_ref(&pa));
        assert!(e.store.detail_in_file(0), "the details stay in the file");
        let f = Filter::parse("needle-ZQ9").unwrap();
        let found = |e: &Engine| -> Vec<String> {
            let mut v: Vec<String> = (e.flows.iter())
                .filter(|(id, _)| f.matches(e, *id))
                .map(|(_, fl)| e.store.str(fl.key).to_string())
                .collect();
            v.sort();
            v
        };
        let mut want = vec![
            format!("c{}", 0),
            format!("c{}", n / 2),
            format!("c{}", n - 1),
        ];
        want.sort();
        assert_eq!(found(&e), want);
        // A second file: only its events are searched, and its hits are found.
        let pb = dir.path().join("b.jsonl");
        std::fs::write(
            &pb,
            line(n, "late", "NEEDLE-ZQ9") + "\n" + &line(n + 1, "x", "hay"),
        )
        .unwrap();
        load(&mut e, std::slice::from_ref(&pb));
        want.push("late".into());
        want.sort();
        assert_eq!(found(&e), want);
        // The same search in a new store (a budget's rebuild), where every event has another
        // index, starts over.
        let mut fresh = Engine::new(Config::default());
        load(&mut fresh, &[pb, pa]);
        assert_eq!(found(&fresh), want);
    }

    #[test]
    fn terms_select_flows() {
        let e = engine();
        assert_eq!(hits(&e, ""), ["c1", "c2"]);
        assert_eq!(hits(&e, "x-42"), ["c1"], "payload text");
        assert_eq!(hits(&e, "type:payment"), ["c2"]);
        assert_eq!(hits(&e, "service:orders"), ["c1"]);
        assert_eq!(hits(&e, "topic:payments-topic"), ["c2"]);
        assert_eq!(hits(&e, "kind:duplicate"), ["c2"]);
        assert_eq!(hits(&e, "has:anomaly"), ["c2"]);
        assert_eq!(hits(&e, "status:failed"), ["c2"]);
        assert_eq!(hits(&e, "status:complete"), ["c1"]);
        assert_eq!(hits(&e, "C1 service:orders"), ["c1"]);
        assert!(hits(&e, "c1 service:payments").is_empty());
        assert!(
            Filter::parse("kind:nope")
                .unwrap_err()
                .contains("unknown anomaly kind")
        );
        assert!(Filter::parse("status:late").is_err());
        assert_eq!(hits(&e, "\"X-42\""), ["c1"], "quoted text");
        assert_eq!(
            hits(&e, "09:00"),
            Vec::<String>::new(),
            "a colon after digits is text"
        );
        for bad in ["((", "a)", "nope:x", "type:", "\"open", "kind:", "has:x"] {
            assert!(Filter::parse(bad).is_err(), "{bad} is an error");
        }
        assert!(Filter::parse("((").unwrap_err().contains("no grouping"));
        assert!(
            Filter::parse("foo:bar")
                .unwrap_err()
                .contains("unknown key 'foo:'")
        );
        assert!(Filter::parse("\"((\"").is_ok(), "quoted brackets are text");
        let mut e = e;
        e.finish(None);
        assert_eq!(
            hits(&e, "variant:1"),
            ["c1"],
            "one flow each: by root type's name"
        );
        assert_eq!(hits(&e, "variant:2"), ["c2"]);
        assert!(hits(&e, "variant:3").is_empty());
        assert!(
            Filter::parse("variant:x")
                .unwrap_err()
                .contains("variant number")
        );
        assert!(
            Filter::parse("status:ok")
                .unwrap_err()
                .contains("one of complete, open, stuck, failed"),
            "the CLI's status words only"
        );
    }
}
