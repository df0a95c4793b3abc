"""Time-window slicing against a search API that caps how deep one query pages (Zendesk search style):
every item listed exactly once whatever the cap does past its depth, slices halved until they fit,
edges with timestamp ties, resumes that skip finished slices, and a slice that cannot fit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from restsync.clock import FakeClock
from restsync.errors import ConfigError
from restsync.timestamps import parse_timestamp
from servers.capped_search import ORIGIN, CappedSearchServer, tickets
from servers.capped_search import search_config as config
from servers.harness import assert_unique, connect, load_all, poll_all

NOW = ORIGIN + timedelta(days=10)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=NOW.timestamp())


def ids(documents) -> list[str]:
    return sorted(doc.semantic_identifier for doc in documents)


def test_a_capped_search_is_listed_whole_by_halving_slices(serve, clock):
    rows = tickets(2500)
    server = serve(CappedSearchServer(rows))
    connector = connect(config(server), clock)

    documents = load_all(connector)

    assert_unique(documents)
    assert ids(documents) == sorted(row["subject"] for row in rows)
    report = connector.report
    assert report.complete and not report.truncated
    assert report.slices.halved >= 1 and report.slices.walked >= 3
    # Page 1's total showed each slice too big at once: no page past the cap's depth was asked for,
    # and a halving cost one request.
    assert server.refused == 0
    assert len(server.requests) == report.pages + report.slices.halved
    assert report.to_dict()["slices"]["finished_until"] == NOW.isoformat().replace("+00:00", "Z")


def test_the_caps_error_alone_is_enough_to_halve(serve, clock):
    rows = tickets(2500)
    server = serve(CappedSearchServer(rows))
    # The configured cap is above the server's: only the server's 422 says a slice is too deep.
    connector = connect(config(server, max_items_per_slice=5000, cap_message="search response limits"), clock)

    documents = load_all(connector)

    assert server.refused >= 1
    assert_unique(documents)
    assert len(documents) == 2500
    assert connector.report.complete


def test_a_cap_error_that_does_not_match_cap_message_fails_the_walk(serve, clock):
    server = serve(CappedSearchServer(tickets(2500)))
    connector = connect(config(server, max_items_per_slice=5000, cap_message="result window is too large"), clock)

    with pytest.raises(Exception) as raised:
        load_all(connector)

    assert "422" in str(raised.value)


def test_an_api_that_answers_nothing_past_its_cap_is_sliced_too(serve, clock):
    rows = tickets(2500)
    server = serve(CappedSearchServer(rows, past_cap="empty"))
    connector = connect(config(server), clock)

    documents = load_all(connector)

    assert_unique(documents)
    assert len(documents) == 2500
    assert connector.report.complete


@pytest.mark.parametrize("inclusive_end", [True, False])
def test_items_on_slice_edges_are_listed_once_with_timestamp_ties(serve, clock, inclusive_end):
    rows = tickets(600, spacing_s=600, tie_every=3)  # ties, and items on whole hours
    server = serve(CappedSearchServer(rows, inclusive_end=inclusive_end))
    edges = [row for row in rows if parse_timestamp(row["updated_at"]).minute == 0]
    tied_edges = {row["updated_at"] for row in edges if sum(r["updated_at"] == row["updated_at"] for r in rows) > 1}
    assert tied_edges, "the data set must put tied items on slice edges"
    connector = connect(config(server, step="1h", max_items_per_slice=100), clock)

    documents = load_all(connector)

    assert_unique(documents)
    assert ids(documents) == sorted(row["subject"] for row in rows)
    if inclusive_end:  # edge items came twice (in both slices) and were kept once
        assert connector.report.filtered_out >= len(tied_edges)
    else:  # [start, end) on both sides: nothing to drop
        assert connector.report.filtered_out == 0


def test_a_slice_over_the_cap_at_min_step_is_reported_truncated_by_name(serve, clock):
    same_second = [{"id": n, "subject": f"Ticket {n}", "description": "burst", "updated_at": "2024-01-03T10:00:00Z"}
                   for n in range(1, 1301)]
    later = [{"id": 5000 + n, "subject": f"Later {n}", "description": "x", "updated_at": "2024-01-05T00:00:00Z"}
             for n in range(1, 11)]
    server = serve(CappedSearchServer(same_second + later))
    connector = connect(config(server, step="1d"), clock)

    documents = load_all(connector)

    report = connector.report
    assert report.truncated and not report.complete
    assert "min_step" in report.truncation_reason
    # The API's end bound is inclusive, so the second before the burst also lists it: both are named.
    assert [name.split(" (")[0] for name in report.slices.truncated] == [
        "[2024-01-03T09:59:59Z, 2024-01-03T10:00:00Z)", "[2024-01-03T10:00:00Z, 2024-01-03T10:00:01Z)"]
    assert report.slices.truncated[0] in report.truncation_reason
    assert_unique(documents)
    assert len([doc for doc in documents if doc.content.endswith("burst")]) == 1000  # what the cap let through
    assert len([doc for doc in documents if doc.semantic_identifier.startswith("Later")]) == 10  # later slices too
    assert report.slices.finished_until == "2024-01-03T09:59:59Z"


def test_a_resumed_walk_skips_finished_slices(serve, clock):
    rows = tickets(2500)
    server = serve(CappedSearchServer(rows))
    first = connect(config(server), clock)
    seen, checkpoint = [], None
    for batch, point in first.load_from_checkpoint():
        seen += batch
        if point is not None and seen:
            checkpoint = point
            break
    finished = datetime.fromisoformat(checkpoint["slices"]["next"].replace("Z", "+00:00"))
    before = len(server.windows)

    rest = [doc for batch, _ in connect(config(server), clock).load_from_checkpoint(checkpoint) for doc in batch]

    assert all(since >= finished for since, _ in server.windows[before:])
    assert_unique(seen + rest)
    assert len(seen + rest) == 2500


def test_an_incremental_window_is_sliced_from_its_start(serve, clock):
    rows = tickets(2500)
    server = serve(CappedSearchServer(rows))
    start = parse_timestamp(rows[1200]["updated_at"])
    end = parse_timestamp(rows[2300]["updated_at"])
    connector = connect(config(server, max_items_per_slice=400), clock)

    documents = poll_all(connector, start, end)

    expected = [row["subject"] for row in rows if start <= parse_timestamp(row["updated_at"]) < end]
    assert ids(documents) == sorted(expected)
    assert min(since for since, _ in server.windows) == start


@pytest.mark.parametrize(("slice_keys", "key"), [
    ({"start": None}, "slice.start"),
    ({"step": "fortnightly"}, "slice.step"),
    ({"step": None}, "slice.step"),
    ({"max_items_per_slice": None}, "slice.max_items_per_slice"),
    ({"min_step": "8d"}, "slice.min_step"),
    ({"cap_status": [401]}, "slice.cap_status"),
])
def test_bad_slice_keys_are_named(slice_keys, key):
    raw = config(_NoServer(), **slice_keys)
    with pytest.raises(ConfigError) as raised:
        connect(raw, FakeClock())
    assert raised.value.key == key


def test_slicing_needs_the_window_in_the_request_and_a_timestamp_field():
    raw = config(_NoServer())
    raw["query_params"] = {}
    with pytest.raises(ConfigError, match=r"\{poll_start\}"):
        connect(raw, FakeClock())
    raw = config(_NoServer())
    del raw["poll_timestamp_field"]
    with pytest.raises(ConfigError, match="poll_timestamp_field"):
        connect(raw, FakeClock())


class _NoServer:
    def url(self, path: str) -> str:
        return "http://127.0.0.1:9" + path


def test_a_stored_slice_config_loads_again():
    from restsync.config import load_config

    loaded = load_config(config(_NoServer(), step="12h", cap_status=422, cap_message="limits"))
    again = load_config(loaded.to_dict(), strict=True)

    assert again.slice == loaded.slice
    assert (again.slice.step_s, again.slice.cap_statuses) == (43_200, (422,))
