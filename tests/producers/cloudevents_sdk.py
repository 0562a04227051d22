"""A shop's choreography written by the CloudEvents Python SDK with a per-source `sequence`
(tests/producers/cloudevents_sdk.rs; not called cloudevents.py,
which would shadow the SDK package for every script in this directory).

    cloudevents_sdk.py BOOTSTRAP MODE TOPIC   (MODE: binary | structured)
        -> JSON {"records", "flows", "links": [[id, cause]], "injected": id, "sources": [...]}

The events are built with PyPI cloudevents (its 1.x API, `cloudevents.kafka` or, in 2.x,
`cloudevents.v1.kafka`: `to_binary` / `to_structured`, the Kafka protocol binding,
https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md)
and produced with PyPI confluent-kafka to a topic of 3 partitions, keyed by order (the SDK's
`partitionkey` key mapper), so each order stays in one partition.

8 orders, 6 events each (OrderPlaced -> PaymentProcessed -> InventoryReserved -> OrderConfirmed
-> ShipmentCreated -> OrderShipped, each caused by the one before: 40 links), one flow per order
(`correlationid`). Each source keeps ONE counter, as the Sequence extension defines it
(https://github.com/cloudevents/spec/blob/main/cloudevents/extensions/sequence.md: the order of
events "produced by a unique event source"), and the orders advance in rounds, so every source's
counter is spread over the 8 orders (subjects): /shop/orders gives ord-1001 the numbers 1, 9, 17.

Then one injected fault: /shop/orders sends an OrderAmended for ord-1003, caused by its
OrderShipped, whose sequence (5) is lower than the ones already in that order's partition.
"""
import json
import sys

try:  # cloudevents 1.x
    from cloudevents.http import CloudEvent
    from cloudevents.kafka import to_binary, to_structured
except ImportError:  # cloudevents 2.x keeps the 1.x API under v1
    from cloudevents.v1.http import CloudEvent
    from cloudevents.v1.kafka import to_binary, to_structured
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

ORDERS = [f"ord-{1001 + i}" for i in range(8)]
STEPS = [
    ("OrderPlaced", "/shop/orders"),
    ("PaymentProcessed", "/shop/payments"),
    ("InventoryReserved", "/shop/inventory"),
    ("OrderConfirmed", "/shop/orders"),
    ("ShipmentCreated", "/shop/shipping"),
    ("OrderShipped", "/shop/orders"),
]


def main():
    bootstrap, mode, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    convert = {"binary": to_binary, "structured": to_structured}[mode]
    conf = {"bootstrap.servers": bootstrap}
    admin = AdminClient(conf)  # kept alive until the topic exists
    for _, f in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]).items():
        f.result(15)
    p = Producer(conf)
    counters = {}
    last = {}
    links = []
    records = 0

    def send(order, ty, source, cause, seq=None):
        nonlocal records
        if seq is None:
            seq = counters[source] = counters.get(source, 0) + 1
        eid = f"{mode[0]}-{order}-{ty}"
        attrs = {
            "id": eid,
            "type": ty,
            "source": source,
            "subject": order,
            "partitionkey": order,
            "sequence": str(seq),
            "correlationid": order,
            "datacontenttype": "application/json",
        }
        if cause:
            attrs["causationid"] = cause
            links.append([eid, cause])
        msg = convert(CloudEvent(attrs, {"order": order, "step": ty}))
        key = msg.key.encode() if isinstance(msg.key, str) else msg.key
        p.produce(topic, key=key, value=msg.value, headers=list(msg.headers.items()))
        p.flush(15)  # one at a time: the log holds them in this order
        records += 1
        return eid

    for ty, source in STEPS:
        for order in ORDERS:
            last[order] = send(order, ty, source, last.get(order))
    injected = send("ord-1003", "OrderAmended", "/shop/orders", last["ord-1003"], seq=5)
    print(json.dumps({
        "records": records,
        "flows": len(ORDERS),
        "links": links,
        "injected": injected,
        "sources": sorted(counters),
    }))


if __name__ == "__main__":
    main()
