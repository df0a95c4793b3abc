"""An MCP SDK client for the Streamable HTTP endpoint, with the Bearer token every request needs."""

from __future__ import annotations

import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client


def http_client(url: str, token: str) -> Client:
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=30))
    return Client(transport)
