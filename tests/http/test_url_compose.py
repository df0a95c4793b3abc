"""merge_query and friends: the one rule that turns a request into the URL sent (no server needed)."""

from __future__ import annotations

import httpx
import pytest

from restsync.http import HttpClient
from restsync.http.auth import build_auth
from restsync.http.request import RequestSpec, merge_query, query_pairs, remove_query_params, request_url

BASE = "https://api.example.com/v1/items"


@pytest.mark.parametrize("query", [
    "q=a%20b&r=c+d&s=a,b&sig=x%2Fy%3D",  # escapes, plus signs and commas as written
    "filter[status]=open&sort=-updated,id",
    "flag&x=",  # a bare name and an empty value
    "emoji=%F0%9F%98%80&path=/a/b?c",
])
def test_untouched_pairs_keep_their_bytes(query):
    assert merge_query(f"{BASE}?{query}", {"page": "2"}) == f"{BASE}?{query}&page=2"
    assert merge_query(f"{BASE}?{query}", {}) == f"{BASE}?{query}"


def test_a_later_value_replaces_a_name_in_place_and_drops_its_repeats():
    url = f"{BASE}?page=7&tag=a&state=all&tag=b"
    assert merge_query(url, {"tag": "c", "page": "1"}) == f"{BASE}?page=1&tag=c&state=all"


def test_repeated_names_are_kept_when_nothing_replaces_them():
    assert merge_query(f"{BASE}?tag=a&tag=b", {"page": "1"}) == f"{BASE}?tag=a&tag=b&page=1"


def test_names_match_decoded():
    assert merge_query(f"{BASE}?page%5Bsize%5D=5&a+b=1", {"page[size]": "10", "a b": "2"}) == (
        f"{BASE}?page%5Bsize%5D=10&a+b=2")


def test_added_pairs_are_form_encoded_as_requests_does():
    assert merge_query(BASE, {"q": "a b&c=d/é", "cursor": "c+2/x=="}) == (
        f"{BASE}?q=a+b%26c%3Dd%2F%C3%A9&cursor=c%2B2%2Fx%3D%3D")


def test_characters_a_query_may_not_hold_are_encoded_once():
    assert merge_query(f"{BASE}?q=a b|é&pct=100%&ok=%41", {}) == f"{BASE}?q=a%20b%7C%C3%A9&pct=100%25&ok=%41"


def test_fragment_is_never_sent_and_an_empty_query_leaves_no_question_mark():
    assert merge_query(f"{BASE}?a=1#top", {"b": "2"}) == f"{BASE}?a=1&b=2"
    assert merge_query(f"{BASE}?#top", {}) == BASE


def test_remove_keeps_the_rest_as_written():
    url = f"{BASE}?Key=1&fields=a,b&key=2&sig=x%2F"
    assert remove_query_params(url, ["key"]) == f"{BASE}?Key=1&fields=a,b&sig=x%2F"
    assert remove_query_params(url, ["key"], ignore_case=True) == f"{BASE}?fields=a,b&sig=x%2F"
    assert remove_query_params(f"{BASE}?key=1", ["key"]) == BASE


def test_query_pairs_are_decoded_in_order_with_repeats():
    assert query_pairs(f"{BASE}?tag=a&tag=b+c&flag&x=%2F#frag") == [("tag", "a"), ("tag", "b c"), ("flag", ""), ("x", "/")]


def test_request_url_is_the_url_with_params_merged():
    spec = RequestSpec("GET", f"{BASE}?state=all&sort=updated", params={"page": "2", "state": "open"})
    assert request_url(spec) == f"{BASE}?state=open&sort=updated&page=2"


def test_api_key_query_auth_comes_last_and_leaves_the_rest_of_the_query_alone():
    auth = build_auth("api_key_query", {"param_name": "key"}, {"api_key": "k 1/2"})
    request = httpx.Request("GET", f"{BASE}?fields=a,b&key=old&q=a%20b&sig=x%2Fy")
    sent = next(auth.auth_flow(request))
    assert str(sent.url) == f"{BASE}?fields=a,b&key=k+1%2F2&q=a%20b&sig=x%2Fy"


def test_describe_shows_the_url_as_sent_with_auth_parameters_masked():
    auth = build_auth("api_key_query", {"param_name": "key"}, {"api_key": "k-secret-1"})
    client = HttpClient(auth=auth, credential_origin=BASE, secrets=["k-secret-1"])
    try:
        spec = RequestSpec("GET", f"{BASE}?state=all&tag=a&tag=b", params={"page": "2"})
        assert client.describe(spec) == f"GET {BASE}?state=all&tag=a&tag=b&page=2&key=***"
        # Another origin gets no credentials, so none is shown.
        assert client.describe(RequestSpec("GET", "https://cdn.example.org/x?a=1")) == "GET https://cdn.example.org/x?a=1"
    finally:
        client.close()
