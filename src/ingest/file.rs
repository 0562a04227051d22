//! The file source: reads a trace file (plain or gzip), splits it into chunks of whole lines,
//! decodes the chunks on worker threads (parsing is the cost, so it uses every core) and hands the
//! results on in file order.

use super::{Batch, SourceMessage, Waker};
use crate::decode::{Format, LineDecoder, LineOutcome, Problem, ProfileConfig, detect_format};
use crate::model::{DecodedEvent, LineSource, LineSpan};
use crossbeam_channel::{Receiver, Sender, bounded};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::thread;

/// Bytes per chunk handed to a decoder thread.
const CHUNK_BYTES: usize = 256 << 10;
/// Longer lines are reported and skipped instead of held in memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

#[derive(Clone, Debug)]
pub struct FileOptions {
    pub profiles: ProfileConfig,
    pub keep_payload: bool,
    /// Decoder threads; 0 = one per core.
    pub threads: usize,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            profiles: ProfileConfig::default(),
            keep_payload: true,
            threads: 0,
        }
    }
}

/// The file's reader, and whether byte offsets in what it gives are offsets in the file (a plain
/// regular file, not gzip, not a pipe), so lines can be read back from it.
fn open(path: &Path) -> std::io::Result<(Box<dyn Read + Send>, bool)> {
    let mut f = File::open(path)?;
    let regular = f.metadata()?.is_file();
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    let head = std::io::Cursor::new(magic[..n].to_vec()).chain(f);
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok((
            Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::read::MultiGzDecoder::new(head),
            )),
            false,
        ))
    } else {
        Ok((Box::new(head), regular))
    }
}

/// Reads events back from a plain trace file by their line's offset, decoding the line again
/// with its details (the file source then keeps only the offsets: see `store`).
struct FileLines {
    file: File,
    decoder: LineDecoder,
}

impl LineSource for FileLines {
    fn read_event(&self, span: LineSpan, line: u64) -> Result<DecodedEvent, String> {
        let bytes = self.read_line(span)?;
        match self.decoder.decode_line(&bytes, line) {
            LineOutcome::Event(ev) | LineOutcome::EventWithProblem(ev, _) => Ok(ev),
            LineOutcome::Skip => Err("the line holds no event any more".into()),
            LineOutcome::Error(e) => Err(e),
        }
    }

    fn read_line(&self, span: LineSpan) -> Result<Vec<u8>, String> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0; span.len as usize];
        self.file
            .read_exact_at(&mut buf, span.offset)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    "the file changed since it was loaded (it is shorter now)".to_string()
                }
                _ => format!("reading the line back: {e}"),
            })?;
        Ok(buf)
    }
}

/// Reads up to `want` more bytes into `buf`; returns how many were read (0 at end of input).
fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + want, 0);
    let mut got = 0;
    while got < want {
        match r.read(&mut buf[start + got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(start + got);
                return Err(e);
            }
        }
    }
    buf.truncate(start + got);
    Ok(got)
}

/// Details of a plain file stay in it: its lines are decoded as `check` decodes them (the fast
/// path) and read back with their details when asked for.
fn file_lines(
    path: &Path,
    format: Format,
    profiles: &ProfileConfig,
) -> Option<Arc<dyn LineSource>> {
    let file = File::open(path).ok()?;
    Some(Arc::new(FileLines {
        file,
        decoder: LineDecoder::new(format, profiles.clone(), true),
    }))
}

struct Job {
    bytes: Vec<u8>,
    first_line: u64,
    /// The chunk's offset in the file.
    first_byte: u64,
    extra: Vec<Problem>,
    bytes_read: u64,
    reply: Sender<Batch>,
}

/// Starts loading `path` on background threads. Batches arrive on `tx` in file order, then one
/// `Finished`. Returns the coordinating thread.
pub fn spawn(
    path: &Path,
    opts: FileOptions,
    tx: Sender<SourceMessage>,
    waker: Option<Waker>,
) -> thread::JoinHandle<()> {
    let path = path.to_path_buf();
    thread::Builder::new()
        .name("eventscope-file".into())
        .spawn(move || run(&path, opts, tx, waker))
        .expect("spawn file reader")
}

