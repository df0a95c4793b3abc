"""The Milvus index behind the `Index` seam, against Milvus Lite: filters mean what they mean
on the embedded store, writes by document replace and delete chunks, and rankings agree."""

from __future__ import annotations

import pytest

from restsync.document import Document
from restsync.errors import ConfigError
from restsync.kb import Filter, HashingEmbedder, KnowledgeBase
from restsync.kb.index import milvus_uri
from restsync.kb.index.milvus_filters import UnsupportedFilterError, expression, held_expression
from servers.filter_records import RECORDS

FILTER_CASES = [
    (["author.name=Jane"], {"d0"}),
    (["author.name!=Jane"], {"d1", "d2", "d3", "d4"}),
    (["author.name in Jane,John"], {"d0", "d1"}),
    (["stars=12"], {"d2"}),
    (["stars>=12"], {"d1", "d2"}),
    (["stars<7.5"], {"d0"}),
    (["stars<=7.5"], {"d0", "d3"}),
    (["stars>5"], {"d1", "d2", "d3"}),
    (["updated_at>=2025-01-01"], {"d1", "d2"}),
    (["updated_at<2025-01-01"], {"d0", "d3"}),
    (["updated_at>2023-03-01T08:00:00Z"], {"d0", "d1", "d2"}),
    (["tags[*].name=python"], {"d0", "d2"}),
    (["tags[*].name!=python"], {"d1", "d3", "d4"}),
    (["tags[*].name in go,rag"], {"d0", "d1"}),
    (["tags[*].name=python", "stars>=10"], {"d2"}),
    (["nonexistent=1"], set()),
    (["author.name>Jane"], {"d1", "d2", "d3"}),  # text range: "Jane Doe", "John", "jane" sort after
]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The same documents in an embedded knowledge base and in one searched through Milvus Lite."""
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    root = tmp_path_factory.mktemp("kbs")
    docs = [
        Document(id=f"d{n}", semantic_identifier=f"Doc {n}", content=f"shared report number {n}", metadata=metadata)
        for n, metadata in enumerate(RECORDS)
    ]
    bases = {
        "embedded": KnowledgeBase.open(root / "embedded", embedder=HashingEmbedder(16)),
        "milvus": KnowledgeBase.open(root / "milvus", embedder=HashingEmbedder(16), index_url=f"milvus+lite://{root}/index.db"),
    }
    for base in bases.values():
        base.upsert_documents("src", docs, run_id=base.start_run("src", "full"))
    yield bases
    for base in bases.values():
        base.close()


@pytest.mark.parametrize("backend", ["embedded", "milvus"])
@pytest.mark.parametrize("expressions, expected", FILTER_CASES)
def test_filters_select_the_same_documents_on_both_indexes(indexed, backend, expressions, expected):
    for weight in (0.0, 1.0):  # keyword leg alone, vector leg alone
        hits = indexed[backend].search("report", k=50, filters=expressions, vector_weight=weight)
        assert {hit.document_id for hit in hits} == expected, (backend, weight)


def test_the_milvus_knowledge_base_searches_milvus(indexed):
    assert indexed["milvus"].index_name == "milvus"
    assert indexed["embedded"].index_name == "embedded"


def test_vector_rankings_and_scores_match_the_embedded_index(indexed):
    """The vector leg is exact (FLAT) on both: same order, same cosine, so the same fused scores."""
    embedded = indexed["embedded"].search("report number 3", k=5, vector_weight=1.0)
    milvus = indexed["milvus"].search("report number 3", k=5, vector_weight=1.0)
    # The 16-dimension hashing vectors of these near-identical texts tie: compare scores per document.
    assert {hit.document_id: hit.score for hit in milvus} == pytest.approx({hit.document_id: hit.score for hit in embedded}, abs=1e-5)
    assert milvus[0].document_id == embedded[0].document_id == "d3"
    hit = milvus[0]
    assert hit.metadata == {key: value for key, value in RECORDS[int(hit.document_id[1:])].items()}


def test_upsert_replaces_a_documents_chunks_and_prune_and_delete_reach_the_index(milvus_url, tmp_path):
    with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(16), index_url=milvus_url) as kb:
        long_text = " ".join(f"alpha{n} word" for n in range(400))
        run = kb.start_run("s", "full")
        kb.upsert_documents("s", [Document(id="a", semantic_identifier="A", content=long_text),
                                  Document(id="b", semantic_identifier="B", content="beta text")], run_id=run)
        assert kb._index.count_chunks() == kb.count_chunks() > 2
        run = kb.start_run("s", "full")
        kb.upsert_documents("s", [Document(id="a", semantic_identifier="A", content="short now")], run_id=run)
        assert kb._index.count_chunks() == kb.count_chunks() == 2  # old chunks of a gone, b still there
        assert kb.prune_unseen("s", run, force=True).deleted == 1
        assert kb.search("beta", k=5, vector_weight=0.0) == []
        assert kb._index.count_chunks() == 1
        kb.delete_source("s")
        assert kb._index.count_chunks() == 0
        assert kb.search("short", k=5) == []


def test_an_operator_the_translation_does_not_know_is_named():
    unknown = object.__new__(Filter)
    for name, value in (("key", "stars"), ("op", "~"), ("value", "1")):
        object.__setattr__(unknown, name, value)
    with pytest.raises(UnsupportedFilterError) as error:
        expression([unknown], None)
    assert "'~'" in str(error.value) and error.value.key == "filter"


def test_every_embedded_operator_translates():
    from restsync.kb.filters import OPERATORS

    for operator in OPERATORS:
        value = ("a", "b") if operator == "in" else "3"
        item = Filter("k", operator, value)
        assert held_expression(item) if operator == "!=" else expression([item], ["src"])


@pytest.mark.parametrize(
    "url, uri",
    [("milvus+lite:///data/index.db", "/data/index.db"), ("milvus://milvus.internal:19530", "http://milvus.internal:19530"),
     ("milvus+https://cloud.example", "https://cloud.example")],
)
def test_index_urls(url, uri):
    assert milvus_uri(url) == uri


@pytest.mark.parametrize("url", ["elastic://x", "milvus+lite:///data/index"])
def test_bad_index_urls_name_the_setting(url):
    with pytest.raises(ConfigError) as error:
        milvus_uri(url)
    assert error.value.key == "index_url"
