//! File > Connect to Kafka: brokers, topics, start position and a security profile (plaintext,
//! TLS, mutual TLS, SASL over TLS or not) with file pickers for certificates, and recent
//! connections remembered without their secrets (a password given by reference, `@env:NAME` or
//! `@file:PATH`, is remembered as that reference). Also the live connection's status window.

use super::ViewState;
use crate::ingest::kafka::{self, KafkaOptions, KafkaRequest, StartFrom};
use crate::session::Session;
use crate::ui::{Command, Prefs};
use serde::{Deserialize, Serialize};

/// A remembered connection (no secret: passwords are never saved, only references to them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedConnection {
    pub brokers: String,
    pub topics: String,
    pub topic_regex: String,
    pub from: String,
    pub security_protocol: String,
    /// A client certificate is presented (mutual TLS).
    pub client_cert: bool,
    /// `ssl.ca.location`; blank: the system's CA store.
    pub ca_location: String,
    /// `ssl.certificate.location` and `ssl.key.location` (mutual TLS).
    pub cert_location: String,
    pub key_location: String,
    pub sasl_mechanism: String,
    pub username: String,
    /// The password or key password when typed as a reference (`@env:NAME`, `@file:PATH`):
    /// the reference is no secret. A password itself is never saved.
    pub password_ref: String,
    pub key_password_ref: String,
    /// Extra librdkafka properties, one `key=value` per line (secrets are dropped when saved).
    pub extra: String,
    /// `schema.registry.url`: a Confluent Schema Registry for Avro/Protobuf/JSON Schema payloads
    /// (its `schema.registry.*` settings go in the extra properties).
    pub schema_registry: String,
}

/// The form's secrets, never saved: the SASL password and the client key's password, each the
/// value itself or a reference to it (`@env:NAME`, `@file:PATH`).
#[derive(Clone, Default)]
pub struct Secrets {
    pub password: String,
    pub key_password: String,
}

#[derive(Default)]
pub struct ConnectForm {
    pub open: bool,
    pub form: SavedConnection,
    pub secrets: Secrets,
    pub error: Option<String>,
}

/// A certificate field a file picker fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertFile {
    Ca,
    Certificate,
    Key,
}

/// The profiles offered: (label, security.protocol, client certificate).
pub const PROFILES: [(&str, &str, bool); 5] = [
    ("PLAINTEXT", "PLAINTEXT", false),
    ("TLS (SSL)", "SSL", false),
    ("Mutual TLS (SSL + client certificate)", "SSL", true),
    ("SASL_SSL (PLAIN, SCRAM)", "SASL_SSL", false),
    ("SASL_PLAINTEXT", "SASL_PLAINTEXT", false),
];

impl ConnectForm {
    /// A picked file for a certificate field.
    pub fn set_file(&mut self, field: CertFile, path: &std::path::Path) {
        let f = &mut self.form;
        let slot = match field {
            CertFile::Ca => &mut f.ca_location,
            CertFile::Certificate => &mut f.cert_location,
            CertFile::Key => &mut f.key_location,
        };
        *slot = path.display().to_string();
    }

    /// A remembered connection back in the form, with its secrets' references.
    pub fn restore(&mut self, saved: &SavedConnection) {
        self.form = saved.clone();
        self.secrets = Secrets {
            password: saved.password_ref.clone(),
            key_password: saved.key_password_ref.clone(),
        };
    }
}

impl SavedConnection {
    fn tls(&self) -> bool {
        self.security_protocol.ends_with("SSL")
    }

