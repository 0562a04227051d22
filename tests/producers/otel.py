"""A small shop traced by OpenTelemetry's confluent-kafka instrumentation (PyPI
opentelemetry-instrumentation-confluent-kafka >= 0.66b1 with opentelemetry-sdk; older versions
silently do nothing with confluent-kafka 2.x). The records carry only a W3C `traceparent`.

    otel.py BOOTSTRAP SPANS_OUT [JAEGER_OUT]

Orders service: one OrderPlaced per order (8 orders), each under its own "checkout" span.
Payments service (consumes orders): PaymentProcessed + InventoryReserved.
Shipping service (consumes payments): OrderConfirmed for PaymentProcessed; re-sends one
OrderConfirmed exactly (same key, value and headers: the instrumentation gives it a new send span).
Dispatch service (consumes shipping, idempotent per order): ShipmentCreated.

Each consumer uses the instrumentation's default consumer span: `poll` starts a span in a new
trace with a link to the record's send span and makes it current, so what the handler produces is
a child of it. Spans are exported in the OpenTelemetry Collector file exporter's OTLP/JSON form
(one ExportTraceServiceRequest per line, hex ids, integer enums:
https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), written here from the SDK's
in-memory exporter because the collector is not a PyPI package.

Prints JSON: {"events": [{"id", "cause", "order", "type", "topic"}], "resent": id, "producer_spans": n}
where id is the `<trace id>-<span id>` of the record's traceparent, checked against the exported
spans: every injected span id is a PRODUCER span of the export.
"""
import json
import sys
from collections import defaultdict

import confluent_kafka
from opentelemetry import trace
from opentelemetry.instrumentation.confluent_kafka import ConfluentKafkaInstrumentor
from opentelemetry.instrumentation.confluent_kafka.version import __version__
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

ORDERS = [f"ord-{1001 + i}" for i in range(8)]
RESEND_ORDER = "ord-1003"


def tracing():
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    ConfluentKafkaInstrumentor().instrument(tracer_provider=provider)
    return provider, exporter


def event_id(headers):
    tp = dict(headers or []).get("traceparent")
    if tp is None:
        sys.exit(
            f"no traceparent in {headers}: the instrumentation did nothing "
            f"(opentelemetry-instrumentation-confluent-kafka {__version__}; 0.66b1 or newer needed)"
        )
    tp = tp.decode() if isinstance(tp, bytes) else tp
    _version, trace_id, span_id, _flags = tp.split("-")
    return f"{trace_id}-{span_id}"


class Shop:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        # confluent_kafka.Producer is the instrumentation's class after instrument().
        self.producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap})
        self.events = []

    def send(self, topic, order, ty, cause, body=None, headers=None):
        headers = list(headers or [("content-type", "application/json")])
        value = json.dumps({"type": ty, "orderId": order, **(body or {})})
        # The instrumentation injects the send span's context into this list.
        self.producer.produce(topic, key=order, value=value, headers=headers)
        eid = event_id(headers)
        self.events.append({"id": eid, "cause": cause, "order": order, "type": ty, "topic": topic})
        return eid, value, [h for h in headers if h[0] != "traceparent"]

    def consume(self, topic, n, handle):
        self.producer.flush(15)
        c = confluent_kafka.Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"shop-{topic}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        c.subscribe([topic])
        seen = 0
        while seen < n:
            msg = c.poll(20)
            if msg is None:
                sys.exit(f"{topic}: only {seen} of {n} records arrived")
            if msg.error():
                continue
            seen += 1
            # Inside the instrumentation's consumer span (current until the next poll).
            handle(json.loads(msg.value()), event_id(msg.headers()))
        c.close()
        self.producer.flush(15)


def run(bootstrap):
    shop = Shop(bootstrap)
    tracer = trace.get_tracer("shop")
    for order in ORDERS:
        with tracer.start_as_current_span("checkout"):
            shop.send("orders", order, "OrderPlaced", None, {"total": 10})

    def payments(v, cause):
        shop.send("payments", v["orderId"], "PaymentProcessed", cause)
        shop.send("payments", v["orderId"], "InventoryReserved", cause)

    shop.consume("orders", len(ORDERS), payments)
    resent = []

    def shipping(v, cause):
        if v["type"] != "PaymentProcessed":
            return
        eid, value, headers = shop.send("shipping", v["orderId"], "OrderConfirmed", cause)
        if v["orderId"] == RESEND_ORDER:
            # An exact re-send: same topic, key, value and headers; a new send span.
            shop.producer.produce("shipping", key=v["orderId"], value=value, headers=headers)
            resent.append(event_id(headers))
            shop.events.append(
                {"id": resent[0], "cause": cause, "order": v["orderId"], "type": "OrderConfirmed",
                 "topic": "shipping", "resend_of": eid}
            )

    shop.consume("payments", 2 * len(ORDERS), shipping)
    dispatched = set()

    def dispatch(v, cause):
        if v["orderId"] in dispatched:
            return
        dispatched.add(v["orderId"])
        shop.send("dispatch", v["orderId"], "ShipmentCreated", cause)

    shop.consume("shipping", len(ORDERS) + 1, dispatch)
    return shop.events, resent[0]


