"""Pagination from a description: which paging parameters an operation takes and what its response
says about the next page (a Link header, a next URL, a cursor, totals, `has_more`)."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from restsync.openapi.endpoints import Endpoint, parameter_schema
from restsync.openapi.schema import SchemaField, flatten_schema
from restsync.openapi.spec import Spec
from restsync.suggest import Suggestion

MAX_PAGE_SIZE = 100

# Parameter names, compared without case, `_` or `-`.
PAGE_PARAMS = ("page", "pagenumber", "pageno", "pagenum", "pageindex", "page[number]")
PAGE_SIZE_PARAMS = ("perpage", "pagesize", "limit", "size", "count", "maxresults", "resultsperpage", "pagelen",
                    "page[size]", "$top", "top", "rows", "take")
OFFSET_PARAMS = ("offset", "startat", "start", "skip", "$skip", "from", "startindex", "page[offset]")
LIMIT_PARAMS = ("limit", "maxresults", "count", "size", "$top", "top", "take", "rows", "perpage", "pagesize",
                "page[limit]")
CURSOR_PARAMS = ("cursor", "pagetoken", "nextpagetoken", "nexttoken", "continuation", "continuationtoken",
                 "after", "page[after]", "page[cursor]", "marker", "startcursor", "scrollid", "paginationtoken",
                 "fromtoken")
LAST_ITEM_PARAMS = ("startingafter",)  # Stripe: the id of the last item seen
# Response properties (leaf names, compared the same way).
NEXT_URL_PROPS = ("next", "nextpage", "nexturl", "nextlink", "@odata.nextlink", "nextpageurl", "href", "link")
NEXT_CURSOR_PROPS = ("nextcursor", "nextpagetoken", "nexttoken", "cursor", "aftercursor", "after", "endcursor",
                     "continuation", "continuationtoken", "nextmarker", "scrollid", "nextpagecursor")
HAS_MORE_PROPS = ("hasmore", "hasnext", "hasnextpage", "more", "moreitems")
TOTAL_PROPS = ("total", "totalcount", "totalresults", "totalitems", "count", "@odata.count", "totalsize")
TOTAL_PAGES_PROPS = ("totalpages", "pagecount", "pages", "lastpage", "numpages")

def normalise(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


PAGING_PARAMS = {normalise(n) for n in
                 PAGE_PARAMS + PAGE_SIZE_PARAMS + OFFSET_PARAMS + CURSOR_PARAMS + LAST_ITEM_PARAMS}


def infer_pagination(spec: Spec, endpoint: Endpoint, suggestion: Suggestion, query: dict[str, str]) -> None:
    params = {normalise(str(p["name"])): p for p in endpoint.parameter("query")}
    body = {normalise(f.segments[-1]): f for f in _envelope_fields(spec, endpoint)}

    def param(names: Iterable[str]) -> dict | None:
        return next((params[normalise(n)] for n in names if normalise(n) in params), None)

    def prop(names: Iterable[str], *types: str) -> SchemaField | None:
        return next((body[normalise(n)] for n in names if normalise(n) in body
                     and (not types or body[normalise(n)].type in types)), None)

    signals: dict[str, Any] = {}
    why_signals = []
    if (total_pages := prop(TOTAL_PAGES_PROPS, "integer", "number")) is not None:
        signals["total_pages_path"] = total_pages.jsonpath
        why_signals.append(f"'{total_pages.path}' holds the page count")
    if (total := prop(TOTAL_PROPS, "integer", "number")) is not None:
        signals["total_path"] = total.jsonpath
        why_signals.append(f"'{total.path}' holds the total")
    if (has_more := prop(HAS_MORE_PROPS, "boolean")) is not None:
        signals["has_more_path"] = has_more.jsonpath
        why_signals.append(f"'{has_more.path}' says whether more follow")
    link = _declares_link_header(spec, endpoint)
    next_url = next((f for f in body.values() if _is_next_url(f)), None)
    cursor_param = param(CURSOR_PARAMS)
    next_cursor = prop(NEXT_CURSOR_PROPS, "string", "integer")
    size_param = param(PAGE_SIZE_PARAMS)

    def size_in_query(size: dict | None) -> str:
        if size is None or (value := _page_size(spec, size)) is None:
            return ""
        query[str(size["name"])] = str(value)
        return f"; {size['name']}={value} ({_size_reason(spec, size)})"

    if link:
        suggestion.choose("pagination_type", "link_header",
                          f"the {endpoint.status} response declares a Link header (RFC 8288 rel=next)"
                          + size_in_query(size_param))
    elif next_url is not None:
        suggestion.choose("pagination_type", "next_url", f"'{next_url.path}' in the response is the next page's "
                          f"URL ({next_url.describe()})" + size_in_query(size_param))
        suggestion.config["pagination_config"] = {"next_url_path": next_url.jsonpath}
    elif cursor_param is not None and next_cursor is not None:
        suggestion.choose("pagination_type", "cursor", f"parameter '{cursor_param['name']}' takes the token in "
                          f"'{next_cursor.path}'" + size_in_query(size_param))
        suggestion.config["pagination_config"] = {"cursor_param": str(cursor_param["name"]),
                                                  "next_cursor_path": next_cursor.jsonpath}
    elif (after := param(LAST_ITEM_PARAMS)) is not None:
        id_field = suggestion.config.get("id_field", "id")
        suggestion.choose("pagination_type", "cursor", f"parameter '{after['name']}' takes the id of the last item"
                          + (f"; '{has_more.path}' says whether more follow" if has_more else "")
                          + size_in_query(size_param))
        config = {"cursor_param": str(after["name"]), "cursor_from": "last_item", "cursor_item_field": id_field}
        if has_more is not None:
            config["has_more_path"] = signals["has_more_path"]
        suggestion.config["pagination_config"] = config
    elif (offset := param(OFFSET_PARAMS)) is not None:
        limit = param(LIMIT_PARAMS)
        config = {"offset_param": str(offset["name"])}
        why = f"parameter '{offset['name']}'"
        if limit is not None:
            config["limit_param"] = str(limit["name"])
            why += f" with '{limit['name']}'"
            if (value := _page_size(spec, limit)) is not None:
                config["limit"] = value
                why += f" = {value} ({_size_reason(spec, limit)})"
        config.update({k: v for k, v in signals.items() if k != "total_pages_path"})
        suggestion.choose("pagination_type", "offset", why + _joined(why_signals))
        suggestion.config["pagination_config"] = config
    elif (page := param(PAGE_PARAMS)) is not None:
        config = {"page_param": str(page["name"])}
        why = f"parameter '{page['name']}'"
        start = parameter_schema(spec, page).get("minimum")
        if start == 0 or parameter_schema(spec, page).get("default") == 0:
            config["start_page"] = 0
            why += " (counted from 0)"
        if size_param is not None:
            config["page_size_param"] = str(size_param["name"])
            why += f" with '{size_param['name']}'"
            if (value := _page_size(spec, size_param)) is not None:
                config["page_size"] = value
                why += f" = {value} ({_size_reason(spec, size_param)})"
        config.update(signals)
        suggestion.choose("pagination_type", "page", why + _joined(why_signals))
        suggestion.config["pagination_config"] = config
    else:
        suggestion.choose("pagination_type", "none", "the operation takes no paging parameter and its response "
                          "names no next page")
        if has_more is not None or cursor_param is not None:
            suggestion.warnings.append("the response or parameters hint at paging the description does not "
                                       "spell out: check pagination by hand (or try pagination_type: auto)")


def _joined(parts: list[str]) -> str:
    return "; " + ", ".join(parts) if parts else ""


def _envelope_fields(spec: Spec, endpoint: Endpoint) -> list[SchemaField]:
    """The response's own fields outside the items array (totals, cursors, next links)."""
    if endpoint.items_path == "$":
        return []
    return [f for f in flatten_schema(spec, endpoint.body_schema, depth=3) if "[*]" not in f.path]


