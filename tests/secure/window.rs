//! The window's live session over TLS (driven through egui_kittest as tests/gui.rs does): every
//! record arrives; with the wrong CA the top bar says `not connected`, librdkafka's reason
//! naming the broker and what is wrong; the connect dialog connects with a client certificate
//! and an encrypted key and remembers everything but the key's password.

use crate::gui_support::until_delivered;
use crate::pki::{KEY_PASSWORD, Pki, Tls};
use crate::{kafka_support::*, produce, tls_conf};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eventscope::app::{EventscopeApp, Launch};
use eventscope::ingest::kafka::{KafkaRequest, StartFrom};

fn window(props: Vec<(String, String)>, bootstrap: String) -> Harness<'static, EventscopeApp> {
    let opts = KafkaRequest {
        brokers: bootstrap,
        topics: vec!["orders".into()],
        from: StartFrom::Beginning,
        properties: props.into(),
        keep_payload: true,
        ..Default::default()
    }
    .build()
    .unwrap();
    Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| EventscopeApp::new(cc, Launch::Kafka(Box::new(opts), 1 << 30)))
}

fn prop(k: &str, v: String) -> (String, String) {
    (k.to_string(), v)
}

#[test]
fn the_window_consumes_over_tls_and_names_a_wrong_ca() {
    let pki = Pki::new();
    let port = free_port();
    let broker = Broker::start_advertising(Some(port));
    let tls = Tls::start(&pki, port, "server.pem", broker.port, None);
    produce(&tls.bootstrap(), &tls_conf(&pki, false), 4);
    let ssl = prop("security.protocol", "SSL".into());
    let mut h = window(
        vec![ssl.clone(), prop("ssl.ca.location", pki.path("ca.pem"))],
        tls.bootstrap(),
    );
    until_delivered(&mut h, "4 events", |h| {
        h.state().session.engine.stats.events == 4
    });
    assert!(h.query_by_label_contains("· live").is_some());
    drop(h);

    let mut h = window(
        vec![ssl, prop("ssl.ca.location", pki.path("wrong-ca.pem"))],
        tls.bootstrap(),
    );
    until_delivered(&mut h, "not connected, with the diagnosis", |h| {
        h.query_by_label_contains("not connected").is_some()
            && h.query_by_label_contains("not signed by a CA in ssl.ca.location")
                .is_some()
    });
    let named = format!("ssl://{}/bootstrap", tls.bootstrap());
    assert!(
        h.query_all_by_label_contains(&named)
            .any(|n| format!("{n:?}").contains("certificate verify failed")),
        "librdkafka's reason names the broker"
    );
    assert_eq!(h.state().session.engine.stats.events, 0);
}

/// File > Connect to Kafka with the mutual TLS profile: the certificate, the encrypted key and
/// its password typed into the dialog; every record arrives, and the remembered connection (the
/// saved settings) has the paths but not the password, which shows nowhere in the window.
#[test]
fn the_connect_dialog_does_mutual_tls_and_remembers_everything_but_the_key_password() {
    let pki = Pki::new();
    let port = free_port();
    let broker = Broker::start_advertising(Some(port));
    let tls = Tls::start(&pki, port, "server.pem", broker.port, Some("ca.pem"));
    produce(&tls.bootstrap(), &tls_conf(&pki, true), 3);
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(|cc| EventscopeApp::new(cc, Launch::Files(Vec::new(), Default::default())));
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Connect to Kafka…").click();
    h.run_steps(2);
    {
        let c = &mut h.state_mut().view.connect;
        c.form.brokers = tls.bootstrap();
        c.form.topics = "orders".into();
        c.form.from = "beginning".into();
        c.form.security_protocol = "SSL".into();
        c.form.client_cert = true;
        c.form.ca_location = pki.path("ca.pem");
        c.form.cert_location = pki.path("client.pem");
        c.form.key_location = pki.path("client-encrypted.key");
        c.secrets.key_password = KEY_PASSWORD.into();
    }
    h.run_steps(2);
    for field in ["CA certificate", "Client key", "Key password (never saved)"] {
        assert!(
            h.query_by_label(field).is_some(),
            "the profile shows {field}"
        );
    }
    assert!(
        h.query_by_label("Username").is_none(),
        "no SASL fields for TLS"
    );
    h.get_by_label("Connect").click();
    until_delivered(&mut h, "3 events over mutual TLS", |h| {
        h.state().session.engine.stats.events == 3
    });
    assert!(h.query_by_label_contains("· live").is_some());
    assert!(h.query_by_label_contains(KEY_PASSWORD).is_none());
    let saved = serde_json::to_string(&h.state().prefs).unwrap();
    assert!(
        saved.contains("client-encrypted.key") && !saved.contains(KEY_PASSWORD),
        "{saved}"
    );
}
