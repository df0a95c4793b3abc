"""`check` and `preview` explain parent/child and sliced sources: the parent's first items, the first
child page of the first parent, and how the first slice compares with the cap."""

from __future__ import annotations

from datetime import timedelta

from restsync.cli.output import render_check
from restsync.clock import FakeClock
from restsync.diagnostics import run_check, run_preview
from servers.capped_search import ORIGIN, CappedSearchServer, search_config, tickets
from servers.harness import connect
from servers.repos import REPOS_PATH, ReposServer
from servers.repos import issues_config as repos_config


def test_check_shows_the_parents_first_items_and_the_first_childs_page(serve, clock):
    server = serve(ReposServer({"widgets": 23, "gadgets": 7, "gizmos": 2}))

    report = run_check(connect(repos_config(server), clock))

    assert report.ok
    assert "/repos/acme/widgets/issues" in report.request  # the first parent's children
    assert report.items_found == 10 and report.has_next
    text = render_check(report)
    assert f"{REPOS_PATH}?per_page=2 -> HTTP 200: 2 items on page 1 (link_header, more pages)" in text
    assert "parent item id=100 name=widgets full_name=acme/widgets" in text
    assert "parent item id=101 name=gadgets" in text
    assert "page 1 of parent id=100's children" in text
    assert report.to_dict()["notes"] == report.notes
    assert [r.path for r in server.requests] == [REPOS_PATH, "/repos/acme/widgets/issues"]


def test_preview_documents_carry_the_parents_fields(serve, clock):
    server = serve(ReposServer({"widgets": 3}))

    preview = run_preview(connect(repos_config(server), clock), limit=2)

    assert [doc.metadata["parent.name"] for doc in preview.documents] == ["widgets", "widgets"]


def test_check_of_a_parent_without_items_says_there_is_no_child_page(serve, clock):
    server = serve(ReposServer({}))

    report = run_check(connect(repos_config(server), clock))

    assert report.request.endswith(f"{REPOS_PATH}?per_page=2")  # the parent's page is the one shown
    assert any("no child page to show" in note for note in report.notes)


def test_check_shows_the_first_slice_against_the_cap(serve):
    server = serve(CappedSearchServer(tickets(2500)))
    clock = FakeClock(start=(ORIGIN + timedelta(days=10)).timestamp())

    report = run_check(connect(search_config(server), clock))

    assert report.ok
    assert "updated_since=2024-01-01T00%3A00%3A00Z&updated_until=2024-01-08T00%3A00%3A00Z" in report.request
    text = render_check(report)
    assert "slices        from 2024-01-01T00:00:00Z in steps of 1w" in text
    assert "the API's total 2500 (over the cap: it will be halved)" in text
