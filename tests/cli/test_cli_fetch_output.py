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

