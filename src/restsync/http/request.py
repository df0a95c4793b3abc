"""The request a paginator shapes and the parsed response it reads."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class RequestSpec:
    """One API request before it is sent.

    `url` is absolute and may already carry a query string (next-page URLs do); `params` are
    merged over it. `json` is the body for POST (None for GET).
    """

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None

    def copy(self) -> "RequestSpec":
        return RequestSpec(self.method, self.url, dict(self.params), dict(self.headers), copy.deepcopy(self.json))


@dataclass
class ApiResponse:
    """A successful (2xx) response with its JSON body parsed."""

    status: int
    headers: httpx.Headers
    url: str  # final URL after redirects (relative next links resolve against it)
    data: Any
    request: RequestSpec
    elapsed_s: float = 0.0
    size_bytes: int = 0
    # Keys repeated within one JSON object (only the last value is kept); checked on a sample of
    # responses (each client's first), so empty does not prove their absence.
    duplicate_keys: tuple[str, ...] = ()
