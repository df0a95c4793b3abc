"""A collection that changes while it is walked: nothing lost, nothing listed twice, and no
deletion based on such a listing.

The feed is newest first and gains (or loses) items before every answer, drawn from a seeded
generator; concurrent page requests are answered in whatever order the threads run, which is what
made a walk that trusted its first total skip items.
"""

from __future__ import annotations

import pytest

from restsync.clock import FakeClock
from restsync.kb import KnowledgeBase
from restsync.kb.embedding import HashingEmbedder
from restsync.sync import sync_source
from servers.harness import assert_unique, connect, load_all
from servers.shifting import ITEMS_PATH, ShiftingFeedServer

SEEDS = range(6)
SOURCE = "feed"


def feed_config(server: ShiftingFeedServer, style: str, **overrides) -> dict:
    if style == "offset":
        pagination = {"offset_param": "offset", "limit_param": "limit", "limit": 10, "total_path": "$.total"}
    else:
        pagination = {"page_param": "page", "page_size_param": "per_page", "page_size": 10, "total_path": "$.total"}
    return {"url": server.url(ITEMS_PATH), "items_path": "$.items", "pagination_type": style,
            "pagination_config": pagination, "id_field": "id", "title_field": "title",
            "content_fields": ["title", "body"], **overrides}


def listed_ids(docs) -> set[int]:
    return {int(doc.semantic_identifier.split()[1]) for doc in docs}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("style", ["offset", "page"])
def test_feed_gaining_items_during_a_concurrent_walk_loses_nothing(serve, clock, style, seed):
    server = serve(ShiftingFeedServer(100, seed=seed, max_inserts=3))
    connector = connect(feed_config(server, style), clock)
    docs = load_all(connector)
    assert_unique(docs)
    assert server.survivors - listed_ids(docs) == set()  # every item there throughout was listed
    report = connector.report
    assert report.complete and not report.truncated
    assert report.shifted and any("total changed from 100" in note for note in report.shifts)
    assert any("nothing is deleted after such a listing" in warning for warning in report.warnings)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize("style", ["offset", "page"])
def test_feed_losing_items_fetches_again_what_moved_back(serve, clock, style, concurrency, seed):
    """A delete before the walk's position pulls an item back over a page edge: a sequential walk
    skipped it too. The shrinking total sends the walk back to fetch it."""
    server = serve(ShiftingFeedServer(100, seed=seed, max_inserts=0, max_deletes=2))
    connector = connect(feed_config(server, style, concurrency=concurrency), clock)
    docs = load_all(connector)
    assert_unique(docs)
    assert server.deleted, "the scenario deletes items"
    assert server.survivors - listed_ids(docs) == set()
    assert connector.report.complete and connector.report.shifted


@pytest.mark.parametrize("seed", range(10))
def test_feed_gaining_and_losing_items_is_complete_or_says_it_may_have_missed_some(serve, clock, seed):
    """Inserts and deletes that cancel out leave the total unchanged: items seen twice inside a burst
    then prove pages saw different states without saying how. Such a walk is reported truncated."""
    server = serve(ShiftingFeedServer(100, seed=seed, max_inserts=2, max_deletes=2))
    connector = connect(feed_config(server, "offset"), clock)
    docs = load_all(connector)
    assert_unique(docs)
    report = connector.report
    lost = server.survivors - listed_ids(docs)
    assert report.shifted
    if report.truncated:
        assert "items may have been skipped" in report.truncation_reason
    else:
        assert lost == set() and report.complete


@pytest.mark.parametrize("style", ["offset", "page"])
def test_a_quiet_feed_is_walked_in_one_burst_without_shifts(serve, clock, style):
    server = serve(ShiftingFeedServer(100, seed=1))
    server.changing = False
    connector = connect(feed_config(server, style), clock)
    docs = load_all(connector)
    assert len(docs) == 100 and listed_ids(docs) == server.original
    assert len(server.requests) == 11  # ten pages, then one look past the total (page ten was full)
    report = connector.report
    assert report.complete and not report.shifted and report.shifts == [] and report.duplicates_skipped == 0
    assert report.warnings == []


@pytest.fixture
def kb(tmp_path):
    base = KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(32))
    yield base
    base.close()


