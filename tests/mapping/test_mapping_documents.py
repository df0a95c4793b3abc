"""Item -> Document (PY-DOC-1..7, GO-9, GO-12) and the mapper's diagnostics."""

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import xxhash

from restsync.config import SourceConfig
from restsync.mapping import DocumentMapper, document_id, fallback_raw_id


def mapper_for(namespace=None, **keys):
    raw = {"url": "https://api.example.com/items", "content_fields": ["title", "body"]}
    raw.update(keys)
    return DocumentMapper(SourceConfig.from_mapping(raw), namespace)


# --- RAGFlow's document cases --------------------------------------------------------------------

RAGFLOW = {"id_field": "id", "content_fields": "title, body", "metadata_fields": "author"}


def test_py_doc_1_id_from_id_field():
    doc = mapper_for(**RAGFLOW).map({"id": "abc", "title": "T", "body": "B", "author": "Jane"})
    assert doc.id == document_id("abc") and len(doc.id) == 32


def test_py_doc_2_title_from_first_content_field():
    doc = mapper_for(**RAGFLOW).map({"id": "1", "title": "My Title", "body": "B"})
    assert doc.semantic_identifier == "My Title"


def test_py_doc_3_content_holds_every_content_field():
    doc = mapper_for(**RAGFLOW).map({"id": "1", "title": "Title", "body": "Body text"})
    assert doc.blob == b"Title\nBody text"


def test_py_doc_4_metadata_keyed_by_field_path():
    assert mapper_for(**RAGFLOW).map({"id": "1", "title": "T", "author": "Jane"}).metadata == {"author": "Jane"}


def test_py_doc_5_html_stripped_from_content():
    doc = mapper_for(**RAGFLOW).map({"id": "1", "title": "T", "body": "<p>Clean</p>"})
    assert b"<p>" not in doc.blob and doc.content == "T\nClean"


def test_py_doc_6_extension_is_txt():
    assert mapper_for(**RAGFLOW).map({"id": "1", "title": "T"}).extension == ".txt"


def test_py_doc_7_missing_content_fields_give_empty_content():
    mapper = mapper_for(**RAGFLOW)
    doc = mapper.map({"id": "1", "author": "Jane"})
    assert doc.blob == b""
    assert doc.semantic_identifier == "1"  # falls back to the raw id
    assert mapper.stats["empty_content"] == 1
    assert any("empty content" in line for line in mapper.warnings())


def test_go_9_item_to_document():
    mapper = mapper_for(
        id_field="id", content_fields="title", metadata_fields="meta.count", poll_timestamp_field="updated"
    )
    doc = mapper.map({"id": "abc", "title": "Hello <b>World</b>", "meta": {"count": 3}, "updated": "2024-01-15T10:00:00Z"})
    assert doc.id == xxhash.xxh128("rest_api:abc".encode()).hexdigest()  # RAGFlow's hash128 (UTF-8)
    assert doc.semantic_identifier == doc.content == "Hello World"
    assert doc.metadata == {"meta.count": 3}
    assert doc.doc_updated_at == datetime(2024, 1, 15, 10, tzinfo=timezone.utc)
    assert doc.source == "rest_api"


def test_go_12_template_and_broken_template_fallback():
    good = mapper_for(content_fields="title", content_template="Title: {title} / Count: {meta_count}")
    assert good.map({"title": "T", "meta": {"count": 3}}).content == "Title: T / Count: 3"
    broken = mapper_for(content_fields="title", content_template="{")
    assert broken.map({"title": "T"}).content == "T"
    assert any("content_template" in line and "falling back" in line for line in broken.warnings())


# --- ids ---------------------------------------------------------------------------------------


def test_numeric_ids_are_strings_and_namespaces_separate_sources():
    item = {"id": 7, "title": "T"}
    assert mapper_for(id_field="id").map(item).id == document_id("7")
    assert mapper_for("shop", id_field="id").map(item).id == document_id("7", "shop")
    assert mapper_for("shop", id_field="id").map(item).id != mapper_for("blog", id_field="id").map(item).id


