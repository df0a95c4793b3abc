"""`restsync suggest --openapi` against a loopback API that serves its own description: listing, configs
checked against live responses (API key, OAuth2 client credentials), mismatches reported, and the
generated configs walking the whole API through `fetch`."""

from __future__ import annotations

import json

import pytest
import yaml

from restsync.cli.main import main
from servers.helpcentre_openapi import API_KEY, CLIENT_ID, CLIENT_SECRET, SPEC_FILE, HelpCentreServer

SECRETS = (API_KEY, CLIENT_SECRET)


@pytest.fixture
def server(serve):
    return serve(HelpCentreServer(count=57))


@pytest.fixture
def env(monkeypatch):
    for name in ("HELP_CENTRE_API_KEY", "HELP_CENTRE_CLIENT_ID", "HELP_CENTRE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def suggest(server, *args):
    return main(["suggest", "--openapi", server.url("/openapi.yaml"), "--allow-private", *args])


def test_listing_names_each_collection_endpoint_and_how_to_choose(server, capsys):
    assert suggest(server) == 0
    out, err = capsys.readouterr()
    assert "Collection endpoints in Help Centre API (OpenAPI 3.1.0): 3" in out
    assert "--operation listArticles  GET /articles  items: $.data" in out
    assert "--operation listEvents" in out and "--operation listComments" in out
    assert "next: restsync suggest --openapi" in err


def test_generated_config_is_checked_live_and_fetches_every_article(server, env, tmp_path, capsys):
    env.setenv("HELP_CENTRE_API_KEY", API_KEY)
    target = tmp_path / "articles.yaml"
    assert suggest(server, "--operation", "listArticles", "-o", str(target)) == 0
    err = capsys.readouterr().err
    text = target.read_text(encoding="utf-8")
    assert not any(secret in text or secret in err for secret in SECRETS)
    assert "restsync: listArticles: checked against the live API" in err
    assert f"next: restsync check {target}" in err
    assert "# checked against the live API: GET http://127.0.0.1:" in text
    assert "-> HTTP 200, 50 items at $.data, pagination page (more pages: yes)" in text
    config = yaml.safe_load(text)
    assert config["url"] == server.url("/v1/articles")  # the relative server, against the description's URL
    assert config["credentials"] == {"api_key": "${HELP_CENTRE_API_KEY}"}
    assert config["pagination_config"]["page_size"] == 50 and config["query_params"] == {"status": "all"}
    out = tmp_path / "docs.jsonl"
    assert main(["fetch", str(target), "--out", str(out), "--allow-private", "--quiet"]) == 0
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(docs) == len({d["id"] for d in docs}) == 57
    assert docs[0]["link"] == "https://help.example.com/articles/1"
    assert docs[0]["metadata"]["author.name"] and docs[0]["doc_updated_at"]


def test_oauth2_client_credentials_from_the_description_work_live(server, env, tmp_path, capsys):
    env.setenv("HELP_CENTRE_CLIENT_ID", CLIENT_ID)
    env.setenv("HELP_CENTRE_CLIENT_SECRET", CLIENT_SECRET)
    target = tmp_path / "events.yaml"
    assert suggest(server, "--operation", "listEvents", "-o", str(target)) == 0
    config = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert config["auth_type"] == "oauth2_client_credentials"
    assert config["auth_config"] == {"token_url": server.url("/oauth/token"), "client_id": "${HELP_CENTRE_CLIENT_ID}",
                                     "scope": "events:read"}
    assert config["pagination_type"] == "cursor" and config["id_field"] == "uuid"
    assert "checked against the live API" in capsys.readouterr().err
    out = tmp_path / "events.jsonl"
    assert main(["fetch", str(target), "--out", str(out), "--allow-private", "--quiet"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 57


def test_a_response_that_differs_from_the_description_is_reported(server, env, capsys):
    env.setenv("HELP_CENTRE_API_KEY", API_KEY)
    assert suggest(server, "--operation", "listComments") == 1  # the config is still written
    out, err = capsys.readouterr()
    assert "restsync: listComments: the live API does not answer as described" in err
    assert "live check MISMATCH" in err and "page 1 has no items" in err
    assert "items_path $.comments matched no objects; lists in the response: $.data" in err
    assert "# WARNING: live check MISMATCH" in out and "items_path: $.comments" in out


def test_without_the_secrets_the_check_is_skipped_and_says_what_to_export(server, env, capsys):
    assert suggest(server, "--path", "/articles") == 0
    out, err = capsys.readouterr()
    assert "not checked against the live API: export HELP_CENTRE_API_KEY" in err
    assert len([r for r in server.requests if r.path.startswith("/v1/")]) == 0
    assert "auth_type: api_key_header" in out


def test_credentials_given_with_h_are_used_for_the_check_but_never_written(server, env, capsys):
    assert suggest(server, "--operation", "listArticles", "-H", f"X-Api-Key: {API_KEY}") == 0
    out, err = capsys.readouterr()
    assert "checked against the live API" in err
    assert API_KEY not in out and API_KEY not in err
    assert server.requests_to("/v1/articles")[-1].headers["x-api-key"] == API_KEY


def test_wrong_credentials_fail_the_check_with_check_s_message(server, env, capsys):
    env.setenv("HELP_CENTRE_API_KEY", "wrong-key-value")
    assert suggest(server, "--operation", "listArticles") == 1
    err = capsys.readouterr().err
    assert "the live check failed" in err and "authentication failed with status 401" in err
    assert "wrong-key-value" not in err


def test_all_writes_one_file_per_endpoint_and_no_check_sends_nothing(server, env, tmp_path, capsys):
    outdir = tmp_path / "configs"
    assert suggest(server, "--all", "--no-check", "-o", str(outdir)) == 0
    assert sorted(p.name for p in outdir.iterdir()) == ["listarticles.yaml", "listcomments.yaml", "listevents.yaml"]
    assert [r.path for r in server.requests] == ["/openapi.yaml"]


def test_a_description_on_a_private_address_needs_allow_private(server, capsys):
    assert main(["suggest", "--openapi", server.url("/openapi.yaml")]) == 2
    assert "--allow-private" in capsys.readouterr().err
    assert server.requests == []


def test_usage_errors_name_the_flag(server, capsys):
    assert main(["suggest", "https://api.example.com/x", "--openapi", server.url("/openapi.yaml")]) == 2
    assert main(["suggest", "--operation", "listArticles", "https://api.example.com/x"]) == 2
    assert suggest(server, "--operation", "nope") == 2
    err = capsys.readouterr().err
    assert "not both" in err and "go with --openapi" in err
    assert "no GET operation 'nope' in the description; collection endpoints: listArticles, listEvents" in err


def test_an_api_that_does_not_answer_is_reported_not_failed():
    import socket

    from restsync.clock import FakeClock
    from restsync.openapi import choose, load_spec, suggest_from_openapi

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = load_spec(str(SPEC_FILE))
    clock = FakeClock()
    [result] = suggest_from_openapi(spec, [choose(spec, operation="listArticles")], allow_private=True, clock=clock,
                                    server=f"http://127.0.0.1:{port}/v1", env={"HELP_CENTRE_API_KEY": API_KEY})
    assert result.live.outcome == "unreachable" and result.live.ok
    assert "did not answer" in result.suggestion.remarks[0] and "connection error" in result.suggestion.remarks[0]
    assert clock.sleeps  # retried with backoff, on the injected clock


def test_credentials_for_the_check_are_read_from_h_and_u_as_the_config_names_them():
    from restsync.cli.suggest import parse_user
    from restsync.cli.suggest_openapi import credentials_from_flags

    assert credentials_from_flags(parse_user("ann@example.com:s3:cret")) == {"username": "ann@example.com",
                                                                             "password": "s3:cret"}
    assert credentials_from_flags({"Authorization": "Bearer tok-1", "Accept": "application/json"}) == {"token": "tok-1"}
    assert credentials_from_flags({"X-Api-Key": "k-9"}) == {"api_key": "k-9"}
