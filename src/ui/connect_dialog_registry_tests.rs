//! The connect dialog's Schema Registry row.

use super::*;

/// The Schema Registry row becomes `schema.registry.url` (the registry client's, not
/// librdkafka's); its settings come from the extra properties, its user info is a secret.
#[test]
fn the_schema_registry_is_a_property_and_its_secrets_are_not_saved() {
    let f = SavedConnection {
        brokers: "b:9092".into(),
        topics: "orders".into(),
        schema_registry: " https://bob:pw@registry:8081 ".into(),
        extra: "schema.registry.basic.auth.user.info=bob:pw\n\
                schema.registry.ssl.endpoint.identification.algorithm=https"
            .into(),
        ..Default::default()
    };
    let props = f.properties(&Secrets::default()).unwrap();
    assert!(props.contains(&(
        "schema.registry.url".into(),
        "https://bob:pw@registry:8081".into()
    )));
    let o = f.options(&Secrets::default()).unwrap();
    assert!(
        o.properties
            .iter()
            .all(|(k, _)| !k.starts_with("schema.registry.")),
        "not given to librdkafka: {:?}",
        o.properties
    );
    let r = o
        .profiles
        .schemas
        .as_ref()
        .and_then(|s| s.registry())
        .unwrap();
    assert_eq!(
        r.url(),
        "https://registry:8081",
        "shown without its credentials"
    );
    let saved = f.for_saving(&Secrets::default());
    assert_eq!(saved.schema_registry.trim(), "https://bob@registry:8081");
    assert_eq!(
        saved.extra.trim(),
        "schema.registry.ssl.endpoint.identification.algorithm=https"
    );
}
