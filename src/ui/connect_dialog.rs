//! File > Connect to Kafka: brokers, topics, start position and security, with recent
//! connections remembered (never their passwords). Also the live connection's status window.

use super::ViewState;
use crate::ingest::kafka::{self, KafkaOptions, KafkaRequest, StartFrom};
use crate::session::Session;
use crate::ui::{Command, Prefs};
use serde::{Deserialize, Serialize};

/// A remembered connection (no password: it is never saved).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedConnection {
    pub brokers: String,
    pub topics: String,
    pub topic_regex: String,
    pub from: String,
    pub security_protocol: String,
    pub sasl_mechanism: String,
    pub username: String,
    /// Extra librdkafka properties, one `key=value` per line (secrets are dropped when saved).
    pub extra: String,
}

#[derive(Default)]
pub struct ConnectForm {
    pub open: bool,
    pub form: SavedConnection,
    pub password: String,
    pub error: Option<String>,
}

impl SavedConnection {
    /// The librdkafka properties this form stands for (with the password, when given).
    pub fn properties(&self, password: &str) -> Result<Vec<(String, String)>, String> {
        let mut p = Vec::new();
        if !self.security_protocol.is_empty() && self.security_protocol != "PLAINTEXT" {
            p.push((
                "security.protocol".to_string(),
                self.security_protocol.clone(),
            ));
        }
        if self.security_protocol.starts_with("SASL") {
            p.push(("sasl.mechanisms".into(), self.sasl_mechanism.clone()));
            p.push(("sasl.username".into(), self.username.clone()));
            p.push(("sasl.password".into(), password.to_string()));
        }
        p.extend(kafka::parse_properties(&self.extra, "extra properties")?);
        Ok(p)
    }

    /// The options to connect with, checked as the command line's are.
    pub fn options(&self, password: &str) -> Result<KafkaOptions, String> {
        let from = match self.from.trim() {
            "" => StartFrom::default(),
            t => t.parse()?,
        };
        let request = KafkaRequest {
            brokers: self.brokers.clone(),
            topics: self.topics.split(',').map(String::from).collect(),
            topic_regex: self.topic_regex.clone(),
            from,
            properties: self.properties(password)?,
            profiles: Default::default(),
            keep_payload: true,
        };
        request.build().map_err(|e| e.to_string())
    }

    /// What may be saved: secrets in the extra properties are removed.
    pub fn for_saving(&self) -> SavedConnection {
        let extra = self
            .extra
            .lines()
            .filter(|l| {
                // A line that does not parse holds no key to judge: kept, as typed.
                kafka::parse_properties(l, "")
                    .map_or(true, |p| p.iter().all(|(k, _)| !kafka::is_secret(k)))
            })
            .collect::<Vec<_>>()
            .join("\n");
        SavedConnection {
            extra,
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
        .default_width(420.0)
        .show(ui.ctx(), |ui| {
            egui::Grid::new("connect_grid")
                .num_columns(2)
                .show(ui, |ui| fields_ui(ui, &mut c.form, &mut c.password));
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
fn fields_ui(ui: &mut egui::Ui, f: &mut SavedConnection, password: &mut String) {
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
    security_ui(ui, f, password);
    ui.label("More properties");
    ui.add(
        egui::TextEdit::multiline(&mut f.extra)
            .desired_rows(3)
            .hint_text("ssl.ca.location=/path/ca.pem"),
    );
    ui.end_row();
}

#[cfg(feature = "kafka")]
fn security_ui(ui: &mut egui::Ui, f: &mut SavedConnection, password: &mut String) {
    ui.label("Security");
    egui::ComboBox::from_id_salt("protocol")
        .selected_text(if f.security_protocol.is_empty() {
            "PLAINTEXT"
        } else {
            &f.security_protocol
        })
        .show_ui(ui, |ui| {
            for p in ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] {
                ui.selectable_value(&mut f.security_protocol, p.to_string(), p);
            }
        });
    ui.end_row();
    if !f.security_protocol.starts_with("SASL") {
        return;
    }
    ui.label("SASL mechanism");
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
    ui.label("Password (never saved)");
    ui.add(egui::TextEdit::singleline(password).password(true));
    ui.end_row();
}

/// Connect (remembering the connection, without secrets) and the recent connections.
#[cfg(feature = "kafka")]
fn buttons_ui(ui: &mut egui::Ui, c: &mut ConnectForm, prefs: &Prefs, out: &mut Vec<Command>) {
    if ui.button("Connect").clicked() {
        match c.form.options(&c.password) {
            Ok(opts) => {
                out.push(Command::RememberConnection(c.form.for_saving()));
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
                    c.form = saved.clone();
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
        let props = f.properties("pw").unwrap();
        assert!(props.contains(&("sasl.password".into(), "pw".into())));
        assert!(props.contains(&("sasl.mechanisms".into(), "SCRAM-SHA-512".into())));
        let saved = f.for_saving();
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
        let o = f.options("").unwrap();
        assert_eq!((o.brokers.as_str(), o.from), ("b:9092", StartFrom::End));
        assert_eq!(o.topics, ["orders", "payments"]);
        f.from = "yesterday".into();
        assert!(f.options("").unwrap_err().contains("RFC 3339"));
        f.from = "-10".into();
        f.extra = "ssl.ca.location=/ca.pem\noops".into();
        assert_eq!(
            f.options("").unwrap_err(),
            "extra properties:2: expected key=value"
        );
        f.extra.clear();
        f.topics.clear();
        assert_eq!(
            f.options("").unwrap_err(),
            "give brokers and at least one topic or a regex"
        );
    }
}
