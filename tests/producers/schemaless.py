"""Payloads without any schema (tests/producers/schemaless.rs), produced with PyPI confluent-kafka:

    schemaless.py BOOTSTRAP N   -> JSON {"records", "flows", "links": [[id, cause]]}

Topics (one partition each), N orders:
  orders     MessagePack written by PyPI msgpack (msgpack.packb): {"eventId", "correlationId",
             "type", "total", "blob": bytes}
  payments   CBOR written by PyPI cbor2 (cbor2.dumps): {"eventId", "correlationId", "causationId",
             "at": a datetime (CBOR tag 0)}
  shipments  Protobuf with no registry and no header, written by PyPI protobuf
             (SerializeToString) for `message Shipped { string event_id = 1; string correlation_id
             = 2; string causation_id = 3; int64 grams = 4; Address to = 5; }`, `Address { string
             city = 1; }`
  notes      one UTF-8 text value that is not JSON
  blobs      one value of 64 random bytes
"""
import datetime
import json
import random
import sys

import cbor2
import msgpack
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def shipped_class():
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="shop/shipped.proto", package="shop", syntax="proto3")
    addr = fdp.message_type.add(name="Address")
    addr.field.add(name="city", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    msg = fdp.message_type.add(name="Shipped")
    for i, name in enumerate(["event_id", "correlation_id", "causation_id"], start=1):
        msg.field.add(name=name, number=i, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    msg.field.add(name="grams", number=4, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    msg.field.add(name="to", number=5, type=F.TYPE_MESSAGE, type_name=".shop.Address", label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(fdp.SerializeToString())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Shipped"))


def main():
    bootstrap, n = sys.argv[1], int(sys.argv[2])
    conf = {"bootstrap.servers": bootstrap}
    topics = ["orders", "payments", "shipments", "notes", "blobs"]
    admin = AdminClient(conf)  # kept alive until the topics exist
    futures = admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in topics])
    for f in futures.values():
        f.result(30)
    p = Producer(conf)
    Shipped = shipped_class()
    links = []
    for k in range(n):
        flow = f"order-{k}"
        p.produce("orders", value=msgpack.packb({"eventId": f"o-{k}", "correlationId": flow, "type": "OrderPlaced",
                                                 "total": 10.5 + k, "blob": b"\x00\xff"}))
        at = datetime.datetime(2026, 12, 4, 20, 0, k % 60, tzinfo=datetime.timezone.utc)
        p.produce("payments", value=cbor2.dumps({"eventId": f"p-{k}", "correlationId": flow,
                                                 "causationId": f"o-{k}", "at": at}))
        links.append([f"p-{k}", f"o-{k}"])
        s = Shipped(event_id=f"s-{k}", correlation_id=flow, causation_id=f"p-{k}", grams=1200 + k)
        s.to.city = "Ghent"
        p.produce("shipments", value=s.SerializeToString())
        links.append([f"s-{k}", f"p-{k}"])
    p.produce("notes", value="order-0 left the warehouse\n".encode())
    p.produce("blobs", value=random.Random(5).randbytes(64))
    p.flush(30)
    print(json.dumps({"records": 3 * n + 2, "flows": n, "links": links}))


if __name__ == "__main__":
    main()
