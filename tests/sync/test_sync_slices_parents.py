"""Sliced and parent/child sources through the sync engine: resumes that skip finished slices, a
watermark that moves only over finished slices, and prunes that spare parents whose children failed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from restsync.clock import FakeClock
from restsync.errors import SourceError
from restsync.kb.embedding import HashingEmbedder
from restsync.sync import sync_source
from restsync.sync.state import CHECKPOINT_KEY, WATERMARK_KEY
from restsync.timestamps import parse_timestamp
from servers.base import json_error
from servers.capped_search import ORIGIN, CappedSearchServer, search_config, tickets
from servers.repos import ReposServer
from servers.repos import issues_config as repos_config

NOW = ORIGIN + timedelta(days=10)


@pytest.fixture
def kb(tmp_path, open_kb):
    base = open_kb(tmp_path / "kb", embedder=HashingEmbedder(64))
    yield base
    base.close()


def run(kb, source, config, **options):
    options.setdefault("clock", FakeClock(start=NOW.timestamp()))
    return sync_source(kb, source, config, allow_private=True, **options)


def test_a_failed_sliced_sync_resumes_after_its_finished_slices(serve, kb):
    rows = tickets(2500)
    server = serve(CappedSearchServer(rows))
    outage = parse_timestamp(rows[1800]["updated_at"])
    server.fail_from = outage

    with pytest.raises(SourceError):
        run(kb, "search", search_config(server))

    saved = kb.get_state("search", CHECKPOINT_KEY)
    resume_at = parse_timestamp(saved["connector_checkpoint"]["slices"]["next"])
    failed_slice = min(since for since, _ in server.windows if since >= outage)
    assert resume_at == failed_slice  # the slice that failed is the one a resume starts with
    assert kb.get_state("search", WATERMARK_KEY) is None  # nothing finished the listing yet
    stored = kb.count_documents("search")
    assert stored == sum(parse_timestamp(row["updated_at"]) < resume_at for row in rows)

    server.fail_from = None
    before = len(server.windows)
    result = run(kb, "search", search_config(server))

    assert result.resumed and result.status == "success"
    assert all(since >= resume_at for since, _ in server.windows[before:])
    assert kb.count_documents("search") == 2500
    assert result.counts.new == 2500  # the listing's counts, carried across the resume
    assert result.watermark == rows[-1]["updated_at"]


def test_a_truncated_slice_holds_the_watermark_at_its_start(serve, kb):
    burst = [{"id": n, "subject": f"Ticket {n}", "description": "burst", "updated_at": "2024-01-03T10:00:00Z"}
             for n in range(1, 1301)]
    before = [{"id": 9000, "subject": "Early", "description": "x", "updated_at": "2024-01-02T00:00:00Z"}]
    after = [{"id": 9001, "subject": "Late", "description": "x", "updated_at": "2024-01-06T00:00:00Z"}]
    server = serve(CappedSearchServer(before + burst + after))

    result = run(kb, "search", search_config(server, step="1d"))

    assert result.status == "truncated"
    assert result.watermark == "2024-01-03T09:59:59Z"  # not the newest item seen (2024-01-06)
    assert kb.get_state("search", WATERMARK_KEY) == "2024-01-03T09:59:59Z"


def test_a_parent_whose_children_fail_keeps_its_documents_and_the_watermark(serve, kb):
    server = serve(ReposServer({"widgets": 12, "gadgets": 6, "gizmos": 4}))
    first = run(kb, "issues", repos_config(server))
    assert (first.status, kb.count_documents("issues")) == ("success", 22)
    watermark = first.watermark

    server.gone = {"gadgets"}  # its issues cannot be listed this time
    server.issues["widgets"].pop()  # widgets issue 12 is deleted
    second = run(kb, "issues", repos_config(server), full=True)

    assert second.status == "partial"
    # widgets issue 12 is marked missing (a second full listing deletes it); the 6 gadgets issues stay
    assert (second.counts.deleted, second.prune.marked_missing) == (0, 1)
    assert kb.count_documents("issues") == 22
    assert second.watermark == watermark == kb.get_state("issues", WATERMARK_KEY)
    assert any("gadgets" in w or "parent 101" in w for w in second.warnings)

    server.gone = set()
    third = run(kb, "issues", repos_config(server), full=True)
    assert (third.status, third.counts.deleted, kb.count_documents("issues")) == ("success", 1, 21)


def test_a_vanished_parent_takes_its_children_with_it(serve, kb):
    server = serve(ReposServer({"widgets": 12, "gadgets": 6, "gizmos": 4}))
    run(kb, "issues", repos_config(server))

    server.repos = [repo for repo in server.repos if repo["name"] != "gizmos"]
    first_miss = run(kb, "issues", repos_config(server), full=True)
    assert (first_miss.status, first_miss.prune.marked_missing, kb.count_documents("issues")) == ("success", 4, 22)
    result = run(kb, "issues", repos_config(server), full=True)

    assert (result.status, result.counts.deleted, kb.count_documents("issues")) == ("success", 4, 18)


def test_an_incremental_sync_asks_each_known_parent_for_the_window_and_lists_a_new_one_whole(serve, kb):
    server = serve(ReposServer({"widgets": 12, "gadgets": 6}))
    first = run(kb, "issues", repos_config(server))
    assert kb.count_documents("issues") == 18

    newer = parse_timestamp(first.watermark) + timedelta(hours=2)
    server.touch("widgets", 3, newer, "widgets issue 3, edited")
    added = ReposServer({"sprockets": 5})  # a repository created since, with issues older than the watermark
    server.repos.append({**added.repos[0], "id": 250})
    server.issues["sprockets"] = added.issues["sprockets"]
    before = len(server.requests)

    second = run(kb, "issues", repos_config(server))

    assert (second.mode, second.status) == ("incremental", "success")
    assert kb.count_documents("issues") == 23
    assert second.counts.updated == 1 and second.counts.new == 5
    asked = {r.path.split("/")[3]: r.param("since") for r in server.requests[before:] if r.path != "/orgs/acme/repos"}
    assert asked["widgets"] == asked["gadgets"] != "1970-01-01T00:00:00Z"
    assert asked["sprockets"] == "1970-01-01T00:00:00Z"  # the new parent's children, whole


def test_a_resumed_listing_still_keeps_a_parent_whose_children_failed_before_the_interruption(serve, kb):
    server = serve(ReposServer({"widgets": 12, "gadgets": 6, "gizmos": 4, "sprockets": 3}))
    run(kb, "issues", repos_config(server))
    assert kb.count_documents("issues") == 25

    # Second full sync: gadgets (parent page 1) cannot be listed, and the run dies on parent page 2.
    server.gone = {"gadgets"}
    server.failing = {"gizmos"}
    server.issues["widgets"].pop()
    original = server._answer

    def die_on_second_parent_page(request):
        if request.path == "/orgs/acme/repos" and request.param("page") == "2":
            return json_error(500, {"message": "Server Error"})
        return original(request)

    server._answer = die_on_second_parent_page
    with pytest.raises(SourceError):
        run(kb, "issues", repos_config(server), full=True)

    server._answer = original
    server.failing = set()
    resumed = run(kb, "issues", repos_config(server), full=True)

    assert resumed.resumed and resumed.status == "partial"
    # widgets issue 12 is marked missing, gadgets' 6 issues are kept (not marked)
    assert (resumed.counts.deleted, resumed.prune.marked_missing) == (0, 1)
    again = run(kb, "issues", repos_config(server), full=True)
    assert (again.status, again.counts.deleted) == ("partial", 1)  # gadgets still cannot be listed
    assert kb.count_documents("issues") == 24