def _is_next_url(f: SchemaField) -> bool:
    segments = [normalise(s) for s in f.segments]
    if f.type != "string" or not any(seg.startswith("next") or seg == "@odata.nextlink" for seg in segments):
        return False
    return f.format in ("uri", "url", "uri-reference") or normalise(segments[-1]) in NEXT_URL_PROPS \
        or any(word in segments[-1] for word in ("url", "link", "href"))


def _declares_link_header(spec: Spec, endpoint: Endpoint) -> bool:
    headers = endpoint.response.get("headers") or {}
    return any(str(name).lower() == "link" for name in headers)


def _page_size(spec: Spec, param: Mapping[str, Any]) -> int | None:
    schema = parameter_schema(spec, param)
    maximum, default = schema.get("maximum"), schema.get("default")
    if isinstance(maximum, (int, float)) and maximum > 0:
        return int(min(maximum, MAX_PAGE_SIZE))
    if (stated := _stated_maximum(param)) is not None:
        return min(stated, MAX_PAGE_SIZE)
    if isinstance(default, int) and default > 0:
        return default
    return None


_STATED_MAXIMUM = re.compile(r"(?:\bmax(?:imum)?\b|less than or equal to|at most|up to|between \d+ and)\D{0,12}?(\d+)",
                             re.IGNORECASE)


def _stated_maximum(param: Mapping[str, Any]) -> int | None:
    """`(max 100)`, `less than or equal to 100`, `between 1 and 100`: a maximum said only in words."""
    match = _STATED_MAXIMUM.search(str(param.get("description") or ""))
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def _size_reason(spec: Spec, param: Mapping[str, Any]) -> str:
    schema = parameter_schema(spec, param)
    if isinstance(schema.get("maximum"), (int, float)):
        return f"its maximum is {schema['maximum']}" + (f", capped at {MAX_PAGE_SIZE}"
                                                         if schema["maximum"] > MAX_PAGE_SIZE else "")
    if _stated_maximum(param) is not None:
        return f"its description names a maximum of {_stated_maximum(param)}"
    return "its default"


