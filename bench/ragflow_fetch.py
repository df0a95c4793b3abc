"""Runs RAGFlow's REST API connector from a RAGFlow checkout the way RAGFlow's sync task does
(`parse_storage_config`, `from_parsed_config`, `load_credentials`, `load_from_state`), writing
one JSON line per document. A baseline for bench/bench_process.py; run it with the interpreter
of `bench/setup_baselines.sh` (bench/.baselines/ragflow), which has the connector's own imports.

    python bench/ragflow_fetch.py RAGFLOW_CHECKOUT CONFIG.json OUT.jsonl

The smallest harness that imports the connector module as it is:
- `common.data_source` is registered as a package without running its `__init__`, which imports
  every RAGFlow connector and their SDKs (S3, Slack, Google, ...), none of which the REST API
  connector uses;
- the SDK modules that `common/data_source/utils.py` and `interfaces.py` import for other
  connectors become empty stand-ins (they are never called on the REST API path;
  `anthropic.BaseModel` is pydantic's), so their import time is not counted against RAGFlow;
- the mock API listens on loopback, which RAGFlow refuses: the connector's constructor check is
  skipped and the per-request guard runs with its own `ALLOW_ANY_HOST` switch (it still parses,
  resolves and pins every request's host), its per-request warning about that switch silenced.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import logging
import os
import sys
import types


class _StandIn(importlib.abc.Loader, importlib.abc.MetaPathFinder):
    """Empty modules for SDKs the REST API path never calls; any name is a placeholder class."""

    ROOTS = ("boto3", "botocore", "googleapiclient", "mypy_boto3_s3", "slack_sdk", "anthropic")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.ROOTS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        if spec.name == "anthropic":
            from pydantic import BaseModel

            module.BaseModel = BaseModel
        module.__getattr__ = lambda attr: type(attr, (Exception,), {})
        return module

    def exec_module(self, module):
        pass


def load_connector(checkout: str):
    sys.path.insert(0, checkout)
    sys.meta_path.insert(0, _StandIn())
    package = types.ModuleType("common.data_source")
    package.__path__ = [os.path.join(checkout, "common", "data_source")]
    sys.modules["common.data_source"] = package
    os.environ.setdefault("ALLOW_ANY_HOST", "1")
    from common.data_source.rest_api_connector import RestAPIConnector

    RestAPIConnector._validate_url_for_ssrf = staticmethod(lambda url: None)
    # The guard warns on every request while bypassed; a public host would not print that.
    logging.getLogger("common.ssrf_guard").setLevel(logging.ERROR)
    return RestAPIConnector


def main(checkout: str, config_path: str, out_path: str) -> int:
    connector_class = load_connector(checkout)
    with open(config_path) as handle:
        conf = json.load(handle)
    cfg = connector_class.parse_storage_config(conf)
    connector = connector_class.from_parsed_config(cfg)
    connector.load_credentials(conf.get("credentials") or {})
    count = 0
    with open(out_path, "w") as out:
        for batch in connector.load_from_state():
            for doc in batch:
                out.write(json.dumps({
                    "id": doc.id, "semantic_identifier": doc.semantic_identifier,
                    "content": doc.blob.decode("utf-8"), "metadata": doc.metadata,
                    "doc_updated_at": doc.doc_updated_at.isoformat() if doc.doc_updated_at else None,
                    "source": "rest_api",
                }, ensure_ascii=False) + "\n")
                count += 1
    return count


if __name__ == "__main__":
    print(main(*sys.argv[1:4]))
