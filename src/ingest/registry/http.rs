//! HTTP(S) GETs to the registry with `ureq` (blocking; run on the decoding thread that needs the
//! schema, never the window's) and rustls.

use super::{Settings, userinfo};
use crate::decode::schema::registry::{Fetch, FetchError};
use base64::Engine;
use std::time::Duration;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// A registry that does not answer costs at most this per request (and requests for an id are
/// spaced by the registry cache's backoff).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const TIMEOUT: Duration = Duration::from_secs(10);

struct Http {
    agent: ureq::Agent,
    /// Base URLs without credentials, tried in order.
    urls: Vec<String>,
    shown: String,
    /// The `Authorization` header value.
    auth: Option<String>,
}

fn read(what: &str, path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}{what}: {path}: {e}", super::PREFIX))
}

fn certificates(what: &str, path: &str) -> Result<Vec<Certificate<'static>>, String> {
    let pem = read(what, path)?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|i| match i {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!(
            "{}{what}: {path}: no PEM certificate in it",
            super::PREFIX
        ));
    }
    Ok(certs)
}

fn tls(s: &Settings) -> Result<TlsConfig, String> {
    let mut tls = TlsConfig::builder();
    if let Some(ca) = &s.ca_location {
        tls = tls.root_certs(RootCerts::from(certificates("ssl.ca.location", ca)?));
    }
    if let Some(cert) = &s.certificate_location {
        let chain = certificates("ssl.certificate.location", cert)?;
        let (what, key_path) = match &s.key_location {
            Some(k) => ("ssl.key.location", k),
            None => ("ssl.certificate.location", cert),
        };
        let key = private_key(&read(what, key_path)?, s.key_password.as_deref())
            .map_err(|e| format!("{}{what}: {key_path}: {e}", super::PREFIX))?;
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(tls.build())
}

const ENCRYPTED: (&str, &str) = (
    "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    "-----END ENCRYPTED PRIVATE KEY-----",
);

/// The client key in `pem`: an encrypted PKCS#8 key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`,
/// as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it) decrypted with `password` by the
/// `pkcs8` crate (PBES2: PBKDF2 or scrypt, AES-CBC), which rustls cannot read; else the first
/// unencrypted key (PKCS#8, PKCS#1 or SEC1), read by rustls. The error never holds the password.
fn private_key(pem: &[u8], password: Option<&str>) -> Result<PrivateKey<'static>, String> {
    let text = String::from_utf8_lossy(pem);
    // The block is cut out by hand: the file may hold certificates too, and `der` reads a PEM
    // text with exactly one block.
    let block = text.find(ENCRYPTED.0).and_then(|start| {
        let end = text[start..].find(ENCRYPTED.1)? + start + ENCRYPTED.1.len();
        Some(&text[start..end])
    });
    let Some(block) = block else {
        return PrivateKey::from_pem(pem).map_err(|e| format!("no PEM private key in it ({e})"));
    };
    let password = password
        .ok_or("the key is encrypted: give its password with schema.registry.ssl.key.password")?;
    let (_, der) = pkcs8::Document::from_pem(block).map_err(|e| format!("bad PEM ({e})"))?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_bytes())
        .map_err(|e| format!("not an encrypted PKCS#8 key ({e})"))?;
    let key = info.decrypt(password).map_err(|e| match e {
        // A wrong password leaves bad padding (pkcs5 0.7 calls that `EncryptFailed` when
        // decrypting), or rarely good padding around bytes that are no key.
        pkcs8::Error::EncryptedPrivateKey(
            pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
        )
        | pkcs8::Error::Asn1(_) => {
            "cannot decrypt the key with schema.registry.ssl.key.password (a wrong password?)"
                .to_string()
        }
        e => format!("cannot decrypt the key: {e}"),
    })?;
    // ureq takes a DER key only with a key kind it does not export: give it PEM (kept in memory,
    // zeroed when dropped).
    let pem = (key.to_pem("PRIVATE KEY", pkcs8::LineEnding::LF))
        .map_err(|e| format!("the decrypted key: {e}"))?;
    PrivateKey::from_pem(pem.as_bytes()).map_err(|e| format!("the decrypted key: {e}"))
}

