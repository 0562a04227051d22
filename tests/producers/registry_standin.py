"""A stand-in Confluent Schema Registry for the producer tests (tests/producers/schemas.py,
registry.py, and Eventscope's own registry client in tests/producers/registry.rs).

It is a stand-in because no real registry is installable here: Confluent's Schema Registry and
Apicurio are JVM builds fetched from Maven, which is not reachable, and Karapace is not on PyPI.
PyPI confluent-kafka's serializers (AvroSerializer, JSONSerializer, ProtobufSerializer) need a
registry URL to register their schema and get its id, so this serves the endpoints they and
Eventscope use, as Confluent's API reference describes them
(https://docs.confluent.io/platform/current/schema-registry/develop/api.html):

  POST /subjects/{subject}/versions      body {"schema": str, "schemaType"?: "AVRO"|"JSON"|"PROTOBUF",
                                         "references"?: [{"name", "subject", "version"}]} -> {"id": int};
                                         the same schema registered again under a subject gets its
                                         existing id and version
  POST /subjects/{subject}               the same body -> {"subject", "id", "version", "schema", ...}
                                         if registered under the subject, else 404 error_code 40403
  GET  /schemas/ids/{id}                 -> {"schema": str, "schemaType"?: str, "references"?: [...]}
                                         (schemaType omitted for AVRO), 404 error_code 40403
  GET  /subjects/{subject}/versions/{version|latest}
                                         -> {"subject", "id", "version", "schema", "schemaType"?,
                                         "references"?}; 404 error_code 40401 (no subject) or
                                         40402 (no version)

`?format=serialized` (Protobuf as a base64 FileDescriptorProto) gives the schema text as
registered: the Python serializers register Protobuf in exactly that form, so both forms are the
same text here (a real registry turns it into .proto text for the plain answer).

Responses use Content-Type application/vnd.schemaregistry.v1+json and errors
{"error_code": int, "message": str}, as the reference says. Ids start at 1 and are global.
With credentials (`user:password`) every request needs HTTP basic authentication, else
401 {"error_code": 401, "message": "Unauthorized"}, as a registry with basic auth enabled
answers. With a state file the schemas survive a restart (a real registry keeps them in its
Kafka topic `_schemas`), and every request line is appended to STATE.log.

    registry_standin.py serve PORT STATE [USER:PASSWORD]   # prints the URL, serves until killed
"""
import base64
import json
import os
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class Registry:
    def __init__(self, state=None):
        self.lock = threading.Lock()
        self.state = state
        self.by_id = {}  # id -> {"schema", "schemaType", "references"}
        self.subjects = {}  # subject -> [id of version 1, 2, ...]
        if state and os.path.exists(state):
            with open(state) as f:
                saved = json.load(f)
            self.by_id = {int(k): v for k, v in saved["by_id"].items()}
            self.subjects = saved["subjects"]

    def save(self):
        if self.state:
            with open(self.state + ".tmp", "w") as f:
                json.dump({"by_id": self.by_id, "subjects": self.subjects}, f)
            os.replace(self.state + ".tmp", self.state)

    @staticmethod
    def entry(body):
        return {
            "schema": body["schema"],
            "schemaType": body.get("schemaType", "AVRO"),
            "references": body.get("references") or [],
        }

    def find(self, entry):
        for id_, e in self.by_id.items():
            if e == entry:
                return id_
        return None

    def register(self, subject, body):
        entry = self.entry(body)
        with self.lock:
            id_ = self.find(entry)
            if id_ is None:
                id_ = len(self.by_id) + 1
                self.by_id[id_] = entry
            versions = self.subjects.setdefault(subject, [])
            if id_ not in versions:
                versions.append(id_)
            self.save()
            return id_

    def version(self, subject, id_):
        return self.subjects[subject].index(id_) + 1


def schema_json(entry):
    out = {"schema": entry["schema"]}
    if entry["schemaType"] != "AVRO":
        out["schemaType"] = entry["schemaType"]
    if entry["references"]:
        out["references"] = entry["references"]
    return out


def handler(registry, credentials=None, log=None):
    expected = "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None

    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as a real registry's HTTP server does.
        protocol_version = "HTTP/1.1"

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
            return urllib.parse.unquote(self.path.split("?", 1)[0])

        def allowed(self):
            if log:
                with open(log, "a") as f:
                    f.write(f"{self.command} {self.path}\n")
            if expected and self.headers.get("Authorization") != expected:
                self.reply(401, {"error_code": 401, "message": "Unauthorized"})
                return False
            return True

        def subject_version(self, subject, id_):
            out = {"subject": subject, "id": id_, "version": registry.version(subject, id_)}
            out.update(schema_json(registry.by_id[id_]))
            return out

        def do_POST(self):
            # Read first: on a kept-alive connection an unread body would be the next request.
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if not self.allowed():
                return
            path = self.path_only()
            m = re.fullmatch(r"/subjects/(.+)/versions", path)
            if m:
                return self.reply(200, {"id": registry.register(m.group(1), body)})
            m = re.fullmatch(r"/subjects/(.+)", path)
            if m:
                subject = m.group(1)
                id_ = registry.find(Registry.entry(body))
                if id_ is None or id_ not in registry.subjects.get(subject, []):
                    return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
                return self.reply(200, self.subject_version(subject, id_))
            self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

        def do_GET(self):
            if not self.allowed():
                return
            path = self.path_only()
            m = re.fullmatch(r"/schemas/ids/(\d+)", path)
            if m:
                entry = registry.by_id.get(int(m.group(1)))
                if entry is None:
                    return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
                return self.reply(200, schema_json(entry))
            m = re.fullmatch(r"/subjects/(.+)/versions/(latest|-1|\d+)", path)
            if m:
                versions = registry.subjects.get(m.group(1))
                if not versions:
                    return self.reply(404, {"error_code": 40401, "message": "Subject not found."})
                v = m.group(2)
                k = len(versions) if v in ("latest", "-1") else int(v)
                if not 1 <= k <= len(versions):
                    return self.reply(404, {"error_code": 40402, "message": "Version not found."})
                return self.reply(200, self.subject_version(m.group(1), versions[k - 1]))
            self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

    return Handler


def start(credentials=None, port=0, state=None):
    """Starts the stand-in on a local port (0: a free one); returns (url, registry, server)."""
    registry = Registry(state)
    log = state + ".log" if state else None
    server = ThreadingHTTPServer(("127.0.0.1", port), handler(registry, credentials, log))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", registry, server


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    url, _, srv = start(sys.argv[4] if len(sys.argv) > 4 else None, int(sys.argv[2]), sys.argv[3])
    print(url, flush=True)
    threading.Event().wait()