def any_value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def attributes(attrs):
    return [{"key": k, "value": any_value(v)} for k, v in (attrs or {}).items()]


def otlp_span(s):
    ctx = s.get_span_context()
    out = {
        "traceId": format(ctx.trace_id, "032x"),
        "spanId": format(ctx.span_id, "016x"),
        "parentSpanId": format(s.parent.span_id, "016x") if s.parent else "",
        "name": s.name,
        # OTLP's SpanKind: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER; the SDK's
        # enum counts from INTERNAL = 0.
        "kind": s.kind.value + 1,
        "startTimeUnixNano": str(s.start_time),
        "endTimeUnixNano": str(s.end_time),
        "attributes": attributes(s.attributes),
        "links": [
            {
                "traceId": format(l.context.trace_id, "032x"),
                "spanId": format(l.context.span_id, "016x"),
                "attributes": attributes(l.attributes),
            }
            for l in s.links
        ],
        "status": {},
    }
    return out


def export(spans, path):
    """One ExportTraceServiceRequest per line, as the collector's file exporter writes."""
    by_scope = defaultdict(list)
    for s in spans:
        scope = s.instrumentation_scope
        by_scope[(scope.name, scope.version or "")].append(otlp_span(s))
    request = {
        "resourceSpans": [
            {
                "resource": {"attributes": attributes(dict(spans[0].resource.attributes))},
                "scopeSpans": [
                    {"scope": {"name": name, "version": version}, "spans": group}
                    for (name, version), group in by_scope.items()
                ],
            }
        ]
    }
    with open(path, "w") as f:
        f.write(json.dumps(request) + "\n")


def export_jaeger(spans, path):
    """The same spans as Jaeger's JSON (query API / UI download): the parent as a CHILD_OF
    reference, links as FOLLOWS_FROM, the kind in the span.kind tag
    (https://www.jaegertracing.io/docs/latest/apis/)."""
    kinds = {0: "internal", 1: "server", 2: "client", 3: "producer", 4: "consumer"}
    traces = defaultdict(list)
    for s in spans:
        ctx = s.get_span_context()
        t = format(ctx.trace_id, "032x")
        refs = []
        if s.parent:
            refs.append({"refType": "CHILD_OF", "traceID": t, "spanID": format(s.parent.span_id, "016x")})
        for l in s.links:
            refs.append({"refType": "FOLLOWS_FROM", "traceID": format(l.context.trace_id, "032x"),
                         "spanID": format(l.context.span_id, "016x")})
        tags = [{"key": "span.kind", "type": "string", "value": kinds[s.kind.value]}]
        tags += [{"key": k, "type": "string", "value": str(v)} for k, v in (s.attributes or {}).items()]
        traces[t].append({"traceID": t, "spanID": format(ctx.span_id, "016x"), "operationName": s.name,
                          "references": refs, "startTime": s.start_time // 1000,
                          "duration": (s.end_time - s.start_time) // 1000, "tags": tags, "logs": [],
                          "processID": "p1", "warnings": None})
    doc = {"data": [{"traceID": t, "spans": sp, "processes": {"p1": {"serviceName": "shop", "tags": []}},
                     "warnings": None} for t, sp in traces.items()],
           "total": 0, "limit": 0, "offset": 0, "errors": None}
    with open(path, "w") as f:
        json.dump(doc, f)


def main():
    bootstrap, spans_out = sys.argv[1], sys.argv[2]
    provider, exporter = tracing()
    events, resent = run(bootstrap)
    provider.force_flush()
    spans = exporter.get_finished_spans()
    producers = {
        f"{format(s.get_span_context().trace_id, '032x')}-{format(s.get_span_context().span_id, '016x')}"
        for s in spans
        if s.kind == trace.SpanKind.PRODUCER
    }
    # The traceparent each record carries names its send span, a PRODUCER span.
    missing = [e["id"] for e in events if e["id"] not in producers]
    if missing:
        sys.exit(f"traceparent does not name a producer span: {missing}")
    export(spans, spans_out)
    if len(sys.argv) > 3:
        export_jaeger(spans, sys.argv[3])
    print(json.dumps({"events": events, "resent": resent, "producer_spans": len(producers)}))


if __name__ == "__main__":
    main()
