"""check/preview reports built from page 1 (a stand-in connector returns a fixed probe)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx

from restsync.config import SourceConfig
from restsync.diagnostics import check_failed, list_paths, run_check, run_preview
from restsync.errors import (
    AuthError,
    BlockedAddressError,
    ConfigError,
    CredentialError,
    RetriesExhaustedError,
    SourceError,
)
from restsync.extraction.items import select_items
from restsync.http.request import ApiResponse, RequestSpec
from restsync.mapping.mapper import DocumentMapper


class StandInConnector:
    """Duck-types RestApiConnector.probe(): maps the given body with the real selector and mapper."""

    def __init__(self, raw_config: dict, body=None, error: Exception | None = None):
        self.config = SourceConfig.from_mapping({"url": "https://api.example.com/items", **raw_config})
        self._body, self._error = body, error

    def probe(self):
        if self._error:
            raise self._error
        selection = select_items(self._body, self.config.items_path)
        documents = DocumentMapper(self.config, "test").map_many(selection.items)
        request = RequestSpec("GET", self.config.url)
        return SimpleNamespace(
            request="GET https://api.example.com/items", status=200, elapsed_s=0.05,
            response=ApiResponse(200, httpx.Headers(), self.config.url, self._body, request),
            items=selection, pagination="page", has_next=True, documents=documents, warnings=[])


ITEMS = [
    {"id": 1, "title": "Reset a password", "body": "<p>Open settings.</p>", "updated": "2024-01-02T00:00:00Z",
     "author": {"name": "Ada"}},
    {"id": 2, "title": "Export data", "body": "", "updated": "last tuesday"},
    {"id": 3, "title": "Invite people", "body": "<p>Use the invite button.</p>", "updated": "2024-01-03"},
]


def test_check_counts_each_configured_field_in_the_items():
    connector = StandInConnector({"items_path": "$.data", "id_field": "id", "content_fields": "title,body",
                                  "metadata_fields": ["author.name", "missing_field"],
                                  "poll_timestamp_field": "updated"}, {"data": ITEMS})
    report = run_check(connector)
    assert report.ok and report.exit_status == 0
    assert report.items_found == 3 and report.items_path == "$.data"
    presence = {(f.role, f.path): (f.present, f.total) for f in report.fields}
    assert presence[("id", "id")] == (3, 3)
    assert presence[("content", "body")] == (2, 3)  # an empty string is not a value
    assert presence[("metadata", "author.name")] == (1, 3)
    assert presence[("metadata", "missing_field")] == (0, 3)
    assert any("missing_field" in w and "none of the 3" in w for w in report.warnings)
    assert report.to_dict()["fields"][0] == {"role": "id", "path": "id", "present": 3, "total": 3}


def test_zero_items_fail_with_a_hint_naming_the_lists_found():
    body = {"meta": {"total": 3}, "payload": {"entries": ITEMS}}
    report = run_check(StandInConnector({"content_fields": ["title"], "items_path": "$.results"}, body))
    assert not report.ok and report.exit_status == 1
    assert report.problems == ["page 1 has no items"]
    assert "items_path $.results matched no objects" in report.hints[0]
    assert "$.payload.entries" in report.hints[0]
    auto = run_check(StandInConnector({"content_fields": ["title"]}, {"count": 0}))
    assert "set items_path" in auto.hints[0] and "count" in auto.hints[0]


def test_errors_become_failed_reports_with_the_right_exit_status():
    auth = run_check(StandInConnector({"content_fields": ["title"], "auth_type": "bearer", "credentials": {"token": "t"}},
                                      error=AuthError("authentication failed (401)", "GET https://x/items", 401)))
    assert auth.exit_status == 1 and auth.error_kind == "auth"
    assert auth.auth == "bearer: rejected (HTTP 401)" and auth.status == 401
    down = run_check(StandInConnector({"content_fields": ["title"]},
                                      error=RetriesExhaustedError("gave up after 5 tries", "GET https://x/items")))
    assert down.exit_status == 1 and down.error_kind == "source" and down.request == "GET https://x/items"
    bad = check_failed(ConfigError("must be one of none, page", key="pagination_type"))
    assert bad.exit_status == 2 and "pagination_type" in bad.problems[0]


def test_preview_limits_documents_and_warns_about_what_will_be_ingested():
    connector = StandInConnector({"items_path": "$.data", "content_fields": ["body"], "title_field": "title",
                                  "poll_timestamp_field": "updated"}, {"data": ITEMS})
    preview = run_preview(connector, limit=2)
    assert [doc.semantic_identifier for doc in preview.documents] == ["Reset a password", "Export data"]
    warnings = " | ".join(preview.check.warnings)
    assert "no id_field" in warnings
    assert "1 of 3 documents have empty content" in warnings
    assert "1 of 3 timestamps in 'updated' could not be parsed" in warnings and "last tuesday" in warnings
    as_dict = preview.to_dict()
    assert len(as_dict["documents"]) == 2 and as_dict["documents"][0]["content"] == "Open settings."


def test_list_paths_finds_nested_arrays_shallowest_first():
    assert list_paths({"a": [1], "b": {"c": [{"x": 1}], "d": []}, "e": 3}) == ["$.a", "$.b.c"]
    assert list_paths([{"x": 1}]) == ["$"]


def test_an_empty_list_at_the_right_path_is_a_warning_naming_it_not_an_items_path_hint():
    for body, path in [([], "$"), ({"items": []}, "$.items"), ({"meta": {}, "results": []}, "$.results")]:
        report = run_check(StandInConnector({"content_fields": ["title"]}, body))
        assert report.ok and report.failed_step is None, body
        assert report.hints == [] and report.items_found == 0
        assert report.warnings == [f"{path} is empty on page 1: no items to check the fields against "
                                   "(the source may have none yet, or the query filters them all out)"]
    explicit = run_check(StandInConnector({"content_fields": ["title"], "items_path": "$.data.rows"},
                                          {"data": {"rows": []}}))
    assert explicit.ok and "$.data.rows is empty on page 1" in explicit.warnings[0]


def test_no_list_or_a_path_matching_nothing_still_fails_with_the_items_path_hint():
    missing = run_check(StandInConnector({"content_fields": ["title"], "items_path": "$.rows"}, {"items": []}))
    assert not missing.ok and missing.failed_step == "items"
    assert "items_path $.rows matched no objects" in missing.hints[0]
    no_list = run_check(StandInConnector({"content_fields": ["title"]}, {"message": "ok"}))
    assert no_list.problems == ["page 1 has no items"] and "set items_path" in no_list.hints[0]
    scalars = run_check(StandInConnector({"content_fields": ["title"], "items_path": "$.count"}, {"count": 3}))
    assert not scalars.ok and scalars.dropped_items == 1  # a path to a number is wrong, not "empty"


def test_unreadable_timestamps_point_at_the_field_not_at_poll_time_format():
    connector = StandInConnector({"items_path": "$.data", "content_fields": ["body"],
                                  "poll_timestamp_field": "updated", "poll_time_format": "%d/%m/%Y"},
                                 {"data": ITEMS})
    warning = next(w for w in run_preview(connector).check.warnings if "could not be parsed" in w)
    assert "set poll_time_format" not in warning and "field_type_hints" not in warning
    assert "ISO 8601" in warning and "epoch" in warning and "point poll_timestamp_field" in warning
    assert "poll_time_format only formats the {poll_start}/{poll_end} values sent to the API" in warning


def test_each_failure_names_its_step_and_a_resolution_failure_gets_a_dns_hint():
    unresolved = run_check(StandInConnector(
        {"content_fields": ["title"]},
        error=SourceError("cannot resolve host 'nope.invalid': no addresses", "https://nope.invalid/items")))
    assert unresolved.failed_step == "request" and "host name in url" in unresolved.hints[0]
    config = SourceConfig.from_mapping({"url": "http://10.0.0.5/items", "content_fields": ["title"]})
    blocked = check_failed(BlockedAddressError("host '10.0.0.5' resolves to disallowed address"), config)
    assert blocked.failed_step == "address" and blocked.exit_status == 2
    missing = check_failed(CredentialError("bearer needs a token", key="credentials.token"), config)
    assert missing.failed_step == "credentials" and "--credentials" in missing.hints[0]
    refused = check_failed(SourceError("cannot resolve host", "http://10.0.0.5/items"), config)
    assert refused.request == "GET http://10.0.0.5/items" and refused.to_dict()["failed_step"] == "request"
