"""Produces the same small shop in a framework's documented Kafka wire format, with PyPI
confluent-kafka (none of these frameworks has a Python client), and prints what it sent.

    frameworks.py BOOTSTRAP FRAMEWORK TOPIC

FRAMEWORK is one of:
- masstransit: the JSON envelope (application/vnd.masstransit+json) as the record value, as
  MassTransit's default serializer writes it
  (https://masstransit.io/documentation/concepts/messages#message-headers,
  https://masstransit.io/architecture/interoperability). Each service's messages carry its own
  saga's CorrelationId, and MassTransit sets InitiatorId to the consumed message's CorrelationId,
  never to its MessageId.
- axon: Axon Framework's Kafka extension headers as DefaultKafkaMessageConverter/HeaderUtils write
  them (https://docs.axoniq.io/kafka-extension-reference/development/message-format): strings as
  UTF-8, numbers and the timestamp as big-endian longs, metadata as axon-metadata-<key>; Axon 4's
  MessageOriginProvider sets traceId (the root: the PlaceOrder command, never on Kafka) and
  correlationId (the parent message).
- spring: Spring Kafka's JsonSerializer (__TypeId__ header,
  https://docs.spring.io/spring-kafka/reference/kafka/serdes.html#json-serde) with ids in the JSON,
  plus one more order whose OrderPlaced a DeadLetterPublishingRecoverer republished to TOPIC.DLT
  with the kafka_dlt-* headers, partition a 4-byte and offset/timestamp 8-byte big-endian numbers
  (https://docs.spring.io/spring-kafka/reference/kafka/annotation-error-handling.html#dlpr-headers).
- nservicebus: NServiceBus message headers
  (https://docs.particular.net/nservicebus/messaging/headers) with a JSON body.

Each sends 8 orders x 6 events (keys = order ids) and re-sends one event exactly (a duplicate).
Prints one JSON object: {"records", "flows", "links": [[id, cause], ...], "types": {id: type},
"duplicate": id, "dead_letter": id or null, "dead_letter_position": [partition, offset] or null}.
"""
import datetime
import json
import struct
import sys
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

