"""The sync pipeline: batches stored in fetch order, embedding grouped across batches, every
stage's error raised as it was, cancellation that stops every thread, bounded memory, waiting
batches merged. The same through the sync engine: test_sync_pipeline_engine.py."""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest

from restsync.sync.pipeline import PipelineCancelled, SyncPipeline

WAIT_S = 10  # a safety net for a broken pipeline: the tests never wait this long when it works


class Source:
    """Batches of `size` texts; records how far the fetch ran and whether it was closed."""

    def __init__(self, batches: int, size: int = 3, fail_at: int | None = None, on_produced=None):
        self.batches, self.size, self.fail_at, self.on_produced = batches, size, fail_at, on_produced
        self.produced = 0
        self.closed = threading.Event()

    def __iter__(self):
        try:
            for index in range(self.batches):
                if index == self.fail_at:
                    raise ConnectionError(f"page {index} failed")
                self.produced += 1
                if self.on_produced:
                    self.on_produced(self.produced)
                yield [f"batch {index} text {n}" for n in range(self.size)]
        finally:
            self.closed.set()


def embed(texts):
    return np.array([[float(len(text))] for text in texts], dtype=np.float32)


def make(stored, *, plan=None, embed_fn=embed, store=None, **sizes):
    def default_store(item, plan_value, vectors):
        stored.append((item, plan_value, None if vectors is None else vectors[:, 0].tolist()))

    return SyncPipeline(plan=plan or (lambda item: (f"plan of {item[0]}", item)), embed=embed_fn,
                        store=store or default_store, size=len, **sizes)


def test_every_batch_is_stored_in_fetch_order_with_its_own_vectors():
    stored = []
    source = Source(batches=40, size=3)
    make(stored, max_documents=12, embed_group=8).run(source)
    assert [item for item, _, _ in stored] == list(Source(batches=40, size=3))
    for item, plan, vectors in stored:
        assert plan == f"plan of {item[0]}"
        assert vectors == [float(len(text)) for text in item]
    assert source.closed.is_set()


def test_a_batch_with_nothing_to_embed_skips_the_embedder():
    stored = []
    pipeline = make(stored, plan=lambda item: (None, () if "batch 1 " in item[0] else item))
    pipeline.run(Source(batches=3))
    assert [vectors is None for _, _, vectors in stored] == [False, True, False]


def test_waiting_batches_are_embedded_together():
    stored, planned, calls = [], [], []
    all_planned, first_embed = threading.Event(), threading.Event()

    def plan(item):
        planned.append(item)
        if len(planned) == 6:
            all_planned.set()
        return None, item

    def slow_first_embed(texts):
        calls.append(len(texts))
        if len(calls) == 1:  # while the first batch embeds, the other five are planned
            first_embed.set()
            assert all_planned.wait(WAIT_S)
        return embed(texts)

    def hold_second_batch(produced):
        if produced == 2:
            assert first_embed.wait(WAIT_S)

    source = Source(batches=6, size=3, on_produced=hold_second_batch)
    make(stored, plan=plan, embed_fn=slow_first_embed, embed_group=100, linger_s=0).run(source)
    assert calls == [3, 15]
    assert len(stored) == 6


def test_a_small_group_waits_for_more_texts_while_the_fetch_runs():
    stored, calls = [], []
    first_embed = threading.Event()

    def counting_embed(texts):
        calls.append(len(texts))
        first_embed.set()
        return embed(texts)

    def hold_third_batch(produced):  # the fetch is still running when the first group forms
        if produced == 3:
            assert first_embed.wait(WAIT_S)

    source = Source(batches=5, size=3, on_produced=hold_third_batch)
    make(stored, embed_fn=counting_embed, embed_group=6, min_group=6, linger_s=WAIT_S).run(source)
    assert calls[0] == 6  # batch 1 waited for batch 2 instead of going alone
    assert sum(calls) == 15 and len(stored) == 5


@pytest.mark.parametrize("stage", ["fetch", "plan", "embed", "store"])
def test_the_first_error_of_any_stage_is_raised_as_it_was_and_stops_the_others(stage):
    class Broken(Exception):
        pass

    stored = []
    source = Source(batches=50, fail_at=5 if stage == "fetch" else None)

    def plan(item):
        if stage == "plan" and "batch 5 " in item[0]:
            raise Broken("plan failed")
        return None, item

    def embed_fn(texts):
        if stage == "embed" and any("batch 5 " in text for text in texts):
            raise Broken("embed failed")
        return embed(texts)

    def store(item, plan_value, vectors):
        if stage == "store" and "batch 5 " in item[0]:
            raise Broken("store failed")
        stored.append(item)

    expected = ConnectionError if stage == "fetch" else Broken
    pipeline = make(stored, plan=plan, embed_fn=embed_fn, store=store, max_documents=9)
    with pytest.raises(expected, match="failed"):
        pipeline.run(source)
    if stage == "fetch":  # the batches fetched before the failure are stored, as before the pipeline
        assert len(stored) == 5
    assert len(stored) <= 5  # nothing after the failed batch was stored
    assert [item[0] for item in stored] == [f"batch {n} text 0" for n in range(len(stored))]
    assert source.closed.wait(WAIT_S)  # the fetch stopped and the iterator was closed
    assert source.produced < 50
    assert not [t for t in threading.enumerate() if t.name in ("sync-fetch", "sync-embed")]


