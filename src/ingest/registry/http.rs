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
        let key = PrivateKey::from_pem(&read(what, key_path)?).map_err(|e| {
            format!(
                "{}{what}: {key_path}: no unencrypted PEM private key ({e})",
                super::PREFIX
            )
        })?;
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(tls.build())
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
}
