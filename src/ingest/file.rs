//! The file source: reads a trace file (plain or gzip), splits it into chunks of whole lines,
//! decodes the chunks on worker threads (parsing is the cost, so it uses every core) and hands the
//! results on in file order.

use super::{Batch, SourceMessage, Waker};
use crate::decode::{LineDecoder, Problem, ProfileConfig, detect_format};
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

fn open(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    let head = std::io::Cursor::new(magic[..n].to_vec()).chain(f);
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(head),
        )))
    } else {
        Ok(Box::new(head))
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

struct Job {
    bytes: Vec<u8>,
    first_line: u64,
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
    let mut reader = open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = Vec::with_capacity(CHUNK_BYTES * 2);
    fill(&mut *reader, &mut buf, CHUNK_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
    let format = detect_format(&buf[..buf.len().min(1 << 16)]);
    let keep_payload = opts.keep_payload;
    // A recording's schemas (`<file>.schemas.json`), so it decodes with no registry.
    let mut profiles = opts.profiles;
    crate::decode::schema::sidecar::apply(&mut profiles, path)?;
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
            let job_rx = job_rx.clone();
            let decoder = decoder.clone();
            let origin = origin.clone();
            s.spawn(move || {
                for job in job_rx {
                    let (events, mut decoded_problems) =
                        decoder.decode_chunk_packed(&job.bytes, job.first_line);
                    let mut problems = job.extra;
                    problems.append(&mut decoded_problems);
                    let _ = job.reply.send(Batch {
                        origin: origin.clone(),
                        events,
                        problems,
                        bytes_read: job.bytes_read,
                    });
                }
            });
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
            |bytes, first_line, extra, bytes_read| {
                let (reply, rx) = bounded(1);
                order_tx
                    .send(rx)
                    .map_err(|_| "consumer went away".to_string())?;
                job_tx
                    .send(Job {
                        bytes,
                        first_line,
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

/// Cuts the input into chunks that end at a line break and hands each to `emit` with the number
/// of its first line. Lines longer than [`MAX_LINE_BYTES`] are reported and skipped.
fn split_lines(
    reader: &mut dyn Read,
    mut buf: Vec<u8>,
    path: &Path,
    mut emit: impl FnMut(Vec<u8>, u64, Vec<Problem>, u64) -> Result<(), String>,
) -> Result<(), String> {
    let mut next_line: u64 = 1;
    let mut bytes_read = buf.len() as u64;
    let mut skipping_long_line = false;
    let mut extra = Vec::new();
    let mut eof = buf.is_empty();
    loop {
        if skipping_long_line {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    buf.drain(..=i);
                    skipping_long_line = false;
                    next_line += 1;
                }
                None => buf.clear(),
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
                    emit(chunk, next_line, std::mem::take(&mut extra), bytes_read)?;
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
                emit(Vec::new(), next_line, extra, bytes_read)?;
            }
            return Ok(());
        }
        let got = fill(reader, &mut buf, CHUNK_BYTES)
            .map_err(|e| format!("{}: line {next_line}: {e}", path.display()))?;
        bytes_read += got as u64;
        eof = got == 0;
    }
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
