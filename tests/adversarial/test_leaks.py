"""Nothing leaked: an API that echoes the caller's secret everywhere it can (item fields, error
bodies, next links, headers) while it fails as the seed says. After the sync, the secret is in no
file of the knowledge base (database, vector file, locks, state), in no log line, and in no result or
error the caller sees (third-party DEBUG traces aside: httpcore's prints response headers as received)."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from urllib.parse import quote

import pytest

from restsync.clock import FakeClock
from restsync.errors import RestSyncError
from restsync.kb import HashingEmbedder, KnowledgeBase
from restsync.sync import sync_source
from servers.base import RecordedRequest, Reply

from .chaos import Chaos, ChaosApi, config_for
from .conftest import seeds

TOKEN = "tok_Echo-9f8e7d6c5b4a"


class EchoingApi(ChaosApi):
    def handle(self, request: RecordedRequest) -> Reply:
        reply = super().handle(request)
        seen = request.headers.get("authorization", "").removeprefix("Bearer ")
        if isinstance(reply.json, dict):
            for entry in reply.json.get("items") or reply.json.get("data") or reply.json.get("results") or []:
                entry["body"] += f" raw {seen}, encoded {quote(seen)}, html {seen.replace('_', '&#95;')}"
                entry["owner"] = {"api_key": seen}
            if reply.status >= 400:
                reply.json["echo"] = f"bad token {seen}"
        reply.headers["X-Echo"] = seen
        return reply


def files_holding(directory: Path, secret: str) -> list[str]:
    needles = {secret.encode(), quote(secret).encode(), secret.encode("utf-16-le")}
    return [str(path.relative_to(directory)) for path in directory.rglob("*")
            if path.is_file() and any(needle in path.read_bytes() for needle in needles)]


@pytest.mark.parametrize("style", ["page", "cursor", "next_url"])
@pytest.mark.parametrize("seed", seeds(2, 40))
def test_an_api_echoing_the_secret_leaves_it_nowhere(tmp_path, caplog, figures, style, seed):
    clock = FakeClock()
    server = EchoingApi(30, Chaos(fault_rate=0.3, faults=("500", "429_seconds", "truncated")), seed=seed,
                        now=clock.time).start()
    config = {**config_for(style, server), "auth_type": "bearer", "credentials": {"token": TOKEN},
              "metadata_fields": ["owner.api_key"]}
    seen_by_caller = []
    caplog.set_level(logging.DEBUG)
    try:
        with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(32)) as kb:
            try:
                result = sync_source(kb, "src", config, allow_private=True, clock=clock)
                seen_by_caller.append(json.dumps(result.to_dict()))
            except RestSyncError as error:
                seen_by_caller.append(str(error))
            hits = kb.search("raw encoded html", k=5)
            seen_by_caller.append(json.dumps([dataclasses.asdict(hit) for hit in hits], default=str))
            assert hits, "the items were stored: the test can fail"
    finally:
        server.stop()
    places = files_holding(tmp_path / "kb", TOKEN)
    # restsync's own records at any level, everyone's from INFO up. (httpcore's DEBUG trace prints
    # response headers verbatim, an echoing API's included: a third-party trace, off by default.)
    in_logs = any(TOKEN in record.getMessage() for record in caplog.records
                  if record.name.startswith("restsync") or record.levelno >= logging.INFO)
    in_output = any(TOKEN in text or quote(TOKEN) in text for text in seen_by_caller)
    figures.add("secrets echoed by the API: runs / places leaked", runs=1,
                leaked=len(places) + int(in_logs) + int(in_output))
    assert any(f"Bearer {TOKEN}" == r.headers.get("authorization") for r in server.requests)
    assert not places and not in_logs and not in_output, (places, in_logs, in_output)