    /// The profile's label in [`PROFILES`].
    pub fn profile(&self) -> &'static str {
        let protocol = match self.security_protocol.as_str() {
            "" => "PLAINTEXT",
            p => p,
        };
        PROFILES
            .iter()
            .find(|(_, p, cert)| *p == protocol && (*cert == self.client_cert || !self.tls()))
            .or_else(|| PROFILES.iter().find(|(_, p, _)| *p == protocol))
            .map_or("PLAINTEXT", |(label, _, _)| label)
    }

    /// The librdkafka properties this form stands for (with the secrets, when given).
    pub fn properties(&self, secrets: &Secrets) -> Result<Vec<(String, String)>, String> {
        let mut p: Vec<(String, String)> = Vec::new();
        // Paths and names are trimmed; a secret is passed exactly as typed (a password may
        // start or end with a space), and only an empty one is left out.
        let mut set = |k: &str, v: &str| {
            let v = if kafka::is_secret(k) { v } else { v.trim() };
            if !v.is_empty() {
                p.push((k.to_string(), v.to_string()));
            }
        };
        if self.security_protocol != "PLAINTEXT" {
            set("security.protocol", &self.security_protocol);
        }
        if self.tls() {
            set("ssl.ca.location", &self.ca_location);
            if self.client_cert {
                set("ssl.certificate.location", &self.cert_location);
                set("ssl.key.location", &self.key_location);
                set("ssl.key.password", &secrets.key_password);
            }
        }
        if self.security_protocol.starts_with("SASL") {
            set("sasl.mechanisms", &self.sasl_mechanism);
            set("sasl.username", &self.username);
            set("sasl.password", &secrets.password);
        }
        set("schema.registry.url", &self.schema_registry);
        p.extend(kafka::parse_properties(&self.extra, "extra properties")?);
        Ok(p)
    }

    /// The options to connect with, checked as the command line's are.
    pub fn options(&self, secrets: &Secrets) -> Result<KafkaOptions, String> {
        let from = match self.from.trim() {
            "" => StartFrom::default(),
            t => t.parse()?,
        };
        let request = KafkaRequest {
            brokers: self.brokers.clone(),
            topics: self.topics.split(',').map(String::from).collect(),
            topic_regex: self.topic_regex.clone(),
            from,
            properties: self.properties(secrets)?.into(),
            profiles: Default::default(),
            keep_payload: true,
        };
        request.build().map_err(|e| e.to_string())
    }

    /// What may be saved: secrets in the extra properties are removed (a secret given by
    /// reference stays), and of the secrets only references are kept.
    pub fn for_saving(&self, secrets: &Secrets) -> SavedConnection {
        let extra = self
            .extra
            .lines()
            .filter(|l| {
                // A line that does not parse holds no key to judge: kept, as typed.
                kafka::parse_properties(l, "").map_or(true, |p| {
                    p.iter()
                        .all(|(k, v)| !kafka::is_secret(k) || kafka::is_reference(v))
                })
            })
            .collect::<Vec<_>>()
            .join("\n");
        let reference = |s: &str| {
            if kafka::is_reference(s) {
                s.trim().to_string()
            } else {
                String::new()
            }
        };
        SavedConnection {
            extra,
            schema_registry: crate::ingest::registry::without_password(&self.schema_registry),
            password_ref: reference(&secrets.password),
            key_password_ref: reference(&secrets.key_password),
            ..self.clone()
        }
    }
}

pub fn connect_window_ui(
    ui: &mut egui::Ui,
    session: &Session,
    view: &mut ViewState,
    prefs: &Prefs,
    out: &mut Vec<Command>,
) {
    #[cfg(feature = "kafka")]
    {
        form_ui(ui, view, prefs, out);
        if let Some(k) = &session.kafka {
            status_ui(ui, session, k);
        }
    }
    #[cfg(not(feature = "kafka"))]
    let _ = (ui, session, view, prefs, out);
}

#[cfg(feature = "kafka")]
fn form_ui(ui: &mut egui::Ui, view: &mut ViewState, prefs: &Prefs, out: &mut Vec<Command>) {
    let c = &mut view.connect;
    if !c.open {
        return;
    }
    let mut open = true;
    egui::Window::new("Connect to Kafka")
        .open(&mut open)
        .default_width(460.0)
        .show(ui.ctx(), |ui| {
            egui::Grid::new("connect_grid")
                .num_columns(2)
                .show(ui, |ui| fields_ui(ui, &mut c.form, &mut c.secrets, out));
            if let Some(e) = &c.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.horizontal(|ui| buttons_ui(ui, c, prefs, out));
        });
    if !open {
        c.open = false;
    }
}

