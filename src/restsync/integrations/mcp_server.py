"""The MCP server: tools to search and read restsync knowledge bases, over any `SearchBackend`.

Built on the official Python SDK, major version 2 (`mcp>=2.3,<3`): its server class is
`MCPServer` (1.x called it FastMCP), and sync tools run on worker threads, so a search that
embeds a query never blocks the event loop.

Two ways to serve it:
- stdio: `restsync mcp --kb DIR` (`run_stdio`), for desktop clients that launch a command;
- Streamable HTTP: `McpHttpApp`, mounted at `/mcp` by the server, Bearer token required and the
  SDK's Host/Origin (DNS-rebinding) check configured for the host the server is bound to.

Tools: `search`, `list_knowledge_bases`, `get_document`. Each takes JSON-schema'd arguments and
returns structured content (with a text copy for older clients); a failure (unknown knowledge
base, bad filter, missing document) comes back as a tool result with `isError: true` and a
readable message, never as a protocol error.
"""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any, AsyncIterator, Callable, Sequence

import logging

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from restsync.errors import RestSyncError
from restsync.integrations.backend import SearchBackend, UnknownKnowledgeBaseError

__all__ = ["McpHttpApp", "build_mcp_server", "mount_mcp", "run_stdio", "transport_security_for"]

INSTRUCTIONS = (
    "restsync knowledge bases hold documents synced from REST APIs (help centres, tickets, wikis...). "
    "Call list_knowledge_bases to see what is there, search to find passages (each hit cites its "
    "document's title and link), and get_document to read a whole document."
)
MAX_TOP_K = 50
logger = logging.getLogger("restsync.integrations.mcp")
_READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)


class SearchHit(BaseModel):
    chunk_id: str = Field(description="id of the matching passage")
    document_id: str = Field(description="id of its document (pass it to get_document)")
    knowledge_base_id: str | None = Field(description="the knowledge base holding it")
    title: str
    link: str | None = Field(description="URL of the source item, for citations")
    text: str = Field(description="the passage")
    metadata: dict[str, Any] = Field(description="the source item's metadata fields")
    score: float = Field(description="relevance, 0..1 (keyword and vector similarity fused)")


class SearchResult(BaseModel):
    hits: list[SearchHit]


class KnowledgeBaseInfo(BaseModel):
    id: str
    name: str
    description: str = ""
    sources: list[str] = Field(description="names of the sources synced into it")
    documents: int
    chunks: int
    last_sync: str | None = Field(description="when its last sync finished (ISO 8601, UTC)")


class KnowledgeBaseList(BaseModel):
    knowledge_bases: list[KnowledgeBaseInfo]


class DocumentResult(BaseModel):
    id: str
    knowledge_base_id: str | None
    title: str
    link: str | None
    text: str = Field(description="the document's full text")
    metadata: dict[str, Any]
    updated_at: str | None


def build_mcp_server(backend: SearchBackend, *, name: str = "restsync") -> MCPServer:
    server = MCPServer(name, instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(title="Search knowledge bases", annotations=_READ_ONLY)
    def search(
        query: Annotated[str, Field(min_length=1, description="what to look for, in natural language")],
        knowledge_base_ids: Annotated[
            list[str] | None, Field(description="knowledge base ids to search (default: all)")
        ] = None,
        filters: Annotated[
            list[str] | None,
            Field(description="metadata filters, all must hold: 'key=value', 'key!=value', 'key>=2024-01-01', "
                              "'key<10', 'key in a,b'"),
        ] = None,
        top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K, description="how many passages to return")] = 5,
    ) -> SearchResult:
        """Hybrid (keyword + vector) search; returns the best passages with their title, link, metadata and score."""
        hits = _call(lambda: backend.search(query, kb_ids=knowledge_base_ids, filters=list(filters or ()), k=top_k))
        return SearchResult(hits=[
            SearchHit(chunk_id=str(hit["chunk_id"]), document_id=str(hit["document_id"]),
                      knowledge_base_id=hit.get("kb_id"), title=hit.get("title") or "", link=hit.get("link"),
                      text=hit.get("text") or "", metadata=dict(hit.get("metadata") or {}),
                      score=float(hit.get("score") or 0.0))
            for hit in hits
        ])

    @server.tool(title="List knowledge bases", annotations=_READ_ONLY)
    def list_knowledge_bases() -> KnowledgeBaseList:
        """The knowledge bases available, with their sources, document and chunk counts and last sync."""
        rows = _call(backend.list_knowledge_bases)
        return KnowledgeBaseList(knowledge_bases=[
            KnowledgeBaseInfo(id=str(row["id"]), name=str(row.get("name") or row["id"]),
                              description=row.get("description") or "", sources=list(row.get("sources") or []),
                              documents=int(row.get("documents") or 0), chunks=int(row.get("chunks") or 0),
                              last_sync=row.get("last_sync"))
            for row in rows
        ])

    @server.tool(title="Read a document", annotations=_READ_ONLY)
    def get_document(
        document_id: Annotated[str, Field(min_length=1, description="a document_id (or chunk_id) from search")],
        knowledge_base_id: Annotated[str | None, Field(description="its knowledge base (default: any)")] = None,
    ) -> DocumentResult:
        """A whole document: full text, title, link, metadata and last update."""
        document = _call(lambda: backend.get_document(document_id, knowledge_base_id))
        if document is None:
            raise ToolError(f"no document with id {document_id!r}")
        return DocumentResult(id=str(document["id"]), knowledge_base_id=document.get("kb_id"),
                              title=document.get("title") or "", link=document.get("link"),
                              text=document.get("text") or "", metadata=dict(document.get("metadata") or {}),
                              updated_at=document.get("updated_at"))

    return server


