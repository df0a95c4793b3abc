"""The PostgreSQL store's own behaviour, beyond the contract both stores pass (tests/kb,
tests/sync): when it is chosen, what it refuses, and a source lock that dies with its process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from restsync.errors import ConfigError, KnowledgeBaseError, SyncInProgressError
from restsync.kb import HashingEmbedder, KnowledgeBase
from restsync.kb.location import store_url_for
from restsync.kb.store.base import SearchRequest

PG = "postgresql+psycopg://restsync@db.internal/restsync"
WAIT_LIMIT_S = 30  # real time: a killed process's connection ends within milliseconds


def test_knowledge_bases_go_to_postgresql_only_with_postgresql_state_and_an_external_index():
    assert store_url_for(PG, "milvus://milvus.internal:19530") == PG
    assert store_url_for(PG, "milvus+lite:///tmp/index.db") == PG
    assert store_url_for(PG, None) is None and store_url_for(PG, "embedded") is None
    assert store_url_for(None, "milvus://milvus.internal:19530") is None
    assert store_url_for("sqlite:///state.db", "milvus://milvus.internal:19530") is None


def test_a_postgresql_store_needs_an_external_index(postgres_url):
    with pytest.raises(ConfigError) as raised:
        KnowledgeBase.open("kb", store_url=postgres_url)
    assert raised.value.key == "index_url"
    from restsync.kb.store.postgres import PostgresStore

    store = PostgresStore(postgres_url, "kb")
    try:
        with pytest.raises(KnowledgeBaseError, match="external index"):
            store.search(SearchRequest(text="anything", vector=None, candidates=5))
    finally:
        store.close()


_HOLDER = """
import sys
from restsync.kb.store.postgres import PostgresStore
store = PostgresStore(sys.argv[1], "kb")
with store.lock_source("articles"):
    print("held", flush=True)
    sys.stdin.read()  # until killed
"""


def test_the_source_lock_is_released_when_its_process_dies(postgres_url, milvus_url):
    with KnowledgeBase.open("kb", store_url=postgres_url, index_url=milvus_url, embedder=HashingEmbedder(16)) as kb:
        holder = subprocess.Popen([sys.executable, "-c", _HOLDER, postgres_url], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "held"
            with pytest.raises(SyncInProgressError, match="articles"):
                with kb.lock_source("articles"):
                    pass
            with kb.lock_source("other source"):  # a lock per source
                pass
        finally:
            holder.kill()
            holder.wait(timeout=30)
        pause, deadline = threading.Event(), time.monotonic() + WAIT_LIMIT_S
        while True:  # PostgreSQL ends the dead process's session, and its lock with it
            try:
                with kb.lock_source("articles"):
                    break
            except SyncInProgressError:
                assert time.monotonic() < deadline, "the lock outlived its process"
                pause.wait(0.05)


def test_an_unreachable_database_is_a_named_error_without_the_password():
    pytest.importorskip("psycopg", reason="PostgreSQL needs the scale extra (psycopg)")
    from restsync.kb.store.postgres import PostgresStore

    with pytest.raises(KnowledgeBaseError) as raised:
        PostgresStore("postgresql+psycopg://restsync:hunter22@127.0.0.1:1/restsync?connect_timeout=5", "kb")
    assert "127.0.0.1:1/restsync" in str(raised.value) and "hunter22" not in str(raised.value)


def test_two_first_opens_at_once_agree_on_one_knowledge_base(postgres_url):
    from restsync.kb.store.postgres import PostgresStore

    stores: list = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        barrier.wait()
        stores.append(PostgresStore(postgres_url, "shared"))

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        ids = {store.get_meta("kb_id") for store in stores}
        assert len(stores) == 4 and len(ids) == 1 and None not in ids  # the store names itself, once
    finally:
        for store in stores:
            store.close()
