"""Where paginator values go (query, nested body path, header) and the shared stop-signal readers."""

from __future__ import annotations

import httpx
import pytest

from restsync.errors import ConfigError
from restsync.http.request import RequestSpec
from restsync.pagination.base import as_flag, header_totals
from restsync.pagination.placement import Placement, as_text

URL = "https://api.example.com/search"


def test_query_and_header_values_are_text():
    req = RequestSpec("GET", URL)
    Placement("page[size]").place(req, 100)
    Placement("X-Page", "header").place(req, True)
    Placement("after").place(req, {"k": [1, 2]})
    assert req.params == {"page[size]": "100", "after": '{"k":[1,2]}'}
    assert req.headers == {"X-Page": "true"}


def test_body_path_creates_nested_objects_and_keeps_types():
    req = RequestSpec("POST", URL, json={"variables": {"first": 10}, "query": "q"})
    Placement("variables.after", "body").place(req, "abc")
    Placement("page.cursor.value", "body").place(req, [1, "x"])
    assert req.json == {
        "variables": {"first": 10, "after": "abc"},
        "query": "q",
        "page": {"cursor": {"value": [1, "x"]}},
    }


def test_body_path_into_an_existing_list_and_an_empty_body():
    req = RequestSpec("POST", URL, json={"requests": [{"params": {}}]})
    Placement("requests.0.params.page", "body").place(req, 3)
    assert req.json == {"requests": [{"params": {"page": 3}}]}
    empty = RequestSpec("POST", URL)
    Placement("start_cursor", "body").place(empty, "c")
    assert empty.json == {"start_cursor": "c"}


def test_body_path_through_a_scalar_is_a_config_error():
    req = RequestSpec("POST", URL, json={"variables": "not an object"})
    with pytest.raises(ConfigError, match="variables"):
        Placement("variables.after", "body").place(req, "c")


def test_remove_takes_values_out_everywhere():
    req = RequestSpec("POST", URL, params={"cursor": "a"}, headers={"X-C": "b"}, json={"v": {"after": "c", "n": 1}})
    Placement("cursor").remove(req)
    Placement("X-C", "header").remove(req)
    Placement("v.after", "body").remove(req)
    assert (req.params, req.headers, req.json) == ({}, {}, {"v": {"n": 1}})


def test_of_validates_location_and_name():
    assert Placement.of(" after ", "BODY", "k") == Placement("after", "body")
    with pytest.raises(ConfigError, match="pagination_config.cursor_in"):
        Placement.of("after", "path", "pagination_config.cursor_in")
    with pytest.raises(ConfigError, match="k"):
        Placement.of("", None, "k")


def test_as_text():
    assert [as_text(v) for v in (1, "a", False, None)] == ["1", "a", "false", "None"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Total-Count": "319"}, (319, None)),
        ({"X-Total-Count": "0"}, (0, None)),
        ({"X-WP-Total": "42", "X-WP-TotalPages": "5"}, (42, 5)),
        ({"Content-Range": "items 0-24/319"}, (319, None)),
        ({"Content-Range": "0-24/319"}, (319, None)),
        ({"Content-Range": "*/0"}, (0, None)),
        ({"Content-Range": "items 0-24/*"}, (None, None)),
        ({"X-Total-Count": "many"}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_header_totals(headers, expected):
    assert header_totals(httpx.Headers(headers)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("false", False), ("True", True), (0, False), (1, True), (None, None), ("maybe", None)],
)
def test_has_more_flags(value, expected):
    assert as_flag(value) is expected