# The shop: (type, index of the parent event in this list or None). 6 events, 5 links per order.
SHOP = [
    ("OrderPlaced", None),
    ("PaymentProcessed", 0),
    ("InventoryReserved", 0),
    ("OrderConfirmed", 1),
    ("ShipmentCreated", 3),
    ("OrderShipped", 4),
]
SERVICE = {
    "OrderPlaced": "order-service",
    "PaymentProcessed": "payment-service",
    "InventoryReserved": "inventory-service",
    "OrderConfirmed": "order-service",
    "ShipmentCreated": "shipping-service",
    "OrderShipped": "shipping-service",
}
ORDERS = [f"ord-{1001 + i}" for i in range(8)]
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def uid(*parts):
    """A stable UUID per name, so a run is reproducible."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "eventscope-test/" + "/".join(parts)))


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def shop():
    """Yields (order, index, type, parent index, event time ms) in production order."""
    for o, order in enumerate(ORDERS):
        for i, (ty, parent) in enumerate(SHOP):
            yield order, i, ty, parent, START_MS + o * 60_000 + i * 1_000


def masstransit(order, i, ty, parent, ms):
    # Each service correlates its messages by its own saga (CorrelatedBy<Guid>): the order's, the
    # payment's, the shipment's.
    def saga(t):
        return uid(order, SERVICE[t], "saga")

    body = {
        "messageId": uid(order, ty),
        "requestId": None,
        "correlationId": saga(ty),
        "conversationId": uid(order, "conversation"),
        # The consumed message's CorrelationId, as MassTransit sets it: not its MessageId.
        "initiatorId": saga(SHOP[parent][0]) if parent is not None else None,
        "sourceAddress": f"rabbitmq://localhost/{SERVICE[ty]}",
        "destinationAddress": f"rabbitmq://localhost/Shop.Contracts:{ty}",
        "responseAddress": None,
        "faultAddress": None,
        "messageType": [f"urn:message:Shop.Contracts:{ty}"],
        "message": {"orderId": order, "total": 42.5},
        "expirationTime": None,
        "sentTime": iso(ms),
        "headers": {},
        "host": {"machineName": "shop-1", "processName": SERVICE[ty], "massTransitVersion": "8.3.0.0"},
    }
    headers = [("Content-Type", b"application/vnd.masstransit+json")]
    return uid(order, ty), json.dumps(body).encode(), headers


def axon(order, i, ty, parent, ms):
    command = uid(order, "PlaceOrder")
    cause = command if parent is None else uid(order, SHOP[parent][0])
    headers = [
        ("axon-metadata-traceId", command.encode()),
        ("axon-metadata-correlationId", cause.encode()),
        ("axon-message-id", uid(order, ty).encode()),
        ("axon-message-type", f"com.shop.events.{ty}".encode()),
        ("axon-message-revision", b"1"),
        ("axon-message-timestamp", struct.pack(">q", ms)),
        ("axon-message-aggregate-id", order.encode()),
        ("axon-message-aggregate-seq", struct.pack(">q", i)),
        ("axon-message-aggregate-type", b"Order"),
    ]
    return uid(order, ty), json.dumps({"orderId": order, "total": 42.5}).encode(), headers


def spring(order, i, ty, parent, ms):
    body = {
        "eventId": uid(order, ty),
        "correlationId": uid(order, "flow"),
        "causationId": uid(order, SHOP[parent][0]) if parent is not None else None,
        "orderId": order,
        "occurredAt": iso(ms),
        "service": SERVICE[ty],
    }
    headers = [("__TypeId__", f"com.shop.events.{ty}".encode())]
    return uid(order, ty), json.dumps(body).encode(), headers


def nservicebus(order, i, ty, parent, ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    headers = [
        ("NServiceBus.MessageId", uid(order, ty).encode()),
        ("NServiceBus.MessageIntent", b"Publish"),
        ("NServiceBus.ConversationId", uid(order, "conversation").encode()),
        ("NServiceBus.CorrelationId", uid(order, ty).encode()),
        ("NServiceBus.OriginatingEndpoint", SERVICE[ty].encode()),
        ("NServiceBus.ContentType", b"application/json"),
        (
            "NServiceBus.EnclosedMessageTypes",
            f"Shop.Messages.{ty}, Shop.Messages, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null".encode(),
        ),
        ("NServiceBus.TimeSent", t.strftime("%Y-%m-%d %H:%M:%S:%f Z").encode()),
        ("NServiceBus.Version", b"9.2.2"),
    ]
    if parent is not None:
        headers.append(("NServiceBus.RelatedTo", uid(order, SHOP[parent][0]).encode()))
    return uid(order, ty), json.dumps({"OrderId": order, "Total": 42.5}).encode(), headers


FORMATS = {"masstransit": masstransit, "axon": axon, "spring": spring, "nservicebus": nservicebus}


def main():
    bootstrap, framework, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    fmt = FORMATS[framework]
    conf = {"bootstrap.servers": bootstrap}
    topics = [topic] + ([topic + ".DLT"] if framework == "spring" else [])
    admin = AdminClient(conf)
    for _, f in admin.create_topics([NewTopic(t, num_partitions=3, replication_factor=1) for t in topics]).items():
        f.result(15)
    p = Producer(conf)
    delivered = {}

    def send(eid, key, value, headers, ms, t=topic, partition=None):
        def on_delivery(err, msg):
            if err is None:
                delivered[eid] = (msg.partition(), msg.offset())

        kw = {"key": key, "value": value, "headers": headers, "timestamp": ms, "on_delivery": on_delivery}
        if partition is not None:
            kw["partition"] = partition
        p.produce(t, **kw)
        p.flush(15)

    links, types, sent = [], {}, {}
    for order, i, ty, parent, ms in shop():
        eid, value, headers = fmt(order, i, ty, parent, ms)
        send(eid, order, value, headers, ms)
        sent[eid] = (order, value, headers, ms)
        types[eid] = ty
        if parent is not None:
            links.append([eid, uid(order, SHOP[parent][0])])
    records = len(sent)
    # An exact re-send: the producer's ack was lost (same key, value and headers).
    duplicate = uid(ORDERS[2], "OrderConfirmed")
    order, value, headers, ms = sent[duplicate]
    send(duplicate + "#again", order, value, headers, ms + 500)
    records += 1
    dead_letter, position = None, None
    if framework == "spring":
        # A ninth order whose OrderPlaced its consumer could not handle: the original on TOPIC, and
        # the DeadLetterPublishingRecoverer's copy on TOPIC.DLT with the original's headers kept.
        order, ms = "ord-1009", START_MS + 8 * 60_000
        eid, value, headers = spring(order, 0, "OrderPlaced", None, ms)
        send(eid, order, value, headers, ms)
        types[eid] = "OrderPlaced"
        partition, offset = delivered[eid]
        dlt = headers + [
            ("kafka_dlt-exception-fqcn", b"org.springframework.kafka.listener.ListenerExecutionFailedException"),
            ("kafka_dlt-exception-cause-fqcn", b"java.lang.IllegalStateException"),
            ("kafka_dlt-exception-message", b"Listener method failed: no stock for sku-9"),
            ("kafka_dlt-original-topic", topic.encode()),
            ("kafka_dlt-original-partition", struct.pack(">i", partition)),
            ("kafka_dlt-original-offset", struct.pack(">q", offset)),
            ("kafka_dlt-original-timestamp", struct.pack(">q", ms)),
            ("kafka_dlt-original-timestamp-type", b"CreateTime"),
            ("kafka_dlt-original-consumer-group", b"shop"),
        ]
        send(eid + "#dlt", order, value, dlt, ms + 2_000, t=topic + ".DLT", partition=partition)
        records += 2
        dead_letter, position = eid, [partition, offset]
    left = p.flush(15)
    if left:
        sys.exit(f"{left} messages not delivered")
    print(json.dumps({
        "records": records,
        "flows": len(ORDERS) + (1 if framework == "spring" else 0),
        "links": links,
        "types": types,
        "duplicate": duplicate,
        "dead_letter": dead_letter,
        "dead_letter_position": position,
    }))


if __name__ == "__main__":
    main()