def test_missing_id_falls_back_to_canonical_json_and_is_counted():
    mapper = mapper_for(id_field="uuid")
    first = mapper.map({"title": "T", "n": 1})
    again = mapper.map({"n": 1, "title": "T"})
    assert first.id == again.id == document_id(fallback_raw_id({"n": 1, "title": "T"}))
    assert mapper.stats["missing_id"] == 2
    assert any("id_field 'uuid'" in line for line in mapper.warnings())


def test_nested_id_field():
    doc = mapper_for(id_field="sys.id").map({"sys": {"id": "e1"}, "title": "T"})
    assert doc.id == document_id("e1")


# --- titles, metadata, timestamps, links ---------------------------------------------------------


def test_title_field_cleaned_and_cut():
    mapper = mapper_for(title_field="name")
    doc = mapper.map({"name": "<h1>Big</h1><p>Second\nline</p>", "title": "ignored"})
    assert doc.semantic_identifier == "Big Second line"
    assert len(mapper.map({"name": "x" * 300}).semantic_identifier) == 100


def test_metadata_types_defaults_wildcards_and_omissions():
    mapper = mapper_for(
        metadata_fields="count, price, tags[*].name, labels[*], published, region, absent",
        field_type_hints={"count": "number", "price": "number", "published": "date"},
        field_default_values={"region": "eu"},
    )
    item = {"count": "3", "price": "9.5", "tags": [{"name": "news"}], "labels": ["a", "b"], "published": 1705312800}
    assert mapper.map(item).metadata == {
        "count": 3,
        "price": 9.5,
        "tags[*].name": ["news"],  # a list even with one match, so filters can match an element
        "labels[*]": ["a", "b"],
        "published": "2024-01-15T10:00:00Z",  # dates stay JSON: ISO 8601 UTC text
        "region": "eu",
    }
    json.dumps(mapper.map(item).metadata)


def test_bad_type_hint_kept_and_counted():
    mapper = mapper_for(metadata_fields="count", field_type_hints={"count": "number"})
    assert mapper.map({"count": "many", "title": "T"}).metadata == {"count": "many"}
    assert mapper.stats["bad_type_hint"] == 1
    assert any("'many' is not a number" in line for line in mapper.warnings())


def test_timestamps_missing_and_bad_are_counted():
    mapper = mapper_for(poll_timestamp_field="updated_at")
    assert mapper.map({"title": "T", "updated_at": 1705312800000}).doc_updated_at.year == 2024
    assert mapper.map({"title": "T", "updated_at": "yesterday"}).doc_updated_at is None
    assert mapper.map({"title": "T"}).doc_updated_at is None
    assert mapper.stats["bad_timestamp"] == 1 and mapper.stats["missing_timestamp"] == 1
    assert any("'yesterday'" in line for line in mapper.warnings())


def test_links_from_field_or_template():
    by_field = mapper_for(id_field="id", link_field="html_url")
    assert by_field.map({"id": 1, "title": "T", "html_url": "https://x/1"}).link == "https://x/1"
    by_template = mapper_for(id_field="number", link_template="https://x/{owner_login}/{id}")
    assert by_template.map({"number": 5, "owner": {"login": "me"}, "title": "T"}).link == "https://x/me/5"
    assert mapper_for().map({"title": "T"}).link is None


def test_template_id_is_the_item_id_not_the_json_fallback():
    mapper = mapper_for(link_template="https://x/{id}")
    assert mapper.map({"id": 9, "title": "T"}).link == "https://x/9"


def test_simple_namespace_config_and_map_many():
    config = SimpleNamespace(id_field="id", content_fields=["text"], metadata_fields=[])
    docs = DocumentMapper(config, None).map_many([{"id": i, "text": f"t{i}"} for i in range(3)])
    assert [doc.content for doc in docs] == ["t0", "t1", "t2"]
    assert [doc.id for doc in docs] == [document_id(str(i)) for i in range(3)]
    assert DocumentMapper(config).warnings() == []