/// The form's rows: where to connect, then how (security).
#[cfg(feature = "kafka")]
fn fields_ui(
    ui: &mut egui::Ui,
    f: &mut SavedConnection,
    secrets: &mut Secrets,
    out: &mut Vec<Command>,
) {
    ui.label("Brokers");
    ui.text_edit_singleline(&mut f.brokers);
    ui.end_row();
    ui.label("Topics (comma-separated)");
    ui.text_edit_singleline(&mut f.topics);
    ui.end_row();
    ui.label("Topic regex");
    ui.text_edit_singleline(&mut f.topic_regex);
    ui.end_row();
    ui.label("Start at");
    ui.add(
        egui::TextEdit::singleline(&mut f.from)
            .hint_text("end, beginning, -1000, 2026-11-22T10:00:00Z"),
    );
    ui.end_row();
    security_ui(ui, f, secrets, out);
    ui.label("Schema Registry");
    ui.add(
        egui::TextEdit::singleline(&mut f.schema_registry)
            .hint_text("http://localhost:8081 (optional)"),
    );
    ui.end_row();
    ui.label("More properties");
    ui.add(
        egui::TextEdit::multiline(&mut f.extra)
            .desired_rows(3)
            .hint_text("ssl.endpoint.identification.algorithm=none"),
    );
    ui.end_row();
}

/// The profile, then the fields it needs: CA (TLS), client certificate and key (mutual TLS),
/// mechanism, user and password (SASL).
#[cfg(feature = "kafka")]
fn security_ui(
    ui: &mut egui::Ui,
    f: &mut SavedConnection,
    secrets: &mut Secrets,
    out: &mut Vec<Command>,
) {
    ui.label("Security");
    egui::ComboBox::from_id_salt("profile")
        .selected_text(f.profile())
        .width(280.0)
        .show_ui(ui, |ui| {
            for (label, protocol, cert) in PROFILES {
                if ui.selectable_label(f.profile() == label, label).clicked() {
                    f.security_protocol = protocol.to_string();
                    f.client_cert = cert;
                }
            }
        });
    ui.end_row();
    if f.tls() {
        file_row_ui(ui, "CA certificate", &mut f.ca_location, CertFile::Ca, out);
        if f.security_protocol == "SASL_SSL" {
            ui.label("");
            ui.checkbox(&mut f.client_cert, "Client certificate (mutual TLS)");
            ui.end_row();
        }
        if f.client_cert {
            let cert = &mut f.cert_location;
            file_row_ui(ui, "Client certificate", cert, CertFile::Certificate, out);
            file_row_ui(ui, "Client key", &mut f.key_location, CertFile::Key, out);
            secret_row_ui(ui, "Key password (never saved)", &mut secrets.key_password);
        }
    }
    if f.security_protocol.starts_with("SASL") {
        sasl_ui(ui, f, secrets);
    }
}

#[cfg(feature = "kafka")]
fn sasl_ui(ui: &mut egui::Ui, f: &mut SavedConnection, secrets: &mut Secrets) {
    ui.label("SASL mechanism");
    if f.sasl_mechanism.is_empty() {
        f.sasl_mechanism = "SCRAM-SHA-512".into();
    }
    egui::ComboBox::from_id_salt("mechanism")
        .selected_text(&f.sasl_mechanism)
        .show_ui(ui, |ui| {
            for m in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] {
                ui.selectable_value(&mut f.sasl_mechanism, m.to_string(), m);
            }
        });
    ui.end_row();
    ui.label("Username");
    ui.text_edit_singleline(&mut f.username);
    ui.end_row();
    secret_row_ui(ui, "Password (never saved)", &mut secrets.password);
}

