#!/usr/bin/env bash
# The project's test command (README, "Set-up"). Installs what the tests need on a fresh Debian
# machine of this project's kind, then runs the whole test suite:
# - the tansu Kafka-protocol broker with its SQLite storage (cargo install, several minutes once;
#   skipped when already installed so),
# - PyPI's confluent-kafka, the independent client the Kafka tests produce with,
# - Debian's socat (the TLS terminator in front of tansu) and openssl (the tests' certificates),
#   for the secure-cluster tests (tests/secure).
# The GUI tests need no packages (egui_kittest drives the app through AccessKit, no GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# tansu's SQLite storage (feature libsql) keeps SCRAM users, which the SASL tests need (its memory
# store forgets them); an older tansu built without it is rebuilt.
tansu_has_sqlite() {
    local d out
    d=$(mktemp -d)
    out=$(cd "$d" && timeout 3 tansu broker --listener-url tcp://127.0.0.1:0 \
        --advertised-listener-url tcp://127.0.0.1:0 --storage-engine sqlite://probe.db 2>&1 || true)
    rm -rf "$d"
    ! grep -q FeatureNotEnabled <<<"$out"
}
if ! command -v tansu >/dev/null 2>&1 || ! tansu_has_sqlite; then
    echo "tests/run.sh: installing the tansu broker (once, several minutes)" >&2
    cargo install tansu --locked --force --features dynostore,libsql
fi
if ! python3 -c "import confluent_kafka" >/dev/null 2>&1; then
    echo "tests/run.sh: installing confluent-kafka (PyPI)" >&2
    if ! command -v pip3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3-pip
    fi
    python3 -m pip install --quiet confluent-kafka 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages confluent-kafka
fi
# PyPI fastavro and cloudevents (2.x: cloudevents.core.bindings.kafka) for tests/producers/lossless.py.
if ! python3 -c "import fastavro, cloudevents.core.bindings.kafka" >/dev/null 2>&1; then
    python3 -m pip install --quiet fastavro 'cloudevents>=2' 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages fastavro 'cloudevents>=2'
fi
# confluent-kafka's Schema Registry serializers (extras avro, json, protobuf: fastavro, httpx,
# authlib, attrs, cachetools, jsonschema, protobuf) for tests/producers/schemas.py.
if ! python3 -c "import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.json_schema, confluent_kafka.schema_registry.protobuf" >/dev/null 2>&1; then
    python3 -m pip install --quiet 'confluent-kafka[avro,json,protobuf]' 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages 'confluent-kafka[avro,json,protobuf]'
fi
# PyPI grpcio-tools (protoc) compiles the .proto sources of tests/producers/proto_source.py.
if ! python3 -c "import grpc_tools.protoc" >/dev/null 2>&1; then
    python3 -m pip install --quiet grpcio-tools 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages grpcio-tools
fi
# PyPI msgpack and cbor2 for tests/producers/schemaless.py.
if ! python3 -c "import msgpack, cbor2" >/dev/null 2>&1; then
    python3 -m pip install --quiet msgpack cbor2 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages msgpack cbor2
fi
# OpenTelemetry's confluent-kafka instrumentation before 0.66b1 silently does nothing with
# confluent-kafka 2.x (tests/producers/otel.py).
if ! python3 -c "import re, sys; from opentelemetry.instrumentation.confluent_kafka.version import __version__ as v; sys.exit(tuple(map(int, re.match(r'(\d+)\.(\d+)', v).groups())) < (0, 66))" >/dev/null 2>&1; then
    OTEL="opentelemetry-sdk opentelemetry-instrumentation-confluent-kafka>=0.66b1"
    python3 -m pip install --quiet $OTEL 2>/dev/null || python3 -m pip install --quiet --break-system-packages $OTEL
fi
# OpenTelemetry's protobuf definitions and PM4Py read the exports in tests/export.rs.
if ! python3 -c "import opentelemetry.proto.collector.trace.v1.trace_service_pb2, pm4py" >/dev/null 2>&1; then
    python3 -m pip install --quiet opentelemetry-proto pm4py 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages opentelemetry-proto pm4py
fi
if ! command -v socat >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
    echo "tests/run.sh: installing socat and openssl (apt)" >&2
    apt-get update -qq && apt-get install -y -qq socat openssl
fi
cargo test --all-targets
