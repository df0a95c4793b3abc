"""HTML to text (PY-HTML), timestamps (GO-8 and every accepted format), templates, ids (GO-9, GO-10)."""

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from restsync.errors import ConfigError
from restsync.mapping import (
    TemplateError,
    compile_template,
    document_id,
    fallback_raw_id,
    format_time,
    html_to_text,
    parse_timestamp,
)

UTC = timezone.utc

# --- HTML --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hello</p>", "Hello"),  # PY-HTML-1
        ("", ""),  # PY-HTML-3
        ("<div><p><b>Bold</b> text</p></div>", "Bold text"),  # PY-HTML-5
        ('<a href="http://x.com">Link</a>', "Link"),  # PY-HTML-6
    ],
)
def test_py_html_as_ragflow(html, text):
    assert html_to_text(html) == text


def test_py_html_2_differs_blocks_become_lines():
    assert html_to_text("<p>Hello</p>  <p>World</p>") == "Hello\nWorld"


def test_py_html_4_text_without_tags_is_unchanged():
    for text in ("Hello World", "  spaced   out  ", "Tom &amp; Jerry", "line\n\n\nline"):
        assert html_to_text(text) == text


def test_entities_invisible_parts_and_tables():
    page = (
        "<html><head><title>Page</title><style>p {color: red}</style></head><body>"
        "<script>if (a < b) alert(1)</script><noscript>enable js</noscript>"
        "<h1>Tom &amp; Jerry&#39;s</h1><template><p>hidden</p></template>"
        "<ul><li>one</li><li>two</li></ul>a<br>b<br/>c<hr>"
        "<table><tr><th>k</th><td>v</td></tr><tr><td>x</td><td>y</td></tr></table></body></html>"
    )
    assert html_to_text(page) == "Tom & Jerry's\none\ntwo\na\nb\nc\nk v\nx y"


def test_spaces_collapse_within_lines_and_blank_lines_go():
    assert html_to_text("<p>  many    spaces\t here </p>\n\n\n<div>\n\nnext</div>") == "many spaces here\nnext"
    assert html_to_text("a < b but <b>bold</b>") == "a < b but bold"


# --- timestamps --------------------------------------------------------------------------------

MOMENT = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-15T10:00:00Z",  # GO-8
        "2024-01-15 10:00:00",  # GO-8, zone-less is UTC
        "2024-01-15T18:00:00+08:00",  # GO-8, offset converted
        "2024-01-15T10:00:00",
        "2024-01-15T05:00:00-0500",
        "2024-01-15t10:00:00z",
        "Mon, 15 Jan 2024 10:00:00 GMT",  # RFC 2822
        "Mon, 15 Jan 2024 11:00:00 +0100",
        1705312800,  # GO-8 epoch seconds
        1705312800.0,
        "1705312800",
        1705312800000,  # milliseconds
        "1705312800000",
        1705312800000000,  # microseconds
        "1705312800000000",
        MOMENT.replace(tzinfo=None),
    ],
)
def test_every_format_gives_the_same_instant(value):
    assert parse_timestamp(value) == MOMENT
    assert parse_timestamp(value).tzinfo is UTC


def test_bare_date_is_midnight_utc():
    assert parse_timestamp("2024-01-15") == datetime(2024, 1, 15, tzinfo=UTC)
    assert parse_timestamp("20240115") == datetime(2024, 1, 15, tzinfo=UTC)


def test_fractions_of_any_length():
    assert parse_timestamp("2024-01-15T10:00:00.5Z") == MOMENT + timedelta(microseconds=500_000)
    assert parse_timestamp("2024-01-15T10:00:00.123456789Z") == MOMENT + timedelta(microseconds=123_456)
    assert parse_timestamp("1700000000.000100") == datetime(2023, 11, 14, 22, 13, 20, 100, tzinfo=UTC)
    assert parse_timestamp("1705312800123.5") == MOMENT + timedelta(microseconds=123_500)


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "2024-13-45", True, [1], {"a": 1}, float("nan")])
def test_non_timestamps_are_none(value):
    assert parse_timestamp(value) is None


