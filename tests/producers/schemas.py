"""A shop whose events are Avro and JSON Schema in the Confluent wire format, written by PyPI
confluent-kafka's own serializers (confluent_kafka.schema_registry.avro.AvroSerializer,
.json_schema.JSONSerializer and .protobuf.ProtobufSerializer) against the stand-in registry (registry_standin.py). The ids are in
the payload only (eventId, correlationId, causationId): no headers.

    schemas.py BOOTSTRAP SCHEMA_DIR ORDERS
        -> JSON {"records", "flows", "links": [[id, cause]], "types": {id: type}}

Topics (one partition each): `orders` (Avro shop.OrderPlaced), `payments` (Avro
shop.PaymentTaken, caused by the order), `shipments` (JSON Schema titled shop.OrderShipped, caused
by the payment), `invoices` (Protobuf shop.InvoiceSent, caused by the payment; its `.desc`
FileDescriptorSet is written as `<id>.desc`). SCHEMA_DIR receives the schemas as the registry holds them, in the three ways
`--schemas` matches them: `orders-value.avsc` named in `ids.json`, `<id>.avsc` for payments, and
`shipments-value.json` (subject, TopicNameStrategy) for shipments.
"""
import json
import os
import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from confluent_kafka.serialization import MessageField, SerializationContext

import registry_standin

ORDER = {
    "type": "record", "name": "OrderPlaced", "namespace": "shop",
    "fields": [
        {"name": "eventId", "type": "string"},
        {"name": "correlationId", "type": "string"},
        {"name": "causationId", "type": ["null", "string"], "default": None},
        {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "items", "type": {"type": "array", "items": "string"}},
    ],
}
PAYMENT = {
    "type": "record", "name": "PaymentTaken", "namespace": "shop",
    "fields": [
        {"name": "eventId", "type": "string"},
        {"name": "correlationId", "type": "string"},
        {"name": "causationId", "type": ["null", "string"], "default": None},
        {"name": "method", "type": {"type": "enum", "name": "Method", "symbols": ["CARD", "INVOICE"]}},
    ],
}
SHIPPED = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "shop.OrderShipped", "type": "object",
    "properties": {
        "eventId": {"type": "string"}, "correlationId": {"type": "string"},
        "causationId": {"type": "string"}, "carrier": {"type": "string"},
    },
    "required": ["eventId", "correlationId", "causationId"],
}


def invoice_file():
    """shop/invoice.proto, built as the FileDescriptorProto protoc would write for

        syntax = "proto3"; package shop;
        message Address { string city = 1; }
        message InvoiceSent { string event_id = 1; string correlation_id = 2;
                              string causation_id = 3; int64 amount_cents = 4; Address to = 5; }

    (no protoc here), and its message class; InvoiceSent is the file's second message, so the
    serializer writes the message indexes [1]."""
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="shop/invoice.proto", package="shop", syntax="proto3")
    addr = fdp.message_type.add(name="Address")
    addr.field.add(name="city", json_name="city", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    inv = fdp.message_type.add(name="InvoiceSent")
    for i, (name, json_name) in enumerate([("event_id", "eventId"), ("correlation_id", "correlationId"),
                                           ("causation_id", "causationId")], start=1):
        inv.field.add(name=name, json_name=json_name, number=i, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    inv.field.add(name="amount_cents", json_name="amountCents", number=4, type=F.TYPE_INT64,
                  label=F.LABEL_OPTIONAL)
    inv.field.add(name="to", json_name="to", number=5, type=F.TYPE_MESSAGE, type_name=".shop.Address",
                  label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(fdp.SerializeToString())
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.InvoiceSent"))
    return fdp, cls


def main():
    from decimal import Decimal
    bootstrap, schema_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(schema_dir, exist_ok=True)
    url, registry, server = registry_standin.start()
    client = SchemaRegistryClient({"url": url})
    order_ser = AvroSerializer(client, json.dumps(ORDER))
    payment_ser = AvroSerializer(client, json.dumps(PAYMENT))
    shipped_ser = JSONSerializer(json.dumps(SHIPPED), client)
    invoice_fdp, Invoice = invoice_file()
    invoice_ser = ProtobufSerializer(Invoice, client, {"use.deprecated.format": False})
    conf = {"bootstrap.servers": bootstrap}
    admin = AdminClient(conf)
    topics = ["orders", "payments", "shipments", "invoices"]
    for _, f in admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in topics]).items():
        f.result(30)
    p = Producer(conf)
    links, types = [], {}

    def send(topic, ser, value, type_):
        data = ser(value, SerializationContext(topic, MessageField.VALUE))
        assert data[0] == 0, "Confluent wire format: magic byte 0"
        p.produce(topic, value=data)
        types[value["eventId"]] = type_
        if value.get("causationId"):
            links.append([value["eventId"], value["causationId"]])

    for k in range(n):
        flow = f"order-{k}"
        send("orders", order_ser, {"eventId": f"o-{k}", "correlationId": flow, "causationId": None,
                                   "total": Decimal(f"{10 + k}.50"), "items": ["sku-1", f"sku-{k}"]},
             "OrderPlaced")
        send("payments", payment_ser, {"eventId": f"p-{k}", "correlationId": flow, "causationId": f"o-{k}",
                                       "method": "CARD"}, "PaymentTaken")
        send("shipments", shipped_ser, {"eventId": f"s-{k}", "correlationId": flow, "causationId": f"p-{k}",
                                        "carrier": "dhl"}, "OrderShipped")
        inv = Invoice(event_id=f"i-{k}", correlation_id=flow, causation_id=f"p-{k}", amount_cents=1050 + k)
        inv.to.city = "Ghent"
        data = invoice_ser(inv, SerializationContext("invoices", MessageField.VALUE))
        assert data[:1] == b"\x00" and data[5] == 2, "wire format with message indexes [1]"
        p.produce("invoices", value=data)
        types[f"i-{k}"] = "InvoiceSent"
        links.append([f"i-{k}", f"p-{k}"])
    p.flush(30)

    # The schemas as the registry holds them (read back through its API with the client).
    order_id = client.get_latest_version("orders-value").schema_id
    payment_id = client.get_latest_version("payments-value").schema_id
    shipped_id = client.get_latest_version("shipments-value").schema_id
    invoice_id = client.get_latest_version("invoices-value").schema_id
    with open(os.path.join(schema_dir, f"{invoice_id}.desc"), "wb") as f:
        f.write(descriptor_pb2.FileDescriptorSet(file=[invoice_fdp]).SerializeToString())
    files = {order_id: "orders-value.avsc", payment_id: f"{payment_id}.avsc", shipped_id: "shipments-value.json"}
    for id_, name in files.items():
        with open(os.path.join(schema_dir, name), "w") as f:
            f.write(client.get_schema(id_).schema_str)
    with open(os.path.join(schema_dir, "ids.json"), "w") as f:
        json.dump({str(order_id): "orders-value.avsc"}, f)
    server.shutdown()
    print(json.dumps({"records": 4 * n, "flows": n, "links": links, "types": types,
                      "ids": {"orders": order_id, "payments": payment_id, "shipments": shipped_id, "invoices": invoice_id}}))


if __name__ == "__main__":
    main()
