//! SASL/SCRAM over TLS against a real broker. tansu 0.6 keeps SCRAM users only in its SQL
//! storage engines (its memory and S3 stores accept `tansu user create` and forget it), and with
//! `--authentication` it refuses the unauthenticated `tansu user create` itself. So: tansu on
//! its SQLite storage (feature `libsql`) without authentication creates the users, then tansu
//! with `--authentication` on the same database file serves them, behind the TLS terminator.
//! tansu 0.6 offers SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER, not PLAIN.

use crate::kafka_support::{Watched, free_port, tansu, wait_for_port};
use crate::pki::{Pki, Tls};
use crate::{expected_ids, ids, produce, record};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The tansu binary; `EVENTSCOPE_TEST_TANSU` may name another build.
fn tansu_bin() -> PathBuf {
    std::env::var_os("EVENTSCOPE_TEST_TANSU").map_or_else(tansu, PathBuf::from)
}

/// tansu on the SQLite database `dir/tansu.db`, killed on drop.
struct SqlBroker {
    child: Child,
    port: u16,
}

impl SqlBroker {
    fn start(dir: &Path, advertised: Option<u16>, authentication: bool) -> SqlBroker {
        let port = free_port();
        let mut c = Command::new(tansu_bin());
        c.current_dir(dir).args([
            "broker",
            "--listener-url",
            &format!("tcp://127.0.0.1:{port}"),
            "--advertised-listener-url",
            &format!("tcp://127.0.0.1:{}", advertised.unwrap_or(port)),
            "--storage-engine",
            "sqlite://tansu.db",
        ]);
        if authentication {
            c.arg("--authentication");
        }
        let mut child = c
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tansu");
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(_)) = child.try_wait() {
                let mut err = String::new();
                use std::io::Read;
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!(
                    "tansu on SQLite storage did not start (tests/run.sh installs tansu with \
                     --features dynostore,libsql): {err}"
                );
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "tansu did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(child.stderr.take());
        wait_for_port(port);
        SqlBroker { child, port }
    }

    fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SqlBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_user(broker: &SqlBroker, name: &str, password: &str, mechanism: &str) {
    let out = Command::new(tansu_bin())
        .args(["user", "create", "--broker", &broker.url(), name, password])
        .args(["--mechanism", mechanism])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tansu user create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scram_over_tls_gets_every_record_and_a_wrong_password_is_named() {
    let pki = Pki::new();
    let db = tempfile::tempdir().unwrap();
    {
        let setup = SqlBroker::start(db.path(), None, false);
        create_user(&setup, "alice", "alice-pw-256", "scram256");
        create_user(&setup, "bob", "bob-pw-512", "scram512");
        produce(&format!("127.0.0.1:{}", setup.port), &json!({}), 4);
    }
    let port = free_port();
    let broker = SqlBroker::start(db.path(), Some(port), true);
    let tls = Tls::start(&pki, port, "server.pem", broker.port, None);
    let ca = format!("ssl.ca.location={}", pki.path("ca.pem"));
    let sasl = |mechanism: &str, user: &str, password: &str| -> Vec<String> {
        [
            "security.protocol=SASL_SSL".to_string(),
            ca.clone(),
            format!("sasl.mechanisms={mechanism}"),
            format!("sasl.username={user}"),
            format!("sasl.password={password}"),
        ]
        .into_iter()
        .flat_map(|p| ["-X".to_string(), p])
        .collect()
    };
    for (mechanism, user, password) in [
        ("SCRAM-SHA-256", "alice", "alice-pw-256"),
        ("SCRAM-SHA-512", "bob", "bob-pw-512"),
    ] {
        let out = pki.dir.path().join(format!("{user}.jsonl"));
        let flags = sasl(mechanism, user, password);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let run = record(&tls.bootstrap(), &out, 4, &flags).output().unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{mechanism}: {stderr}");
        assert!(!stderr.contains(password), "{stderr}");
        assert_eq!(ids(&out), expected_ids(4), "{mechanism}");
    }
    // A wrong password, and PLAIN (which tansu does not offer): named within 10 s, exit 2.
    let cases = [
        (
            sasl("SCRAM-SHA-256", "alice", "not-her-password"),
            "SCRAM authentication failed",
        ),
        (
            sasl("PLAIN", "alice", "alice-pw-256"),
            "the broker does not offer this SASL mechanism",
        ),
    ];
    std::thread::scope(|scope| {
        for (i, (flags, needle)) in cases.iter().enumerate() {
            let out = pki.dir.path().join(format!("fail-{i}.jsonl"));
            let bootstrap = tls.bootstrap();
            scope.spawn(move || {
                let mut args = vec!["record", "-b", &bootstrap, "-t", "orders", "--out"];
                args.push(out.to_str().unwrap());
                args.extend(flags.iter().map(String::as_str));
                let started = Instant::now();
                let (status, stderr) = Watched::spawn(&args).finish();
                assert_eq!(status.code(), Some(2), "{stderr}");
                assert!(started.elapsed() < Duration::from_secs(10), "{stderr}");
                let last = stderr.lines().last().unwrap_or_default();
                assert!(
                    last.contains(&format!("no broker of {bootstrap} answered"))
                        && last.contains(needle),
                    "{last}"
                );
                assert!(!stderr.contains("not-her-password"), "{stderr}");
            });
        }
    });
}
