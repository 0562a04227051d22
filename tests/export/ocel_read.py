"""Loads an OCEL 2.0 JSON export with PM4Py (pm4py.read_ocel2_json) and prints its counts as one
JSON object: events, objects, event-to-object relations, object-to-object relations, and objects
per type."""
import contextlib
import io
import json
import sys

with contextlib.redirect_stdout(io.StringIO()):  # PM4Py prints a banner on import
    import pm4py


def main(path: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        ocel = pm4py.read_ocel2_json(path)
    types = ocel.objects[ocel.object_type_column].value_counts().to_dict()
    print(json.dumps({
        "events": len(ocel.events),
        "objects": len(ocel.objects),
        "relations": len(ocel.relations),
        "o2o": len(ocel.o2o),
        "object_types": {k: int(v) for k, v in types.items()},
        "activities": sorted(ocel.events[ocel.event_activity].unique().tolist()),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
