"""Seeds fuzz/corpus/decode_payload/ (git-ignored) for the decode_payload target: Avro bodies of
the target's two schemas written by PyPI fastavro, MessagePack (PyPI msgpack), CBOR (PyPI cbor2),
a Protobuf message, JSON, text and a wire-format Protobuf body.  Run from the crate root:

    python3 fuzz/seed_decode_payload.py
"""
import datetime
import decimal
import io
import json
import os
import random
import re
import uuid

import cbor2
import fastavro
import msgpack

SRC = open("fuzz/fuzz_targets/decode_payload.rs").read()
OUT = "fuzz/corpus/decode_payload"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def schema(name):
    return fastavro.parse_schema(json.loads(re.search(r'const %s: &str = r#"(.*?)"#;' % name, SRC, re.S).group(1)))


def main():
    os.makedirs(OUT, exist_ok=True)
    everything, recursive = schema("EVERYTHING"), schema("RECURSIVE")
    r = random.Random(3)

    def text():
        return "".join(r.choice("abc\"\\é😀\n") for _ in range(r.randrange(6)))

    def write(name, data):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)

    for k in range(20):
        inner = {"x": r.randrange(-100, 100), "label": r.choice([None, text()])}
        v = {"id": text(), "n": r.randrange(-1000, 1000), "big": r.randrange(-2**63, 2**63), "ok": True,
             "ratio": 0.5, "score": r.uniform(-1e9, 1e9), "raw": bytes(r.randrange(256) for _ in range(3)),
             "tag": b"abcd", "color": "GREEN", "maybe": r.choice([None, "s", 5, inner]),
             "attrs": {text(): r.choice([None, 1.5, "x"])}, "list": [inner] * r.randrange(3),
             "price": decimal.Decimal("-12.3400"), "small": decimal.Decimal(12345),
             "at": EPOCH + datetime.timedelta(milliseconds=r.randrange(10**12)),
             "atMicros": EPOCH + datetime.timedelta(microseconds=r.randrange(10**15)),
             "atNanos": r.randrange(2**62), "day": datetime.date(2026, 1, 1),
             "tod": datetime.time(1, 2, 3, 4000), "todMicros": datetime.time(23, 59, 59, 999999),
             "uid": str(uuid.UUID(int=r.getrandbits(128))), "span": bytes(range(12)),
             "nested": {"a": ["RED", "BLUE"]}}
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, everything, v)
        write(f"avro-{k}", buf.getvalue())
    node = None
    for d in range(5):
        node = {"value": d, "nulls": [None] * d, "next": node}
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, recursive, node)
    write("recursive", buf.getvalue())
    write("msgpack", msgpack.packb({"eventId": "e-1", "n": [1, 2.5, None, True], "b": b"\0\1", "m": {"k": {"x": -1}}}))
    write("cbor", cbor2.dumps({"eventId": "e-1", "at": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
                               "n": [1, 2**70, -3.5], "b": b"\1"}))
    write("protobuf", bytes([0x0a, 3]) + b"e-1" + bytes([0x10, 0x96, 0x01, 0x1a, 4, 0x0a, 2]) + b"xy"
          + bytes([0x25, 1, 0, 0, 0]))
    write("json", b'{"eventId":"s-1","n":[1,2]}')
    write("text", b"plain text\n")
    write("wire-proto", bytes([0, 0x0a, 3]) + b"e-1")


if __name__ == "__main__":
    main()