@pytest.mark.parametrize("seed", range(4))
def test_full_sync_of_a_shifting_feed_deletes_nothing_that_still_exists(serve, kb, seed):
    server = serve(ShiftingFeedServer(100, seed=seed, max_inserts=3))
    server.changing = False
    config = feed_config(server, "offset")
    first = sync_source(kb, SOURCE, config, allow_private=True, clock=FakeClock())
    assert first.status == "success" and kb.count_documents(SOURCE) == 100

    server.changing = True
    result = sync_source(kb, SOURCE, config, full=True, allow_private=True, clock=FakeClock())
    assert result.counts.deleted == 0
    assert result.status == "success"  # nothing stored went unseen: nothing to keep or delete
    assert kb.count_documents(SOURCE) >= 100

    # An item really gone, seen missing by a listing that shifted: kept, and the run says why.
    server.remove(50)
    kept = sync_source(kb, SOURCE, config, full=True, allow_private=True, clock=FakeClock())
    assert kept.status == "partial" and kept.counts.deleted == 0
    assert kept.prune.would_delete == 1 and not kept.prune.attempted
    assert kept.prune.refused_reason.startswith("the collection changed while it was listed (total changed from")
    assert any(warning.startswith("the collection changed while it was listed") for warning in kept.warnings)

    # Once the feed is quiet again, two full syncs in a row that miss it prune what is really gone.
    server.changing = False
    quiet = sync_source(kb, SOURCE, config, full=True, allow_private=True, clock=FakeClock())
    assert quiet.status == "success" and (quiet.counts.deleted, quiet.prune.marked_missing) == (0, 1)
    again = sync_source(kb, SOURCE, config, full=True, allow_private=True, clock=FakeClock())
    assert again.status == "success" and again.counts.deleted == 1


def test_force_prune_deletes_after_a_shifting_listing(serve, kb):
    server = serve(ShiftingFeedServer(100, seed=3, max_inserts=3))
    server.changing = False
    config = feed_config(server, "offset")
    sync_source(kb, SOURCE, config, allow_private=True, clock=FakeClock())
    server.remove(50)
    server.changing = True
    forced = sync_source(kb, SOURCE, config, full=True, force_prune=True, allow_private=True, clock=FakeClock())
    assert forced.status == "success" and forced.counts.deleted == 1 and forced.prune.attempted


@pytest.mark.parametrize("seed", range(3))
def test_auto_detected_pages_of_a_shifting_feed_lose_nothing(serve, clock, seed):
    server = serve(ShiftingFeedServer(100, seed=seed, max_inserts=3, max_deletes=1))
    config = feed_config(server, "auto")
    del config["pagination_config"]
    connector = connect(config, clock)
    docs = load_all(connector)
    assert_unique(docs)
    report = connector.report
    assert report.shifted
    assert server.survivors - listed_ids(docs) == set() or report.truncated


@pytest.mark.parametrize("seed", range(2))
def test_a_first_sync_that_shifted_with_no_total_to_check_is_partial(serve, kb, seed):
    # Without a total the walk sees items listed twice (additions) but could not see a deletion
    # that happened at the same time: the listing is not proven whole, even with nothing stored.
    server = serve(ShiftingFeedServer(100, seed=seed, max_inserts=3, totals=False))
    config = feed_config(server, "page")
    del config["pagination_config"]["total_path"]
    result = sync_source(kb, SOURCE, config, allow_private=True, clock=FakeClock())
    assert result.status == "partial"
    assert result.partial_reason.startswith("the collection changed while it was listed")
    assert "no total" in result.partial_reason and result.to_dict()["partial_reason"] == result.partial_reason


def test_a_first_sync_whose_shift_a_total_recovered_is_success(serve, kb):
    server = serve(ShiftingFeedServer(100, seed=0, max_inserts=3))
    result = sync_source(kb, SOURCE, feed_config(server, "offset"), allow_private=True, clock=FakeClock())
    assert result.warnings and result.status == "success" and result.partial_reason is None
    assert server.survivors <= {int(doc.title.split()[1]) for doc in kb.list_documents(source=SOURCE, limit=500)[0]}
