"""The sync pipeline through the sync engine, against the loopback API: embedding grouped across
pages, an item listed twice while in flight, a failing embedder, and how the engine merges the
batches waiting together (each merged batch ends at the checkpoint it saves)."""

from __future__ import annotations

import threading

import pytest

from restsync.clock import FakeClock
from restsync.document import Document
from restsync.kb import KnowledgeBase
from restsync.kb.embedding import HashingEmbedder
from restsync.sync import SourceSync, SyncOptions, sync_source
from restsync.sync.engine import _Fetched, _merge_fetched
from restsync.sync.state import CHECKPOINT_KEY
from servers.items_api import ItemsApi, make_item, source_config

WAIT_S = 10  # a safety net for a broken pipeline: the tests never wait this long when it works


# -- through the sync engine -------------------------------------------------------------------

SOURCE = "articles"


@pytest.fixture
def api():
    with ItemsApi(count=30) as server:
        yield server


def test_a_sync_embeds_batches_of_several_pages_in_one_call(tmp_path, api):
    embedder = HashingEmbedder(32)
    kb = KnowledgeBase.open(tmp_path / "kb", embedder=embedder)
    try:
        result = sync_source(kb, SOURCE, source_config(api.url, per_page=3), allow_private=True, clock=FakeClock())
        assert result.status == "success" and result.counts.new == 30 == kb.count_documents(SOURCE)
        assert embedder.texts_embedded == result.counts.chunks_embedded
        assert kb.get_state(SOURCE, CHECKPOINT_KEY) is None
    finally:
        kb.close()


class _PlanWatch:
    """The knowledge base, telling when it has planned a batch holding a given title."""

    def __init__(self, kb, title: str):
        self._kb, self._title, self.planned = kb, title, threading.Event()

    def plan_upsert(self, source, docs, **kwargs):
        plan = self._kb.plan_upsert(source, docs, **kwargs)
        if any(doc.semantic_identifier == self._title for doc in docs):
            self.planned.set()
        return plan

    def __getattr__(self, name):
        return getattr(self._kb, name)


def test_an_item_listed_again_while_its_first_copy_is_unstored_counts_once(tmp_path, api):
    # Page 2 ends with item 4 again: batches [4, 5] and [6, 4]. The embedder holds [4, 5] until
    # [6, 4] is planned, so the second copy is planned while the first is still in flight.
    api.items = {n: make_item(n) for n in range(1, 7)}
    original = api.respond

    def respond(query):
        status, body = original(query)
        if query.get("page") == "2":
            body["items"].append(make_item(4))
        return status, body

    api.respond = respond
    watch = None

    class HeldEmbedder(HashingEmbedder):
        def embed(self, texts):
            if any(text.startswith("Article 5") for text in texts):
                assert watch.planned.wait(WAIT_S)
            return super().embed(texts)

    kb = KnowledgeBase.open(tmp_path / "kb", embedder=HeldEmbedder(32))
    watch = _PlanWatch(kb, "Article 6")
    try:
        result = sync_source(watch, SOURCE, source_config(api.url, per_page=3), allow_private=True, clock=FakeClock())
        assert watch.planned.is_set()
        assert (result.counts.fetched, result.counts.new, result.counts.unchanged) == (7, 6, 1)
        assert kb.count_documents(SOURCE) == 6
    finally:
        kb.close()


def test_a_failing_embedder_fails_the_run_keeps_the_stored_pages_checkpoint_and_resumes(tmp_path, api):
    class FlakyEmbedder(HashingEmbedder):
        fail = True

        def embed(self, texts):
            if self.fail and any("Article 20" in text for text in texts):
                raise RuntimeError("out of memory on the device")
            return super().embed(texts)

    embedder = FlakyEmbedder(32)
    kb = KnowledgeBase.open(tmp_path / "kb", embedder=embedder)
    config = source_config(api.url, per_page=3)
    try:
        with pytest.raises(RuntimeError, match="out of memory"):
            SourceSync(kb, SOURCE, config, SyncOptions(allow_private=True, pipeline={"embed_group": 4}),
                       clock=FakeClock()).run()
        run = kb.list_runs(SOURCE, limit=1)[0]
        assert run.status == "failed" and "out of memory" in run.error
        stored = kb.count_documents(SOURCE)
        checkpoint = kb.get_state(SOURCE, CHECKPOINT_KEY)
        assert stored < 20 and (checkpoint is None or checkpoint["pages"] * 3 <= stored)

        embedder.fail = False
        resumed = sync_source(kb, SOURCE, config, allow_private=True, clock=FakeClock())
        assert resumed.resumed and resumed.status == "success"
        assert kb.count_documents(SOURCE) == 30
    finally:
        kb.close()


# -- the engine's merge of waiting batches ---------------------------------------------------------


def _page(ids, checkpoint=None, pages=1):
    return _Fetched([Document(id=str(n), semantic_identifier=f"Article {n}", content="text") for n in ids],
                    checkpoint, pages, [f"shift after page {pages}"])


def test_the_engine_merges_waiting_batches_up_to_the_last_checkpoint_and_never_over_a_repeated_id():
    # Page 1: [1, 2] [3] (its checkpoint); page 2: [4, 5] [6, 1] (item 1 again) [7] (its checkpoint);
    # then [8] mid-page 3.
    pages = [_page([1, 2]), _page([3], {"page": 2}), _page([4, 5], pages=2), _page([6, 1], pages=2),
             _page([7], {"page": 3}, pages=2), _page([8], pages=3)]
    merged = _merge_fetched(pages)
    # Item 1 again starts a new run; each run ends at its last checkpoint, the rest goes on its own.
    assert [[doc.id for doc in page.batch] for page in merged] == [["1", "2", "3"], ["4", "5"], ["6", "1", "7"], ["8"]]
    # Each merged batch saves the checkpoint, page count and shift notes of its last batch.
    assert [(page.checkpoint, page.pages, page.shifts) for page in merged] == [
        ({"page": 2}, 1, ["shift after page 1"]), (None, 2, ["shift after page 2"]),
        ({"page": 3}, 2, ["shift after page 2"]), (None, 3, ["shift after page 3"]),
    ]


def test_the_engine_ends_a_merged_batch_at_the_checkpoint_it_saves():
    pages = [_page([1]), _page([2], {"page": 2}), _page([3], pages=2), _page([4], pages=2)]
    merged = _merge_fetched(pages)
    assert [[doc.id for doc in page.batch] for page in merged] == [["1", "2"], ["3", "4"]]
    assert [page.checkpoint for page in merged] == [{"page": 2}, None]
    assert _merge_fetched(pages[:1]) == pages[:1]
