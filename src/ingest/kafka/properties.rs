//! librdkafka properties as users write them: one `key=value` item (kcat's `-X`), or a
//! Java-style client.properties text (a `--config` file, the connect dialog's extra box).

use std::path::Path;

/// One property item, `key=value` (`-X`): the key is trimmed, the value kept as given (a value
/// may start or end with spaces, or hold further `=`).
pub fn parse_property(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}': expected key=value (a librdkafka property)"))?;
    Ok((k.trim().to_string(), v.to_string()))
}

/// A properties text: `key=value` or `key: value` lines (split at the first `=` or `:`, as Java
/// does, so values may hold either), `#`/`!` comments and blank lines skipped. Errors name
/// `origin` and the line, `origin:line: ...`.
pub fn parse_properties(text: &str, origin: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (k, v) = line
            .find(['=', ':'])
            .map(|at| (&line[..at], &line[at + 1..]))
            .ok_or_else(|| format!("{origin}:{}: expected key=value", i + 1))?;
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(out)
}

/// Reads a client.properties file ([`parse_properties`], errors naming the file).
pub fn read_properties(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_properties(&text, &path.display().to_string())
}

/// A property value given by reference, so a secret need not be typed on a command line (where
/// `ps` and shell history show it) nor saved: `@env:NAME` is the environment variable NAME,
/// `@file:PATH` the file's text without its final line break. Any other value is kept as given.
/// Errors name the property, never a value.
pub fn resolve_value(key: &str, value: &str) -> Result<String, String> {
    if let Some(name) = value.strip_prefix("@env:") {
        std::env::var(name).map_err(|_| format!("{key}: environment variable {name} is not set"))
    } else if let Some(path) = value.strip_prefix("@file:") {
        std::fs::read_to_string(path)
            .map(|t| t.trim_end_matches(['\r', '\n']).to_string())
            .map_err(|e| format!("{key}: {path}: {e}"))
    } else {
        Ok(value.to_string())
    }
}

/// Whether a value is a reference ([`resolve_value`]) rather than the value itself: such a value
/// may be saved even for a secret property.
pub fn is_reference(value: &str) -> bool {
    let v = value.trim_start();
    v.starts_with("@env:") || v.starts_with("@file:")
}

/// Property names whose values are secrets: never logged, shown or saved.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "passphrase",
        "secret",
        "jaas",
        "token",
        "oauthbearer.config",
        "private.key",
        "ssl.key.pem",
        "credentials",
        // schema.registry.basic.auth.user.info (user:password)
        "user.info",
    ]
    .iter()
    .any(|w| k.contains(w))
        // Any other PEM but a CA or a certificate may hold a key.
        || (k.ends_with(".pem") && !k.contains("ca") && !k.contains("certificate"))
}

/// `key=value` with the value hidden when it is a secret.
pub fn redacted(key: &str, value: &str) -> String {
    if is_secret(key) {
        format!("{key}=***")
    } else {
        format!("{key}={value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn properties_files_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("client.properties");
        std::fs::write(
            &p,
            "# comment\nsecurity.protocol=SSL\n! other\nsasl.username: bob\n\n",
        )
        .unwrap();
        assert_eq!(
            read_properties(&p).unwrap(),
            [
                ("security.protocol".into(), "SSL".into()),
                ("sasl.username".into(), "bob".into())
            ]
        );
        std::fs::write(&p, "oops\n").unwrap();
        assert!(
            read_properties(&p)
                .unwrap_err()
                .contains("client.properties:1")
        );
        assert_eq!(parse_property("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_property("novalue").is_err());
    }

    #[test]
    fn a_text_splits_at_the_first_separator_and_names_its_origin() {
        let text = "ssl.ca.location = /ca.pem\n\nurl: http://x:1/a=b\n# sasl.password=x\n";
        assert_eq!(
            parse_properties(text, "extra properties").unwrap(),
            pairs(&[("ssl.ca.location", "/ca.pem"), ("url", "http://x:1/a=b")])
        );
        assert_eq!(
            parse_properties("a=1\nnothing here", "extra properties").unwrap_err(),
            "extra properties:2: expected key=value"
        );
    }
}
