"""The connector says how it applies a time window, so callers (fetch, the server) need no rule of their own."""

from __future__ import annotations

import pytest

from restsync.config import load_config
from restsync.connector import RestApiConnector
from restsync.connector.window import WINDOW_BY_API, WINDOW_HERE, WINDOW_IGNORED, window_rule

BASE = {"url": "http://127.0.0.1:9/items", "content_fields": ["title"]}


@pytest.mark.parametrize(("overrides", "rule"), [
    ({"query_params": {"since": "{poll_start}"}}, WINDOW_BY_API),
    ({"request_body": {"filter": {"until": "{poll_end}"}}, "method": "POST"}, WINDOW_BY_API),
    ({"url": "http://127.0.0.1:9/items?since={poll_start}"}, WINDOW_BY_API),
    ({"poll_timestamp_field": "updated_at"}, WINDOW_HERE),
    ({}, WINDOW_IGNORED),
    ({"url": "http://127.0.0.1:9/repos/{parent.name}/items",
      "parent": {"url": "http://127.0.0.1:9/repos?since={poll_start}", "fields": ["name"], "id_field": "name"}},
     WINDOW_BY_API),
])
def test_window_rule_per_config(overrides, rule):
    config = load_config({**BASE, **overrides})
    assert window_rule(config) == rule
    connector = RestApiConnector(config, allow_private=True)
    try:
        assert connector.window_rule == rule
    finally:
        connector.close()
