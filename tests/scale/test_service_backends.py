"""The service on both backends: SQLite state + each knowledge base in its own directory, and
PostgreSQL state (knowledge bases in it too) + Milvus Lite. The same source synced into each
gives the same documents, the same top-3 search results, and deleting the dataset removes its
collection from the index and its schema from PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from restsync.service import Service, ServiceSettings

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from api import HelpApi, ragflow_config  # noqa: E402

QUERIES = ["refund policy", "two-factor login", "security steps", "article 17", "billing"]


def _best(hits: list[dict]) -> set[str]:
    """Titles tied for the top score."""
    return {hit["title"] for hit in hits if hit["score"] >= hits[0]["score"] - 1e-6} if hits else set()


def _synced(settings: ServiceSettings, api: HelpApi) -> tuple[Service, str]:
    service = Service.open(settings)
    dataset = service.create_dataset(name="help", embedding_model="hashing", chunk_token_num=64)
    connector = service.create_connector({"name": "help", "config": ragflow_config(api.base_url)})
    service.link_connector(connector["id"], dataset["id"])
    assert service.syncs.wait_idle(connector["id"], timeout=60)
    assert service.syncs.last_run(connector["id"])["status"] == "success"
    return service, dataset["id"]


def test_both_backends_hold_the_same_documents_and_rank_the_same(tmp_path, serve, postgres_url, milvus_url):
    api = serve(HelpApi(count=40))
    embedded, embedded_id = _synced(ServiceSettings(data_dir=tmp_path / "a", allow_private=True, scheduler=False,
                                                    env={"RESTSYNC_SECRET_KEY": ""}), api)
    scaled, scaled_id = _synced(ServiceSettings(data_dir=tmp_path / "b", allow_private=True, scheduler=False,
                                                database_url=postgres_url, index_url=milvus_url,
                                                env={"RESTSYNC_SECRET_KEY": ""}), api)
    try:
        assert scaled.datasets.open(scaled_id).index_name == "milvus"
        assert scaled.datasets.open(scaled_id).count_documents() == embedded.datasets.open(embedded_id).count_documents() == 40
        for query in QUERIES:
            for weight in (0.0, 0.5, 1.0):
                # k=15: every document tied with the best is in the list, whatever order ties take.
                ours = embedded.backend.search(query, kb_ids=[embedded_id], k=15, vector_weight=weight)
                theirs = scaled.backend.search(query, kb_ids=[scaled_id], k=15, vector_weight=weight)
                if weight == 1.0:  # exact cosine on both: the same scores (tied documents may swap)
                    assert [hit["score"] for hit in ours[:3]] == pytest.approx([hit["score"] for hit in theirs[:3]], abs=1e-4)
                # These articles repeat the same phrases, so many tie on BM25; FTS5 (porter stemmer)
                # and Milvus (standard tokenizer) also count terms differently: the best documents agree.
                assert _best(ours) & _best(theirs), (query, weight, ours[:1], theirs[:1])
        scaled_kb = scaled.datasets.open(scaled_id)
        collection, schema = scaled_kb._index.collection, scaled_kb._store.schema_name
        assert not (tmp_path / "b" / "datasets").exists()  # the knowledge base lives in PostgreSQL
        from sqlalchemy import create_engine, text

        engine = create_engine(postgres_url)
        schemas = text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s")
        with engine.connect() as connection:
            assert connection.scalar(schemas, {"s": schema}) == 1
        scaled.delete_datasets([scaled_id])
        with engine.connect() as connection:
            assert connection.scalar(schemas, {"s": schema}) == 0
        engine.dispose()
        from pymilvus import MilvusClient

        from restsync.kb.index import milvus_uri

        check = MilvusClient(milvus_uri(milvus_url))
        assert not check.has_collection(collection)
        check.close()
    finally:
        embedded.close()
        scaled.close()
