//! The Confluent Schema Registry client: the HTTP GET behind `decode::schema::registry` (which
//! caches and resolves references). Configured with the property names of Confluent's clients
//! (`schema.registry.url`, `schema.registry.basic.auth.user.info`, `schema.registry.ssl.*`),
//! given as `--schema-registry URL` and `-X schema.registry.*=...`, in a `--config` file, or in
//! the connect dialog's extra properties. Read only: only GET requests are ever sent.

use crate::decode::ProfileConfig;
use crate::decode::schema::registry::Registry;
use std::sync::Arc;

/// Properties with this prefix configure the registry client (not librdkafka).
pub const PREFIX: &str = "schema.registry.";

/// The registry client's settings (`Debug` shows no secret).
#[derive(Clone, Default, PartialEq)]
pub struct Settings {
    /// One URL, or several separated by commas (tried in order).
    pub urls: Vec<String>,
    /// `user:password` for HTTP basic authentication.
    pub user_info: Option<String>,
    /// PEM file of the CAs to trust (default: Mozilla's roots, webpki-roots).
    pub ca_location: Option<String>,
    /// PEM client certificate (chain), and its PEM key (default: the same file).
    pub certificate_location: Option<String>,
    pub key_location: Option<String>,
    /// The password of an encrypted PKCS#8 key (a secret, like `user_info`).
    pub key_password: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "(secret)");
        f.debug_struct("Settings")
            .field("urls", &self.urls)
            .field("user_info", &hidden(&self.user_info))
            .field("ca_location", &self.ca_location)
            .field("certificate_location", &self.certificate_location)
            .field("key_location", &self.key_location)
            .field("key_password", &hidden(&self.key_password))
            .finish()
    }
}

const KNOWN: [&str; 8] = [
    "url",
    "basic.auth.user.info",
    "basic.auth.credentials.source",
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
];

/// `key=value` properties, in order.
pub type Pairs = Vec<(String, String)>;

/// Splits properties into the registry's (`schema.registry.*`) and the others, order kept.
pub fn split(props: &[(String, String)]) -> (Pairs, Pairs) {
    props
        .iter()
        .cloned()
        .partition(|(k, _)| k.starts_with(PREFIX))
}

impl Settings {
    /// The settings in `props` (only `schema.registry.*` ones are read; later ones win); `None`
    /// without a `schema.registry.url`. Values may be references (`@env:NAME`, `@file:PATH`).
    pub fn from_properties(props: &[(String, String)]) -> Result<Option<Settings>, String> {
        let mut s = Settings::default();
        for (k, v) in props {
            let Some(name) = k.strip_prefix(PREFIX) else {
                continue;
            };
            let v = super::kafka::resolve_value(k, v)?;
            let value = Some(v.trim().to_string()).filter(|v| !v.is_empty());
            match name {
                "url" => {
                    s.urls = (v.split(','))
                        .map(|u| u.trim().trim_end_matches('/').to_string())
                        .filter(|u| !u.is_empty())
                        .collect();
                }
                "basic.auth.user.info" => s.user_info = value,
                "ssl.ca.location" => s.ca_location = value,
                "ssl.certificate.location" => s.certificate_location = value,
                "ssl.key.location" => s.key_location = value,
                // Not trimmed: a password may end in a space.
                "ssl.key.password" => s.key_password = Some(v).filter(|v| !v.is_empty()),
                "basic.auth.credentials.source" | "ssl.endpoint.identification.algorithm" => {}
                _ => {
                    return Err(format!(
                        "{k}: not a Schema Registry setting Eventscope knows ({})",
                        KNOWN.map(|n| format!("{PREFIX}{n}")).join(", ")
                    ));
                }
            }
        }
        if s.urls.is_empty() {
            return Ok(None);
        }
        for u in &s.urls {
            if !u.starts_with("http://") && !u.starts_with("https://") {
                return Err(format!(
                    "{PREFIX}url: '{u}' is not an http:// or https:// URL"
                ));
            }
        }
        Ok(Some(s))
    }
}

