"""Metadata filters: parsing, and exact results on strings, numbers, dates and lists.

Search here is keyword-only over a word every document contains, so the filter alone decides
the result; the HashingEmbedder stands in for the model (not a test of embedding quality).
"""

from __future__ import annotations

import pytest

from restsync.document import Document
from restsync.errors import ConfigError
from restsync.kb import Filter, HashingEmbedder, KnowledgeBase, parse_filter
from servers.filter_records import RECORDS


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    base = KnowledgeBase.open(tmp_path_factory.mktemp("kb"), embedder=HashingEmbedder(16))
    docs = [
        Document(id=f"d{n}", semantic_identifier=f"Doc {n}", content=f"shared report number {n}", metadata=metadata)
        for n, metadata in enumerate(RECORDS)
    ]
    base.upsert_documents("src", docs, run_id=base.start_run("src", "full"))
    yield base
    base.close()


def matching(kb, *expressions: str) -> set[str]:
    hits = kb.search("report", k=50, filters=list(expressions), vector_weight=0.0)
    return {hit.document_id for hit in hits}


@pytest.mark.parametrize(
    "expressions, expected",
    [
        (["author.name=Jane"], {"d0"}),  # exact: not "jane", not "Jane Doe"
        (["author.name!=Jane"], {"d1", "d2", "d3", "d4"}),  # missing key counts as "not equal"
        (["author.name in Jane,John"], {"d0", "d1"}),
        (["stars=12"], {"d2"}),  # numeric string compares as a number too
        (["stars>=12"], {"d1", "d2"}),
        (["stars<7.5"], {"d0"}),
        (["stars<=7.5"], {"d0", "d3"}),
        (["stars>5"], {"d1", "d2", "d3"}),
        (["updated_at>=2025-01-01"], {"d1", "d2"}),
        (["updated_at<2025-01-01"], {"d0", "d3"}),
        (["updated_at>2023-03-01T08:00:00Z"], {"d0", "d1", "d2"}),  # +02:00 normalised to UTC
        (["tags[*].name=python"], {"d0", "d2"}),  # list: equals any element
        (["tags[*].name!=python"], {"d1", "d3", "d4"}),
        (["tags[*].name in go,rag"], {"d0", "d1"}),
        (["tags[*].name=python", "stars>=10"], {"d2"}),  # filters combine with AND
        (["nonexistent=1"], set()),
    ],
)
def test_filters_select_exactly_the_matching_documents(kb, expressions, expected):
    assert matching(kb, *expressions) == expected


def test_filters_apply_to_vector_search_too(kb):
    hits = kb.search("report", k=50, filters=["stars>=12"], vector_weight=1.0)
    assert {hit.document_id for hit in hits} == {"d1", "d2"}


def test_filter_objects_work_like_parsed_ones(kb):
    assert matching(kb) == {f"d{n}" for n in range(5)}
    hits = kb.search("report", k=50, filters=[Filter("stars", ">", 6)], vector_weight=0.0)
    assert {hit.document_id for hit in hits} == {"d1", "d2", "d3"}


@pytest.mark.parametrize(
    "expression, parsed",
    [
        ("author.name=Jane", Filter("author.name", "=", "Jane")),
        ("updated_at >= 2025-01-01", Filter("updated_at", ">=", "2025-01-01")),
        ("tag in a, b ,c", Filter("tag", "in", ("a", "b", "c"))),
        ("x!=y", Filter("x", "!=", "y")),
        ("n<3", Filter("n", "<", "3")),
        ("title=a=b", Filter("title", "=", "a=b")),
    ],
)
def test_parse_filter(expression, parsed):
    assert parse_filter(expression) == parsed


@pytest.mark.parametrize("expression", ["no operator here", "=value", "tag in ,"])
def test_bad_filters_are_config_errors_naming_the_filter(expression):
    with pytest.raises(ConfigError) as error:
        parse_filter(expression)
    assert error.value.key == "filter"
