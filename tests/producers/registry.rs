//! Eventscope's Schema Registry client (`--schema-registry`, issue 13) against the stand-in
//! registry (`registry_standin.py`, run as its own process so it can go away and come back; it
//! is a stand-in because no real registry is installable here: its docstring says why), with
//! basic authentication, schema references (an Avro named type in another subject, a Protobuf
//! import), an id the registry does not have, and the registry going away mid-session. The
//! records are written by PyPI confluent-kafka's own serializers (`registry.py`), ids in the
//! payload only. A recording made with the registry carries its schemas in its sidecar and
//! checks the same with the registry gone.

use super::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};

const CREDENTIALS: &str = "bob:s3cret";
const AUTH: &str = "schema.registry.basic.auth.user.info=bob:s3cret";

/// `registry_standin.py serve PORT STATE CREDENTIALS` as a process of its own.
struct Standin {
    child: Child,
    url: String,
    port: u16,
    state: PathBuf,
}

impl Standin {
    fn start(state: &Path, port: u16) -> Standin {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/producers/registry_standin.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([
                "serve",
                &port.to_string(),
                state.to_str().unwrap(),
                CREDENTIALS,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        let url = url.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "stand-in said '{url}'"
        );
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Standin {
            child,
            url,
            port,
            state: state.to_path_buf(),
        }
    }

    /// The requests it was sent (`GET /schemas/ids/7`, ...), from its log.
    fn requests(&self) -> Vec<String> {
        let log = format!("{}.log", self.state.display());
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `record` with the registry: the live summary and what it said on stderr.
pub fn record_with(
    b: &Broker,
    topics: &[&str],
    out: &Path,
    n: u64,
    extra: &[&str],
) -> (Value, String) {
    let bs = b.bootstrap();
    let n_s = n.to_string();
    let mut args = vec!["record", "-b", &bs, "--from", "beginning"];
    for t in topics {
        args.extend(["-t", t]);
    }
    args.extend([
        "--max-events",
        &n_s,
        "--duration",
        "60s",
        "--format",
        "json",
    ]);
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    let run = eventscope(&args).output().unwrap();
    succeeded(&run);
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    let summary = json(
        String::from_utf8(run.stdout)
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    );
    assert_eq!(summary["summary"]["events"].as_u64(), Some(n), "{stderr}");
    (summary, stderr)
}

/// How many times each schema id was asked for.
fn id_requests(r: &Standin) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for line in r.requests() {
        if let Some(id) = line.strip_prefix("GET /schemas/ids/") {
            *out.entry(id.split('?').next().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

#[test]
fn registry_schemas_with_references_decode_live_and_the_recording_checks_the_same_without_it() {
    let b = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let registry = Standin::start(&dir.path().join("registry.json"), 0);
    let url = registry.url.clone();
    let sent = json(&py(
        "registry.py",
        &["shop", &b.bootstrap(), &url, CREDENTIALS, "5"],
    ));
    let records = sent["records"].as_u64().unwrap();
    let out = dir.path().join("rec.jsonl");
    let topics = ["orders", "invoices", "shipments"];
    let before = registry.requests().len();
    let (live, said) = record_with(
        &b,
        &topics,
        &out,
        records,
        &["--schema-registry", &url, "-X", AUTH],
    );

    // Everything decoded but the record whose id the registry lacks, which is kept as bytes
    // with a problem naming the id and the registry.
    assert_eq!(live["summary"]["undecodable"].as_u64(), Some(1), "{live}");
    assert!(
        said.contains(&format!(
            "Confluent wire format, schema id 9999: schema registry {url}: not found (HTTP 404, \
             error_code 40403: Schema not found)"
        )),
        "{said}"
    );
    // One GET per schema id (and one per reference), however many records used it.
    let asked = id_requests(&registry);
    for topic in topics {
        let id = sent["ids"][topic].to_string();
        assert_eq!(asked.get(&id), Some(&1), "{topic} id {id}: {asked:?}");
    }
    let mine: Vec<_> = registry.requests()[before..].to_vec();
    assert!(
        mine.iter()
            .any(|r| r == "GET /subjects/shop.Money/versions/1")
            && mine
                .iter()
                .any(|r| r == "GET /subjects/shop%2Faddress.proto/versions/1?format=serialized"),
        "references read from their subjects: {mine:?}"
    );
    assert!(
        mine.iter().all(|r| r.starts_with("GET ")),
        "read only: {mine:?}"
    );

    // check/events with the registry (no sidecar: a copy of the recording).
    let bare = dir.path().join("bare.jsonl");
    std::fs::copy(&out, &bare).unwrap();
    check_through_the_registry(&url, &bare, &live);

    // The registry gone: the recording's sidecar holds what it needs.
    let sidecar = dir.path().join("rec.jsonl.schemas.json");
    assert!(
        sidecar.exists(),
        "record wrote the schemas it used next to the recording"
    );
    drop(registry);
    let (anomalies, replayed) = check(&out, &[]);
    assert_replays_as_live(&live, &replayed);
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert!(
        anomalies[0]["message"]
            .as_str()
            .unwrap()
            .contains("schema id 9999"),
        "{anomalies:?}"
    );
    let evs = events(&out, &[]);
    assert_eq!(assert_schema_events(&evs, &sent) as u64, records - 1);
    // Without its sidecar and without a registry, the same records stay bytes.
    let (_, plain) = check(&bare, &[]);
    assert_eq!(
        plain["summary"]["undecodable"].as_u64(),
        Some(records),
        "{plain}"
    );
}

/// `events` with a wrong password names the registry's refusal; `check` with the right one gives
/// what the live session saw.
fn check_through_the_registry(url: &str, recording: &Path, live: &Value) {
    let wrong = eventscope(&[
        "events",
        "--schema-registry",
        url,
        "-X",
        "schema.registry.basic.auth.user.info=bob:nope",
        recording.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains(&format!(
            "schema registry {url}: HTTP 401, error_code 401: Unauthorized"
        )),
        "{stderr}"
    );
    let (_, with_registry) = check(recording, &["--schema-registry", url, "-X", AUTH]);
    assert_replays_as_live(live, &with_registry);
}

/// Produces pre-serialized values (hex) to `topic`.
fn produce_hex(b: &Broker, topic: &str, values: &[Value]) {
    let input: String = values
        .iter()
        .map(|v| format!("{}\n", serde_json::json!({"topic": topic, "value_hex": v})))
        .collect();
    helper(&b.bootstrap(), &["produce"], &input);
}

/// `record` of the shop's topics and `payments` with the registry, watched as it runs.
fn record_watched(bs: &str, n: &str, out: &Path, url: &str) -> Watched {
    let mut args = vec!["record", "-b", bs, "--from", "beginning"];
    for t in ["orders", "invoices", "shipments", "payments"] {
        args.extend(["-t", t]);
    }
    args.extend(["--max-events", n, "--duration", "60s"]);
    args.extend([
        "--out",
        out.to_str().unwrap(),
        "--schema-registry",
        url,
        "-X",
        AUTH,
    ]);
    Watched::spawn(&args)
}

#[test]
fn a_registry_that_goes_away_mid_session_keeps_the_records_and_serves_later_ones() {
    let b = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("registry.json");
    let registry = Standin::start(&state, 0);
    let (url, port) = (registry.url.clone(), registry.port);
    let bs = b.bootstrap();
    let sent = json(&py("registry.py", &["shop", &bs, &url, CREDENTIALS, "2"]));
    let pay = json(&py(
        "registry.py",
        &["payments", &bs, &url, CREDENTIALS, "6"],
    ));
    let payments = pay["values_hex"].as_array().unwrap();
    helper(&bs, &["create", "payments", "1"], "");
    let total = sent["records"].as_u64().unwrap() + 6;
    let out = dir.path().join("rec.jsonl");
    let n = total.to_string();
    let rec = record_watched(&bs, &n, &out, &url);
    // The shop's schemas fetched (the sidecar is rewritten as they come), then the registry goes.
    let sidecar = dir.path().join("rec.jsonl.schemas.json");
    let has = |id: &Value| {
        std::fs::read_to_string(&sidecar)
            .is_ok_and(|t| json(&t)["ids"].get(id.to_string()).is_some())
    };
    wait_until("the shop's schemas fetched", || {
        ["orders", "invoices", "shipments"]
            .iter()
            .all(|t| has(&sent["ids"][*t]))
    });
    drop(registry);
    produce_hex(&b, "payments", &payments[..3]);
    let mark = rec.mark();
    let pay_id = pay["id"].to_string();
    rec.wait_for(
        &format!("schema id {pay_id}: schema registry {url}: cannot reach it"),
        mark,
    );
    // Back, with the same schemas (its state file); after the backoff, later records decode.
    let registry = Standin::start(&state, port);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    produce_hex(&b, "payments", &payments[3..]);
    let (status, said) = rec.finish();
    assert!(status.success(), "{said}");
    let undecodable = said
        .split("; ")
        .find_map(|p| p.strip_suffix(" undecodable"))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert_eq!(
        undecodable,
        1 + 3,
        "the unknown id and the 3 payments sent while it was gone: {said}"
    );
    assert!(
        has(&pay["id"]),
        "the payments' schema fetched once the registry was back"
    );
    let asked = id_requests(&registry);
    assert_eq!(
        asked.get(&pay_id),
        Some(&1),
        "one GET after the restart: {asked:?}"
    );
    drop(registry);
    // Nothing was lost: the recording kept the bytes, and its sidecar decodes them now.
    let (_, replayed) = check(&out, &[]);
    assert_eq!(replayed["summary"]["events"].as_u64(), Some(total));
    assert_eq!(
        replayed["summary"]["undecodable"].as_u64(),
        Some(1),
        "{replayed}"
    );
}

/// `demo --to-kafka --format avro --schemas DIR`: the demo's traffic as Avro in the wire format,
/// its schemas in DIR; `record --schemas DIR` decodes every record, and the recording (with its
/// sidecar) checks the same with no flags.
#[test]
fn the_demo_publishes_avro_that_decodes_with_its_schemas() {
    let b = Broker::start();
    let bs = b.bootstrap();
    let topics = [
        "orders",
        "payments",
        "inventory",
        "inventory.commands",
        "shipping",
        "notifications",
    ];
    for t in topics {
        helper(&bs, &["create", t, "1"], "");
    }
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    let s = schemas.to_str().unwrap();
    let args = [
        "demo",
        "--to-kafka",
        "-b",
        &bs,
        "--duration",
        "3s",
        "--rate",
        "30",
    ];
    let run = eventscope(&args)
        .args(["--faults", "dup=0.02", "--format", "avro", "--schemas", s])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success() && said.contains("(0 failed)"),
        "{said}"
    );
    let published: u64 = said
        .split("published ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        std::fs::read_dir(&schemas).unwrap().count() >= 12,
        "one .avsc per event type"
    );
    let out = dir.path().join("rec.jsonl");
    let (live, _) = record_with(&b, &topics, &out, published, &["--schemas", s]);
    assert_eq!(live["summary"]["undecodable"].as_u64(), Some(0), "{live}");
    let (_, replayed) = check(&out, &[]);
    assert_replays_as_live(&live, &replayed);
    // The values really are Avro: without the schemas (no sidecar) none decodes.
    let bare = dir.path().join("bare.jsonl");
    std::fs::copy(&out, &bare).unwrap();
    let (_, plain) = check(&bare, &[]);
    assert_eq!(
        plain["summary"]["undecodable"].as_u64(),
        Some(published),
        "{plain}"
    );
}

/// The stand-in behind a TLS terminator that requires a client certificate (socat in front of
/// it, certificates made with openssl as for the secure-cluster tests), and a file of records
/// whose schemas it holds.
struct MutualTls {
    _registry: Standin,
    pki: pki::Pki,
    _tls: pki::Tls,
    url: String,
    out: PathBuf,
    sent: Value,
    _dir: tempfile::TempDir,
}

impl MutualTls {
    fn start() -> MutualTls {
        let dir = tempfile::tempdir().unwrap();
        let registry = Standin::start(&dir.path().join("registry.json"), 0);
        let out = dir.path().join("rec.jsonl");
        let o = out.to_str().unwrap();
        let sent = json(&py(
            "registry.py",
            &["file", o, &registry.url, CREDENTIALS, "3"],
        ));
        let pki = pki::Pki::new();
        let tls = pki::Tls::on_free_port(&pki, "server.pem", registry.port, Some("ca.pem"));
        let url = format!("https://127.0.0.1:{}", tls.port);
        MutualTls {
            _registry: registry,
            pki,
            _tls: tls,
            url,
            out,
            sent,
            _dir: dir,
        }
    }

    /// `schema.registry.ssl.NAME=<the PKI's FILE>`.
    fn ssl(&self, name: &str, file: &str) -> String {
        format!("schema.registry.ssl.{name}={}", self.pki.path(file))
    }

    /// `events FILE` through the registry with these `-X` properties (and environment
    /// variables): the run.
    fn run_env(&self, props: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut args = vec!["events", "--schema-registry", &self.url, "-X", AUTH];
        for p in props {
            args.extend(["-X", p]);
        }
        args.push(self.out.to_str().unwrap());
        let mut cmd = eventscope(&args);
        cmd.envs(env.iter().copied());
        cmd.output().unwrap()
    }

    fn run(&self, props: &[&str]) -> std::process::Output {
        self.run_env(props, &[])
    }

    /// [`MutualTls::run_env`], which must succeed: the events and what it said.
    fn events_env(&self, props: &[&str], env: &[(&str, &str)]) -> (Vec<Value>, String) {
        let run = self.run_env(props, env);
        succeeded(&run);
        let evs: Vec<Value> = String::from_utf8(run.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (evs, String::from_utf8_lossy(&run.stderr).to_string())
    }

    fn events(&self, props: &[&str]) -> (Vec<Value>, String) {
        self.events_env(props, &[])
    }

    /// Every record was decoded with the registry's schemas.
    fn assert_decoded(&self, (evs, said): &(Vec<Value>, String)) {
        assert_eq!(
            evs.len() as u64,
            self.sent["records"].as_u64().unwrap(),
            "{said}"
        );
        for e in evs {
            assert_eq!(
                self.sent["types"][e["id"].as_str().unwrap()],
                e["type"],
                "{e} {said}"
            );
        }
    }
}

/// The registry over TLS and mutual TLS: `schema.registry.ssl.ca.location`,
/// `.certificate.location` and `.key.location`; a registry that refuses the client or a CA that
/// does not match are problems naming the registry, the records kept.
#[test]
fn a_registry_over_mutual_tls() {
    let m = MutualTls::start();
    let ca = m.ssl("ca.location", "ca.pem");
    let cert = m.ssl("certificate.location", "client.pem");
    let key = m.ssl("key.location", "client.key");
    m.assert_decoded(&m.events(&[&ca, &cert, &key]));
    // No client certificate: the TLS terminator refuses the handshake.
    let (evs, said) = m.events(&[&ca]);
    assert!(
        evs.iter().all(|e| e["profiles"]["id"] == "transport"),
        "kept as bytes"
    );
    assert!(
        said.contains(&format!("schema registry {}: cannot reach it", m.url)),
        "{said}"
    );
    // A CA that did not sign the registry's certificate.
    let wrong = m.ssl("ca.location", "wrong-ca.pem");
    let (_, said) = m.events(&[&wrong, &cert, &key]);
    assert!(said.contains("UnknownIssuer"), "{said}");
}

/// Mutual TLS with the client key encrypted (PKCS#8, `-----BEGIN ENCRYPTED PRIVATE KEY-----`) and
/// its password in `schema.registry.ssl.key.password`, as Confluent's clients take it: made with
/// `openssl pkcs8 -topk8 -v2 aes-256-cbc` and with `openssl pkey -aes256` (the secure-cluster
/// tests' key). A wrong or missing password is an error naming the key file; the password is
/// never printed.
#[test]
fn a_registry_over_mutual_tls_with_an_encrypted_client_key() {
    let m = MutualTls::start();
    let password = "pkcs8 pass-91c2";
    let made = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "client.key"])
        .args(["-out", "client-pkcs8.key", "-passout"])
        .arg(format!("pass:{password}"))
        .current_dir(m.pki.dir.path())
        .output()
        .expect("openssl (tests/run.sh installs it)");
    succeeded(&made);
    let key_file = m.pki.path("client-pkcs8.key");
    assert!(
        std::fs::read_to_string(&key_file)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    );
    let ca = m.ssl("ca.location", "ca.pem");
    let cert = m.ssl("certificate.location", "client.pem");
    let key = m.ssl("key.location", "client-pkcs8.key");
    let pass = format!("schema.registry.ssl.key.password={password}");
    let decoded = m.events(&[&ca, &cert, &key, &pass]);
    m.assert_decoded(&decoded);
    assert!(!decoded.1.contains(password), "{}", decoded.1);
    // The secure-cluster tests' encrypted key, by reference to an environment variable.
    let other = m.ssl("key.location", "client-encrypted.key");
    let by_env = "schema.registry.ssl.key.password=@env:EVENTSCOPE_TEST_KEY_PASSWORD";
    assert!(
        !m.run(&[&ca, &cert, &other]).status.success(),
        "an encrypted key without its password fails"
    );
    let env = [("EVENTSCOPE_TEST_KEY_PASSWORD", pki::KEY_PASSWORD)];
    m.assert_decoded(&m.events_env(&[&ca, &cert, &other, by_env], &env));
    // A wrong password, and none: errors naming the key file (exit 2), the password not shown.
    let wrong = "schema.registry.ssl.key.password=not-it-4412";
    for (props, says) in [
        (vec![&ca, &cert, &key, wrong], "(a wrong password?)"),
        (
            vec![&ca, &cert, &key],
            "the key is encrypted: give its password with",
        ),
    ] {
        let run = m.run(&props);
        let said = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{said}");
        assert!(
            said.contains(&format!("schema.registry.ssl.key.location: {key_file}: "))
                && said.contains(says),
            "{said}"
        );
        assert!(!said.contains("not-it-4412"), "{said}");
    }
}