/// A path with a file picker (the app shows the dialog; the choice comes back in the field).
#[cfg(feature = "kafka")]
fn file_row_ui(
    ui: &mut egui::Ui,
    label: &str,
    path: &mut String,
    field: CertFile,
    out: &mut Vec<Command>,
) {
    ui.label(label);
    ui.horizontal(|ui| {
        let hint = if field == CertFile::Ca {
            "system CA store"
        } else {
            "PEM file"
        };
        ui.add(egui::TextEdit::singleline(path).hint_text(hint));
        if ui
            .button("Browse…")
            .on_hover_text(format!("Choose the {} file", label.to_lowercase()))
            .clicked()
        {
            out.push(Command::PickCertFile(field));
        }
    });
    ui.end_row();
}

/// A secret, shown as dots; a reference (`@env:NAME`, `@file:PATH`) is shown as typed, since
/// it is no secret (and is remembered).
#[cfg(feature = "kafka")]
fn secret_row_ui(ui: &mut egui::Ui, label: &str, value: &mut String) {
    ui.label(label);
    let hide = !kafka::is_reference(value);
    ui.add(
        egui::TextEdit::singleline(value)
            .password(hide)
            .hint_text("or @env:NAME, @file:PATH"),
    );
    ui.end_row();
}

/// Connect (remembering the connection, without secrets) and the recent connections.
#[cfg(feature = "kafka")]
fn buttons_ui(ui: &mut egui::Ui, c: &mut ConnectForm, prefs: &Prefs, out: &mut Vec<Command>) {
    if ui.button("Connect").clicked() {
        match c.form.options(&c.secrets) {
            Ok(opts) => {
                out.push(Command::RememberConnection(Box::new(
                    c.form.for_saving(&c.secrets),
                )));
                c.error = None;
                c.open = false;
                out.push(Command::Connect(Box::new(opts)));
            }
            Err(e) => c.error = Some(e),
        }
    }
    if !prefs.connections.is_empty() {
        ui.menu_button("Recent", |ui| {
            for saved in &prefs.connections {
                if ui
                    .button(format!("{} · {}", saved.brokers, saved.topics))
                    .clicked()
                {
                    c.restore(saved);
                    ui.close();
                }
            }
        });
    }
}

