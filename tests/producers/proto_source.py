"""A shop whose events are Protobuf in the Confluent wire format, from `.proto` source files:
the sources are written into SCHEMA_DIR, compiled by protoc (PyPI grpcio-tools, the real
compiler: Eventscope compiles the same files with its own Rust compiler), and the records written
by PyPI confluent-kafka's own ProtobufSerializer against the stand-in registry
(registry_standin.py says why it is a stand-in). The ids are in the payload only (event_id,
correlation_id, causation_id): no headers.

    proto_source.py BOOTSTRAP SCHEMA_DIR ORDERS
        -> JSON {"records", "flows", "links": [[id, cause]], "types": {id: type}, "ids": {topic: id}}

SCHEMA_DIR ends up holding only `.proto` sources, matched by `--schemas` in its three ways:
- `<id>.proto` (schema id in the file name): `orders`, shop.OrderPlaced, the file's first message
  (message indexes [0], written as the single 0), with a well-known type (Timestamp);
- `invoices-value.proto` (subject, TopicNameStrategy): `invoices`, shop.InvoiceSent, the file's
  second message (indexes [1]), with an enum and a message of the same file;
- `returns.proto` named in `ids.json`: `refunds`, shop.Returns.RefundIssued, a nested message
  (indexes [1, 0]), with a oneof; for every second order.
All three import `shop/common.proto` (a subdirectory: an import resolved relative to DIR, which
the serializer registers as a schema reference).
"""
import json
import os
import shutil
import sys
import tempfile
from importlib import resources

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_tools import protoc

import registry_standin

SOURCES = {
    "shop/common.proto": """syntax = "proto3";
package shop.common;

// An amount of money.
message Money {
  string currency = 1;
  int64 cents = 2;
}
""",
    "orders.proto": """syntax = "proto3";
package shop;

import "shop/common.proto";
import "google/protobuf/timestamp.proto";

message OrderPlaced {
  string event_id = 1;
  string correlation_id = 2;
  string causation_id = 3;
  shop.common.Money total = 4;
  google.protobuf.Timestamp placed_at = 5;
  repeated string items = 6;
}
""",
    "invoices-value.proto": """syntax = "proto3";
package shop;

import "shop/common.proto";

message Address { string city = 1; }

message InvoiceSent {
  enum Status { STATUS_UNSPECIFIED = 0; OPEN = 1; PAID = 2; }
  string event_id = 1;
  string correlation_id = 2;
  string causation_id = 3;
  shop.common.Money amount = 4;
  Address to = 5;
  Status status = 6;
}
""",
    "returns.proto": """syntax = "proto3";
package shop;

import "shop/common.proto";

message Note { string text = 1; }

message Returns {
  message RefundIssued {
    string event_id = 1;
    string correlation_id = 2;
    string causation_id = 3;
    shop.common.Money amount = 4;
    oneof reason {
      string text = 5;
      int32 code = 6;
    }
  }
}
""",
}


def compile_sources(schema_dir):
    """protoc --include_imports --descriptor_set_out over the sources: a pool of their messages."""
    wkt = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.desc")
        args = ["protoc", f"-I{schema_dir}", f"-I{wkt}", "--include_imports",
                f"--descriptor_set_out={out}", "orders.proto", "invoices-value.proto", "returns.proto"]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed: {args}")
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fdp in fds.file:  # dependencies first
        pool.Add(fdp)
    return lambda name: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


def main():
    bootstrap, schema_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for name, text in SOURCES.items():
        path = os.path.join(schema_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    cls = compile_sources(schema_dir)
    Order, Invoice, Refund = cls("shop.OrderPlaced"), cls("shop.InvoiceSent"), cls("shop.Returns.RefundIssued")
    url, registry, server = registry_standin.start()
    client = SchemaRegistryClient({"url": url})
    conf = {"use.deprecated.format": False}
    sers = {t: ProtobufSerializer(c, client, conf)
            for t, c in [("orders", Order), ("invoices", Invoice), ("refunds", Refund)]}
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = list(sers)
    for _, f in admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in topics]).items():
        f.result(30)
    p = Producer({"bootstrap.servers": bootstrap})
    links, types, records = [], {}, 0
    indexes = {"orders": b"\x00", "invoices": b"\x02\x02", "refunds": b"\x04\x02\x00"}

    def send(topic, msg, type_):
        nonlocal records
        data = sers[topic](msg, SerializationContext(topic, MessageField.VALUE))
        assert data[0] == 0 and data[5:].startswith(indexes[topic]), (topic, data[:8])
        p.produce(topic, value=data)
        records += 1
        types[msg.event_id] = type_
        if msg.causation_id:
            links.append([msg.event_id, msg.causation_id])

    for k in range(n):
        flow = f"order-{k}"
        o = Order(event_id=f"o-{k}", correlation_id=flow, items=["sku-1", f"sku-{k}"])
        o.total.currency, o.total.cents = "EUR", 1050 + k
        o.placed_at.seconds = 1_764_324_000 + k
        send("orders", o, "OrderPlaced")
        i = Invoice(event_id=f"i-{k}", correlation_id=flow, causation_id=f"o-{k}", status=Invoice.PAID)
        i.amount.cents, i.to.city = 1050 + k, "Ghent"
        send("invoices", i, "InvoiceSent")
        if k % 2 == 0:
            r = Refund(event_id=f"r-{k}", correlation_id=flow, causation_id=f"i-{k}", code=7)
            r.amount.cents = 100
            send("refunds", r, "RefundIssued")
    p.flush(30)

    ids = {t: client.get_latest_version(f"{t}-value").schema_id for t in topics}
    # The schema id in the orders file's name; returns.proto named in ids.json; invoices by subject.
    shutil.move(os.path.join(schema_dir, "orders.proto"), os.path.join(schema_dir, f"{ids['orders']}.proto"))
    with open(os.path.join(schema_dir, "ids.json"), "w") as f:
        json.dump({str(ids["refunds"]): "returns.proto"}, f)
    server.shutdown()
    print(json.dumps({"records": records, "flows": n, "links": links, "types": types, "ids": ids}))


if __name__ == "__main__":
    main()
