"""The request a paginator shapes, the parsed response it reads, and the one rule that turns a
request into the URL that is sent.

Query merge order (docs/compatibility.md): the URL's own query string, then `query_params`, then
pagination parameters (both held in `RequestSpec.params`), then auth query parameters (added by
the auth class with `merge_query`). A later source replaces every earlier pair of the same name,
in the place of the first one; repeated names within one source (`?tag=a&tag=b` in the URL) are
kept. Pairs that are not replaced keep their bytes exactly as written: restsync composes the URL
itself instead of passing `params=` to httpx, whose merging changed between releases (0.27 merged
into the URL's query, 0.28 replaced it).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote_plus

import httpx

# RFC 3986 query characters (pchar, "/" and "?"): kept as written. Anything else (spaces,
# non-ASCII, `"<>\^`{|}`) is percent-encoded as UTF-8 here, so the bytes sent do not depend on
# which characters a given httpx release chooses to escape.
_QUERY_SAFE = "!$&'()*+,;=:@/?[]-._~"
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


@dataclass
class RequestSpec:
    """One API request before it is sent.

    `url` is absolute and may already carry a query string (configured URLs and next-page URLs
    do); `params` are merged into it by `request_url`. `json` is the body for POST (None for GET).
    """

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None

    def copy(self) -> "RequestSpec":
        return RequestSpec(self.method, self.url, dict(self.params), dict(self.headers), copy.deepcopy(self.json))


def request_url(spec: RequestSpec) -> str:
    """The URL `spec` is sent to (before auth query parameters): what the client requests and what
    every log line and error message shows."""
    return merge_query(spec.url, spec.params)


def merge_query(url: str, params: Mapping[str, Any] | None) -> str:
    """`url` with `params` merged into its query: a name already in the query takes the new value
    in the place of its first occurrence (its other occurrences go); new names are appended.
    Untouched pairs keep their encoding; new pairs are form-encoded (`+` for a space, as requests
    and RAGFlow send them). The fragment is dropped: it is never sent."""
    head, _, _fragment = url.partition("#")
    path, _, query = head.partition("?")
    wanted = {str(name): str(value) for name, value in (params or {}).items()}
    pairs: list[str] = []
    placed: set[str] = set()
    for raw in _segments(query):
        name = _pair_name(raw)
        if name not in wanted:
            pairs.append(_normalise(raw))
        elif name not in placed:
            pairs.append(_encode_pair(name, wanted[name]))
            placed.add(name)
    pairs.extend(_encode_pair(name, value) for name, value in wanted.items() if name not in placed)
    return f"{path}?{'&'.join(pairs)}" if pairs else path


def remove_query_params(url: str, names: Iterable[str], *, ignore_case: bool = False) -> str:
    """`url` without the pairs named in `names`; the rest stay as written."""
    fold = str.lower if ignore_case else str
    drop = {fold(name) for name in names}
    head, _, _fragment = url.partition("#")
    path, mark, query = head.partition("?")
    if not mark:
        return head
    kept = [_normalise(raw) for raw in _segments(query) if fold(_pair_name(raw)) not in drop]
    return f"{path}?{'&'.join(kept)}" if kept else path


def query_pairs(url: str) -> list[tuple[str, str]]:
    """The decoded (name, value) pairs of `url`'s query, in order, repeats included."""
    query = url.partition("#")[0].partition("?")[2]
    return [(_pair_name(raw), unquote_plus(raw.partition("=")[2])) for raw in _segments(query)]


def _segments(query: str) -> list[str]:
    return [raw for raw in query.split("&") if raw]


def _pair_name(raw: str) -> str:
    return unquote_plus(raw.partition("=")[0])


def _encode_pair(name: str, value: str) -> str:
    return f"{quote_plus(name, safe='')}={quote_plus(value, safe='')}"


def _normalise(raw: str) -> str:
    """A pair as written, with only the characters a query may not hold percent-encoded (existing
    `%XX` escapes are kept; a stray `%` becomes `%25`)."""
    out: list[str] = []
    position = 0
    for match in _ESCAPE.finditer(raw):
        out.append(quote(raw[position : match.start()], safe=_QUERY_SAFE))
        out.append(match.group(0))
        position = match.end()
    out.append(quote(raw[position:], safe=_QUERY_SAFE))
    return "".join(out)


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
