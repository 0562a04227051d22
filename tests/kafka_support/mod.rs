//! What the Kafka tests share: a tansu broker on a free loopback port, the independent Python
//! client, a cuttable TCP proxy, and `eventscope` runs with their stderr watched.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn tansu() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
        });
    let installed = home.join("bin/tansu");
    if installed.exists() {
        return installed;
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v tansu"])
        .output()
        .unwrap();
    assert!(
        on_path.status.success(),
        "the tansu broker is not installed: run tests/run.sh (it installs it)"
    );
    PathBuf::from(String::from_utf8(on_path.stdout).unwrap().trim())
}

/// A loopback port nothing listens on now and that this test process has not handed out before:
/// the port is free again once the probe closes, so without the record two tests running at once
/// (or a test asking for a TLS port and then its broker's) could be given the same one, and the
/// second server would fail to bind while the first answered in its place.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

pub fn wait_for_port(port: u16) {
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A tansu broker with in-memory storage, killed on drop.
pub struct Broker {
    child: Child,
    pub port: u16,
}

impl Broker {
    /// Listens on a free port and advertises `advertised` (the port clients are told to use).
    pub fn start_advertising(advertised: Option<u16>) -> Broker {
        let port = free_port();
        let adv = advertised.unwrap_or(port);
        let child = Command::new(tansu())
            .args([
                "broker",
                "--listener-url",
                &format!("tcp://127.0.0.1:{port}"),
                "--advertised-listener-url",
                &format!("tcp://127.0.0.1:{adv}"),
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        wait_for_port(port);
        Broker { child, port }
    }
    pub fn start() -> Broker {
        Self::start_advertising(None)
    }
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn helper(bootstrap: &str, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka_helper.py"))
        .arg(bootstrap)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kafka_helper {args:?}: {} (run tests/run.sh: it installs confluent-kafka)",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that a command succeeded, showing its stderr if not.
pub fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn eventscope(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eventscope"));
    c.args(args);
    c
}

/// The events of a trace file, one JSON object each, in the decoded form (native field names). A
/// recording holds each record as it came (trace format version 2): what was decoded from it
/// comes from `eventscope events` on the file, and the record's own `headers` and value from its
/// line, the value as the decoded form names it (`data` for JSON, `data_base64` for the rest).
pub fn read_trace(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    if !text
        .lines()
        .next()
        .unwrap_or_default()
        .contains("\"content\":\"kafka-records\"")
    {
        return lines;
    }
    let run = eventscope(&["events", path.to_str().unwrap()])
        .output()
        .unwrap();
    succeeded(&run);
    let events: Vec<serde_json::Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), lines.len(), "one event per recorded record");
    events
        .into_iter()
        .zip(lines)
        .map(|(mut ev, rec)| {
            ev["headers"] = rec["headers"].clone();
            let (name, data) = decoded_value(&rec["value"]);
            ev[name] = data;
            ev
        })
        .collect()
}

/// A recorded value in the decoded form's terms: JSON as `data`, anything else as `data_base64`.
fn decoded_value(value: &serde_json::Value) -> (&'static str, serde_json::Value) {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b).into();
    match value {
        serde_json::Value::Null => ("data", serde_json::Value::Null),
        serde_json::Value::String(text) => ("data_base64", b64(text.as_bytes())),
        v => match (&v["json"], &v["base64"]) {
            (j @ (serde_json::Value::Object(_) | serde_json::Value::Array(_)), _)
            | (j @ serde_json::Value::String(_), _) => ("data", j.clone()),
            (serde_json::Value::Null, serde_json::Value::String(b)) => {
                ("data_base64", b.clone().into())
            }
            (j, _) => ("data_base64", b64(j.to_string().as_bytes())),
        },
    }
}

pub fn ce(id: &str, ty: &str, corr: &str) -> serde_json::Value {
    serde_json::json!([
        ["ce_id", id],
        ["ce_type", ty],
        ["ce_source", "orders"],
        ["ce_correlationid", corr],
        ["x-dup", "1"],
        ["x-dup", "2"]
    ])
}

/// A TCP proxy that can be cut and restored, to take the broker away from the client.
pub struct Proxy {
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(listen: u16, to: u16) -> Proxy {
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Default::default();
        let listener = TcpListener::bind(("127.0.0.1", listen)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let (u, c) = (up.clone(), conns.clone());
        std::thread::spawn(move || {
            loop {
                match listener.accept() {
                    Ok((client, _)) if u.load(Ordering::SeqCst) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                            continue;
                        };
                        c.lock()
                            .unwrap()
                            .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                        for (mut a, mut b) in [
                            (client.try_clone().unwrap(), server.try_clone().unwrap()),
                            (server, client),
                        ] {
                            std::thread::spawn(move || {
                                let mut buf = [0u8; 16384];
                                while let Ok(n) = a.read(&mut buf) {
                                    if n == 0 || b.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                                let _ = b.shutdown(std::net::Shutdown::Both);
                            });
                        }
                    }
                    Ok((client, _)) => drop(client),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Proxy { up, conns }
    }
    /// Drops every connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

pub fn read_trace_len(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count().saturating_sub(1))
}

/// Polls `done` every 20 ms until it holds; fails naming `what` after 30 s.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(t.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `eventscope` running with librdkafka's log on stderr (`-X debug=...` adds its debug lines),
/// read as it comes so a test can wait for what the client did.
pub struct Watched {
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Watched {
    pub fn spawn(args: &[&str]) -> Watched {
        let mut child = eventscope(args)
            .env("EVENTSCOPE_KAFKA_LOG", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr: Arc<Mutex<String>> = Default::default();
        let (pipe, text) = (child.stderr.take().unwrap(), stderr.clone());
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut t = text.lock().unwrap();
                t.push_str(&line);
                t.push('\n');
            }
        });
        Watched {
            child,
            stderr,
            reader,
        }
    }

    /// How much stderr there is so far (to wait for something said later).
    pub fn mark(&self) -> usize {
        self.stderr.lock().unwrap().len()
    }

    /// Waits (bounded) until stderr after byte `from` contains `needle`.
    pub fn wait_for(&self, needle: &str, from: usize) {
        wait_until(&format!("no '{needle}' on stderr"), || {
            self.stderr.lock().unwrap()[from..].contains(needle)
        });
    }

    /// Waits for the process to end: its status and all of its stderr.
    pub fn finish(mut self) -> (ExitStatus, String) {
        let status = self.child.wait().unwrap();
        self.reader.join().unwrap();
        let text = self.stderr.lock().unwrap().clone();
        (status, text)
    }
}