def test_cancel_from_another_thread_stops_every_stage():
    stored = []
    pipeline = None

    def store(item, plan_value, vectors):
        stored.append(item)
        if len(stored) == 3:
            threading.Thread(target=pipeline.cancel).start()
            assert cancelled_from_outside.wait(WAIT_S)

    cancelled_from_outside = threading.Event()
    pipeline = make(stored, store=store, max_documents=6)
    original_cancel = pipeline.cancel

    def cancel():
        original_cancel()
        cancelled_from_outside.set()

    pipeline.cancel = cancel
    source = Source(batches=1000)
    with pytest.raises(PipelineCancelled):
        pipeline.run(source)
    assert len(stored) == 3
    assert source.closed.wait(WAIT_S) and source.produced < 10
    assert not [t for t in threading.enumerate() if t.name in ("sync-fetch", "sync-embed")]


def test_keyboard_interrupt_in_the_callers_thread_stops_the_fetch():
    stored = []

    def store(item, plan_value, vectors):
        raise KeyboardInterrupt

    source = Source(batches=1000)
    with pytest.raises(KeyboardInterrupt):
        make(stored, store=store, max_documents=6).run(source)
    assert source.closed.wait(WAIT_S) and source.produced < 10


def test_fetching_waits_while_max_documents_are_not_yet_stored():
    stored = []
    seen_in_flight = []
    three_fetched = threading.Event()
    source = Source(batches=30, size=4, on_produced=lambda n: n == 3 and three_fetched.set())

    def store(item, plan_value, vectors):
        if not stored:  # hold the first store until the fetch has run as far ahead as it may
            assert three_fetched.wait(WAIT_S)
        seen_in_flight.append((source.produced - len(stored)) * 4)
        stored.append(item)

    pipeline = make(stored, store=store, max_documents=10, embed_group=4)
    pipeline.run(source)
    assert len(stored) == 30
    # The fetch takes another batch only while fewer than 10 documents wait: 3 batches of 4.
    assert pipeline.peak_in_flight == 12
    assert max(seen_in_flight) <= 12


# -- merging waiting batches, and the first group ------------------------------------------------


def concat(items):
    return [[text for item in items for text in item]]


def test_batches_waiting_together_are_planned_and_stored_as_one_up_to_merge_documents():
    stored = []
    planning = threading.Event()
    # Batch 0 is planned alone; its plan waits until every batch is fetched: the other nine wait together.
    source = Source(batches=10, size=3, on_produced=lambda n: n == 2 and planning.wait(WAIT_S))

    def plan(item):
        planning.set()
        assert source.closed.wait(WAIT_S)
        return None, item

    pipeline = make(stored, plan=plan, merge=concat, merge_documents=12)
    pipeline.run(source)
    # Batch 0 alone, then 9 waiting batches of 3 in runs of at most 12 documents: 4 + 4 + 1 batches.
    assert [len(item) for item, _, _ in stored] == [3, 12, 12, 3]
    assert [text for item, _, _ in stored for text in item] == [text for item in Source(batches=10) for text in item]
    assert pipeline.plans == 4
    assert pipeline.peak_in_flight == 30


def test_without_merge_every_batch_is_planned_on_its_own():
    stored = []
    source = Source(batches=5, size=3)

    def plan(item):
        assert source.closed.wait(WAIT_S)
        return None, item

    pipeline = make(stored, plan=plan)
    pipeline.run(source)
    assert [len(item) for item, _, _ in stored] == [3] * 5 and pipeline.plans == 5


def test_a_merge_that_loses_documents_fails_the_run():
    source = Source(batches=4, size=3)

    def plan(item):
        assert source.closed.wait(WAIT_S)
        return None, item

    pipeline = make([], plan=plan, merge=lambda items: [items[0]])
    with pytest.raises(ValueError, match="merge must keep every document"):
        pipeline.run(source)


class _WatchedQueue(queue.Queue):
    """The embed thread's queue, telling when the embed thread waits on it for more texts."""

    def __init__(self, waiting: threading.Event):
        super().__init__()
        self._waiting = waiting

    def get(self, block=True, timeout=None):
        if block and timeout is not None:
            self._waiting.set()
        return super().get(block, timeout)


def test_the_first_group_waits_for_batches_still_being_planned_after_the_fetch_ended():
    # A fast API: the fetch ends before the caller's thread has planned what it fetched. The
    # embedder must wait for those batches, not send the first one to the model alone.
    stored, calls = [], []
    source = Source(batches=2, size=3)
    settled = threading.Event()  # the embed thread either waits for more texts or has embedded

    def plan(item):
        if "batch 0 " in item[0]:
            assert source.closed.wait(WAIT_S)  # the fetch has ended
        else:
            assert settled.wait(WAIT_S)  # batch 1 is planned only once the embed thread chose
        return None, item

    def counting_embed(texts):
        calls.append(len(texts))
        settled.set()
        return embed(texts)

    pipeline = make(stored, plan=plan, embed_fn=counting_embed, embed_group=6, min_group=6, linger_s=WAIT_S)
    pipeline._to_embed = _WatchedQueue(settled)
    pipeline.run(source)
    assert calls == [6] and len(stored) == 2
