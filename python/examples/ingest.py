#!/usr/bin/env python3
"""Add JSONL documents from standard input to a doppel index, reporting duplicates.

    PYTHONPATH=python python3 python/examples/ingest.py archive.idx < docs.jsonl

Each input line is an object with "id" and "text". Each output line is
{"id": ..., "status": "added", "duplicates": [{"id", "kind", "score"}, ...]}, or
{"id": ..., "status": "error", "error": "DPL_EDUPID", "message": ...} for a line that
was not added (an id already indexed, an empty text, a line that is not such an object).
The index is created when absent, and committed every --commit-every documents and at the
end, so an interrupted run loses at most that many documents: run it again on the same
input, and the documents already indexed come out as DPL_EDUPID errors.
"""
import argparse
import json
import sys

import doppel


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("index", help="the index folder (created when absent)")
    p.add_argument("--commit-every", type=int, default=1000, metavar="N",
                   help="commit after every N documents added (default 1000)")
    p.add_argument("--threshold", type=float, help="report near duplicates from this "
                   "Jaccard estimate on (default: the index's, 0.8 for a new one)")
    return p.parse_args()


def record(line):
    """(id, text) of a JSONL line; ValueError when it is not an object with both."""
    obj = json.loads(line)
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or \
            not isinstance(obj.get("id"), (str, int)):
        raise ValueError('expected an object with "id" (string or number) and "text"')
    return str(obj["id"]), obj["text"]


def ingest(index, line):
    """Add one line; its output object."""
    doc_id = None
    try:
        doc_id, text = record(line)
        dups = index.add(doc_id, text)
    except doppel.Error as e:
        return {"id": doc_id, "status": "error", "error": e.name, "message": e.message}
    except ValueError as e:  # json.JSONDecodeError included
        return {"id": doc_id, "status": "error", "error": "input", "message": str(e)}
    return {"id": doc_id, "status": "added",
            "duplicates": [{"id": m.id, "kind": m.kind, "score": m.score} for m in dups]}


def main():
    args = parse_args()
    added = 0
    with doppel.Index(args.index, threshold=args.threshold) as index:
        for line in sys.stdin:
            out = ingest(index, line)
            print(json.dumps(out, ensure_ascii=False))
            if out["status"] == "added":
                added += 1
                if added % args.commit_every == 0:
                    index.commit()
    # leaving the with block commits the rest


if __name__ == "__main__":
    main()
