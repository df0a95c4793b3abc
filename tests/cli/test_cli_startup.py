"""What a `fetch` process loads: a command line naming one command imports that command's module
only, and a JSON config with plain member paths needs neither PyYAML nor python-jsonpath. Each of
these was a measurable share of a short fetch's CPU (docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from restsync.cli.main import COMMANDS, build_parser
from restsync.config import load_config
from restsync.demo.server import DemoApiServer
from restsync.extraction import find_all, find_first

SCRIPT = """
import json, sys
from restsync.cli.main import main
status = main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
sys.exit(status)
"""

# Modules of other commands or of paths this config never takes.
NOT_LOADED = ("yaml", "jsonpath", "regex", "numpy", "restsync.sync", "restsync.kb", "restsync.server",
              "restsync.service", "restsync.cli.sync", "restsync.cli.serve", "restsync.cli.check",
              "restsync.openapi")


def loaded_by_fetch(tmp_path, config: dict) -> tuple[list[str], int]:
    path = tmp_path / "source.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    out = tmp_path / "docs.jsonl"
    done = subprocess.run([sys.executable, "-c", SCRIPT, "fetch", str(path), "--allow-private", "--quiet",
                           "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), len(out.read_text(encoding="utf-8").splitlines())


def demo_json_config(url: str) -> dict:
    return {"url": url + "/api/articles", "items_path": "$.articles", "id_field": "id",
            "content_fields": ["title", "body"], "metadata_fields": ["author.name", "tags[*].name"],
            "poll_timestamp_field": "updated_at", "pagination_type": "page",
            "pagination_config": {"page_param": "page", "total_pages_path": "$.meta.total_pages"}}


def test_fetch_of_a_json_config_loads_only_what_it_uses(tmp_path):
    with DemoApiServer() as server:
        modules, documents = loaded_by_fetch(tmp_path, demo_json_config(server.url))
    assert documents == 150
    loaded = [name for name in modules if name.split(".")[0] in {"yaml", "jsonpath", "regex", "numpy"}
              or any(name == prefix or name.startswith(prefix + ".") for prefix in NOT_LOADED)]
    assert loaded == []


def test_a_path_beyond_member_names_still_loads_python_jsonpath(tmp_path):
    with DemoApiServer() as server:
        config = {**demo_json_config(server.url), "items_path": "$['articles']"}
        modules, documents = loaded_by_fetch(tmp_path, config)
    assert documents == 150 and "jsonpath" in modules


def test_every_command_parses_alone_as_in_the_full_parser():
    full = build_parser()
    for name in COMMANDS:
        alone = build_parser([name, "--help"])
        choices = next(a for a in alone._actions if a.dest == "command").choices
        assert name in choices
        whole = next(a for a in full._actions if a.dest == "command").choices[name]
        assert choices[name].format_help() == whole.format_help()


def test_member_paths_match_python_jsonpath():
    import jsonpath

    data = {"items": [1, 2], "meta": {"next": "c2", "none": None, "list": [{"x": 1}]}, "true": {"x": 3},
            "s": "text"}
    paths = ["$", "$.items", "items", "$.meta.next", "meta.none", "$.meta.missing", "$.meta.list.x",
             "$.true.x", "$.s.x", "$.items.length", " $.meta "]
    for path in paths:
        expected = jsonpath.JSONPathEnvironment().compile(path.strip() if path.strip().startswith("$")
                                                          else "$." + path.strip()).findall(data)
        assert find_all(data, path) == expected, path
        assert find_first(data, path) == (expected[0] if expected else None), path
    for body in ([{"items": 1}], "text", None, 3):
        assert find_all(body, "$.items") == []


def test_yaml_configs_still_load(tmp_path):
    path = tmp_path / "source.yaml"
    path.write_text(yaml.safe_dump({"url": "https://api.example.com/items", "items_path": "$.items"}))
    assert load_config(path).items_path == "$.items"
