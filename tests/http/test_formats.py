"""Response formats besides JSON: RSS, Atom and JSON Lines through `fetch`, XML mapping rules, and the
refusal of DTDs (no XXE, no entity expansion)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from restsync.cli.main import main
from restsync.errors import ConfigError
from restsync.http.body import TruncatedBodyError
from restsync.http.formats import UnreadableBodyError, decode_body, decode_json_lines, decode_xml, resolve_format
from servers.dataset import sample_items
from servers.feeds import ATOM_PATH, JSONL_PATH, RSS_PATH, AtomServer, BodyServer, JsonLinesServer, RssServer

BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>')
XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><item>&x;</item></r>'


def write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "source.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def fetch(tmp_path: Path, config: dict) -> tuple[int, list[dict]]:
    out = tmp_path / "docs.jsonl"
    status = main(["fetch", str(write(tmp_path, config)), "--out", str(out), "--allow-private", "--quiet"])
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return status, docs


# -- through fetch, against loopback servers ------------------------------------------------------

def test_rss_feed_pages_map_namespaced_fields_cdata_and_rfc2822_dates(serve, tmp_path):
    server = serve(RssServer(count=23))
    status, docs = fetch(tmp_path, {
        "url": server.url(RSS_PATH), "items_path": "$.channel.item", "id_field": "guid.#text",
        "title_field": "title", "content_fields": ["title", "content:encoded"], "link_field": "link",
        "poll_timestamp_field": "pubDate", "metadata_fields": ["dc:creator", "category[*]"],
        "pagination_type": "page", "pagination_config": {"page_param": "paged"},
    })
    assert status == 0
    items = sample_items(23)
    assert [d["semantic_identifier"] for d in docs] == [item.title for item in items]
    assert [r.param("paged") for r in server.requests] == ["1", "2", "3", "4"]  # page 4 is empty: the end
    first, third = docs[0], docs[2]
    assert first["metadata"]["category[*]"] == ["news"]  # one category is still a list
    assert third["metadata"] == {"dc:creator": items[2].author, "category[*]": ["news", items[2].author]}
    assert items[2].plain_body in third["content"] and "<b>" not in third["content"]  # CDATA HTML to text
    assert third["link"] == "https://blog.example.com/p/3"
    assert third["doc_updated_at"].startswith(items[2].updated_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert len({d["id"] for d in docs}) == 23


def test_atom_feed_auto_detects_entries_and_follows_rel_next(serve, tmp_path):
    server = serve(AtomServer(count=19))
    status, docs = fetch(tmp_path, {
        "url": server.url(ATOM_PATH), "id_field": "id", "title_field": "title.#text",
        "content_fields": ["title.#text", "content.#text"], "link_field": "link[0].@href",
        "poll_timestamp_field": "updated", "metadata_fields": ["author[*].name"],
        "pagination_type": "next_url",
        "pagination_config": {"next_url_path": "$.link[?@['@rel'] == 'next']['@href']"},
    })
    assert status == 0
    items = sample_items(19)
    assert [d["semantic_identifier"] for d in docs] == [item.title for item in items]
    assert [r.param("page") for r in server.requests] == [None, "2", "3"]
    assert docs[5]["link"] == "https://example.com/releases/6"
    assert docs[5]["metadata"] == {"author[*].name": [items[5].author]}
    assert items[5].plain_body in docs[5]["content"] and "<p>" not in docs[5]["content"]
    assert server.requests[0].headers["accept"] == "application/json"  # auto: nothing asked, Content-Type decides


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/jsonl; charset=utf-8"])
def test_json_lines_api_pages_until_an_empty_body(serve, tmp_path, content_type):
    server = serve(JsonLinesServer(count=45, content_type=content_type))
    status, docs = fetch(tmp_path, {
        "url": server.url(JSONL_PATH), "id_field": "id", "title_field": "title",
        "content_fields": ["title", "body"], "metadata_fields": ["author.name"],
        "poll_timestamp_field": "updated_at",
        "pagination_type": "page", "pagination_config": {"page_size_param": "per_page", "page_size": 20},
    })
    assert status == 0
    assert [d["semantic_identifier"] for d in docs] == [item.title for item in sample_items(45)]
    assert [r.param("page") for r in server.requests] == ["1", "2", "3", "4"]


def test_response_format_key_reads_a_feed_served_as_text_plain_and_asks_for_xml(serve, tmp_path):
    server = serve(RssServer(count=5, content_type="text/plain"))
    config = {"url": server.url(RSS_PATH), "items_path": "$.channel.item", "id_field": "guid.#text",
              "content_fields": ["title"]}
    status, _ = fetch(tmp_path, config)
    assert status == 1  # read as JSON, it is not JSON
    status, docs = fetch(tmp_path, {**config, "response_format": "xml"})
    assert status == 0 and len(docs) == 5
    assert "application/rss+xml" in server.requests[-1].headers["accept"]


def test_an_xml_body_read_as_json_gets_a_hint(serve, tmp_path, capsys):
    server = serve(BodyServer(b"<?xml version='1.0'?><list><row><id>1</id></row></list>", "text/plain"))
    status = main(["check", str(write(tmp_path, {"url": server.url("/x"), "content_fields": ["id"]})),
                   "--allow-private"])
    assert status == 1
    assert "set response_format: xml" in capsys.readouterr().out


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE])
def test_documents_with_a_dtd_are_refused_with_a_clear_error(serve, tmp_path, capsys, body):
    server = serve(BodyServer(body, "application/xml"))
    status, docs = fetch(tmp_path, {"url": server.url("/feed"), "content_fields": ["item"]})
    err = capsys.readouterr().err
    assert status == 1 and docs == []
    assert "response is not valid XML" in err and "DTD" in err
    assert "Traceback" not in err and "root:" not in err
    assert len(server.requests) == 1  # not retried: the same answer would come back


def test_unknown_response_format_is_a_config_error(tmp_path, capsys):
    status = main(["check", str(write(tmp_path, {"url": "https://example.com/x", "content_fields": ["a"],
                                                 "response_format": "csv"}))])
    assert status == 2
    assert "response_format" in capsys.readouterr().out


# -- the mapping rules --------------------------------------------------------------------------

def test_xml_mapping_attributes_text_repeats_namespaces_and_empty_elements():
    data = decode_xml(b'<?xml version="1.0"?><users xmlns:x="urn:x" total="2">'
                      b'<user id="1"><name>Ann</name><x:role>admin</x:role><note/></user>'
                      b'<user id="2"><name>Bob</name><tag>a</tag><tag>b</tag>mixed</user></users>')
    assert data == {"@total": "2", "user": [
        {"@id": "1", "name": "Ann", "x:role": "admin", "note": None},
        {"@id": "2", "name": "Bob", "tag": ["a", "b"], "#text": "mixed"},
    ]}
    assert decode_xml(b"<a><b>one</b></a>") == {"b": "one"}  # outside feeds, one element is a value
    assert decode_xml(b"  ") is None


def test_encodings_that_expat_lacks_are_decoded_first():
    body = '<?xml version="1.0" encoding="windows-1252"?><r><t>caf\xe9 \u2013 ok</t></r>'.encode("cp1252")
    assert decode_xml(body) == {"t": "caf\xe9 \u2013 ok"}


def test_cut_short_bodies_are_transient_broken_ones_are_not():
    with pytest.raises(TruncatedBodyError):
        decode_xml(b"<rss><channel><item><title>Half")
    with pytest.raises(UnreadableBodyError, match="mismatched tag"):
        decode_xml(b"<a><b></a>")
    with pytest.raises(UnreadableBodyError, match="undefined entity"):
        decode_xml(b"<a>&ext;</a>")
    with pytest.raises(TruncatedBodyError):
        decode_json_lines(b'{"a": 1}\n{"a": ')
    with pytest.raises(UnreadableBodyError, match="line 2"):
        decode_json_lines(b'{"a": 1}\nnot json\n{"a": 3}\n')


def test_format_resolution_by_content_type_and_by_key():
    assert resolve_format(None, "application/atom+xml; charset=utf-8") == "xml"
    assert resolve_format("auto", "text/xml") == "xml"
    assert resolve_format(None, "application/x-ndjson") == "jsonl"
    assert resolve_format(None, "application/json") == "json"
    assert resolve_format(None, None) == "json"
    assert resolve_format("jsonl", "application/json") == "jsonl"
    assert decode_body(b'{"a": 1}', "text/xml") == {"a": 1}  # a JSON body under an XML label stays JSON
    with pytest.raises(UnreadableBodyError):
        decode_body(b'{"a": 1}', "application/json", "xml")  # unless the config insists


def test_config_keeps_the_format_and_rejects_unknown_ones():
    from restsync.config import load_config

    assert load_config({"url": "https://e.com/a", "response_format": "JSONL"}).response_format == "jsonl"
    assert load_config({"url": "https://e.com/a"}).response_format == "auto"
    with pytest.raises(ConfigError, match="response_format"):
        load_config({"url": "https://e.com/a", "response_format": "csv"})


def test_suggest_reads_feeds_and_json_lines_and_its_configs_fetch(serve, tmp_path, capsys):
    from restsync.suggest import suggest_config

    rss = serve(RssServer(count=7))
    config = suggest_config(rss.url(RSS_PATH), allow_private=True).config
    assert config["items_path"] == "$.channel.item"
    assert config["id_field"] == "guid.#text" and config["title_field"] == "title"
    assert config["poll_timestamp_field"] == "pubDate" and config["link_field"] == "link"
    assert "content:encoded" in config["content_fields"]
    atom = serve(AtomServer(count=5))
    config = suggest_config(atom.url(ATOM_PATH), allow_private=True).config
    assert config["items_path"] == "$.entry"  # the entries, not the feed's own links
    assert config["title_field"] == "title.#text" and config["poll_timestamp_field"] == "updated"
    status, docs = fetch(tmp_path, config)
    assert status == 0 and [d["semantic_identifier"] for d in docs] == [i.title for i in sample_items(5)]
    lines = serve(JsonLinesServer(count=5))
    config = suggest_config(lines.url(JSONL_PATH), allow_private=True).config
    assert "items_path" not in config and config["id_field"] == "id" and config["content_fields"] == ["title", "body"]


def test_atom_xhtml_content_is_text_and_json_text_sequences_read_as_lines():
    data = decode_xml(b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><content type="xhtml">'
                      b'<div xmlns="http://www.w3.org/1999/xhtml"><p>First <b>bold</b> words.</p><p>Second.</p>'
                      b'</div></content></entry></feed>')
    content = data["entry"][0]["content"]
    assert content["@type"] == "xhtml"
    assert " ".join(content["#text"].split()) == "First bold words. Second."
    assert decode_json_lines(b'\x1e{"a": 1}\n\x1e{"a": 2}\n') == [{"a": 1}, {"a": 2}]


def test_json_lines_labelled_json_gets_a_hint(serve, tmp_path, capsys):
    server = serve(BodyServer(b'{"id": 1}\n{"id": 2}\n', "application/json"))
    status, _ = fetch(tmp_path, {"url": server.url("/export"), "content_fields": ["id"]})
    assert status == 1
    assert "set response_format: jsonl" in capsys.readouterr().err
    status, docs = fetch(tmp_path, {"url": server.url("/export"), "content_fields": ["id"], "response_format": "jsonl"})
    assert status == 0 and len(docs) == 2