def test_format_time_styles():
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    assert format_time(moment, "iso") == "2025-01-01T00:00:00Z"
    assert format_time(moment, None) == "2025-01-01T00:00:00Z"
    assert format_time(moment, "epoch") == "1735689600"
    assert format_time(moment + timedelta(milliseconds=250), "epoch_ms") == "1735689600250"
    assert format_time(moment, "%Y/%m/%d %H:%M") == "2025/01/01 00:00"
    assert format_time(datetime(2025, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), "iso") == "2025-01-01T00:00:00Z"
    assert format_time(1735689600, "iso") == "2025-01-01T00:00:00Z"


def test_format_then_parse_round_trips():
    moment = datetime(2024, 2, 29, 23, 59, 59, 123000, tzinfo=UTC)
    for style in ("iso", "epoch_ms"):
        assert parse_timestamp(format_time(moment, style)) == moment


# --- templates ---------------------------------------------------------------------------------


def test_go_12_dots_become_underscores():
    template = compile_template("Title: {title} / Count: {meta_count}", ["title", "meta.count"])
    assert template.render({"title": "T", "meta": {"count": 3}}) == "Title: T / Count: 3"


def test_placeholders_resolve_without_declared_paths():
    template = compile_template("{author_name} | {tags_name} | {first_name} | {author.name}")
    item = {"author": {"name": "Ann"}, "tags": [{"name": "a"}, {"name": "b"}], "first_name": "Bo"}
    assert template.render(item) == "Ann | a, b | Bo | Ann"
    underscored = compile_template("https://x/wiki{_links_webui}")
    assert underscored.render({"_links": {"webui": "/pages/1"}}) == "https://x/wiki/pages/1"


def test_declared_wildcard_path_and_id():
    template = compile_template("{id}: {tags_name}", ["tags[*].name"])
    assert template.render({"tags": [{"name": "x"}, {"name": "y"}]}, item_id=42) == "42: x, y"


def test_escapes_missing_values_and_html():
    template = compile_template("{{literal}} {body} [{missing}] }", ["body"])
    assert template.render({"body": "<p>Clean</p>"}, strip_html=True) == "{literal} Clean [] }"
    assert template.render({"body": "<p>Raw</p>"}) == "{literal} <p>Raw</p> [] }"


def test_no_attribute_access():
    template = compile_template("{title.__class__} {0.__class__}")
    assert template.render({"title": "t"}) == " "


@pytest.mark.parametrize("broken", ["{", "Title: {title", "{}", "{a{b}"])
def test_broken_templates_raise_template_error(broken):
    with pytest.raises(TemplateError) as caught:
        compile_template(broken, key="content_template")
    assert isinstance(caught.value, ConfigError)
    assert str(caught.value).startswith("content_template: ")


# --- ids -----------------------------------------------------------------------------------------


def test_go_9_ragflow_exact_id():
    import xxhash

    assert document_id("abc") == xxhash.xxh128_hexdigest(b"rest_api:abc")
    assert re.fullmatch(r"[0-9a-f]{32}", document_id("abc"))


def test_namespaced_ids_differ_across_namespaces():
    assert document_id("1", "github") != document_id("1", "gitlab")
    assert document_id("1", "github") != document_id("1")
    assert document_id("1", "github") == document_id("1", "github")


def test_ids_equal_across_runs():
    # A fresh interpreter has a different hash seed: ids must not depend on it.
    code = "from restsync.mapping import document_id, fallback_raw_id as f; print(document_id(f({'b': 1, 'a': 'x'}), 'ns'))"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == document_id(fallback_raw_id({"a": "x", "b": 1}), "ns")


def test_go_10_fallback_raw_id_is_canonical_json():
    assert fallback_raw_id({"b": 1, "a": "x"}) == '{"a":"x","b":1}'
    assert fallback_raw_id({"a": "x", "b": 1}) == fallback_raw_id({"b": 1, "a": "x"})
    assert fallback_raw_id(["a", 1, True, None]) == '["a",1,true,null]'
    assert fallback_raw_id({"q": "it's \"quoted\"", "u": "é"}) == '{"q":"it\'s \\"quoted\\"","u":"é"}'
