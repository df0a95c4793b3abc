"""An API that echoes the caller's credentials into its items (a debug field, a signed link) must
not get them stored: every known secret is masked in the mapped document, so `fetch` output,
documents, chunks, the keyword index and search hits never hold it. Nine placements, with the
secret given at run time (--credentials) and through ${ENV} in the config.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from restsync.cli.main import main
from restsync.config import load_config
from restsync.kb import KBSettings, KnowledgeBase
from restsync.mapping.mapper import DocumentMapper
from servers.items_api import ItemsApi, source_config, stamp

# `/`, `+` and `=` make the percent-encoded form differ; the odd word is what the keyword index would hold.
TOKEN = "tok-zqxwv9Secret/Value+Key=42"
FORMS = (TOKEN, quote(TOKEN, safe=""), "zqxwv9Secret", "zqxwv9secret")


def echoing_item() -> dict:
    return {
        "id": 1,
        "updated_at": stamp(1),
        "title": f"Debug {TOKEN}",                                           # 1 title
        "body": f"<p>Called with <b>{TOKEN}</b></p>",                         # 2 HTML content
        "note": f"echo: Authorization: Bearer {TOKEN}",                       # 3 plain content
        "request": {"headers": {"authorization": f"Bearer {TOKEN}"}},         # 4 nested metadata
        "tags": ["alpha", TOKEN],                                             # 5 list metadata
        "owner": TOKEN,                                                       # 6 whole metadata value
        "html_url": f"https://help.example.test/a/1?key={quote(TOKEN, safe='')}",  # 7 link, percent-encoded
        "slug": TOKEN,                                                        # 8, 9 via the templates
        "author": "Jane",
    }


@pytest.fixture
def api():
    with ItemsApi() as server:
        server.items = {1: echoing_item()}
        yield server


def fields_config(directory: Path, api: ItemsApi) -> Path:
    """The token reaches the connector at run time only (--credentials)."""
    path = directory / "fields.yaml"
    config = source_config(api.url, auth_type="bearer", title_field="title", content_fields=["title", "body", "note"],
                           metadata_fields=["request", "tags[*]", "owner"], link_field="html_url")
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def templates_config(directory: Path, api: ItemsApi) -> Path:
    """The token comes from the environment through ${ECHO_TOKEN}."""
    path = directory / "templates.yaml"
    config = source_config(api.url, auth_type="bearer", credentials={"token": "${ECHO_TOKEN}"},
                           content_fields=["note", "slug"], content_template="{note} / {slug}",
                           link_template="https://help.example.test/{slug}")
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def credentials(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ECHO_TOKEN", TOKEN)
    path = tmp_path / "secrets.yaml"
    path.write_text(yaml.safe_dump({"token": TOKEN}), encoding="utf-8")
    return path


def assert_masked(text: str) -> None:
    for form in FORMS:
        assert form not in text
    assert "***" in text


def test_fetch_output_holds_no_echoed_secret(tmp_path, capsys, api, credentials):
    for config in (fields_config(tmp_path, api), templates_config(tmp_path, api)):
        out = tmp_path / f"{config.stem}.jsonl"
        status = main(["fetch", str(config), "--out", str(out), "--allow-private", "--credentials", str(credentials)])
        assert status == 0, capsys.readouterr().err
        text = out.read_text(encoding="utf-8")
        assert_masked(text)
        [doc] = [json.loads(line) for line in text.splitlines()]
        assert doc["metadata"].get("owner", "***") == "***"
        assert doc["link"].startswith("https://help.example.test/")
    assert_masked(capsys.readouterr().err + "***")


def test_the_knowledge_base_holds_no_echoed_secret(tmp_path, capsys, api, credentials):
    kb = tmp_path / "kb"
    KnowledgeBase.open(kb, settings=KBSettings(embedder="hashing-64")).close()
    for config in (fields_config(tmp_path, api), templates_config(tmp_path, api)):
        status = main(["sync", str(config), "--kb", str(kb), "--allow-private", "--quiet",
                       "--credentials", str(credentials)])
        assert status == 0, capsys.readouterr().err
    capsys.readouterr()

    assert main(["search", "Debug called echo", "--kb", str(kb), "--json", "-k", "10"]) == 0
    out = capsys.readouterr().out
    hits = json.loads(out)
    assert {hit["source"] for hit in hits} == {"fields", "templates"}
    assert_masked(out)

    # The keyword index: the secret's one distinctive word finds nothing.
    with KnowledgeBase.open(kb, read_only=True) as base:
        assert base.search("zqxwv9Secret", vector_weight=0.0) == []
    stored = b"".join(path.read_bytes() for path in kb.iterdir() if path.is_file())
    for form in FORMS:
        assert form.encode() not in stored


def test_the_mapper_masks_the_configs_own_secrets_by_default(api):
    config = load_config(source_config(api.url, auth_type="bearer", credentials={"token": TOKEN},
                                       content_fields=["title", "body"], metadata_fields=["owner", "tags[*]"],
                                       link_field="html_url"))
    doc = DocumentMapper(config, config.namespace).map(echoing_item())
    assert_masked(json.dumps(doc.to_dict()))
    assert doc.semantic_identifier == "Debug ***" and doc.metadata == {"owner": "***", "tags[*]": ["alpha", "***"]}


def test_a_short_secret_is_masked_only_as_a_whole_value():
    """As a substring, a three-letter password would garble ordinary words."""
    mapper = DocumentMapper(load_config({"url": "https://api.example.test/items", "content_fields": ["body"],
                                         "metadata_fields": ["pin"]}), secrets=["abc"])
    doc = mapper.map({"id": 1, "body": "The abcde of it", "pin": "abc"})
    assert doc.content == "The abcde of it" and doc.metadata == {"pin": "***"}


def test_an_env_base_url_is_where_links_point_not_a_secret(api):
    """`url: ${API_BASE}/items` keeps the host out of the file, not a credential: links built from
    it stay whole. A token in the same config is still masked."""
    base = api.url.rsplit("/api/items", 1)[0]
    config = load_config(
        {"url": "${API_BASE}/api/items", "auth_type": "bearer", "credentials": {"token": "${ECHO}"},
         "id_field": "id", "content_fields": ["body"], "link_template": base + "/a/{id}?k={slug}"},
        env={"API_BASE": base, "ECHO": TOKEN},
    )
    doc = DocumentMapper(config, config.namespace).map(echoing_item())
    assert doc.link == base + "/a/1?k=***"
    assert_masked(doc.content + doc.link)


def test_an_oauth2_access_token_echoed_by_the_api_is_masked_too():
    """The access token exists only at run time (fetched from the token endpoint, refreshed when
    it expires): an API echoing it, the first one and the refreshed one, gets it masked as well.
    A mock transport stands in for the API and its token endpoint (a public host name)."""
    import httpx

    from restsync.clock import FakeClock
    from restsync.connector import RestApiConnector

    clock = FakeClock()
    fetched = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            fetched.append(f"access-Tok3n-{len(fetched)}-9f8e7d")
            return httpx.Response(200, json={"access_token": fetched[-1], "expires_in": 600})
        page = int(request.url.params.get("page", "1"))
        clock.advance(700)  # the token expires while the walk goes on: page 2 fetches a new one
        seen = request.headers["Authorization"].removeprefix("Bearer ")
        items = [{"id": page, "title": f"Called with {seen}", "debug": {"auth": seen}}] if page <= 2 else []
        return httpx.Response(200, json={"items": items})

    config = {"url": "https://api.example.com/items", "items_path": "$.items", "id_field": "id",
              "title_field": "title", "content_fields": ["title"], "metadata_fields": ["debug"],
              "pagination_type": "page", "pagination_config": {"page_param": "page", "page_size": 1},
              "auth_type": "oauth2_client_credentials",
              "auth_config": {"token_url": "https://api.example.com/token", "client_id": "restsync"},
              "credentials": {"client_secret": "client-s3cret-value"}}
    connector = RestApiConnector(config, transport=httpx.MockTransport(answer), clock=clock,
                                 resolver=lambda host: ["93.184.216.34"])
    try:
        documents = [doc.to_dict() for batch in connector.load_from_state() for doc in batch]
    finally:
        connector.close()
    text = json.dumps(documents)
    assert len(documents) == 2 and len(fetched) >= 2
    assert "access-Tok3n" not in text and text.count("***") >= 4
