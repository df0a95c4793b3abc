"""Time `suggest --openapi` on a generated description of API size: loading (JSON and YAML), listing
the collection endpoints, and inferring a config for each of them.

    .venv/bin/python bench/bench_openapi.py [--paths 1500]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from restsync.openapi import infer_config, list_collections, load_spec


def description(collections: int) -> dict:
    """`collections` list endpoints and as many single-item ones, each item schema with 37 properties,
    a shared `$ref`'d user and a self-reference (as real descriptions have)."""
    schemas: dict = {"User": {"type": "object", "properties": {"login": {"type": "string"}, "id": {"type": "integer"}}}}
    paths: dict = {}
    for i in range(collections):
        ref = f"#/components/schemas/Thing{i}"
        schemas[f"Thing{i}"] = {"type": "object", "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "body": {"type": "string"},
            "updated_at": {"type": "string", "format": "date-time"}, "status": {"type": "string", "enum": ["a", "b"]},
            "owner": {"$ref": "#/components/schemas/User"}, "parent": {"$ref": ref},
            **{f"extra{j}": {"type": "string"} for j in range(30)}}}
        body = {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": ref}},
                                                 "total": {"type": "integer"}}}
        paths[f"/things{i}"] = {"get": {"operationId": f"list{i}",
                                        "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
                                        "responses": {"200": {"description": "ok",
                                                              "content": {"application/json": {"schema": body}}}}}}
        paths[f"/things{i}/{{id}}"] = {"get": {"operationId": f"get{i}", "responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": {"$ref": ref}}}}}}}
    return {"openapi": "3.0.3", "info": {"title": "Big", "version": "1"}, "servers": [{"url": "https://api.big.io"}],
            "paths": paths, "components": {"schemas": schemas}}


def median_time(function, runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=1500, help="collection endpoints (as many single-item ones)")
    args = parser.parse_args()
    document = description(args.paths)
    with tempfile.TemporaryDirectory() as folder:
        for suffix, dump in ((".json", json.dumps), (".yaml", yaml.safe_dump)):
            path = Path(folder) / f"spec{suffix}"
            path.write_text(dump(document), encoding="utf-8")
            load_s, spec = median_time(lambda: load_spec(str(path)))
            list_s, collections = median_time(lambda: list_collections(spec))
            infer_s, _ = median_time(lambda: [infer_config(spec, endpoint) for endpoint in collections])
            print(f"{suffix[1:]:>4}: {path.stat().st_size / 1e6:.1f} MB, {2 * args.paths} GET paths | "
                  f"load {load_s:.2f} s | list {len(collections)} collections {list_s:.2f} s | "
                  f"infer every config {infer_s:.2f} s ({infer_s / len(collections) * 1000:.1f} ms each)")


if __name__ == "__main__":
    main()
