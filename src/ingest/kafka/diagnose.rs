//! Why a secure connection failed, in words a user can act on. librdkafka names the broker and
//! the step that failed; this adds what it cannot say:
//! - which setting a failure points to: a client certificate the broker requires (mutual TLS),
//!   a `security.protocol` that does not match the listener;
//! - why the broker's certificate failed verification (librdkafka only says "certificate verify
//!   failed"): expired, issued for another host name, or signed by a CA not in `ssl.ca.location`.
//!   That takes a TLS handshake of our own with the same trust settings, through the same
//!   OpenSSL librdkafka is built with, reading OpenSSL's verify result
//!   (<https://docs.openssl.org/3.0/man3/SSL_get_verify_result/>, codes in
//!   <https://docs.openssl.org/3.0/man3/X509_STORE_CTX_get_error/>).

use super::KafkaOptions;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

/// The security settings a failure is judged against (the last value of each property wins, as
/// in librdkafka's configuration).
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// `security.protocol`, upper case (`PLAINTEXT` when not given).
    pub protocol: String,
    /// A client certificate is configured (`ssl.certificate.location` or `ssl.certificate.pem`).
    pub client_cert: bool,
    /// `ssl.ca.location` (`probe` by default: the system's CA store).
    pub ca_location: String,
    /// The CA is given inline (`ssl.ca.pem`): our own handshake cannot repeat that trust.
    pub inline_ca: bool,
    /// `ssl.endpoint.identification.algorithm` is not `none`: the host name is checked.
    pub check_host: bool,
}

impl Security {
    pub fn of(opts: &KafkaOptions) -> Security {
        let get = |key: &str| {
            opts.properties
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim())
        };
        Security {
            protocol: get("security.protocol")
                .unwrap_or("PLAINTEXT")
                .to_ascii_uppercase(),
            client_cert: get("ssl.certificate.location").is_some_and(|v| !v.is_empty())
                || get("ssl.certificate.pem").is_some_and(|v| !v.is_empty()),
            ca_location: get("ssl.ca.location").unwrap_or("probe").to_string(),
            inline_ca: get("ssl.ca.pem").is_some_and(|v| !v.is_empty()),
            check_host: get("ssl.endpoint.identification.algorithm")
                .is_none_or(|v| !v.eq_ignore_ascii_case("none")),
        }
    }

    fn tls(&self) -> bool {
        self.protocol.ends_with("SSL")
    }

    /// What a failure reported by librdkafka points to, when it points to a setting.
    pub fn hint(&self, reason: &str) -> Option<&'static str> {
        let r = reason.to_ascii_lowercase();
        // TLS 1.3 servers say "certificate required" (alert 116); TLS 1.2 ones "handshake
        // failure"; librdkafka reports "unexpected message" for some.
        const REFUSED: [&str; 6] = [
            "certificate required",
            "alert handshake failure",
            "alert bad certificate",
            "alert unknown ca",
            "alert certificate unknown",
            "unexpected message",
        ];
        if self.tls() && REFUSED.iter().any(|w| r.contains(w)) {
            return Some(if self.client_cert {
                "the broker refused the client certificate (ssl.certificate.location): is it \
                 signed by a CA the broker trusts, and still valid?"
            } else {
                "the broker requires a client certificate (mutual TLS): set \
                 ssl.certificate.location and ssl.key.location"
            });
        }
        if self.tls() && r.contains("timed out in state ssl_handshake") {
            return Some(
                "the broker never answered the TLS handshake: is this a PLAINTEXT listener? \
                 (security.protocol=SSL or SASL_SSL speaks TLS)",
            );
        }
        if r.contains("authentication failed") || r.contains("invalid credentials") {
            return Some(
                "the broker refused the SASL credentials: check sasl.username, sasl.password \
                 and sasl.mechanisms",
            );
        }
        if r.contains("mechanism handshake failed") || r.contains("unsupported sasl mechanism") {
            return Some(
                "the broker does not offer this SASL mechanism: see its supported mechanisms, \
                 sasl.mechanisms",
            );
        }
        if !self.tls()
            && r.contains("disconnected")
            && r.contains("apiversion_query")
            && !r.contains("security.protocol")
        {
            return Some(
                "the broker hung up at the first request: if this listener speaks TLS, set \
                 security.protocol=SSL (or SASL_SSL)",
            );
        }
        None
    }

    /// `reason` with its hint, if any.
    pub fn explain(&self, reason: &str) -> String {
        match self.hint(reason) {
            Some(h) => format!("{reason}; {h}"),
            None => reason.to_string(),
        }
    }
}

/// Whether a librdkafka failure says the broker's certificate failed verification.
pub fn is_verify_failure(reason: &str) -> bool {
    reason.contains("certificate verify failed")
}

/// The broker a librdkafka failure line names: `ssl://HOST:PORT/bootstrap: ...` gives
/// `HOST:PORT`.
fn broker_of(reason: &str) -> Option<&str> {
    let after = reason.split_once("://")?.1;
    let host_port = after.split_once('/')?.0;
    host_port.contains(':').then_some(host_port)
}

