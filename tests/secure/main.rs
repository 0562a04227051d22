//! Secure clusters end to end: the tansu broker behind a TLS terminator (socat), certificates
//! made here with openssl (`pki.rs`), PyPI confluent-kafka producing over TLS, and `eventscope
//! record` and the window consuming: TLS, mutual TLS with an encrypted key, SASL/SCRAM
//! (`sasl.rs`), every failure named within 10 s, and secrets never shown. tests/run.sh installs
//! socat, openssl, tansu (with its SQLite storage) and confluent-kafka; a missing one fails these
//! tests, it never skips them.
#![cfg(feature = "kafka")]

#[cfg(feature = "gui")]
#[path = "../support/gui.rs"]
mod gui_support;
#[allow(dead_code)]
#[path = "../kafka_support/mod.rs"]
mod kafka_support;
mod pki;
mod sasl;
#[cfg(feature = "gui")]
mod window;

use kafka_support::*;
use pki::{KEY_PASSWORD, Pki, Tls};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs tests/kafka_helper.py with further librdkafka properties (`conf`, e.g. TLS).
fn helper_with(bootstrap: &str, conf: &Value, args: &[&str], stdin: &str) {
    let mut child = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka_helper.py"))
        .arg(bootstrap)
        .args(args)
        .env("KAFKA_HELPER_CONF", conf.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kafka_helper {args:?}: {} (run tests/run.sh: it installs confluent-kafka)",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates `orders` and produces `n` CloudEvents records (ids e0..) through `bootstrap`.
pub fn produce(bootstrap: &str, conf: &Value, n: usize) {
    helper_with(bootstrap, conf, &["create", "orders", "2"], "");
    let input: String = (0..n)
        .map(|i| {
            let m = json!({"topic": "orders", "key": format!("order-{i}"),
                "value": "{\"total\":1}", "headers": ce(&format!("e{i}"), "OrderPlaced", "c1")});
            format!("{m}\n")
        })
        .collect();
    helper_with(bootstrap, conf, &["produce"], &input);
}

/// A TLS client's properties for the producer: the test CA, and the client certificate with
/// its key when `mutual`.
pub fn tls_conf(pki: &Pki, mutual: bool) -> Value {
    let mut c = json!({"security.protocol": "SSL", "ssl.ca.location": pki.path("ca.pem")});
    if mutual {
        c["ssl.certificate.location"] = pki.path("client.pem").into();
        c["ssl.key.location"] = pki.path("client.key").into();
    }
    c
}

/// `eventscope record` of `orders` from the beginning until `n` events, with `extra` flags.
fn record(bootstrap: &str, out: &Path, n: usize, extra: &[&str]) -> Command {
    let mut c = eventscope(&[
        "record",
        "-b",
        bootstrap,
        "-t",
        "orders",
        "--from",
        "beginning",
        "--max-events",
        &n.to_string(),
        "--duration",
        "60s",
        "--out",
        out.to_str().unwrap(),
    ]);
    c.args(extra);
    c
}

fn ids(path: &Path) -> Vec<String> {
    let mut ids: Vec<String> = read_trace(path)
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn expected_ids(n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
    ids.sort();
    ids
}

#[test]
fn record_over_tls_gets_every_record() {
    let pki = Pki::new();
    let tls_port = free_port();
    let broker = Broker::start_advertising(Some(tls_port));
    let tls = Tls::start(&pki, tls_port, "server.pem", broker.port, None);
    produce(&tls.bootstrap(), &tls_conf(&pki, false), 6);
    // As a client.properties file (Kafka's format), the way most clusters hand it out.
    let props = pki.dir.path().join("client.properties");
    std::fs::write(
        &props,
        format!(
            "security.protocol=SSL\nssl.ca.location={}\n",
            pki.path("ca.pem")
        ),
    )
    .unwrap();
    let out = pki.dir.path().join("tls.jsonl");
    let run = record(
        &tls.bootstrap(),
        &out,
        6,
        &["--config", props.to_str().unwrap()],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("recorded 6 events"), "{stderr}");
    assert_eq!(ids(&out), expected_ids(6));
}

/// Mutual TLS with an encrypted client key whose password comes from the environment
/// (`@env:`) and a SASL password from a file (`@file:`, unused over SSL but configured): every
/// record arrives, and neither secret appears on stderr (with librdkafka's security and
/// configuration logging on) nor in the recording.
#[test]
fn mutual_tls_with_an_encrypted_key_gets_every_record_and_no_secret_shows() {
    let pki = Pki::new();
    let port = free_port();
    let broker = Broker::start_advertising(Some(port));
    let tls = Tls::start(&pki, port, "server.pem", broker.port, Some("ca.pem"));
    produce(&tls.bootstrap(), &tls_conf(&pki, true), 5);
    let sasl_secret = "sasl-secret-91c2";
    let secret_file = pki.dir.path().join("sasl-password");
    std::fs::write(&secret_file, format!("{sasl_secret}\n")).unwrap();
    let props = pki.dir.path().join("client.properties");
    std::fs::write(
        &props,
        format!(
            "security.protocol=SSL\nssl.ca.location={}\nsasl.password=@file:{}\n",
            pki.path("ca.pem"),
            secret_file.display()
        ),
    )
    .unwrap();
    let out = pki.dir.path().join("mtls.jsonl");
    let cert = format!("ssl.certificate.location={}", pki.path("client.pem"));
    let key = format!("ssl.key.location={}", pki.path("client-encrypted.key"));
    let run = record(
        &tls.bootstrap(),
        &out,
        5,
        &[
            "--config",
            props.to_str().unwrap(),
            "-X",
            &cert,
            "-X",
            &key,
            "-X",
            "ssl.key.password=@env:EVENTSCOPE_TEST_KEY_PASSWORD",
            "-X",
            "debug=security,conf",
        ],
    )
    .env("EVENTSCOPE_TEST_KEY_PASSWORD", KEY_PASSWORD)
    .env("EVENTSCOPE_KAFKA_LOG", "1")
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("recorded 5 events"), "{stderr}");
    assert!(
        stderr.contains("librdkafka"),
        "librdkafka's log was on: {stderr}"
    );
    assert_eq!(ids(&out), expected_ids(5));
    let recording = std::fs::read_to_string(&out).unwrap();
    for secret in [KEY_PASSWORD, sasl_secret] {
        assert!(!stderr.contains(secret), "{secret} on stderr: {stderr}");
        assert!(!recording.contains(secret), "{secret} in the recording");
    }
    // Without the key's password the key cannot be read: said at once, naming the property.
    let run = record(
        &tls.bootstrap(),
        &out,
        5,
        &[
            "-X",
            "security.protocol=SSL",
            "-X",
            &cert,
            "-X",
            &key,
            "-X",
            "ssl.key.password=@env:EVENTSCOPE_TEST_UNSET",
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ssl.key.password: environment variable EVENTSCOPE_TEST_UNSET is not set"),
        "{stderr}"
    );
}

/// Every way a secure connection fails, each at once in its own thread: `record` exits 2 within
/// 10 s, its last line names the broker and says what is wrong.
#[test]
fn secure_failures_are_named_within_ten_seconds() {
    let pki = Pki::new();
    let broker = Broker::start();
    let good = Tls::on_free_port(&pki, "server.pem", broker.port, None);
    let other_host = Tls::on_free_port(&pki, "other-host.pem", broker.port, None);
    let expired = Tls::on_free_port(&pki, "expired.pem", broker.port, None);
    let mutual = Tls::on_free_port(&pki, "server.pem", broker.port, Some("ca.pem"));
    let ca = format!("ssl.ca.location={}", pki.path("ca.pem"));
    let wrong_ca = format!("ssl.ca.location={}", pki.path("wrong-ca.pem"));
    let ssl = "security.protocol=SSL";
    let cases: Vec<(&str, String, Vec<&str>, Vec<&str>)> = vec![
        (
            "wrong CA",
            good.bootstrap(),
            vec![ssl, &wrong_ca],
            vec![
                "certificate verify failed",
                "not signed by a CA in ssl.ca.location",
            ],
        ),
        (
            "host name mismatch",
            other_host.bootstrap(),
            vec![ssl, &ca],
            vec![
                "certificate verify failed",
                "does not name 127.0.0.1 (host name mismatch",
            ],
        ),
        (
            "expired certificate",
            expired.bootstrap(),
            vec![ssl, &ca],
            vec!["certificate verify failed", "certificate has expired"],
        ),
        (
            "plaintext client at a TLS port",
            good.bootstrap(),
            vec![],
            vec!["Disconnected", "set security.protocol=SSL"],
        ),
        (
            "TLS client at a plaintext port",
            broker.bootstrap(),
            vec![ssl, &ca],
            vec!["SSL_HANDSHAKE", "is this a PLAINTEXT listener?"],
        ),
        (
            "no client certificate for mutual TLS",
            mutual.bootstrap(),
            vec![ssl, &ca],
            vec![
                "certificate required",
                "the broker requires a client certificate",
            ],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    std::thread::scope(|scope| {
        for (i, (what, bootstrap, props, needles)) in cases.iter().enumerate() {
            let out = dir.path().join(format!("{i}.jsonl"));
            scope.spawn(move || {
                let mut flags = Vec::new();
                for p in props {
                    flags.extend(["-X", p]);
                }
                let started = Instant::now();
                let run = record(bootstrap, &out, 1, &flags).output().unwrap();
                let took = started.elapsed();
                let stderr = String::from_utf8_lossy(&run.stderr);
                assert_eq!(run.status.code(), Some(2), "{what}: {stderr}");
                assert!(took < Duration::from_secs(10), "{what}: {took:?}");
                let last = stderr.lines().last().unwrap_or_default();
                let head = format!("eventscope record: no broker of {bootstrap} answered");
                assert!(last.starts_with(&head), "{what}: {stderr}");
                for n in needles {
                    assert!(last.contains(n), "{what}: no '{n}' in {last}");
                }
            });
        }
    });
}
