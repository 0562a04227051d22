"""Reads an OTLP/JSON export with OpenTelemetry's own protobuf definitions (PyPI
opentelemetry-proto): google.protobuf.json_format.Parse into ExportTraceServiceRequest. Prints one
JSON line per span: its trace id, span id, its `messaging.message.id`, the message id of its parent
span (looked up in the same trace; null without a parent), its service and name.

OTLP/JSON writes trace and span ids as hex where proto3's JSON mapping reads bytes as base64; the
parsed bytes are therefore turned back into the text they came from (base64 of the bytes) to
compare ids. A parent span id that names no span of the trace fails the script."""
import base64
import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def text_id(b: bytes) -> str:
    return base64.b64encode(b).decode()


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        req = json_format.Parse(f.read(), ExportTraceServiceRequest())
    spans = []
    for rs in req.resource_spans:
        service = next(a.value.string_value for a in rs.resource.attributes if a.key == "service.name")
        for ss in rs.scope_spans:
            for s in ss.spans:
                attrs = {a.key: a.value for a in s.attributes}
                spans.append((service, s, attrs["messaging.message.id"].string_value))
    by_span = {(text_id(s.trace_id), text_id(s.span_id)): mid for _, s, mid in spans}
    if len(by_span) != len(spans):
        sys.exit("span ids are not unique")
    for service, s, mid in spans:
        trace = text_id(s.trace_id)
        parent = None
        if s.parent_span_id:
            key = (trace, text_id(s.parent_span_id))
            if key not in by_span:
                sys.exit(f"span {text_id(s.span_id)} names a parent that is not in its trace")
            parent = by_span[key]
        if s.end_time_unix_nano < s.start_time_unix_nano:
            sys.exit(f"span {mid} ends before it starts")
        print(json.dumps({
            "trace": trace, "span": text_id(s.span_id), "id": mid, "parent": parent,
            "service": service, "name": s.name, "events": [e.name for e in s.events],
        }))


if __name__ == "__main__":
    main(sys.argv[1])