/// Why the certificate of the broker named in `reason` fails verification with these settings,
/// found by a handshake of our own (a few seconds at most). None when the handshake passes,
/// the broker cannot be reached or the trust settings are not ones this can repeat (a CA given
/// inline as `ssl.ca.pem`).
pub fn verify_detail(reason: &str, sec: &Security) -> Option<String> {
    use openssl::ssl::{HandshakeError, SslConnector, SslMethod, SslVerifyMode};
    if sec.inline_ca {
        return None;
    }
    let broker = broker_of(reason)?;
    let (host, _) = broker.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut b = SslConnector::builder(SslMethod::tls_client()).ok()?;
    b.set_verify(SslVerifyMode::PEER);
    trust(&mut b, &sec.ca_location)?;
    let connector = b.build();
    let addr = broker.to_socket_addrs().ok()?.next()?;
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    tcp.set_write_timeout(Some(Duration::from_secs(3))).ok()?;
    let mut config = connector.configure().ok()?;
    config.set_verify_hostname(sec.check_host);
    config.set_use_server_name_indication(true);
    match config.connect(host, tcp) {
        Err(HandshakeError::Failure(mid)) => {
            let v = mid.ssl().verify_result();
            (v.as_raw() != 0).then(|| meaning(v.as_raw(), v.error_string(), host))
        }
        _ => None,
    }
}

/// Loads the CAs librdkafka would: a file or a directory, or for `probe` the system's store
/// (found by openssl-probe, which looks where librdkafka's `probe` looks).
fn trust(b: &mut openssl::ssl::SslConnectorBuilder, ca: &str) -> Option<()> {
    if ca.eq_ignore_ascii_case("probe") {
        let found = openssl_probe::probe();
        let dir = found.cert_dir.first().map(|d| d.as_path());
        return b
            .load_verify_locations(found.cert_file.as_deref(), dir)
            .ok();
    }
    let p = Path::new(ca);
    if p.is_dir() {
        b.load_verify_locations(None, Some(p)).ok()
    } else {
        b.set_ca_file(p).ok()
    }
}

/// OpenSSL's verify result in a user's terms, with OpenSSL's own words after it.
fn meaning(code: i32, openssl: &str, host: &str) -> String {
    // X509_V_ERR_* codes (openssl/x509_vfy.h).
    let what = match code {
        10 => "the broker's certificate has expired".to_string(),
        9 => "the broker's certificate is not valid yet".to_string(),
        // Host name, e-mail, IP address mismatch.
        62..=64 => format!(
            "the broker's certificate does not name {host} (host name mismatch; \
             ssl.endpoint.identification.algorithm=none skips the check)"
        ),
        2 | 18 | 19 | 20 | 21 => {
            "the broker's certificate is not signed by a CA in ssl.ca.location".to_string()
        }
        _ => "the broker's certificate was rejected".to_string(),
    };
    format!("{what} (OpenSSL: {openssl})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::kafka::KafkaRequest;

    fn security(props: &[(&str, &str)]) -> Security {
        let opts = KafkaRequest {
            brokers: "b:1".into(),
            topics: vec!["t".into()],
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
        .build()
        .unwrap();
        Security::of(&opts)
    }

    #[test]
    fn failures_point_to_the_setting_they_need() {
        let ssl = security(&[("security.protocol", "ssl")]);
        let required = "ssl://127.0.0.1:9/bootstrap: Receive failed: error:0A00045C:SSL \
                        routines::tlsv13 alert certificate required: SSL alert number 116";
        assert!(
            ssl.explain(required)
                .contains("requires a client certificate")
        );
        let with_cert = security(&[
            ("security.protocol", "SSL"),
            ("ssl.certificate.location", "c.pem"),
        ]);
        assert!(
            with_cert
                .explain(required)
                .contains("refused the client certificate")
        );
        let timeout = "ssl://127.0.0.1:9/bootstrap: Connection setup timed out in state \
                       SSL_HANDSHAKE (after 5000ms in state SSL_HANDSHAKE)";
        assert!(ssl.explain(timeout).contains("PLAINTEXT listener"));
        let reset = "127.0.0.1:9/bootstrap: Disconnected: connection reset by peer (after 0ms \
                     in state APIVERSION_QUERY)";
        assert!(
            security(&[])
                .explain(reset)
                .ends_with("set security.protocol=SSL (or SASL_SSL)")
        );
        assert_eq!(ssl.explain(reset), reset, "no hint that does not apply");
        let sasl = "sasl_ssl://127.0.0.1:9/bootstrap: SASL authentication error: Authentication \
                    failed during authentication due to invalid credentials with SASL mechanism \
                    SCRAM-SHA-256 (after 3ms in state AUTH_REQ)";
        let plain = "sasl_ssl://127.0.0.1:9/bootstrap: SASL PLAIN mechanism handshake failed: \
                     Local: Broker transport failure: broker's supported mechanisms: (n/a)";
        assert!(
            ssl.explain(plain)
                .contains("does not offer this SASL mechanism")
        );
        assert!(
            security(&[("security.protocol", "SASL_SSL")])
                .explain(sasl)
                .ends_with("check sasl.username, sasl.password and sasl.mechanisms")
        );
        assert_eq!(broker_of(required), Some("127.0.0.1:9"));
        assert_eq!(broker_of("Connect to ipv4#1.2.3.4:9 failed"), None);
        assert!(
            security(&[("ssl.endpoint.identification.algorithm", "none")]).ca_location == "probe"
        );
        assert!(!security(&[("ssl.endpoint.identification.algorithm", "none")]).check_host);
    }
}