fn run(path: &Path, opts: FileOptions, tx: Sender<SourceMessage>, waker: Option<Waker>) {
    let origin: Arc<str> = path.display().to_string().into();
    let wake = || {
        if let Some(w) = &waker {
            w()
        }
    };
    let error = read_all(path, &origin, opts, &tx, &wake).err();
    let _ = tx.send(SourceMessage::Finished { origin, error });
    wake();
}

fn read_all(
    path: &Path,
    origin: &Arc<str>,
    opts: FileOptions,
    tx: &Sender<SourceMessage>,
    wake: &(dyn Fn() + Sync),
) -> Result<(), String> {
    let (mut reader, seekable) = open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = Vec::with_capacity(CHUNK_BYTES * 2);
    fill(&mut *reader, &mut buf, CHUNK_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
    let format = detect_format(&buf[..buf.len().min(1 << 16)]);
    // A recording's schemas (`<file>.schemas.json`), so it decodes with no registry.
    let mut profiles = opts.profiles;
    crate::decode::schema::sidecar::apply(&mut profiles, path)?;
    let lines = if opts.keep_payload && seekable {
        file_lines(path, format, &profiles)
    } else {
        None
    };
    let keep_payload = opts.keep_payload && lines.is_none();
    let decoder = Arc::new(LineDecoder::new(format, profiles, keep_payload));
    let threads = if opts.threads == 0 {
        thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };

    let (job_tx, job_rx) = bounded::<Job>(threads * 2);
    let (order_tx, order_rx) = bounded::<Receiver<Batch>>(threads * 2);
    thread::scope(|s| -> Result<(), String> {
        for _ in 0..threads {
            let (job_rx, decoder) = (job_rx.clone(), decoder.clone());
            let (origin, lines) = (origin.clone(), lines.clone());
            s.spawn(move || decode_jobs(&job_rx, &decoder, &origin, lines.as_ref()));
        }
        drop(job_rx);
        // Forwards results in file order.
        let forward = s.spawn(move || {
            for rx in order_rx {
                let Ok(batch) = rx.recv() else { continue };
                if tx.send(SourceMessage::Batch(batch)).is_err() {
                    return;
                }
                wake();
            }
        });
        let result = split_lines(
            &mut *reader,
            buf,
            path,
            |bytes, first_byte, first_line, extra, bytes_read| {
                let (reply, rx) = bounded(1);
                order_tx
                    .send(rx)
                    .map_err(|_| "consumer went away".to_string())?;
                job_tx
                    .send(Job {
                        bytes,
                        first_line,
                        first_byte,
                        extra,
                        bytes_read,
                        reply,
                    })
                    .map_err(|_| "decoder threads went away".to_string())
            },
        );
        drop(job_tx);
        drop(order_tx);
        let _ = forward.join();
        result
    })
}

/// A decoder thread: decodes each job's chunk and replies with its batch.
fn decode_jobs(
    jobs: &Receiver<Job>,
    decoder: &LineDecoder,
    origin: &Arc<str>,
    lines: Option<&Arc<dyn LineSource>>,
) {
    for job in jobs {
        let at = lines.map(|_| job.first_byte);
        let (mut events, mut decoded_problems) =
            decoder.decode_chunk_spanned(&job.bytes, job.first_line, at);
        events.lines = lines.cloned();
        let mut problems = job.extra;
        problems.append(&mut decoded_problems);
        let _ = job.reply.send(Batch {
            origin: origin.clone(),
            events,
            problems,
            bytes_read: job.bytes_read,
        });
    }
}

/// Cuts the input into chunks that end at a line break and hands each to `emit` with its offset
/// in the input and the number of its first line. Lines longer than [`MAX_LINE_BYTES`] are
/// reported and skipped.
fn split_lines(
    reader: &mut dyn Read,
    mut buf: Vec<u8>,
    path: &Path,
    mut emit: impl FnMut(Vec<u8>, u64, u64, Vec<Problem>, u64) -> Result<(), String>,
) -> Result<(), String> {
    let mut next_line: u64 = 1;
    // Bytes of the input before `buf`.
    let mut consumed: u64 = 0;
    let mut bytes_read = buf.len() as u64;
    let mut skipping_long_line = false;
    let mut extra = Vec::new();
    let mut eof = buf.is_empty();
    loop {
        if skipping_long_line {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    buf.drain(..=i);
                    consumed += i as u64 + 1;
                    skipping_long_line = false;
                    next_line += 1;
                }
                None => {
                    consumed += buf.len() as u64;
                    buf.clear();
                }
            }
        }
        if !skipping_long_line {
            let cut = if eof {
                Some(buf.len())
            } else {
                memchr::memrchr(b'\n', &buf).map(|i| i + 1)
            };
            match cut {
                Some(cut) if cut > 0 => {
                    let rest = buf.split_off(cut);
                    let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                    let ends_open = buf.last() != Some(&b'\n');
                    let chunk = std::mem::replace(&mut buf, rest);
                    let at = consumed;
                    consumed += chunk.len() as u64;
                    emit(chunk, at, next_line, std::mem::take(&mut extra), bytes_read)?;
                    next_line += lines + u64::from(ends_open);
                }
                _ if buf.len() > MAX_LINE_BYTES => {
                    extra.push(Problem {
                        line: next_line,
                        reason: format!("line longer than {} MiB; skipped", MAX_LINE_BYTES >> 20),
                        event_kept: false,
                    });
                    skipping_long_line = true;
                    continue;
                }
                _ => {}
            }
        }
        if eof {
            if !extra.is_empty() {
                emit(Vec::new(), consumed, next_line, extra, bytes_read)?;
            }
            return Ok(());
        }
        let got = fill(reader, &mut buf, CHUNK_BYTES)
            .map_err(|e| format!("{}: line {next_line}: {e}", path.display()))?;
        bytes_read += got as u64;
        eof = got == 0;
    }
}

