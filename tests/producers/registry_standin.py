"""A stand-in Confluent Schema Registry for the producer tests (tests/producers/schemas.py).

It is a stand-in because no real registry is installable here: Confluent's Schema Registry and
Apicurio are JVM builds fetched from Maven, which is not reachable, and Karapace is not on PyPI.
PyPI confluent-kafka's serializers (AvroSerializer, JSONSerializer) need a registry URL to
register their schema and get its id, so this serves the three endpoints they and Eventscope's
tests use, as Confluent's API reference describes them
(https://docs.confluent.io/platform/current/schema-registry/develop/api.html):

  POST /subjects/{subject}/versions      body {"schema": str, "schemaType"?: "AVRO"|"JSON"|"PROTOBUF",
                                         "references"?: [...]} -> {"id": int}; the same schema
                                         registered again under a subject gets its existing id
  GET  /schemas/ids/{id}                 -> {"schema": str, "schemaType"?: str, "references"?: [...]}
                                         (schemaType omitted for AVRO), 404 error_code 40403
  GET  /subjects/{subject}/versions/latest -> {"subject", "id", "version", "schema", "schemaType"?},
                                         404 error_code 40401

Responses use Content-Type application/vnd.schemaregistry.v1+json and errors
{"error_code": int, "message": str}, as the reference says. Ids start at 1 and are global.
"""
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class Registry:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_id = {}  # id -> {"schema", "schemaType", "references"}
        self.subjects = {}  # subject -> [id of version 1, 2, ...]

    def register(self, subject, body):
        entry = {
            "schema": body["schema"],
            "schemaType": body.get("schemaType", "AVRO"),
            "references": body.get("references", []),
        }
        with self.lock:
            for id_, e in self.by_id.items():
                if e == entry:
                    break
            else:
                id_ = len(self.by_id) + 1
                self.by_id[id_] = entry
            versions = self.subjects.setdefault(subject, [])
            if id_ not in versions:
                versions.append(id_)
            return id_


def schema_json(entry):
    out = {"schema": entry["schema"]}
    if entry["schemaType"] != "AVRO":
        out["schemaType"] = entry["schemaType"]
    if entry["references"]:
        out["references"] = entry["references"]
    return out


def handler(registry):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def path_only(self):
            return self.path.split("?", 1)[0]

        def do_POST(self):
            m = re.fullmatch(r"/subjects/([^/]+)/versions", self.path_only())
            if not m:
                return self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.reply(200, {"id": registry.register(m.group(1), body)})

        def do_GET(self):
            path = self.path_only()
            m = re.fullmatch(r"/schemas/ids/(\d+)", path)
            if m:
                entry = registry.by_id.get(int(m.group(1)))
                if entry is None:
                    return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
                return self.reply(200, schema_json(entry))
            m = re.fullmatch(r"/subjects/([^/]+)/versions/latest", path)
            if m:
                versions = registry.subjects.get(m.group(1))
                if not versions:
                    return self.reply(404, {"error_code": 40401, "message": "Subject not found."})
                id_ = versions[-1]
                out = {"subject": m.group(1), "id": id_, "version": len(versions)}
                out.update(schema_json(registry.by_id[id_]))
                return self.reply(200, out)
            self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

    return Handler


def start():
    """Starts the stand-in on a free local port; returns (url, registry, server)."""
    registry = Registry()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(registry))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", registry, server
