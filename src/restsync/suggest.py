"""A starting config from one API response: where the items are, which fields play which role,
how the API paginates and authenticates. Every choice carries a note saying what it was inferred
from; secrets are replaced by `${ENV}` placeholders and never written out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

import yaml

from restsync.http.request import ApiResponse, RequestSpec, query_pairs, remove_query_params
from restsync.pagination.detect import detect
from restsync.timestamps import parse_timestamp

SAMPLE_ITEMS = 25
ID_NAMES = ("id", "uuid", "key", "_id", "guid", "number", "slug", "uid")
TITLE_NAMES = ("title", "name", "subject", "headline", "summary", "label", "display_name", "displayname")
CONTENT_NAMES = ("body", "content", "text", "description", "html", "body_html", "markdown", "message", "excerpt")
UPDATED_NAMES = ("updated_at", "updatedat", "updated", "modified", "modified_at", "modifiedat", "last_modified",
                 "lastmodified", "last_edited_time", "date_modified", "modified_gmt", "updated_time",
                 "lastmodifieddatetime", "systemmodstamp", "last_updated", "changed")
CREATED_NAMES = ("created_at", "createdat", "created", "created_time", "published_at", "date", "date_gmt",
                 "createddatetime", "timestamp", "time", "pubdate", "published")
LINK_NAMES = ("html_url", "web_url", "permalink", "weburl", "url", "link", "href", "self")
NAME_LEAVES = ("name", "login", "title", "key", "slug", "label", "display_name", "username")
SECRET_QUERY = ("api_key", "apikey", "key", "token", "access_token", "auth", "api_token")
WRAPPER_LEAVES = ("rendered", "value", "raw", "plain_text", "text", "html", "#text")  # #text: XML text
LONG_TEXT = 80  # characters: longer strings (or any HTML) are content, shorter ones may be metadata
MAX_METADATA = 8
_HTML = re.compile(r"<[a-zA-Z][^>]*>")


@dataclass
class Suggestion:
    config: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)  # config key -> what it was inferred from
    warnings: list[str] = field(default_factory=list)
    origin: str = "one response"  # what the suggestion was inferred from, for the header line
    remarks: list[str] = field(default_factory=list)  # further header lines (a live check's findings)

    def choose(self, key: str, value: Any, note: str) -> None:
        self.config[key] = value
        self.notes[key] = note

    def to_yaml(self) -> str:
        lines = [f"# Suggested by `restsync suggest` from {self.origin}; review, then run `restsync check`."]
        lines += [f"# {remark}" for remark in self.remarks]
        lines += [f"# WARNING: {warning}" for warning in self.warnings]
        for key, value in self.config.items():
            if key in self.notes:
                lines.append(f"# {self.notes[key]}")
            lines.append(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=100).rstrip())
        return "\n".join(lines) + "\n"


def suggest_config(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None,
                   body: Any = None, allow_private: bool = False, **client_options: Any) -> Suggestion:
    """Fetch one response (through the guarded HttpClient) and suggest a config for it."""
    from restsync.http import HttpClient

    client = HttpClient(headers=dict(headers or {}), allow_private=allow_private,
                        secrets=[v for v in (headers or {}).values() if v], **client_options)
    try:
        response = client.send(RequestSpec(method.upper(), url, json=body))
    finally:
        client.close()
    return suggest_from_response(response, headers=headers)


def suggest_from_response(response: ApiResponse, *, headers: Mapping[str, str] | None = None) -> Suggestion:
    request = response.request
    base_url, query = _split_query(request.url)
    suggestion = Suggestion(config={"url": base_url, "method": request.method})
    env_prefix = _env_prefix(base_url)
    _suggest_auth(suggestion, dict(headers or {}), query, env_prefix)
    items, items_path = _items(response.data)
    if items_path:
        suggestion.choose("items_path", items_path, f"the array of {len(items)} objects in the response")
    if request.json is not None:
        suggestion.choose("request_body", request.json, "the body given with -d")
    if not items:
        suggestion.warnings.append("no array of objects found in the response: set items_path by hand")
    else:
        _suggest_fields(suggestion, items[:SAMPLE_ITEMS])
    _suggest_pagination(suggestion, response, items, query)
    if query:
        suggestion.choose("query_params", query, "from the URL's query string")
    return suggestion


# -- auth ------------------------------------------------------------------------------------------

def _suggest_auth(suggestion: Suggestion, headers: dict[str, str], query: dict[str, str], env_prefix: str) -> None:
    """One credential becomes the auth type; any further one stays where it was given (a header or a
    query parameter) with its value replaced by a `${ENV}` placeholder, so no credential is dropped."""
    kept: dict[str, str] = {}
    extra_secrets: list[str] = []
    # Authorization: Bearer/Basic first: a typed auth says more than a bare key header.
    ordered = sorted(headers.items(), key=lambda pair: _auth_kind(*pair) not in ("bearer", "basic"))
    for name, value in ordered:
        kind = _auth_kind(name, value)
        if kind is None:
            kept[name] = value
        elif "auth_type" in suggestion.config:
            # `Authorization: Token abc` keeps its scheme word; only the secret becomes a variable.
            scheme = value.split(" ", 1)[0] + " " if name.lower() == "authorization" and " " in value else ""
            kept[name] = f"{scheme}${{{_env_name(suggestion, env_prefix, name)}}}"
            extra_secrets.append(f"the {name} header")
        elif kind == "bearer":
            suggestion.choose("auth_type", "bearer", f"from the {name}: Bearer header given")
            suggestion.config["credentials"] = {"token": f"${{{env_prefix}_TOKEN}}"}
        elif kind == "basic":
            suggestion.choose("auth_type", "basic", f"from the {name}: Basic header given")
            suggestion.config["credentials"] = {"username": f"${{{env_prefix}_USERNAME}}",
                                                "password": f"${{{env_prefix}_PASSWORD}}"}
        else:
            suggestion.choose("auth_type", "api_key_header", f"from the {name} header given")
            suggestion.config["auth_config"] = {"header_name": name}
            suggestion.config["credentials"] = {"api_key": f"${{{env_prefix}_API_KEY}}"}
    for name in [n for n in query if n.lower() in SECRET_QUERY]:
        if "auth_type" in suggestion.config:
            query[name] = f"${{{_env_name(suggestion, env_prefix, name)}}}"
            extra_secrets.append(f"the {name} query parameter")
            continue
        query.pop(name)
        suggestion.choose("auth_type", "api_key_query", f"from the {name} query parameter given")
        suggestion.config["auth_config"] = {"param_name": name}
        suggestion.config["credentials"] = {"api_key": f"${{{env_prefix}_API_KEY}}"}
    if "credentials" in suggestion.config:
        suggestion.notes["credentials"] = "the secret itself is never written: export the variable named here"
    if extra_secrets:
        suggestion.notes["auth_type"] += (f"; {' and '.join(extra_secrets)} also carried a credential: kept "
                                          "there as a ${ENV} placeholder (export those variables too)")
    if kept:
        suggestion.choose("headers", {name: kept[name] for name in headers if name in kept},
                          "headers given with -H, other than the one used for auth_type")


def _auth_kind(name: str, value: str) -> str | None:
    """bearer, basic or api_key for a header carrying a credential; None for any other header."""
    lowered, scheme = name.lower(), value.split(" ", 1)[0].lower()
    if lowered == "authorization" and scheme in ("bearer", "basic"):
        return scheme
    if lowered == "authorization" or any(word in lowered for word in ("key", "token", "secret", "auth")):
        return "api_key"
    return None


def _env_name(suggestion: Suggestion, env_prefix: str, name: str) -> str:
    """A variable for one more secret, never one the credentials already use (two secrets, two names)."""
    taken = set(re.findall(r"\$\{(\w+)\}", json.dumps(suggestion.config.get("credentials", {}))))
    base = f"{env_prefix}_{re.sub(r'[^A-Za-z0-9]+', '_', name).upper().strip('_')}"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    return candidate


def _env_prefix(url: str) -> str:
    labels = [label for label in (urlsplit(url).hostname or "").split(".") if label not in ("www", "api")]
    core = labels[-2] if len(labels) >= 2 else (labels[0] if labels else "API")
    name = re.sub(r"[^A-Za-z0-9]+", "_", core).upper().strip("_") or "API"
    return name if not name[0].isdigit() else f"API_{name}"


# -- items and fields --------------------------------------------------------------------------------

def _items(data: Any) -> tuple[list[dict], str | None]:
    from restsync.extraction.items import select_items

    selection = select_items(data, None)
    path = getattr(selection, "path", None)
    return list(selection.items), (None if path in (None, "$") else path)


def flatten(item: Any, prefix: str = "", depth: int = 3) -> dict[str, list[Any]]:
    """Field path -> the values found there: scalars by dot path, list elements under `[*]`."""
    out: dict[str, list[Any]] = {}
    if isinstance(item, dict) and depth > 0:
        for key, value in item.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for sub, values in flatten(value, path, depth - 1).items():
                out.setdefault(sub, []).extend(values)
    elif isinstance(item, list) and prefix and depth > 0:
        for element in item:
            for sub, values in flatten(element, f"{prefix}[*]", depth).items():
                out.setdefault(sub, []).extend(values)
    elif not isinstance(item, (dict, list)) and prefix:
        out[prefix] = [item]
    return out


@dataclass
class _Field:
    path: str
    values: list[Any]  # one entry per item that has it (lists for [*] paths)
    coverage: float

    @property
    def leaf(self) -> str:
        """The name that says what the field is: `title.rendered` (WordPress) is a title."""
        segments = [segment.replace("[*]", "").lower() for segment in self.path.split(".")]
        if len(segments) > 1 and segments[-1] in WRAPPER_LEAVES:
            return segments[-2]
        return segments[-1]

    @property
    def strings(self) -> list[str]:
        return [v for v in self.values if isinstance(v, str) and v.strip()]


def _fields(items: list[dict]) -> dict[str, _Field]:
    per_item = [flatten(item) for item in items]
    paths = dict.fromkeys(path for flat in per_item for path in flat)
    fields = {}
    for path in paths:
        values = [v for flat in per_item for v in flat.get(path, []) if v is not None]
        present = sum(1 for flat in per_item if any(v is not None for v in flat.get(path, [])))
        fields[path] = _Field(path, values, present / len(items))
    return fields


def _pick(fields: Iterable[_Field], names: tuple[str, ...], accept: Callable[[_Field], bool]) -> _Field | None:
    """The accepted field whose leaf name ranks first in `names` (shallow paths win ties)."""
    ranked = [(names.index(f.leaf), f.path.count("."), f.path) for f in fields
              if f.leaf in names and "[*]" not in f.path and accept(f)]
    if not ranked:
        return None
    best = min(ranked)[2]
    return next(f for f in fields if f.path == best)


def _suggest_fields(suggestion: Suggestion, items: list[dict]) -> None:
    fields = list(_fields(items).values())
    n = len(items)
    used: set[str] = set()

    def unique(f: _Field) -> bool:
        return f.coverage == 1 and len({json.dumps(v) for v in f.values}) == len(f.values) == n

    if chosen := _pick(fields, ID_NAMES, unique):
        suggestion.choose("id_field", chosen.path, f"'{chosen.path}' is present and unique in all {n} items")
        used.add(chosen.path)
    else:
        suggestion.warnings.append("no unique id field found: ids will be hashes of each item's content")
    title = _pick(fields, TITLE_NAMES, lambda f: bool(f.strings) and f.path not in used)
    if title:
        suggestion.choose("title_field", title.path, f"'{title.path}' is a short text in {title.coverage:.0%} of items")
        used.add(title.path)
    content = [f for f in fields if f.path not in used and "[*]" not in f.path and f.strings
               and not _looks_like_url(f.strings[0])
               and (_avg_len(f.strings) >= LONG_TEXT or any(_HTML.search(s) for s in f.strings)
                    or f.leaf in CONTENT_NAMES)]
    content.sort(key=lambda f: -_avg_len(f.strings))
    content_paths = ([title.path] if title else []) + [f.path for f in content]
    if content_paths:
        why = ", ".join(f"'{f.path}' ({'HTML, ' if any(_HTML.search(s) for s in f.strings) else ''}"
                        f"~{_avg_len(f.strings):.0f} chars)" for f in content) or "no long text fields"
        suggestion.choose("content_fields", content_paths, f"the title, then long text fields: {why}")
        used.update(content_paths)
    else:
        suggestion.warnings.append("no text fields found for content_fields: set them by hand")
    stamp = (_pick(fields, UPDATED_NAMES, _parses) or _pick(fields, CREATED_NAMES, _parses))
    if stamp:
        kind = "last-update" if stamp.leaf in UPDATED_NAMES else "creation (no last-update field found)"
        suggestion.choose("poll_timestamp_field", stamp.path,
                          f"'{stamp.path}' parses as a {kind} time, e.g. {stamp.values[0]!r}")
        used.add(stamp.path)
    link = _pick(fields, LINK_NAMES, lambda f: bool(f.strings) and all(_looks_like_url(s) for s in f.strings))
    if link:
        suggestion.choose("link_field", link.path, f"'{link.path}' holds a URL, e.g. {link.strings[0]}")
        used.add(link.path)
    metadata = [f.path for f in fields if f.path not in used and _is_metadata(f)][:MAX_METADATA]
    if metadata:
        suggestion.choose("metadata_fields", metadata, "short scalars, nested names and list-of-object names")


def _is_metadata(f: _Field) -> bool:
    if f.coverage < 0.5 or not f.values:
        return False
    if "." in f.path or "[*]" in f.path:  # nested: only readable names (author.name, tags[*].name)
        return f.leaf in NAME_LEAVES and bool(f.strings)
    if f.leaf.endswith("id") or f.leaf.endswith("_url") or f.leaf in ID_NAMES:
        return False
    if isinstance(f.values[0], str):
        return all(len(s) <= LONG_TEXT and not _looks_like_url(s) for s in f.strings) and bool(f.strings)
    return isinstance(f.values[0], (int, float, bool))


def _parses(f: _Field) -> bool:
    return bool(f.values) and all(parse_timestamp(v) is not None for v in f.values)


def _avg_len(strings: list[str]) -> float:
    return sum(map(len, strings)) / len(strings) if strings else 0.0


def _looks_like_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _split_query(url: str) -> tuple[str, dict[str, str]]:
    """The URL's query moves to `query_params`, except names given more than once (`tag=a&tag=b`):
    a dict holds one value per name, so those stay in the URL, as written, and are sent from there."""
    names = [name for name, _ in query_pairs(url)]
    repeated = {name for name in names if names.count(name) > 1}
    query = {name: value for name, value in query_pairs(url) if name not in repeated}
    return remove_query_params(url, query), query


# -- pagination ---------------------------------------------------------------------------------------

def _suggest_pagination(suggestion: Suggestion, response: ApiResponse, items: list[dict], query: dict[str, str]) -> None:
    found = detect(response, items)
    if found.style == "none":
        suggestion.choose("pagination_type", "none",
                          "no next link, cursor or totals in the response (set it if the API has more pages)")
        return
    params = dict(found.params)
    for key in ("page_param", "offset_param", "cursor_param"):
        query.pop(str(params.get(key)), None)  # the paginator places these itself
    suggestion.choose("pagination_type", found.style, f"detected {found.description}")
    if params:
        suggestion.config["pagination_config"] = params
