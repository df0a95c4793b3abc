"""Field paths (PY-FLD, GO-7), JSONPath `*_path` keys and item selection (PY-ITM, GO-11)."""

from datetime import datetime, timezone

import pytest

from restsync.errors import ConfigError
from restsync.extraction import find_all, find_first, get_field, get_typed, select_items
from restsync.extraction.fieldpath import compile_field_path


# --- field paths ---------------------------------------------------------------------------


def test_py_fld_1_top_level_field():
    assert get_field({"title": "Hello"}, "title") == "Hello"


def test_py_fld_2_nested_field():
    assert get_field({"country": {"name": "Kuwait"}}, "country.name") == "Kuwait"


def test_py_fld_3_wildcard_gives_list_and_single_match_gives_value():
    assert get_field({"tags": [{"name": "A"}, {"name": "B"}]}, "tags[*].name") == ["A", "B"]
    assert get_field({"tags": [{"name": "A"}]}, "tags[*].name") == "A"


def test_py_fld_4_missing_field_is_none():
    item = {"a": {"b": 1}, "list": [1]}
    for path in ("missing", "a.c", "a.b.c", "list[5]", "list[*].x", "a[0]"):
        assert get_field(item, path) is None, path


def test_py_fld_6_deep_path():
    assert get_field({"a": {"b": {"c": {"d": 42}}}}, "a.b.c.d") == 42


def test_numeric_and_negative_indexes():
    item = {"x": [{"y": 1}, {"y": 2}, {"y": 3}]}
    assert get_field(item, "x[0].y") == 1
    assert get_field(item, "x[-1].y") == 3
    assert get_field(item, "x.1.y") == 2  # a numeric key indexes a list, leniently


def test_nested_wildcards_flatten():
    item = {"groups": [{"users": [{"n": "a"}, {"n": "b"}]}, {"users": [{"n": "c"}]}, {"users": []}]}
    assert get_field(item, "groups[*].users[*].n") == ["a", "b", "c"]
    # a list at the end of a wildcard path joins the flat result instead of nesting
    assert get_field({"a": [{"t": ["x", "y"]}, {"t": ["z"]}]}, "a[*].t") == ["x", "y", "z"]


def test_quoted_keys_and_flat_dotted_keys():
    assert get_field({"@odata.etag": "W/1"}, "['@odata.etag']") == "W/1"
    assert get_field({"meta.count": 3}, "meta.count") == 3  # flattened APIs name keys with dots


def test_falsy_values_are_found_not_missing():
    item = {"zero": 0, "empty": "", "no": False, "nested": {"zero": 0}}
    assert get_field(item, "zero") == 0
    assert get_field(item, "empty") == ""
    assert get_field(item, "no") is False
    assert get_field(item, "nested.zero") == 0


def test_malformed_field_path_is_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"id_field: .*'a\[\]'"):
        compile_field_path("a[]", "id_field")
    with pytest.raises(ConfigError):
        compile_field_path("", "content_fields")


# --- typed lookup (PY-FLD-5, GO-7) -----------------------------------------------------------


def test_py_fld_5_default_for_missing_field():
    assert get_typed({}, "missing", {}, {"missing": "fallback"}) == "fallback"
    assert get_typed({"missing": "there"}, "missing", {}, {"missing": "fallback"}) == "there"


def test_go_7_number_and_string_hints():
    hints = {"n": "number", "f": "number", "s": "string", "tags[*]": "string"}
    item = {"n": "2", "f": "2.5", "s": 7, "tags": ["a", "b"]}
    assert get_typed(item, "n", hints) == 2 and type(get_typed(item, "n", hints)) is int
    assert get_typed(item, "f", hints) == 2.5
    assert get_typed(item, "s", hints) == "7"
    assert get_typed(item, "tags[*]", hints) == ["a", "b"]
    assert get_typed({}, "n", hints, {"n": "5"}) == 5


def test_date_hint_gives_aware_utc():
    value = get_typed({"d": "2024-01-15T12:00:00+02:00"}, "d", {"d": "date"})
    assert value == datetime(2024, 1, 15, 10, 0, tzinfo=timezone.utc)


def test_unconvertible_value_is_kept_and_reported():
    seen = []
    hints = {"n": "number", "d": "date"}
    item = {"n": "twelve", "d": "someday"}
    assert get_typed(item, "n", hints, on_bad_value=lambda *a: seen.append(a)) == "twelve"
    assert get_typed(item, "d", hints, on_bad_value=lambda *a: seen.append(a)) == "someday"
    assert seen == [("n", "twelve", "number"), ("d", "someday", "date")]
    for not_a_number in ("", "nan", "inf", "1_000", True):
        assert get_typed({"n": not_a_number}, "n", hints) == not_a_number


