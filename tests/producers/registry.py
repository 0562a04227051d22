"""A shop whose events are Avro, Protobuf and JSON Schema written by PyPI confluent-kafka's own
serializers against the stand-in registry (registry_standin.py, run as its own process by the
test, with basic authentication), with schema references: the Avro OrderPlaced uses the named
type shop.Money registered under its own subject, and the Protobuf InvoiceSent imports
shop/address.proto (registered by the serializer as a reference) and
google/protobuf/timestamp.proto (a well-known type, which the serializer does not register).
Ids are in the payload only.

    registry.py shop BOOTSTRAP URL USER:PASSWORD N
        -> JSON {"records", "flows", "links": [[id, cause]], "types": {id: type}, "ids": {topic: id}}
           N flows of orders (Avro), invoices (Protobuf), shipments (JSON Schema), then one
           `orders` record in the wire format with schema id 9999, which the registry does not have.
    registry.py file OUT URL USER:PASSWORD N
        -> JSON {"records", "types"}: N orders (Avro) and N invoices (Protobuf) written straight
           into a recording (trace format version 2) at OUT, with no broker.
    registry.py payments BOOTSTRAP URL USER:PASSWORD N
        -> JSON {"id", "values_hex": [...]}: N PaymentTaken records (Avro, caused by order o-k),
           serialized now but produced later by the test (when the registry may be gone).
"""
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

MONEY = {
    "type": "record", "name": "Money", "namespace": "shop",
    "fields": [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string"}],
}
ORDER = {
    "type": "record", "name": "OrderPlaced", "namespace": "shop",
    "fields": [
        {"name": "eventId", "type": "string"},
        {"name": "correlationId", "type": "string"},
        {"name": "total", "type": "shop.Money"},
        {"name": "refund", "type": ["null", "shop.Money"], "default": None},
    ],
}
PAYMENT = {
    "type": "record", "name": "PaymentTaken", "namespace": "shop",
    "fields": [
        {"name": "eventId", "type": "string"},
        {"name": "correlationId", "type": "string"},
        {"name": "causationId", "type": "string"},
    ],
}
SHIPPED = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "shop.OrderShipped", "type": "object",
    "properties": {"eventId": {"type": "string"}, "correlationId": {"type": "string"},
                   "causationId": {"type": "string"}},
}


