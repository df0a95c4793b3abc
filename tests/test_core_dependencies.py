"""The connector core and its CLI work with no database, vector or model package importable."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

from restsync.demo.server import DemoApiServer

# msgspec (the `fast` extra) too: the standard json parser must do without it.
BLOCKED = ("numpy", "sqlalchemy", "torch", "sentence_transformers", "transformers", "msgspec")

SCRIPT = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("not installed here: " + name)

sys.meta_path.insert(0, Blocker())
from restsync.cli.main import main
sys.exit(main(["fetch", {config!r}, "--allow-private", "--quiet", "--out", {out!r}]))
"""


def test_fetch_runs_without_knowledge_base_packages(tmp_path):
    config = str(resources.files("restsync.demo").joinpath("source.yaml"))
    out = str(tmp_path / "docs.jsonl")
    with DemoApiServer() as server:
        script = SCRIPT.format(blocked=set(BLOCKED), config=config, out=out)
        done = subprocess.run([sys.executable, "-c", script], env={"RESTSYNC_DEMO_URL": server.url},
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "docs.jsonl").read_text().splitlines()
    assert len(lines) == 150 and json.loads(lines[0])["source"] == "rest_api"