#[cfg(feature = "kafka")]
fn status_ui(ui: &mut egui::Ui, session: &Session, k: &crate::ingest::kafka::KafkaHandle) {
    let s = k.status.lock().map(|s| s.clone()).unwrap_or_default();
    egui::Window::new("Kafka").default_open(false).default_pos([640.0, 80.0]).show(ui.ctx(), |ui| {
        ui.label(format!("{} · {}", k.description, if s.connected { "connected" } else { "not connected" }));
        ui.label(format!(
            "{} events · {} repeats skipped · {} offset gaps · evicted from the analysis: {} flows, {} events",
            s.events, s.repeats_skipped, s.gaps, session.budget.evicted_flows, session.budget.evicted_events
        ));
        egui::Grid::new("partitions").striped(true).num_columns(3).show(ui, |ui| {
            ui.strong("partition");
            ui.strong("next offset");
            ui.strong("received");
            ui.end_row();
            for ((t, p), st) in &s.partitions {
                ui.label(format!("{t}/{p}"));
                ui.label(st.next.map_or("—".into(), |n| n.to_string()));
                ui.label(st.received.to_string());
                ui.end_row();
            }
        });
        for e in s.errors.iter().rev().take(5) {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
    });
}

#[cfg(test)]
#[path = "connect_dialog_registry_tests.rs"]
mod registry_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_secret_properties_are_never_saved() {
        let f = SavedConnection {
            brokers: "b:9092".into(),
            topics: "orders".into(),
            security_protocol: "SASL_SSL".into(),
            sasl_mechanism: "SCRAM-SHA-512".into(),
            username: "alice".into(),
            extra: "ssl.ca.location=/ca.pem\nssl.key.password=hunter2".into(),
            ..Default::default()
        };
        let secrets = Secrets {
            password: "pw".into(),
            key_password: String::new(),
        };
        let props = f.properties(&secrets).unwrap();
        assert!(props.contains(&("sasl.password".into(), "pw".into())));
        assert!(props.contains(&("sasl.mechanisms".into(), "SCRAM-SHA-512".into())));
        let spaced = Secrets {
            password: " p w ".into(),
            key_password: String::new(),
        };
        let props = f.properties(&spaced).unwrap();
        assert!(
            props.contains(&("sasl.password".into(), " p w ".into())),
            "a password is passed as typed: {props:?}"
        );
        let saved = f.for_saving(&secrets);
        let text = serde_json::to_string(&saved).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("\"pw\""),
            "{text}"
        );
        assert!(text.contains("ssl.ca.location"));
    }

    #[test]
    fn the_form_is_checked_as_the_command_line_is() {
        let mut f = SavedConnection {
            brokers: " b:9092 ".into(),
            topics: "orders, ,payments".into(),
            ..Default::default()
        };
        let o = f.options(&Secrets::default()).unwrap();
        assert_eq!((o.brokers.as_str(), o.from), ("b:9092", StartFrom::End));
        assert_eq!(o.topics, ["orders", "payments"]);
        f.from = "yesterday".into();
        assert!(
            f.options(&Secrets::default())
                .unwrap_err()
                .contains("RFC 3339")
        );
        f.from = "-10".into();
        f.extra = "ssl.ca.location=/ca.pem\noops".into();
        assert_eq!(
            f.options(&Secrets::default()).unwrap_err(),
            "extra properties:2: expected key=value"
        );
        f.extra.clear();
        f.topics.clear();
        assert_eq!(
            f.options(&Secrets::default()).unwrap_err(),
            "give brokers and at least one topic or a regex"
        );
    }

    #[test]
    fn profiles_set_what_they_need_and_only_references_are_remembered() {
        let mut c = ConnectForm::default();
        c.form.brokers = "b:9093".into();
        c.form.topics = "orders".into();
        let (_, protocol, cert) = PROFILES[2];
        (c.form.security_protocol, c.form.client_cert) = (protocol.into(), cert);
        assert_eq!(c.form.profile(), "Mutual TLS (SSL + client certificate)");
        c.set_file(CertFile::Ca, std::path::Path::new("/pki/ca.pem"));
        c.set_file(
            CertFile::Certificate,
            std::path::Path::new("/pki/client.pem"),
        );
        c.set_file(CertFile::Key, std::path::Path::new("/pki/client.key"));
        c.secrets.key_password = "k3y-secret".into();
        let props = c.form.properties(&c.secrets).unwrap();
        let want = [
            ("security.protocol", "SSL"),
            ("ssl.ca.location", "/pki/ca.pem"),
            ("ssl.certificate.location", "/pki/client.pem"),
            ("ssl.key.location", "/pki/client.key"),
            ("ssl.key.password", "k3y-secret"),
        ];
        assert_eq!(
            props,
            want.map(|(k, v)| (k.to_string(), v.to_string())).to_vec()
        );
        let saved = serde_json::to_string(&c.form.for_saving(&c.secrets)).unwrap();
        assert!(
            !saved.contains("k3y-secret") && saved.contains("/pki/client.key"),
            "{saved}"
        );
        // SASL over TLS: no client certificate unless asked; a password by reference is kept.
        let (_, protocol, cert) = PROFILES[3];
        (c.form.security_protocol, c.form.client_cert) = (protocol.into(), cert);
        (c.form.sasl_mechanism, c.form.username) = ("SCRAM-SHA-256".into(), "alice".into());
        c.secrets.password = "@env:KAFKA_PASSWORD".into();
        c.form.extra = "sasl.oauthbearer.config=@file:/run/oauth\nsasl.kerberos.keytab=/k".into();
        let props = c.form.properties(&c.secrets).unwrap();
        assert!(!props.iter().any(|(k, _)| k.starts_with("ssl.key")));
        let saved = c.form.for_saving(&c.secrets);
        assert_eq!(saved.password_ref, "@env:KAFKA_PASSWORD");
        assert!(
            saved.extra.contains("@file:/run/oauth"),
            "a reference stays"
        );
        let mut again = ConnectForm::default();
        again.restore(&saved);
        assert_eq!(again.secrets.password, "@env:KAFKA_PASSWORD");
        assert_eq!(again.form.profile(), "SASL_SSL (PLAIN, SCRAM)");
    }
}
