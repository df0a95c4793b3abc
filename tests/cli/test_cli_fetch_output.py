"""`fetch` writes its JSON lines as bytes: to a file, to stdout's buffer, and, where stdout is a
text-only stream (an embedding program's StringIO), as the same text."""

from __future__ import annotations

import io
import json
import sys

import pytest

from restsync.cli.main import main
from servers.bearer_only import demo_config

pytestmark = pytest.mark.usefixtures("demo_env")  # tests/cli/conftest.py


def test_stdout_without_a_buffer_gets_the_same_lines_as_a_file(tmp_path, monkeypatch):
    out = tmp_path / "docs.jsonl"
    assert main(["fetch", str(demo_config(tmp_path)), "--out", str(out), "--allow-private", "--quiet"]) == 0
    text = io.StringIO()
    monkeypatch.setattr(sys, "stdout", text)
    assert main(["fetch", str(demo_config(tmp_path)), "--allow-private", "--quiet"]) == 0
    assert text.getvalue() == out.read_text(encoding="utf-8")
    lines = text.getvalue().splitlines()
    assert len(lines) == 150 and all(json.loads(line)["source"] == "rest_api" for line in lines)



def _documents():
    from datetime import datetime, timedelta, timezone

    from restsync.document import Document

    plain = Document(id="a1", semantic_identifier="Caf\u00e9", content="caf\u00e9 \u20ac \"quoted\"\n",
                     metadata={"n": 7, "tags": ["x", None, True]}, link="https://example.com/a1",
                     doc_updated_at=datetime(2025, 1, 2, 3, 4, 5, 120000, tzinfo=timezone.utc))
    yield plain
    yield Document(id="a2", semantic_identifier="t", content="", doc_updated_at=None)
    # Each of these needs to_dict(): a float, non-finite numbers, nested values, a time in another
    # zone or in none (read as UTC).
    yield Document(id="a3", semantic_identifier="t", content="x",
                   metadata={"score": 1.5, "big": float("inf"), "low": float("-inf"), "nan": float("nan")})
    yield Document(id="a4", semantic_identifier="t", content="x", metadata={"nested": {"v": [1.0, float("inf")]}})
    yield Document(id="a5", semantic_identifier="t", content="x",
                   doc_updated_at=datetime(2025, 1, 2, 5, 0, tzinfo=timezone(timedelta(hours=2))))
    yield Document(id="a6", semantic_identifier="t", content="x", doc_updated_at=datetime(2025, 1, 2, 5, 0))


@pytest.mark.parametrize("document", list(_documents()), ids=lambda document: document.id)
def test_each_line_is_to_dict_with_or_without_the_fast_extra(document, monkeypatch):
    import builtins

    from restsync.cli.fetch import document_line_encoder

    fast = document_line_encoder()
    real_import = builtins.__import__

    def without_msgspec(name, *args, **kwargs):
        if name.startswith("msgspec"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_msgspec)
    standard = document_line_encoder()
    line = fast(document)
    assert line == standard(document) and line.endswith(b"}\n") and line.count(b"\n") == 1
    assert json.loads(line) == json.loads(json.dumps(document.to_dict()))
    assert list(json.loads(line)) == list(document.to_dict())  # the same keys, in the same order