def _call(function: Callable[[], Any]) -> Any:
    """Run a backend call; what a caller can fix becomes a ToolError with a readable message."""
    try:
        return function()
    except UnknownKnowledgeBaseError as exc:
        raise ToolError(f"{exc}; call list_knowledge_bases for the ids") from None
    except RestSyncError as exc:  # bad filter, unreachable server, ...
        raise ToolError(" ".join(str(exc).split())) from None


def run_stdio(backend: SearchBackend) -> None:
    """Serve the tools over stdin/stdout until the client closes them."""
    build_mcp_server(backend).run("stdio")


# -- Streamable HTTP ----------------------------------------------------------------------------

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def transport_security_for(host: str, port: int | None, *, extra_hosts: Sequence[str] = ()) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding protection for a server bound to host:port: the Host header must
    name that host (a loopback bind accepts every loopback name), or one of `extra_hosts`: the
    names a reverse proxy or a 0.0.0.0 bind is reached by (`name` for any port, `name:port`).
    `port` None: any port of the bound host."""
    if host in _LOOPBACK:
        names = ["127.0.0.1", "localhost", "[::1]"]
    elif host in ("0.0.0.0", "::", ""):
        names = []  # every interface: only the names the operator lists
    else:
        names = [f"[{host}]" if ":" in host else host]
    hosts = [f"{name}:{'*' if port is None else port}" for name in names]
    for name in extra_hosts:
        if _has_port(name):
            hosts.append(name)
        else:
            hosts += [name, f"{name}:*"]  # a proxy on 443 sends the bare name
    origins = [f"{scheme}://{name}" for name in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


def _has_port(name: str) -> bool:
    return name.rsplit("]", 1)[-1].count(":") == 1 if name.startswith("[") else name.count(":") == 1


class McpHttpApp:
    """ASGI app serving the MCP tools over Streamable HTTP behind a Bearer token.

    `verify_token(token) -> bool` decides; no token is 401, a wrong one 403 (as the rest of the
    API). Mount it at an exact path and run `lifespan()` for the app's lifetime (`mount_mcp`
    does both for a FastAPI or Starlette app).
    """

    def __init__(self, backend: SearchBackend, verify_token: Callable[[str], bool], *,
                 security: TransportSecuritySettings, server: MCPServer | None = None):
        self.server = server or build_mcp_server(backend)
        self._security = security
        self._verify_token = verify_token
        self._manager: StreamableHTTPSessionManager | None = None

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        # A session manager runs once; a fresh one per lifespan lets an app start again (tests).
        # Stateless: each request stands alone, so any worker can answer it and nothing is
        # shared between clients.
        self.server.streamable_http_app(stateless_http=True, transport_security=self._security)
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        token = _bearer(scope)
        if token is None:
            await _refuse(send, 401, "missing bearer token")
            return
        if not await anyio.to_thread.run_sync(self._verify_token, token):
            await _refuse(send, 403, "unknown or revoked token")
            return
        if self._manager is None:
            await _refuse(send, 503, "the MCP endpoint is not running (the app's lifespan has not started)")
            return
        await self._manager.handle_request(scope, receive, send)


def mount_mcp(app: Any, backend: SearchBackend, verify_token: Callable[[str], bool], *, path: str = "/mcp",
              host: str = "127.0.0.1", port: int | None = None, public_hosts: Sequence[str] = ()) -> McpHttpApp:
    """Serve the tools at exactly `path` of a Starlette/FastAPI `app` (no redirect to `path/`,
    which MCP clients would not follow with a POST), running the session manager inside the
    app's own lifespan. `host`/`port`: where the server is bound; `public_hosts`: other names
    it is reached by (reverse proxy)."""
    from starlette.routing import Route

    security = transport_security_for(host, port, extra_hosts=public_hosts)
    if not security.allowed_hosts:
        logger.warning("the MCP endpoint %s accepts no Host header: bound to %s, so name the hosts clients "
                       "use (restsync serve --public-host NAME)", path, host)
    mcp = McpHttpApp(backend, verify_token, security=security)
    app.router.routes.append(Route(path, mcp, methods=["GET", "POST", "DELETE"]))
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with mcp.lifespan(), inner(asgi_app) as state:
            yield state

    app.router.lifespan_context = lifespan
    return mcp


def _bearer(scope: dict) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


async def _refuse(send: Callable, status: int, message: str) -> None:
    body = json.dumps({"code": status, "message": message, "data": None}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="restsync"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