def invoice_class():
    """shop/address.proto (message Address { string city = 1; }) and shop/invoice.proto
    (import "shop/address.proto"; import "google/protobuf/timestamp.proto";
    message InvoiceSent { string event_id = 1; string correlation_id = 2; string causation_id = 3;
    shop.Address to = 4; google.protobuf.Timestamp at = 5; }), built as protoc would (no protoc
    here); returns InvoiceSent's class."""
    F = descriptor_pb2.FieldDescriptorProto
    address = descriptor_pb2.FileDescriptorProto(name="shop/address.proto", package="shop", syntax="proto3")
    a = address.message_type.add(name="Address")
    a.field.add(name="city", json_name="city", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    invoice = descriptor_pb2.FileDescriptorProto(
        name="shop/invoice.proto", package="shop", syntax="proto3",
        dependency=["shop/address.proto", "google/protobuf/timestamp.proto"])
    m = invoice.message_type.add(name="InvoiceSent")
    for i, (name, json_name) in enumerate([("event_id", "eventId"), ("correlation_id", "correlationId"),
                                           ("causation_id", "causationId")], start=1):
        m.field.add(name=name, json_name=json_name, number=i, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    m.field.add(name="to", json_name="to", number=4, type=F.TYPE_MESSAGE, type_name=".shop.Address",
                label=F.LABEL_OPTIONAL)
    m.field.add(name="at", json_name="at", number=5, type=F.TYPE_MESSAGE,
                type_name=".google.protobuf.Timestamp", label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.AddSerializedFile(address.SerializeToString())
    pool.AddSerializedFile(invoice.SerializeToString())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.InvoiceSent"))


def client(url, user_info):
    return SchemaRegistryClient({"url": url, "basic.auth.user.info": user_info})


def shop(bootstrap, url, user_info, n):
    sr = client(url, user_info)
    money = sr.register_schema("shop.Money", Schema(json.dumps(MONEY), "AVRO"))
    order_ser = AvroSerializer(sr, Schema(json.dumps(ORDER), "AVRO",
                                          [SchemaReference("shop.Money", "shop.Money", 1)]))
    shipped_ser = JSONSerializer(json.dumps(SHIPPED), sr)
    Invoice = invoice_class()
    invoice_ser = ProtobufSerializer(Invoice, sr, {"use.deprecated.format": False})
    conf = {"bootstrap.servers": bootstrap}
    topics = ["orders", "invoices", "shipments"]
    admin = AdminClient(conf)  # kept alive until the topics exist
    for _, f in admin.create_topics(
            [NewTopic(t, num_partitions=1, replication_factor=1) for t in topics]).items():
        f.result(30)
    p = Producer(conf)
    links, types = [], {}
    for k in range(n):
        flow = f"order-{k}"
        order = {"eventId": f"o-{k}", "correlationId": flow,
                 "total": {"cents": 1000 + k, "currency": "EUR"}, "refund": None}
        p.produce("orders", value=order_ser(order, SerializationContext("orders", MessageField.VALUE)))
        types[f"o-{k}"] = "OrderPlaced"
        inv = Invoice(event_id=f"i-{k}", correlation_id=flow, causation_id=f"o-{k}")
        inv.to.city = "Ghent"
        inv.at.seconds = 1764324000 + k
        data = invoice_ser(inv, SerializationContext("invoices", MessageField.VALUE))
        assert data[0] == 0, "Confluent wire format"
        p.produce("invoices", value=data)
        types[f"i-{k}"] = "InvoiceSent"
        links.append([f"i-{k}", f"o-{k}"])
        shipped = {"eventId": f"s-{k}", "correlationId": flow, "causationId": f"i-{k}"}
        p.produce("shipments", value=shipped_ser(shipped, SerializationContext("shipments", MessageField.VALUE)))
        types[f"s-{k}"] = "OrderShipped"
        links.append([f"s-{k}", f"i-{k}"])
    # A record whose schema id the registry does not have.
    p.produce("orders", value=b"\x00" + (9999).to_bytes(4, "big") + b"\x02\x00")
    p.flush(30)
    ids = {t: sr.get_latest_version(f"{t}-value").schema_id for t in topics}
    ids["shop.Money"] = money
    print(json.dumps({"records": 3 * n + 1, "flows": n, "links": links, "types": types, "ids": ids}))


def recording(out, url, user_info, n):
    import base64
    sr = client(url, user_info)
    sr.register_schema("shop.Money", Schema(json.dumps(MONEY), "AVRO"))
    order_ser = AvroSerializer(sr, Schema(json.dumps(ORDER), "AVRO",
                                          [SchemaReference("shop.Money", "shop.Money", 1)]))
    Invoice = invoice_class()
    invoice_ser = ProtobufSerializer(Invoice, sr, {"use.deprecated.format": False})
    lines, types = ['{"eventscope_trace":2,"content":"kafka-records"}'], {}
    for k in range(n):
        order = {"eventId": f"o-{k}", "correlationId": f"order-{k}",
                 "total": {"cents": 1000 + k, "currency": "EUR"}, "refund": None}
        inv = Invoice(event_id=f"i-{k}", correlation_id=f"order-{k}", causation_id=f"o-{k}")
        for topic, data in [("orders", order_ser(order, SerializationContext("orders", MessageField.VALUE))),
                            ("invoices", invoice_ser(inv, SerializationContext("invoices", MessageField.VALUE)))]:
            lines.append(json.dumps({"topic": topic, "partition": 0, "offset": k,
                                     "value": {"base64": base64.b64encode(data).decode()}}))
        types[f"o-{k}"], types[f"i-{k}"] = "OrderPlaced", "InvoiceSent"
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(json.dumps({"records": 2 * n, "types": types}))


def payments(url, user_info, n):
    sr = client(url, user_info)
    ser = AvroSerializer(sr, json.dumps(PAYMENT))
    values = [ser({"eventId": f"p-{k}", "correlationId": f"order-{k}", "causationId": f"o-{k}"},
                  SerializationContext("payments", MessageField.VALUE)).hex() for k in range(n)]
    print(json.dumps({"id": sr.get_latest_version("payments-value").schema_id, "values_hex": values}))


if __name__ == "__main__":
    cmd, bootstrap, url, user_info, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    if cmd == "shop":
        shop(bootstrap, url, user_info, n)
    elif cmd == "file":
        recording(bootstrap, url, user_info, n)
    else:
        payments(url, user_info, n)
