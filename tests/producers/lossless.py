"""Records whose bytes a recording must keep exactly (tests/producers/lossless.rs).

    lossless.py BOOTSTRAP TOPIC   -> JSON {"sent": [{"key_hex", "headers": [[name, hex|null]], "value_hex"}]}

Produced with PyPI confluent-kafka to one partition, in this order:
  0, 1  CloudEvents binary mode written by the CloudEvents SDK (PyPI cloudevents,
        cloudevents.core.bindings.kafka.to_binary_event; spec:
        https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md#32-binary-content-mode);
        record 1 also carries Spring Kafka's binary dead-letter headers
        kafka_dlt-original-offset / -timestamp, 8-byte big-endian longs, not UTF-8
        (https://docs.spring.io/spring-kafka/reference/kafka/annotation-error-handling.html#dead-letters)
  2     a key that is not UTF-8, a JSON value with ids (eventId, correlationId) and an x-msg-id header
  3     the Confluent Schema Registry wire format: magic byte 0, schema id 42 (4 bytes big-endian),
        then Avro binary written by PyPI fastavro's schemaless_writer
        (https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format)
  4     a text value that is not JSON
  5     pretty-printed JSON with a trailing newline (several lines in one value)
"""
import io
import json
import struct
import sys

import fastavro
from cloudevents.core.bindings.kafka import to_binary_event
from cloudevents.core.v1.event import CloudEvent
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

AVRO_SCHEMA = fastavro.parse_schema({
    "type": "record",
    "name": "OrderPlaced",
    "fields": [{"name": "order", "type": "string"}, {"name": "total", "type": "long"}],
})


def cloudevent(id_, type_, extensions, key):
    attrs = {"id": id_, "type": type_, "source": "/shop/orders", "partitionkey": key}
    attrs.update(extensions)
    msg = to_binary_event(CloudEvent(attributes=attrs, data={"order": key}))
    key = msg.key.encode() if isinstance(msg.key, str) else msg.key
    return key, list(msg.headers.items()), msg.value


def avro(schema_id, record):
    out = io.BytesIO()
    out.write(b"\x00" + struct.pack(">I", schema_id))
    fastavro.schemaless_writer(out, AVRO_SCHEMA, record)
    return out.getvalue()


def records():
    key, headers, value = cloudevent("ce-1", "OrderPlaced", {"correlationid": "ord-1"}, "ord-1")
    yield key, headers, value
    key, headers, value = cloudevent(
        "ce-2", "OrderPaid", {"correlationid": "ord-1", "causationid": "ce-1"}, "ord-1"
    )
    spring = [
        ("kafka_dlt-original-offset", struct.pack(">q", 200)),
        ("kafka_dlt-original-timestamp", struct.pack(">q", 1_700_000_000_123)),
    ]
    yield key, headers + spring, value
    yield (
        b"\xfford-2\x00",
        [("x-msg-id", b"m-3"), ("empty", b""), ("none", None)],
        json.dumps({"eventId": "e-3", "correlationId": "ord-2"}).encode(),
    )
    yield b"ord-3", [], avro(42, {"order": "ord-3", "total": 1200})
    yield b"ord-4", [], b"order ord-4 placed, not json"
    yield b"ord-5", [], (json.dumps({"eventId": "e-5", "correlationId": "ord-5"}, indent=2) + "\n").encode()


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    conf = {"bootstrap.servers": bootstrap}
    admin = AdminClient(conf)  # kept alive until the topic exists
    for _, f in admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).items():
        f.result(15)
    p = Producer(conf)
    sent = []
    for key, headers, value in records():
        p.produce(topic, key=key, value=value, headers=headers)
        p.flush(15)  # one at a time: offsets in this order
        sent.append({
            "key_hex": key.hex(),
            "headers": [[k, None if v is None else v.hex()] for k, v in headers],
            "value_hex": value.hex(),
        })
    print(json.dumps({"sent": sent}))


if __name__ == "__main__":
    main()
