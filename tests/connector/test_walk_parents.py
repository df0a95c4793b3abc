"""Parent and child endpoints against a GitHub-like API (repositories -> issues): every child of every
parent listed, ids apart under two parents, the parent's fields in metadata, parents walked once,
children concurrent within the source's limit, failed children reported per parent, resumes."""

from __future__ import annotations

import pytest

from restsync.errors import AuthError, ConfigError
from restsync.timestamps import parse_timestamp
from servers.harness import assert_unique, connect, load_all, poll_all
from servers.repos import REPOS_PATH, ReposServer
from servers.repos import issues_config as config

REPOS = {"widgets": 23, "gadgets": 7, "empty": 0, "sprockets": 12, "gizmos": 31}


def titles(documents) -> list[str]:
    return sorted(doc.semantic_identifier for doc in documents)


def expected_titles(server: ReposServer, names=None) -> list[str]:
    return sorted(issue["title"] for name, issues in server.issues.items() if names is None or name in names
                  for issue in issues)


def test_every_child_of_every_parent_is_listed_once(serve, clock):
    server = serve(ReposServer(REPOS))
    connector = connect(config(server), clock)

    documents = load_all(connector)

    assert titles(documents) == expected_titles(server)
    assert_unique(documents)  # issue 1 exists in four repositories: four ids
    report = connector.report
    assert report.complete and not report.truncated
    assert (report.parents.parents, report.parents.children_listed) == (5, 5)
    assert report.documents == len(documents) == sum(REPOS.values())
    parent_requests = [r for r in server.requests if r.path == REPOS_PATH]
    assert [r.param("page", "1") for r in parent_requests] == ["1", "2", "3"]  # walked once


def test_child_documents_carry_the_parents_fields(serve, clock):
    server = serve(ReposServer(REPOS))
    documents = load_all(connect(config(server), clock))

    first = next(doc for doc in documents if doc.semantic_identifier == "gadgets issue 3")
    assert first.metadata == {"parent.id": "101", "parent.name": "gadgets", "parent.full_name": "acme/gadgets"}
    assert first.link == "https://github.example/acme/gadgets/issues/3"


def test_ids_are_stable_and_namespaced_by_parent(serve, clock):
    server = serve(ReposServer(REPOS))
    once = {doc.semantic_identifier: doc.id for doc in load_all(connect(config(server), clock))}
    again = {doc.semantic_identifier: doc.id for doc in load_all(connect(config(server), clock))}

    assert once == again
    assert once["widgets issue 1"] != once["gadgets issue 1"]


def test_children_run_concurrently_within_the_source_limit(serve, clock):
    server = serve(ReposServer({f"repo{n}": 15 for n in range(8)}))
    server.gate = True
    connector = connect(config(server, concurrency=2, parent={
        "url": server.url(REPOS_PATH), "query_params": {"per_page": "8"}, "fields": ["id", "name"]}), clock)

    documents = load_all(connector)

    assert len(documents) == 8 * 15
    assert server.overlapped  # two child listings were on the wire at once
    assert server.max_in_flight <= 2


def test_children_share_the_sources_request_rate(serve, clock):
    server = serve(ReposServer({f"repo{n}": 15 for n in range(6)}))
    started = clock.time()

    documents = load_all(connect(config(server, requests_per_second=4), clock))

    assert len(documents) == 6 * 15
    requests = len(server.requests)  # 3 parent pages and 2 pages for each of 6 repositories
    assert requests == 15
    assert clock.time() - started >= (requests - 1) / 4  # one pace across all child listings


def test_a_parent_whose_children_fail_is_reported_and_the_others_listed(serve, clock):
    server = serve(ReposServer(REPOS, gone={"gadgets"}, failing={"sprockets"}))
    connector = connect(config(server), clock)

    documents = load_all(connector)

    assert titles(documents) == expected_titles(server, {"widgets", "gizmos"})
    stats = connector.report.parents
    assert sorted(stats.unfinished) == ["101", "103"]
    assert any("parent 101" in line and "410" in line for line in stats.failed)
    assert any("were not fully listed" in warning for warning in connector.report.warnings)


def test_an_auth_failure_in_a_child_fails_the_walk(serve, clock):
    class Revoked(ReposServer):
        def _answer(self, request):
            if request.path.endswith("/gizmos/issues"):
                from servers.base import json_error
                return json_error(401, {"message": "Bad credentials"})
            return super()._answer(request)

    server = serve(Revoked(REPOS))
    with pytest.raises(AuthError):
        load_all(connect(config(server), clock))


def test_a_window_applies_to_every_child_collection(serve, clock):
    server = serve(ReposServer(REPOS))
    start = parse_timestamp("2024-03-01T20:00:00Z")

    documents = poll_all(connect(config(server), clock), start, parse_timestamp("2024-04-01T00:00:00Z"))

    assert titles(documents) == sorted(
        issue["title"] for issues in server.issues.values() for issue in issues if issue["updated_at"] >= "2024-03-01T20")
    child_requests = [r for r in server.requests if r.path != REPOS_PATH]
    assert child_requests and all(r.param("since") == "2024-03-01T20:00:00Z" for r in child_requests)


def test_a_resumed_walk_starts_at_the_unfinished_parent_page(serve, clock):
    server = serve(ReposServer(REPOS))
    seen, checkpoint = [], None
    for batch, point in connect(config(server), clock).load_from_checkpoint():
        seen += batch
        if point is not None:
            checkpoint = point
            break
    before = len(server.requests)

    rest = [doc for batch, _ in connect(config(server), clock).load_from_checkpoint(checkpoint) for doc in batch]

    resumed_parents = [r.param("page", "1") for r in server.requests[before:] if r.path == REPOS_PATH]
    assert resumed_parents[0] == "2"
    assert titles(seen + rest) == expected_titles(server)
    assert_unique(seen + rest)


def test_placeholders_must_name_parent_fields():
    raw = config(_NoServer())
    raw["url"] = "http://127.0.0.1:9/repos/acme/{parent.slug}/issues"
    with pytest.raises(ConfigError) as raised:
        connect(raw, None)
    assert raised.value.key == "url"
    raw = config(_NoServer())
    raw["parent"] = {"fields": ["id"]}
    with pytest.raises(ConfigError) as raised:
        connect(raw, None)
    assert raised.value.key == "parent.url"


class _NoServer:
    def url(self, path: str) -> str:
        return "http://127.0.0.1:9" + path


def test_a_stored_parent_config_hides_its_secrets_and_loads_again():
    from restsync.config import load_config

    raw = config(_NoServer())
    raw["parent"]["query_params"] = {"per_page": "2", "access_token": "parent-secret-1234"}
    loaded = load_config(raw)

    public = loaded.to_dict()

    assert "parent-secret-1234" not in repr(public)
    assert public["parent"]["query_params"]["per_page"] == "2"
    again = load_config(public, strict=True)
    assert again.parent.fields == ["id", "name", "full_name"] and again.parent.url == loaded.parent.url