# --- JSONPath ----------------------------------------------------------------------------------


def test_jsonpath_bracket_negative_and_lenient_root():
    assert find_first({"@odata.nextLink": "u"}, "$['@odata.nextLink']") == "u"
    hits = {"hits": {"hits": [{"sort": [1, "a"]}, {"sort": [2, "b"]}]}}
    assert find_first(hits, "$.hits.hits[-1].sort") == [2, "b"]
    assert find_all({"data": {"items": [1, 2]}}, "data.items") == [[1, 2]]
    assert find_all({"data": {"items": [1, 2]}}, "$.data.items[*]") == [1, 2]
    assert find_first({}, "$.nothing") is None


def test_malformed_jsonpath_is_config_error_naming_the_path():
    with pytest.raises(ConfigError, match=r"items_path: malformed JSONPath '\$\.a\['"):
        select_items({}, "$.a[")


# --- item selection (PY-ITM, GO-11) -------------------------------------------------------------


@pytest.mark.parametrize("key", ["items", "results", "data", "records"])
def test_py_itm_1_to_4_well_known_keys(key):
    selection = select_items({"meta": [1], key: [{"id": 1}, {"id": 2}]}, None)
    assert selection.items == [{"id": 1}, {"id": 2}]
    assert selection.path == f"$.{key}" and selection.dropped == 0


def test_py_itm_5_first_list_value():
    selection = select_items({"totalCount": 5, "stories": [{"id": 5}]}, None)
    assert selection.items == [{"id": 5}] and selection.path == "$.stories"


def test_py_itm_6_top_level_list():
    assert select_items([{"id": 1}], None).items == [{"id": 1}]


def test_py_itm_7_and_8_nothing_found():
    assert select_items({}, None).items == []
    assert select_items({"count": 0}, None).items == []
    assert select_items("text", None).items == [] and select_items(None, None).path is None


def test_nested_envelope_found_one_level_down():
    selection = select_items({"status": "ok", "data": {"total": 2, "items": [{"id": 1}, {"id": 2}]}}, None)
    assert selection.items == [{"id": 1}, {"id": 2}] and selection.path == "$.data.items"


def test_non_object_entries_are_dropped_and_counted():
    selection = select_items({"items": [{"id": 1}, "x", 3, None, [4], {"id": 2}]}, None)
    assert selection.items == [{"id": 1}, {"id": 2}]
    assert selection.dropped == 4


def test_go_11_items_path():
    data = {"data": {"items": [{"id": 1}, {"id": 2}]}, "results": [{"id": 9}]}
    selection = select_items(data, "$.data.items")
    assert selection.items == [{"id": 1}, {"id": 2}] and selection.path == "$.data.items"
    assert select_items(data, "data.items").items == [{"id": 1}, {"id": 2}]


def test_items_path_with_several_matches_takes_every_object():
    data = {"groups": [{"items": [{"id": 1}, "bad"]}, {"items": [{"id": 2}]}]}
    selection = select_items(data, "$.groups[*].items")
    assert selection.items == [{"id": 1}, {"id": 2}] and selection.dropped == 1
    assert select_items({"a": [{"id": 1}, {"id": 2}]}, "$.a[*]").items == [{"id": 1}, {"id": 2}]


def test_items_path_that_matches_nothing_is_empty():
    selection = select_items({"x": 1}, "$.items")
    assert selection.items == [] and selection.dropped == 0


def test_fast_paths_agree_with_the_general_walker():
    # `a[*].b` with mixed elements, nulls and list values falls back without losing matches
    item = {"a": [{"b": 1}, "text", {"b": None}, {"c": 2}, [{"b": 9}], {"b": [3, None, 4]}]}
    assert get_field(item, "a[*].b") == [1, 3, 4]
    assert get_field({"a": [{"b": None}]}, "a[*].b") is None
    # `a.b` through a list (numeric key) and on a non-dict root
    assert get_field({"a": [{"b": 1}]}, "a.0") == {"b": 1}
    assert get_field(["x"], "0") == "x"
    assert get_field("not an object", "a.b") is None
    assert get_field({"a": {"b": None}, "a.b": "flat"}, "a.b") == "flat"