pub fn connect(s: &Settings) -> Result<Box<dyn Fetch>, String> {
    let mut auth = s.user_info.clone();
    let urls: Vec<String> = (s.urls.iter())
        .map(|u| {
            let (bare, info) = userinfo(u);
            auth = auth.take().or(info);
            bare
        })
        .collect();
    let agent = ureq::Agent::config_builder()
        .tls_config(tls(s)?)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    Ok(Box::new(Http {
        agent,
        shown: urls.join(","),
        urls,
        auth: auth.map(|a| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(a)
            )
        }),
    }))
}

impl Fetch for Http {
    fn url(&self) -> &str {
        &self.shown
    }

    fn get(&self, path: &str) -> Result<String, FetchError> {
        let mut last = FetchError::Transport("no URL".into());
        for base in &self.urls {
            let mut req = self.agent.get(format!("{base}{path}")).header(
                "Accept",
                "application/vnd.schemaregistry.v1+json, application/json",
            );
            if let Some(a) = &self.auth {
                req = req.header("Authorization", a);
            }
            match req.call() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let body = (resp.body_mut().read_to_string())
                        .map_err(|e| FetchError::Transport(e.to_string()))?;
                    return if (200..300).contains(&status) {
                        Ok(body)
                    } else {
                        Err(FetchError::Status(status, body))
                    };
                }
                // The next URL may answer.
                Err(e) => last = FetchError::Transport(e.to_string()),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_are_taken_out_of_it() {
        let r = connect(&Settings {
            urls: vec!["http://bob:pw@127.0.0.1:1".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            r.url(),
            "http://127.0.0.1:1",
            "never shown with its password"
        );
        assert!(matches!(
            r.get("/schemas/ids/1"),
            Err(FetchError::Transport(_))
        ));
    }

    /// `openssl ARGS` in `dir` (the CLI makes the keys, as users do).
    fn openssl(dir: &std::path::Path, args: &[&str]) {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (tests/run.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn an_encrypted_pkcs8_key_is_read_with_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let password = "s3cret key pass";
        let pass = format!("pass:{password}");
        let p256 = "ec_paramgen_curve:P-256";
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                p256,
                "-out",
                "key.pem",
            ],
        );
        let topk8 = [
            "pkcs8", "-topk8", "-in", "key.pem", "-passout", &pass, "-out",
        ];
        openssl(
            d,
            &[&topk8[..], &["aes.pem", "-v2", "aes-256-cbc"]].concat(),
        );
        openssl(d, &[&topk8[..], &["scrypt.pem", "-scrypt"]].concat());
        let read = |f: &str| std::fs::read(d.join(f)).unwrap();
        let plain = PrivateKey::from_pem(&read("key.pem")).unwrap();
        for f in ["aes.pem", "scrypt.pem"] {
            let pem = read(f);
            assert!(pem.starts_with(ENCRYPTED.0.as_bytes()), "{f}");
            let key = private_key(&pem, Some(password)).unwrap();
            assert_eq!(key.der(), plain.der(), "{f}: decrypted to the very key");
            let e = private_key(&pem, Some("not the pass")).unwrap_err();
            assert!(
                e.contains("(a wrong password?)") && !e.contains("not the pass"),
                "{e}"
            );
        }
        let e = private_key(&read("aes.pem"), None).unwrap_err();
        let says = "the key is encrypted: give its password with schema.registry.ssl.key.password";
        assert_eq!(e, says);
        // An unencrypted key is read as before (the password is not needed).
        assert!(private_key(&read("key.pem"), Some(password)).is_ok());
    }
}
