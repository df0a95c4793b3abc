"""The Milvus index behind the `Index` seam, against Milvus Lite: filters mean what they mean
on the embedded store, writes by document replace and delete chunks, and rankings agree."""

from __future__ import annotations

import pytest

from restsync.document import Document
from restsync.errors import ConfigError
from restsync.kb import Filter, HashingEmbedder, KnowledgeBase
from restsync.kb.index import milvus_uri
from restsync.kb.index.milvus_dense import parse_dense_index
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


# -- the dense index chosen by the index URL ------------------------------------------------------

def test_the_dense_index_defaults_to_exact_flat():
    dense = parse_dense_index("")
    assert (dense.kind, dense.build_params(), dense.search_params(10), dense.approximate) == ("flat", {}, {}, False)


def test_hnsw_and_ivf_options_become_milvus_build_and_search_params():
    hnsw = parse_dense_index("index=hnsw&M=32&ef_construction=100&ef=40")
    assert hnsw.milvus_type == "HNSW" and hnsw.build_params() == {"M": 32, "efConstruction": 100}
    assert hnsw.search_params(10) == {"ef": 40}
    assert hnsw.search_params(80) == {"ef": 80}  # Milvus refuses ef below the number of hits asked for
    assert parse_dense_index("index=HNSW").values == {"M": 16, "ef_construction": 200, "ef": 64}
    ivf = parse_dense_index("index=ivf_flat&nlist=256&nprobe=8")
    assert ivf.build_params() == {"nlist": 256} and ivf.search_params(10) == {"nprobe": 8}


@pytest.mark.parametrize(
    "query, named",
    [("index=annoy", "'annoy'"), ("index=hnsw&nlist=4", "'nlist'"), ("index=flat&ef=4", "'ef'"),
     ("index=hnsw&M=many", "M='many'"), ("index=hnsw&M=1", "M=1"), ("index=ivf_flat&nlist=0", "nlist=0"),
     ("index=ivf_flat&nlist=8&nprobe=9", "nprobe=9"), ("index=hnsw&ef=4&ef=5", "'ef'")],
)
def test_a_bad_index_option_is_a_config_error_naming_it(query, named):
    with pytest.raises(ConfigError) as error:
        parse_dense_index(query)
    assert error.value.key == "index_url" and named in str(error.value)


def test_open_index_checks_the_options_before_connecting(tmp_path):
    from restsync.kb.index import open_index

    with pytest.raises(ConfigError, match="'annoy'"):
        open_index("milvus://milvus.invalid:19530?index=annoy", "kb", store=None)


def _dense_index(kb) -> dict:
    index = kb._index
    return index._client.describe_index(index.collection, index_name="dense")


class _Recording:
    """A real Milvus client whose searches are recorded, to see what reaches the engine."""

    def __init__(self, client):
        self._client = client
        self.searches: list[dict] = []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def search(self, *args, **kwargs):
        self.searches.append(kwargs)
        return self._client.search(*args, **kwargs)


def test_ivf_flat_reaches_the_collection_and_its_searches_agree_with_the_embedded_index(indexed, tmp_path):
    from restsync.kb.index.milvus import MilvusIndex

    url = f"milvus+lite://{tmp_path}/index.db?index=ivf_flat&nlist=4&nprobe=2"
    docs = [Document(id=f"d{n}", semantic_identifier=f"Doc {n}", content=f"shared report number {n}", metadata=metadata)
            for n, metadata in enumerate(RECORDS)]
    with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(16), index_url=url) as kb:
        kb.upsert_documents("src", docs, run_id=kb.start_run("src", "full"))
        described = _dense_index(kb)
        assert (described["index_type"], described["metric_type"], described["nlist"]) == ("IVF_FLAT", "COSINE", "4")
        recording = _Recording(kb._index._client)
        kb._index = MilvusIndex(kb._index.uri, kb.id, client=recording, dense=kb._index.dense)
        for expressions, expected in FILTER_CASES[:6]:
            hits = kb.search("report", k=50, filters=expressions, vector_weight=1.0)
            assert {hit.document_id for hit in hits} == expected, expressions
        dense_searches = [call for call in recording.searches if call["anns_field"] == "dense"]
        assert dense_searches and all(call["search_params"]["params"] == {"nprobe": 2} for call in dense_searches)
        ranked = kb.search("report number 3", k=5, vector_weight=1.0)
        exact = indexed["embedded"].search("report number 3", k=5, vector_weight=1.0)
        assert {hit.document_id: hit.score for hit in ranked} == pytest.approx({hit.document_id: hit.score for hit in exact}, abs=1e-5)


def test_an_index_milvus_lite_cannot_build_is_a_config_error_and_leaves_no_collection(tmp_path):
    url = f"milvus+lite://{tmp_path}/index.db?index=hnsw&M=8"
    with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(16), index_url=url) as kb:
        with pytest.raises(ConfigError) as error:
            kb.upsert_documents("src", [Document(id="a", semantic_identifier="A", content="alpha")], run_id=kb.start_run("src", "full"))
        assert error.value.key == "index_url" and "index=hnsw" in str(error.value) and "HNSW" in str(error.value)
        assert not kb._index._client.has_collection(kb._index.collection)


def test_changed_build_options_rebuild_the_dense_index_on_open(tmp_path):
    base = f"milvus+lite://{tmp_path}/index.db"
    docs = [Document(id=f"d{n}", semantic_identifier=f"Doc {n}", content=f"report {n} text") for n in range(30)]
    with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(16), index_url=base) as kb:
        kb.upsert_documents("src", docs, run_id=kb.start_run("src", "full"))
        assert _dense_index(kb)["index_type"] == "FLAT"
        before = [(hit.document_id, hit.score) for hit in kb.search("report 7", k=5, vector_weight=1.0)]
    with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(16), index_url=base + "?index=ivf_flat&nlist=2&nprobe=2") as kb:
        assert (_dense_index(kb)["index_type"], _dense_index(kb)["nlist"]) == ("IVF_FLAT", "2")
        after = [(hit.document_id, hit.score) for hit in kb.search("report 7", k=5, vector_weight=1.0)]
        assert kb._index.count_chunks() == 30
    assert [doc for doc, _ in after] == [doc for doc, _ in before]
    assert [score for _, score in after] == pytest.approx([score for _, score in before], abs=1e-5)
