//! Certificates made for the test with Debian's `openssl` CLI, and a TLS terminator in front of
//! the plaintext tansu broker (Debian's `socat`, `OPENSSL-LISTEN`; tansu 0.6's own `--cert` and
//! `--key` flags are declared mutually exclusive, so it cannot serve TLS itself).

use crate::kafka_support::{free_port, wait_for_port};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The password of the encrypted client key (`ssl.key.password`).
pub const KEY_PASSWORD: &str = "key-pass-7f3a";

/// A CA and what it signed, in a temporary directory:
/// - `ca.pem`: the CA clients trust; `wrong-ca.pem`: another CA, which signed nothing here;
/// - `server.pem`/`server.key`: the broker, for IP 127.0.0.1 and DNS localhost;
/// - `other-host.pem`: the same key, issued for broker.example.com only;
/// - `expired.pem`: the same key and names, no longer valid;
/// - `client.pem`, `client.key`, `client-encrypted.key` (AES-256, [`KEY_PASSWORD`]).
pub struct Pki {
    pub dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new P-256 key and a signing request for `cn`.
fn key_and_csr(dir: &Path, name: &str, cn: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={cn}"),
        ],
    );
}

/// Signs `csr` with the CA into `out`, valid for `days` (negative: expired since), with the
/// extensions in `ext` (a file in the directory).
fn sign(dir: &Path, csr: &str, out: &str, days: &str, ext: &str) {
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            out,
            "-days",
            days,
            "-extfile",
            ext,
        ],
    );
}

fn self_signed_ca(dir: &Path, name: &str, cn: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={cn}"),
        ],
    );
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        self_signed_ca(d, "ca", "Eventscope test CA");
        self_signed_ca(d, "wrong-ca", "Some other CA");
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        std::fs::write(
            d.join("other-host.ext"),
            "subjectAltName=DNS:broker.example.com\n",
        )
        .unwrap();
        std::fs::write(d.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        key_and_csr(d, "server", "localhost");
        sign(d, "server.csr", "server.pem", "2", "server.ext");
        sign(d, "server.csr", "other-host.pem", "2", "other-host.ext");
        // Valid until a day before it was issued: expired from the start.
        sign(d, "server.csr", "expired.pem", "-1", "server.ext");
        key_and_csr(d, "client", "eventscope-client");
        sign(d, "client.csr", "client.pem", "2", "client.ext");
        openssl(
            d,
            &[
                "pkey",
                "-in",
                "client.key",
                "-aes256",
                "-passout",
                &format!("pass:{KEY_PASSWORD}"),
                "-out",
                "client-encrypted.key",
            ],
        );
        Pki { dir }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// A TLS terminator on `port` forwarding to the plaintext broker on `to`, serving `cert` (with
/// `server.key`); with `client_ca`, it requires a client certificate signed by that CA (mutual
/// TLS). Killed on drop.
pub struct Tls {
    child: Child,
    pub port: u16,
}

impl Tls {
    pub fn start(pki: &Pki, port: u16, cert: &str, to: u16, client_ca: Option<&str>) -> Tls {
        let verify = match client_ca {
            Some(ca) => format!("verify=1,cafile={}", pki.path(ca)),
            None => "verify=0".to_string(),
        };
        let listen = format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={},key={},{verify}",
            pki.path(cert),
            pki.path("server.key")
        );
        let child = Command::new("socat")
            .args([listen, format!("TCP:127.0.0.1:{to}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat (tests/run.sh installs it)");
        wait_for_port(port);
        Tls { child, port }
    }

    /// On a free port.
    pub fn on_free_port(pki: &Pki, cert: &str, to: u16, client_ca: Option<&str>) -> Tls {
        Tls::start(pki, free_port(), cert, to, client_ca)
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