/// About how many events a plain file holds: its size over the mean length of the lines in its
/// first 256 KiB, plus 1/8 (compressed files are not guessed at). Lines run from ~150 bytes to
/// kilobytes between producers, so no fixed size fits: a guess too low costs a copy of every
/// table at its next doubling (the freed copy stays resident a while), one too high only address
/// space that is never touched.
pub fn estimate_events(path: &Path) -> u64 {
    if path.extension().is_some_and(|e| e == "gz") {
        return 0;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return 0;
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let mut head = Vec::with_capacity(1 << 18);
    if file.take(1 << 18).read_to_end(&mut head).is_err() || head.is_empty() {
        return 0;
    }
    let lines = head.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
    let estimate = len * lines / head.len() as u64;
    estimate + estimate / 8
}

/// How many events to reserve room for before loading `paths` (the estimate, capped so the
/// up-front reservation stays modest: past it the tables grow as they go).
pub fn reserve_for(paths: &[std::path::PathBuf]) -> usize {
    let estimate: u64 = paths.iter().map(|f| estimate_events(f)).sum();
    estimate.min(20_000_000) as usize
}

/// Loads files one after another and calls `f` with each message, on the caller's thread.
pub fn load_files(
    paths: &[std::path::PathBuf],
    opts: &FileOptions,
    mut f: impl FnMut(SourceMessage),
) {
    for path in paths {
        let (tx, rx) = bounded(super::CHANNEL_CAPACITY);
        let handle = spawn(path, opts.clone(), tx, None);
        for msg in rx {
            f(msg);
        }
        let _ = handle.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(path: &Path, threads: usize) -> (Vec<(String, u64)>, Vec<u64>, Option<String>) {
        let opts = FileOptions {
            threads,
            ..Default::default()
        };
        let (mut ids, mut bad, mut err) = (Vec::new(), Vec::new(), None);
        load_files(&[path.to_path_buf()], &opts, |m| match m {
            SourceMessage::Batch(b) => {
                ids.extend(
                    b.events
                        .events
                        .iter()
                        .map(|e| (b.events.str(e.id).to_string(), e.facts.line)),
                );
                bad.extend(b.problems.iter().map(|p| p.line));
            }
            SourceMessage::Finished { error, .. } => err = error,
        });
        (ids, bad, err)
    }

    #[test]
    fn many_chunks_keep_order_and_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        let mut f = File::create(&p).unwrap();
        writeln!(f, "{{\"eventscope_trace\":1}}").unwrap();
        for i in 0..30_000 {
            if i % 1000 == 7 {
                writeln!(f, "not json {i}").unwrap();
            } else {
                writeln!(
                    f,
                    "{{\"id\":\"e{i}\",\"type\":\"T\",\"data\":{{\"pad\":\"{}\"}}}}",
                    "x".repeat(64)
                )
                .unwrap();
            }
        }
        write!(f, "{{\"id\":\"last\",\"type\":\"T\"").unwrap();
        drop(f);
        let (ids, bad, err) = collect(&p, 3);
        assert!(err.is_none());
        assert_eq!(ids.len(), 30_000 - 30);
        assert_eq!(ids[0], ("e0".to_string(), 2));
        // Line 9 (i = 7) is bad, so e100 is the 100th event, on line 102.
        assert_eq!(ids[99], ("e100".to_string(), 102));
        assert_eq!(bad.len(), 31);
        assert_eq!(bad[0], 9);
        assert_eq!(*bad.last().unwrap(), 30_002);

        let gz = dir.path().join("t.jsonl.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(&std::fs::read(&p).unwrap()).unwrap();
        enc.finish().unwrap();
        let (ids2, bad2, _) = collect(&gz, 2);
        assert_eq!(ids, ids2);
        assert_eq!(bad, bad2);
    }

    /// A plain file's events keep only where their line is; their details are read back from
    /// it (the same as a gzip file's, which stay in memory), and a changed file is said to be.
    #[test]
    fn details_of_plain_files_are_read_back_and_gzip_ones_kept() {
        use crate::analysis::{Config, Engine};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.jsonl");
        let lines = [
            r#"{"id":"a","type":"T","correlationid":"c","headers":[["h","1"]],"data":{"x":1}}"#,
            "not json",
            r#"{"id":"b","type":"T","correlationid":"c","causationid":"a","data_base64":"AAEC"}"#,
        ];
        std::fs::write(&p, lines.join("\r\n")).unwrap();
        let gz = dir.path().join("d.jsonl.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(&std::fs::read(&p).unwrap()).unwrap();
        enc.finish().unwrap();
        let load = |path: &Path| {
            let mut e = Engine::new(Config::default());
            load_files(&[path.to_path_buf()], &FileOptions::default(), |m| {
                if let SourceMessage::Batch(b) = m {
                    e.ingest(&b.origin, b.events, &b.problems);
                }
            });
            e
        };
        let (plain, zipped) = (load(&p), load(&gz));
        for e in [&plain, &zipped] {
            let a = e.store.decoded(0);
            assert_eq!(a.header("h"), Some("1"));
            assert!(
                matches!(&a.payload, crate::model::Payload::Json(j) if j.get() == r#"{"x":1}"#)
            );
            let b = e.store.decoded(1);
            assert!(matches!(&b.payload, crate::model::Payload::Bytes(v) if **v == [0, 1, 2]));
        }
        assert!(
            plain.store.approx_bytes() < zipped.store.approx_bytes(),
            "payloads stay in the plain file"
        );
        let text = plain.store.payload_text(0).unwrap();
        assert!(
            text.contains(r#""x":1"#) && text.contains(r#""id":"a""#),
            "{text}"
        );
        // Same length, other payload: the hash tells.
        std::fs::write(&p, lines.join("\r\n").replace(r#"{"x":1}"#, r#"{"x":2}"#)).unwrap();
        let err = plain.store.read_detail(0).unwrap_err();
        assert!(
            err.contains("d.jsonl:1: the file changed since it was loaded"),
            "{err}"
        );
        std::fs::write(&p, "").unwrap();
        let err = plain.store.read_detail(1).unwrap_err();
        assert!(err.contains("d.jsonl:3: the file changed"), "{err}");
        assert!(zipped.store.read_detail(0).unwrap().is_some());
    }

    #[test]
    fn missing_and_empty_and_binary_files() {
        let dir = tempfile::tempdir().unwrap();
        let (_, _, err) = collect(&dir.path().join("nope.jsonl"), 1);
        assert!(err.unwrap().contains("nope.jsonl"));
        let empty = dir.path().join("empty.jsonl");
        File::create(&empty).unwrap();
        let (ids, bad, err) = collect(&empty, 1);
        assert!(ids.is_empty() && bad.is_empty() && err.is_none());
        let bin = dir.path().join("bin");
        let bytes: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        std::fs::write(&bin, bytes).unwrap();
        let (ids, bad, err) = collect(&bin, 2);
        assert!(ids.is_empty() && !bad.is_empty() && err.is_none());
    }
}
