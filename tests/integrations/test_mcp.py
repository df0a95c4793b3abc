"""MCP: the SDK's own client against `restsync mcp --kb` over stdio, and against the Streamable
HTTP app behind its Bearer token and Host check on a real uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

import httpx
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from starlette.applications import Starlette

from restsync.demo.loopback import serve_asgi
from restsync.integrations import LocalBackend
from restsync.integrations.mcp_server import mount_mcp

from .mcp_clients import http_client

TOKEN = "rs-test-token"


def stdio_client(kb_dir) -> Client:
    return Client(StdioServerParameters(command=sys.executable, args=["-m", "restsync", "mcp", "--kb", str(kb_dir)]))


async def exercise(client: Client) -> dict[str, Any]:
    """List the tools and call each (and two failing calls); return what came back."""
    async with client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        kbs = await client.call_tool("list_knowledge_bases", {})
        kb_id = kbs.structured_content["knowledge_bases"][0]["id"]
        found = await client.call_tool("search", {"query": "reset two-factor authentication", "top_k": 2,
                                                  "knowledge_base_ids": [kb_id], "filters": ["category=Security"]})
        document = await client.call_tool("get_document", {"document_id": "long"})
        unknown_kb = await client.call_tool("search", {"query": "x", "knowledge_base_ids": ["nope"]})
        bad_filter = await client.call_tool("search", {"query": "x", "filters": ["no operator"]})
        missing = await client.call_tool("get_document", {"document_id": "missing"})
        bad_args = await client.call_tool("search", {"query": "x", "top_k": 0})
    return locals()


def check(seen: dict[str, Any]) -> None:
    tools = seen["tools"]
    assert set(tools) == {"search", "list_knowledge_bases", "get_document"}
    schema = tools["search"].input_schema
    assert schema["required"] == ["query"] and {"knowledge_base_ids", "filters", "top_k"} <= set(schema["properties"])
    assert schema["properties"]["top_k"]["maximum"] == 50 and tools["search"].output_schema is not None
    assert tools["get_document"].input_schema["required"] == ["document_id"]

    kb = seen["kbs"].structured_content["knowledge_bases"][0]
    assert kb["documents"] == 4 and kb["sources"] == ["help"] and kb["last_sync"]

    found = seen["found"]
    assert not found.is_error
    hits = found.structured_content["hits"]
    assert hits[0]["document_id"] == "2fa" and hits[0]["link"] == "https://help.example.com/2fa"
    assert hits[0]["title"] == "Reset two-factor authentication" and 0 < hits[0]["score"] <= 1
    assert all(hit["metadata"]["category"] == "Security" for hit in hits)
    assert "2fa" in found.content[0].text  # a text copy for clients that ignore structured content

    document = seen["document"].structured_content
    assert document["title"] == "A long article" and document["text"].startswith("Paragraph 0:")
    assert document["text"].endswith("Paragraph 59: the quick brown fox number 59 jumps over the lazy dog.")

    for name, needle in (("unknown_kb", "no knowledge base with id 'nope'"), ("bad_filter", "no operator"),
                         ("missing", "no document with id 'missing'"), ("bad_args", "top_k")):
        result = seen[name]
        assert result.is_error, name
        assert needle in result.content[0].text, (name, result.content[0].text)


def test_stdio_server_with_the_sdk_client(small_kb):
    check(asyncio.run(exercise(stdio_client(small_kb))))


@contextlib.contextmanager
def mcp_over_http(kb_dir, *, public_hosts=()):
    backend = LocalBackend(kb_dir)

    def app_for(port: int) -> Starlette:
        app = Starlette()
        mount_mcp(app, backend, lambda token: token == TOKEN, host="127.0.0.1", port=port, public_hosts=public_hosts)
        return app

    with serve_asgi(app_for) as base_url:
        yield f"{base_url}/mcp"
    backend.close()


def test_streamable_http_with_the_sdk_client(small_kb):
    with mcp_over_http(small_kb) as url:
        check(asyncio.run(exercise(http_client(url, TOKEN))))


def test_streamable_http_refuses_missing_and_wrong_tokens_and_foreign_hosts(small_kb):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    accept = {"Accept": "application/json, text/event-stream"}
    with mcp_over_http(small_kb, public_hosts=["kb.example.com"]) as url:
        missing = httpx.post(url, json=initialize, headers=accept)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        assert missing.json()["message"] == "missing bearer token"
        wrong = httpx.post(url, json=initialize, headers={**accept, "Authorization": "Bearer rs-wrong"})
        assert wrong.status_code == 403
        good = {**accept, "Authorization": f"Bearer {TOKEN}"}
        assert httpx.post(url, json=initialize, headers=good).status_code == 200
        rebinding = httpx.post(url, json=initialize, headers={**good, "Host": "evil.example.net"})
        assert rebinding.status_code == 421
        proxied = httpx.post(url, json=initialize, headers={**good, "Host": "kb.example.com"})
        assert proxied.status_code == 200
        foreign_page = httpx.post(url, json=initialize, headers={**good, "Origin": "http://evil.example.net"})
        assert foreign_page.status_code == 403


def test_demo_end_to_end_over_stdio(demo_kb):
    async def run() -> Any:
        async with stdio_client(demo_kb) as client:
            return await client.call_tool("search", {"query": "reset audit logs", "top_k": 3})

    hits = asyncio.run(run()).structured_content["hits"]
    assert len(hits) == 3 and hits[0]["link"].startswith("http://127.0.0.1")


def test_mcp_command_refuses_a_directory_that_is_no_knowledge_base(tmp_path, capsys):
    from restsync.cli.main import main

    assert main(["mcp", "--kb", str(tmp_path / "typo")]) == 2
    assert "--kb" in capsys.readouterr().err and not (tmp_path / "typo").exists()
    assert main(["mcp", "--help"]) == 0
    assert "restsync mcp --kb DIR" in capsys.readouterr().out


def test_every_interface_bind_accepts_only_the_named_hosts(small_kb, caplog):
    from restsync.integrations.mcp_server import transport_security_for

    assert transport_security_for("0.0.0.0", 8700).allowed_hosts == []
    named = transport_security_for("0.0.0.0", 8700, extra_hosts=["kb.example.com", "10.0.0.5:8700"])
    assert named.allowed_hosts == ["kb.example.com", "kb.example.com:*", "10.0.0.5:8700"]
    assert "https://kb.example.com" in named.allowed_origins
    assert transport_security_for("192.168.1.4", 8700).allowed_hosts == ["192.168.1.4:8700"]
    assert transport_security_for("::1", 8700).allowed_hosts == ["127.0.0.1:8700", "localhost:8700", "[::1]:8700"]
    with caplog.at_level("WARNING", logger="restsync.integrations.mcp"):
        mount_mcp(Starlette(), LocalBackend(small_kb), lambda token: True, host="0.0.0.0", port=8700)
    assert "--public-host" in caplog.text
