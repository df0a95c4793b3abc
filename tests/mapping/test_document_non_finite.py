"""NaN and Infinity from an API (and literals like 1e400, which parse as infinity) follow one
rule: in a document's metadata an infinity is the string "Infinity" / "-Infinity" (range filters
still order it past every number) and NaN is null, with a warning. Every JSON restsync writes
(`fetch` lines, `search --json`, the stored metadata) stays strict JSON.
"""

from __future__ import annotations

import json
import math

import pytest
import yaml

from restsync.cli.main import main
from restsync.document import Document
from restsync.kb import KBSettings, KnowledgeBase
from servers.base import ApiServer, RecordedRequest, Reply

# What a careless API sends: Python's json module writes these tokens, JavaScript's never would.
RAW = (
    '{"items": ['
    '{"id": 1, "title": "Huge", "body": "a huge price", "price": 1e400, "ratio": NaN, "low": -Infinity,'
    ' "scores": [1, Infinity]},'
    '{"id": 2, "title": "Small", "body": "a small price", "price": 5, "ratio": 0.5, "low": 1, "scores[*]": [2]}'
    ']}'
)


class NonFiniteApi(ApiServer):
    def handle(self, request: RecordedRequest) -> Reply:
        return Reply(body=RAW.encode(), headers={"Content-Type": "application/json"})


def strict_loads(text: str):
    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def config(tmp_path, serve):
    api = serve(NonFiniteApi())
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump({
        "url": api.url("/items"), "items_path": "$.items", "id_field": "id", "title_field": "title",
        "content_fields": ["body"], "metadata_fields": ["price", "ratio", "low", "scores[*]"],
    }), encoding="utf-8")
    return path


def test_to_dict_is_strict_json_whatever_the_metadata_holds():
    doc = Document(id="1", semantic_identifier="t", content="c",
                   metadata={"a": math.nan, "b": math.inf, "c": [-math.inf, 1.5], "d": {"e": math.nan}})
    data = strict_loads(json.dumps(doc.to_dict(), allow_nan=False))
    assert data["metadata"] == {"a": None, "b": "Infinity", "c": ["-Infinity", 1.5], "d": {"e": None}}


def test_fetch_writes_strict_json_and_warns(config, tmp_path, capsys):
    out = tmp_path / "docs.jsonl"
    assert main(["fetch", str(config), "--out", str(out), "--allow-private"]) == 0
    err = capsys.readouterr().err
    first, second = (strict_loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["metadata"] == {"price": "Infinity", "ratio": None, "low": "-Infinity", "scores[*]": [1, "Infinity"]}
    assert second["metadata"] == {"price": 5, "ratio": 0.5, "low": 1, "scores[*]": [2]}
    assert "NaN or infinite" in err and "price" in err


def test_search_json_is_strict_and_infinities_order_in_range_filters(config, tmp_path, capsys):
    kb = tmp_path / "kb"
    KnowledgeBase.open(kb, settings=KBSettings(embedder="hashing-64")).close()
    assert main(["sync", str(config), "--kb", str(kb), "--allow-private", "--quiet"]) == 0
    capsys.readouterr()

    def titles(*filters: str) -> set[str]:
        argv = ["search", "price", "--kb", str(kb), "--json", "-k", "10"]
        for expression in filters:
            argv += ["--filter", expression]
        assert main(argv) == 0
        hits = strict_loads(capsys.readouterr().out)
        return {hit["title"] for hit in hits}

    assert titles() == {"Huge", "Small"}
    assert titles("price>100") == {"Huge"}  # 1e400 is past every number, not outside all ranges
    assert titles("price<100") == {"Small"}
    assert titles("price>=1e400") == {"Huge"}
    assert titles("price=Infinity") == {"Huge"}
    assert titles("low<0") == {"Huge"}
    assert titles("scores[*]>100") == {"Huge"}
    assert titles("ratio<1") == {"Small"}  # NaN has no order
