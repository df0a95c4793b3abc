"""Loading an OpenAPI 3.x or Swagger 2.0 description (file or URL, YAML or JSON) and following its
local `$ref`s. References to other files are not fetched: what they name stays unknown and is
reported, so a suggestion never rests on a guess about a document it did not read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urljoin

import httpx
import yaml

from restsync.errors import BlockedAddressError, ConfigError, SourceError
from restsync.http.ssrf import AddressGuard, GuardedTransport
from restsync.http.tls import http_transport

KEY = "--openapi"
MAX_SPEC_BYTES = 64 * 1024 * 1024  # the largest public descriptions (GitHub, Stripe) are ~10 MB
MAX_REF_HOPS = 32  # a chain of $ref to $ref longer than this is a cycle in disguise


@dataclass
class Spec:
    """A loaded description: its raw document, version and where it came from."""

    document: dict[str, Any]
    source: str  # the path or URL it was read from
    version: str  # "3.0.3", "3.1.0", "2.0"
    notes: list[str] = field(default_factory=list)  # unresolvable references and similar, once each

    @property
    def is_swagger2(self) -> bool:
        return self.version.startswith("2")

    @property
    def source_url(self) -> str | None:
        return self.source if self.source.startswith(("http://", "https://")) else None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # -- references -------------------------------------------------------------------------------

    def deref(self, node: Any) -> Any:
        """`node` with its `$ref` chain followed (local `#/...` pointers only). A reference to
        another document, a missing target or a cycle of bare references gives an empty schema."""
        seen: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or len(seen) >= MAX_REF_HOPS:
                self.note(f"reference cycle through {ref}")
                return {}
            seen.append(ref)
            target = self.pointer(ref)
            if target is None:
                return {}
            node = target
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            self.note(f"reference to another document not followed: {ref}")
            return None
        node: Any = self.document
        for raw in ref[1:].lstrip("/").split("/") if ref not in ("#", "#/") else []:
            token = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                self.note(f"reference target not found: {ref}")
                return None
        return node

    def resolve_url(self, url: str) -> str:
        """A server or token URL made absolute against the document's own URL when it is relative."""
        if url.startswith(("http://", "https://")) or not self.source_url:
            return url
        return urljoin(self.source_url, url)


def load_spec(source: str, *, allow_private: bool = False, headers: Mapping[str, str] | None = None,
              transport: httpx.BaseTransport | None = None) -> Spec:
    """Read and parse a description; every problem is a ConfigError naming --openapi."""
    if source.startswith(("http://", "https://")):
        content = _download(source, allow_private=allow_private, headers=headers, transport=transport)
    else:
        try:
            content = Path(source).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read {source}: {exc.strerror or exc}", KEY) from None
    document = parse_document(content, source)
    return Spec(document, source, _version(document, source))


def parse_document(content: bytes, source: str) -> dict[str, Any]:
    text = content.decode("utf-8-sig", errors="replace")
    try:
        # JSON first: it is a subset of YAML, but the JSON parser is far faster on large specs.
        document = json.loads(text) if text.lstrip().startswith("{") else _yaml(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{source} is neither JSON nor YAML: {first}", KEY) from None
    if not isinstance(document, dict):
        raise ConfigError(f"{source} does not hold an OpenAPI document (an object at the top)", KEY)
    return document


def _yaml(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def _version(document: Mapping[str, Any], source: str) -> str:
    openapi, swagger = document.get("openapi"), document.get("swagger")
    if isinstance(openapi, str) and openapi.startswith("3."):
        return openapi
    if str(swagger) == "2.0":
        return "2.0"
    found = f"openapi: {openapi!r}" if openapi else (f"swagger: {swagger!r}" if swagger else "no version key")
    raise ConfigError(f"{source} is not an OpenAPI 3.x or Swagger 2.0 description ({found})", KEY)


def _download(url: str, *, allow_private: bool, headers: Mapping[str, str] | None,
              transport: httpx.BaseTransport | None) -> bytes:
    """The document at `url`, through the SSRF guard (every redirect hop is checked too)."""
    guarded = GuardedTransport(transport or http_transport(), AddressGuard(allow_private=allow_private),
                               close_inner=transport is None)
    accept = "application/json, application/yaml, application/x-yaml, text/yaml;q=0.9, */*;q=0.5"
    try:
        with httpx.Client(transport=guarded, follow_redirects=True, max_redirects=5, timeout=30.0, trust_env=False,
                          headers={"User-Agent": "restsync", "Accept": accept, **(headers or {})}) as client:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise SourceError(f"the description could not be downloaded: HTTP {response.status_code}",
                                      request=f"GET {url}", status=response.status_code)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_SPEC_BYTES:
                        raise SourceError(f"the description is larger than {MAX_SPEC_BYTES // 2**20} MiB",
                                          request=f"GET {url}")
                    chunks.append(chunk)
                return b"".join(chunks)
    except BlockedAddressError as exc:
        raise BlockedAddressError(f"{exc}; pass --allow-private to read a description on a private address",
                                  KEY) from None
    except httpx.HTTPError as exc:
        raise SourceError(f"the description could not be downloaded ({type(exc).__name__}: {exc})",
                          request=f"GET {url}") from None
