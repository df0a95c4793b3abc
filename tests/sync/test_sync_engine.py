"""The sync engine through its Python API, against a loopback API with a mutable dataset.

Documents are embedded with the deterministic hashing embedder: these tests are about what gets
synced, counted, deleted and resumed, not about embedding quality. Each runs on every backend
(`open_kb`): the embedded directory, Milvus Lite as its index, and PostgreSQL + Milvus Lite.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from restsync.clock import FakeClock
from restsync.errors import ConfigError, CredentialError, SourceError
from restsync.kb.settings import KBSettings
from restsync.kb.embedding import HashingEmbedder
from restsync.sync import SourceSync, SyncOptions, add_source, sync_source
from restsync.sync.state import CHECKPOINT_KEY, WATERMARK_KEY
from servers.items_api import ItemsApi, make_item, source_config, stamp

SOURCE = "articles"


@pytest.fixture
def api():
    with ItemsApi(count=12) as server:
        yield server


@pytest.fixture
def kb(tmp_path, open_kb):
    base = open_kb(tmp_path / "kb", embedder=HashingEmbedder(64))
    yield base
    base.close()


def sync(kb, api, **options):
    options.setdefault("allow_private", True)
    options.setdefault("clock", FakeClock())
    return sync_source(kb, SOURCE, source_config(api.url, **options.pop("config", {})), **options)


def test_first_sync_is_full_and_stores_every_item(kb, api):
    add_source(kb, SOURCE, source_config(api.url))
    result = sync(kb, api)

    assert (result.mode, result.status, result.resumed) == ("full", "success", False)
    assert result.counts.fetched == result.counts.new == 12
    assert result.counts.chunks_embedded >= 12
    assert kb.count_documents(SOURCE) == 12
    assert result.watermark == stamp(12) == kb.get_state(SOURCE, WATERMARK_KEY)
    assert kb.get_state(SOURCE, CHECKPOINT_KEY) is None
    run = kb.list_runs(SOURCE, limit=1)[0]
    assert (run.id, run.status, run.mode, run.watermark) == (result.run_id, "success", "full", stamp(12))
    assert run.counts["new"] == 12
    hits = kb.search("topic 7", k=1, filters=[], sources=[SOURCE], vector_weight=0.0)
    assert hits and hits[0].title == "Article 7"


def test_second_sync_of_unchanged_source_embeds_nothing(kb, api):
    sync(kb, api)
    api.requests.clear()
    result = sync(kb, api, overlap=timedelta(days=3))

    assert result.mode == "incremental"
    assert result.counts.chunks_embedded == 0
    assert (result.counts.new, result.counts.updated) == (0, 0)
    # The window starts at the watermark minus the overlap: items of days 9..12 are asked for again.
    assert api.requests[0]["updated_since"] == stamp(9)
    assert result.counts.unchanged == 4
    assert result.watermark == stamp(12)


def test_incremental_sync_picks_up_exactly_the_changed_items(kb, api):
    sync(kb, api)
    api.items[3] = make_item(3, day=20, body="Article 3 now covers the refund policy.")
    api.items[5] = make_item(5, day=21)
    api.items[13] = make_item(13, day=22)
    api.requests.clear()

    result = sync(kb, api, overlap=timedelta(0))

    assert result.mode == "incremental"
    assert api.requests[0]["updated_since"] == stamp(12)
    assert (result.counts.new, result.counts.updated) == (1, 2)
    assert result.counts.unchanged == 1  # item 12 sits exactly on the watermark (the window is inclusive)
    assert result.watermark == stamp(22)
    assert kb.count_documents(SOURCE) == 13
    hits = kb.search("refund policy", k=1, filters=[], sources=[SOURCE], vector_weight=0.0)
    assert hits[0].title == "Article 3"


def test_watermark_is_the_newest_item_seen_not_the_wall_clock(kb, api):
    clock = FakeClock(start=4_000_000_000.0)  # the year 2096: far past every item
    result = sync(kb, api, clock=clock)
    assert result.watermark == stamp(12)


def test_full_sync_deletes_vanished_items(kb, api):
    sync(kb, api)
    del api.items[4]
    del api.items[9]

    incremental = sync(kb, api)
    assert incremental.counts.deleted == 0 and kb.count_documents(SOURCE) == 12

    # One listing that misses an item is no proof it is gone (it may have moved onto a page
    # already read): the first full sync marks it, the second deletes it.
    first = sync(kb, api, full=True)
    assert (first.mode, first.status) == ("full", "success")
    assert (first.counts.deleted, first.prune.marked_missing) == (0, 2)
    assert kb.count_documents(SOURCE) == 12

    result = sync(kb, api, full=True)
    assert (result.mode, result.status) == ("full", "success")
    assert result.counts.deleted == result.prune.deleted == 2
    assert kb.count_documents(SOURCE) == 10
    hits = kb.search("Article 4", k=12, filters=[], sources=[SOURCE], vector_weight=0.0)
    assert "Article 4" not in {hit.title for hit in hits}


def test_prune_is_refused_beyond_the_allowed_share_unless_forced(kb, api):
    sync(kb, api)
    for number in range(1, 9):
        del api.items[number]

    refused = sync(kb, api, full=True)
    assert refused.status == "partial"
    assert (refused.prune.deleted, refused.prune.would_delete) == (0, 8)
    assert refused.prune.refused_reason
    assert kb.count_documents(SOURCE) == 12

    forced = sync(kb, api, full=True, force_prune=True)
    assert (forced.status, forced.counts.deleted) == ("success", 8)
    assert kb.count_documents(SOURCE) == 4


def test_failing_listing_deletes_nothing_and_resumes_from_its_checkpoint(kb, api):
    sync(kb, api)
    del api.items[2]
    del api.items[11]
    api.fail_pages = {2}

    with pytest.raises(SourceError):
        sync(kb, api, full=True)
    assert kb.count_documents(SOURCE) == 12
    failed = kb.list_runs(SOURCE, limit=1)[0]
    assert failed.status == "failed" and "500" in (failed.error or "")
    assert kb.get_state(SOURCE, WATERMARK_KEY) == stamp(12)
    assert kb.get_state(SOURCE, CHECKPOINT_KEY)["connector_checkpoint"]

    api.fail_pages = set()
    api.requests.clear()
    resumed = sync(kb, api)  # no --full needed: the interrupted full listing is finished
    assert (resumed.mode, resumed.resumed, resumed.status) == ("full", True, "success")
    assert 1 not in api.pages_requested()  # page 1 was committed before the failure
    assert (resumed.counts.deleted, resumed.prune.marked_missing) == (0, 2)  # the first complete listing to miss them
    assert sync(kb, api, full=True).counts.deleted == 2
    assert kb.count_documents(SOURCE) == 10


def test_truncated_listing_neither_prunes_nor_advances_the_watermark(kb, api):
    sync(kb, api)
    del api.items[1]
    api.items[12] = make_item(12, day=30)

    result = sync(kb, api, full=True, config={"max_pages": 1})
    assert result.status == "truncated"
    assert result.truncation_reason
    assert result.counts.deleted == 0 and kb.count_documents(SOURCE) == 12
    assert kb.get_state(SOURCE, WATERMARK_KEY) == stamp(12)
    assert kb.list_runs(SOURCE, limit=1)[0].status == "truncated"


class _Interrupt(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_result_as_an_uninterrupted_one(tmp_path, api, open_kb):
    config = source_config(api.url, per_page=3)
    clean = open_kb(tmp_path / "clean", embedder=HashingEmbedder(64))
    interrupted = open_kb(tmp_path / "interrupted", embedder=HashingEmbedder(64))
    try:
        expected = sync_source(clean, SOURCE, config, allow_private=True, clock=FakeClock())

        # Page 3 is served only once the run is stopped: pages waiting together are stored as
        # one, and all 12 documents would otherwise be stored before the first progress call.
        api.stall_from_page = 3

        def stop_after_two_pages(result):
            if result.pages >= 2:
                api.release.set()
                raise _Interrupt("stopped")

        options = SyncOptions(allow_private=True)
        with pytest.raises(_Interrupt):
            SourceSync(interrupted, SOURCE, config, options, clock=FakeClock(),
                       on_progress=stop_after_two_pages).run()
        assert 0 < interrupted.count_documents(SOURCE) < 12
        resumed = sync_source(interrupted, SOURCE, config, allow_private=True, clock=FakeClock())

        assert resumed.resumed and resumed.status == "success"
        assert resumed.watermark == expected.watermark
        assert resumed.counts.fetched == expected.counts.fetched
        assert interrupted.count_documents(SOURCE) == clean.count_documents(SOURCE) == 12
        for query in ("topic 1", "topic 6", "topic 12"):
            got = interrupted.search(query, k=3, filters=[], sources=None, vector_weight=0.0)
            want = clean.search(query, k=3, filters=[], sources=None, vector_weight=0.0)
            assert [(h.title, h.text, h.link, h.metadata) for h in got] == \
                   [(h.title, h.text, h.link, h.metadata) for h in want]
    finally:
        clean.close()
        interrupted.close()


def test_stored_config_keeps_no_secrets(kb, api):
    config = source_config(api.url, auth_type="bearer", auth_config={"token": "s3cret-token"},
                           headers={"X-Api-Key": "s3cret-key", "Accept": "application/json"})
    add_source(kb, SOURCE, config)
    stored = kb.get_source(SOURCE)
    text = repr(getattr(stored, "config", stored))
    assert "s3cret" not in text
    assert "application/json" in text


class _FailingStore:
    """The knowledge base, except that the upsert holding a chosen title fails (a full disk, a lost lock...)."""

    def __init__(self, kb, failing_title: str):
        self._kb, self._failing_title = kb, failing_title

    def upsert_documents(self, source, docs, **kwargs):
        if any(doc.semantic_identifier == self._failing_title for doc in docs):
            raise OSError("disk full")
        return self._kb.upsert_documents(source, docs, **kwargs)

    def __getattr__(self, name):
        return getattr(self._kb, name)


def test_a_batch_that_failed_to_store_is_fetched_again_on_resume(kb, api):
    # per_page 5, batch_size 2: page 2 is batches [6, 7], [8, 9], [10], and [10] carries page 2's
    # checkpoint. Its store fails: that checkpoint must not be saved, or page 2's tail is lost.
    # (Batches waiting together are stored as one, so page 1 may have failed with it.)
    failing = _FailingStore(kb, failing_title="Article 10")
    with pytest.raises(OSError):
        sync_source(failing, SOURCE, source_config(api.url), allow_private=True, clock=FakeClock())
    checkpoint = kb.get_state(SOURCE, CHECKPOINT_KEY)
    assert checkpoint is None or checkpoint["pages"] == 1
    assert kb.list_documents(source=SOURCE, title_contains="Article 10")[1] == 0
    assert kb.list_runs(SOURCE, limit=1)[0].error == "disk full"

    result = sync(kb, api)
    assert result.resumed == (checkpoint is not None) and kb.count_documents(SOURCE) == 12


def test_sync_from_the_stored_config_needs_the_secrets_back(kb, api):
    add_source(kb, SOURCE, source_config(api.url))
    result = sync_source(kb, SOURCE, allow_private=True, clock=FakeClock())
    assert result.counts.new == 12

    add_source(kb, "keyed", source_config(api.url, headers={"X-Api-Key": "s3cret-key"}))
    with pytest.raises(CredentialError, match="headers.X-Api-Key"):
        sync_source(kb, "keyed", allow_private=True, clock=FakeClock())
    with pytest.raises(ConfigError, match="no source named 'missing'"):
        sync_source(kb, "missing", allow_private=True)


def test_a_second_sync_of_the_same_source_fails_fast_and_deletes_nothing(tmp_path, open_kb):
    from restsync.errors import SyncInProgressError

    kb = open_kb(tmp_path / "kb", settings=KBSettings(embedder="hashing-64"))
    other = open_kb(tmp_path / "kb")  # another process's handle on the same directory
    with other.lock_source("articles"):
        with pytest.raises(SyncInProgressError, match="articles"):
            sync_source(kb, "articles", {"url": "http://api.example.test/x", "content_fields": ["title"]})
    assert kb.list_runs("articles") == []  # refused before any run was recorded
    other.close()
    kb.close()


def test_a_run_left_running_by_a_killed_process_is_closed_as_interrupted(tmp_path, open_kb):
    with ItemsApi(count=5) as api:
        kb = open_kb(tmp_path / "kb", settings=KBSettings(embedder="hashing-64"))
        stale = kb.start_run("articles", "full")  # what a kill -9 leaves behind
        sync_source(kb, "articles", source_config(api.url), allow_private=True)
        runs = {run.id: run for run in kb.list_runs("articles")}
        assert runs[stale].status == "failed" and "interrupted" in runs[stale].error
        assert [run.status for run in runs.values() if run.id != stale] == ["success"]
        kb.close()
