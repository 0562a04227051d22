"""Random Avro records for the differential test (tests/producers/schemas.rs).

    avro_differential.py DIR N

Writes DIR/1.avsc (a schema with unions, maps, arrays, enums, fixed, bytes, decimals,
timestamps, dates and nested records), DIR/bodies.hex (N bodies written by fastavro's
schemaless_writer, one hex line each) and DIR/fastavro.jsonl (each body read back by fastavro's
schemaless_reader and rendered as JSON the way Eventscope renders Avro, src/decode/schema/avro.rs):
unions unwrapped, enums as symbols, bytes/fixed as one code point per byte, decimals as strings
with exactly `scale` fraction digits, timestamp-millis/-micros as RFC 3339 UTC with 3/6 digits and
`Z`, dates as YYYY-MM-DD, floats as the f32 value.
"""
import datetime
import decimal
import io
import json
import os
import random
import struct
import sys

import fastavro

SCHEMA = {
    "type": "record", "name": "Everything", "namespace": "test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "n", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "ok", "type": "boolean"},
        {"name": "ratio", "type": "float"},
        {"name": "score", "type": "double"},
        {"name": "raw", "type": "bytes"},
        {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 4}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}},
        {"name": "maybe", "type": ["null", "string", "long", {"type": "record", "name": "Inner",
            "fields": [{"name": "x", "type": "int"}, {"name": "label", "type": ["null", "string"]}]}]},
        {"name": "attrs", "type": {"type": "map", "values": ["null", "double", "string"]}},
        {"name": "list", "type": {"type": "array", "items": "Inner"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 4}},
        {"name": "small", "type": {"type": "fixed", "name": "Dec", "size": 8, "logicalType": "decimal",
            "precision": 12, "scale": 0}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "atMicros", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "nested", "type": {"type": "map", "values": {"type": "array", "items": "Color"}}},
    ],
}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def text(r):
    alphabet = "abcXYZ019 \"\\/\n\té€😀"
    return "".join(r.choice(alphabet) for _ in range(r.randrange(0, 12)))


def inner(r):
    return {"x": r.randrange(-2**31, 2**31), "label": r.choice([None, text(r)])}


def record(r):
    return {
        "id": text(r), "n": r.randrange(-2**31, 2**31), "big": r.randrange(-2**63, 2**63),
        "ok": r.random() < 0.5,
        "ratio": struct.unpack("<f", struct.pack("<f", r.uniform(-1e6, 1e6)))[0],
        "score": r.choice([0.0, -0.5, 1e-300, r.uniform(-1e12, 1e12), 123456789.125]),
        "raw": bytes(r.randrange(256) for _ in range(r.randrange(0, 8))),
        "tag": bytes(r.randrange(256) for _ in range(4)),
        "color": r.choice(["RED", "GREEN", "BLUE"]),
        "maybe": r.choice([None, text(r), r.randrange(-2**63, 2**63), inner(r)]),
        "attrs": {text(r): r.choice([None, r.uniform(-1, 1), text(r)]) for _ in range(r.randrange(0, 4))},
        "list": [inner(r) for _ in range(r.randrange(0, 3))],
        "price": decimal.Decimal(r.randrange(-10**18 + 1, 10**18)).scaleb(-4),
        "small": decimal.Decimal(r.randrange(-10**12 + 1, 10**12)),
        "at": EPOCH + datetime.timedelta(milliseconds=r.randrange(-10**12, 4 * 10**12)),
        "atMicros": EPOCH + datetime.timedelta(microseconds=r.randrange(-10**15, 4 * 10**15)),
        "day": datetime.date(1970, 1, 1) + datetime.timedelta(days=r.randrange(-700000, 2900000)),
        "nested": {text(r): [r.choice(["RED", "BLUE"]) for _ in range(r.randrange(0, 3))]
                   for _ in range(r.randrange(0, 3))},
    }


def latin1(b):
    return "".join(chr(c) for c in b)


def ts(dt, digits):
    dt = dt.astimezone(datetime.timezone.utc)
    frac = f"{dt.microsecond:06d}000"[:digits]
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}.{frac}Z"


def render(rec):
    out = dict(rec)
    out["raw"] = latin1(rec["raw"])
    out["tag"] = latin1(rec["tag"])
    out["price"] = format(rec["price"], ".4f")
    out["small"] = format(rec["small"], ".0f")
    out["at"] = ts(rec["at"], 3)
    out["atMicros"] = ts(rec["atMicros"], 6)
    out["day"] = rec["day"].isoformat()
    return out


def main():
    dir_, n = sys.argv[1], int(sys.argv[2])
    r = random.Random(13)
    parsed = fastavro.parse_schema(SCHEMA)
    with open(os.path.join(dir_, "1.avsc"), "w") as f:
        json.dump(SCHEMA, f)
    with open(os.path.join(dir_, "bodies.hex"), "w") as bodies, \
            open(os.path.join(dir_, "fastavro.jsonl"), "w") as rendered:
        for _ in range(n):
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, parsed, record(r))
            body = buf.getvalue()
            back = fastavro.schemaless_reader(io.BytesIO(body), parsed, None)
            bodies.write(body.hex() + "\n")
            rendered.write(json.dumps(render(back)) + "\n")


if __name__ == "__main__":
    main()