/// `http://user:pass@host:8081` -> (`http://host:8081`, `user:pass`).
pub fn userinfo(url: &str) -> (String, Option<String>) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((info, host)) => (
            format!("{scheme}://{host}{}", &rest[authority_end..]),
            Some(info.to_string()),
        ),
        None => (url.to_string(), None),
    }
}

/// A URL without the password it may hold (`http://bob:pw@host` -> `http://bob@host`), to save.
pub fn without_password(url: &str) -> String {
    match userinfo(url.trim()) {
        (bare, Some(info)) => {
            let user = info.split_once(':').map_or(info.as_str(), |(u, _)| u);
            bare.replacen("://", &format!("://{user}@"), 1)
        }
        (_, None) => url.to_string(),
    }
}

/// Adds the registry `props` configure (if any) to the profiles' schemas, so decoding asks it
/// for the ids it does not hold.
pub fn attach(profiles: &mut ProfileConfig, props: &[(String, String)]) -> Result<(), String> {
    let Some(settings) = Settings::from_properties(props)? else {
        return Ok(());
    };
    let registry = Arc::new(Registry::new(connect(&settings)?));
    let base = profiles.schemas.as_deref().cloned().unwrap_or_default();
    profiles.schemas = Some(Arc::new(base.with_registry(registry)));
    Ok(())
}

#[cfg(not(feature = "registry"))]
fn connect(_: &Settings) -> Result<Box<dyn crate::decode::schema::registry::Fetch>, String> {
    Err("this build has no Schema Registry client (cargo feature `registry`)".into())
}

#[cfg(feature = "registry")]
mod http;
#[cfg(feature = "registry")]
use http::connect;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_url() {
        assert_eq!(
            userinfo("https://bob:s3cret@reg.example:8081/base"),
            (
                "https://reg.example:8081/base".into(),
                Some("bob:s3cret".into())
            )
        );
        assert_eq!(
            userinfo("http://reg:8081"),
            ("http://reg:8081".into(), None)
        );
        assert_eq!(
            without_password("https://bob:s3cret@reg:8081/a@b"),
            "https://bob@reg:8081/a@b"
        );
        assert_eq!(without_password("http://reg:8081"), "http://reg:8081");
    }

    #[test]
    fn registry_settings_are_confluents_property_names() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        let s = Settings::from_properties(&[
            p("security.protocol", "SSL"),
            p("schema.registry.url", "https://a:8081/, https://b:8081"),
            p("schema.registry.basic.auth.user.info", "bob:pw"),
            p("schema.registry.ssl.ca.location", "/ca.pem"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(s.urls, ["https://a:8081", "https://b:8081"]);
        assert_eq!(s.user_info.as_deref(), Some("bob:pw"));
        assert_eq!(s.ca_location.as_deref(), Some("/ca.pem"));
        assert_eq!(Settings::from_properties(&[p("a", "b")]), Ok(None));
        let bad = Settings::from_properties(&[p("schema.registry.ssl.keystore.location", "x")]);
        assert!(bad.unwrap_err().contains("not a Schema Registry setting"));
        let bad = Settings::from_properties(&[p("schema.registry.url", "registry:8081")]);
        assert!(bad.unwrap_err().contains("not an http:// or https:// URL"));
        assert!(crate::ingest::kafka::is_secret(
            "schema.registry.basic.auth.user.info"
        ));
        assert!(crate::ingest::kafka::is_secret(
            "schema.registry.ssl.key.password"
        ));
        let s = Settings::from_properties(&[
            p("schema.registry.url", "https://a:8081"),
            p("schema.registry.ssl.key.password", " pw "),
        ]);
        let s = s.unwrap().unwrap();
        assert_eq!(s.key_password.as_deref(), Some(" pw "));
        assert!(!format!("{s:?}").contains(" pw "), "{s:?}");
    }
}
