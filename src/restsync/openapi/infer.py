"""A source config for one collection endpoint, inferred from the description alone: the URL from
its servers, auth from its security schemes, pagination from its parameters and response schema,
the items path, and the fields from property names, types and formats. Every choice carries a note
saying what it was read from; secrets are `${ENV}` placeholders."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping
from urllib.parse import urljoin, urlsplit

from restsync.errors import ConfigError
from restsync.openapi.endpoints import Endpoint, parameter_schema
from restsync.openapi.schema import SchemaField, flatten_schema, schema_type
from restsync.openapi.spec import Spec
from restsync.suggest import (
    CONTENT_NAMES,
    CREATED_NAMES,
    ID_NAMES,
    LINK_NAMES,
    LONG_TEXT,
    MAX_METADATA,
    NAME_LEAVES,
    TITLE_NAMES,
    UPDATED_NAMES,
    Suggestion,
)

FILL_ME = "CHANGE_ME"  # a value the description does not give; `check` refuses to guess it
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
# Names that mean "the item's web page" even without `format: uri` (Microsoft Graph's webLink).
PAGE_LINK_NAMES = ("html_url", "htmlurl", "web_url", "weburl", "weblink", "permalink")
LINK_NAMES = PAGE_LINK_NAMES + tuple(name for name in LINK_NAMES if name not in PAGE_LINK_NAMES)
ALL_VALUES = ("all", "any")
METADATA_NAMES = ("status", "state", "type", "kind", "category", "priority", "language", "locale", "lang",
                  "visibility", "section", "severity", "currency", "country", "tags", "labels", "topics")
EPOCH_WORDS = ("epoch", "unix", "seconds since", "milliseconds since")


def normalise(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


_NAME_LEAVES = {normalise(name) for name in NAME_LEAVES}  # displayName as well as display_name


def infer_config(spec: Spec, endpoint: Endpoint, *, server: str | None = None) -> Suggestion:
    """The suggested config for `endpoint`, with notes and warnings (see `Suggestion.to_yaml`)."""
    suggestion = Suggestion(config={}, origin=f"the OpenAPI description ({endpoint.label})")
    base = _base_url(spec, endpoint, server, suggestion)
    suggestion.choose("url", base.rstrip("/") + endpoint.path, suggestion.notes.pop("url"))
    suggestion.config["method"] = "GET"
    _auth(spec, endpoint, suggestion, env_prefix(base, spec), base)
    query = _query_params(spec, endpoint, suggestion)
    if endpoint.items_path != "$":
        suggestion.choose("items_path", endpoint.items_path,
                          f"the {endpoint.status} response's array of objects is at {endpoint.items_path}")
    else:
        suggestion.notes["url"] += f"; the {endpoint.status} response is the array of items itself"
    _fields(spec, endpoint, suggestion)
    _pagination(spec, endpoint, suggestion, query)
    if query:
        suggestion.choose("query_params", query, suggestion.notes.pop("query_params", "from the operation's parameters"))
    suggestion.warnings += [f"description: {note}" for note in spec.notes]
    return suggestion


# -- url ------------------------------------------------------------------------------------------

def _base_url(spec: Spec, endpoint: Endpoint, server: str | None, suggestion: Suggestion) -> str:
    if server:
        suggestion.notes["url"] = "server given with --server, path from the description"
        return server
    if spec.is_swagger2:
        doc = spec.document
        source = urlsplit(spec.source_url or "")
        schemes = [str(s) for s in doc.get("schemes") or []] or ([source.scheme] if source.scheme else ["https"])
        scheme = "https" if "https" in schemes else schemes[0]
        host = doc.get("host") or source.netloc
        if not host:
            raise ConfigError("the description names no host: give the API's base URL with --server", "--server")
        base = f"{scheme}://{host}{doc.get('basePath') or ''}"
        suggestion.notes["url"] = "from the description's schemes, host and basePath"
        return base
    servers = endpoint.operation.get("servers") or endpoint.path_item.get("servers") or spec.document.get("servers")
    server_object = servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], Mapping) else {}
    raw = str(server_object.get("url") or "/")
    url, filled = _fill_variables(raw, server_object.get("variables") or {})
    absolute = spec.resolve_url(url)
    if not absolute.startswith(("http://", "https://")):
        raise ConfigError(f"the description's server URL {raw!r} is relative and it was read from a file: give "
                          "the API's base URL with --server", "--server")
    note = f"server {raw!r} from the description"
    if filled:
        note += f" with {', '.join(filled)}"
        suggestion.warnings.append(f"the server URL has variables ({', '.join(filled)}): set them to your own "
                                   "values in url")
    if absolute != url:
        note += ", relative to the description's own URL"
    if isinstance(servers, list) and len(servers) > 1:
        note += f" (first of {len(servers)} servers)"
    suggestion.notes["url"] = note
    return absolute


def _fill_variables(url: str, variables: Mapping[str, Any]) -> tuple[str, list[str]]:
    filled = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        variable = variables.get(name) if isinstance(variables.get(name), Mapping) else {}
        default = variable.get("default") or (variable.get("enum") or [None])[0]
        if default is None:
            filled.append(f"{name}={FILL_ME}")
            return FILL_ME.lower()
        filled.append(f"{name}={default} (its default)")
        return str(default)

    return re.sub(r"\{([^{}]+)\}", value, url), filled


def env_prefix(base_url: str, spec: Spec) -> str:
    """`GITHUB` from api.github.com; from the description's title when the host is an address."""
    host = urlsplit(base_url).hostname or ""
    labels = [label for label in host.split(".") if label not in ("www", "api")]
    if host and not re.fullmatch(r"[\d.:]+|localhost", host) and labels:
        core = labels[-2] if len(labels) >= 2 else labels[0]
    else:
        title = str((spec.document.get("info") or {}).get("title") or "API")
        core = "_".join(re.sub(r"\bAPI\b", "", title, flags=re.IGNORECASE).split()[:2]) or "API"
    name = re.sub(r"[^A-Za-z0-9]+", "_", core).upper().strip("_") or "API"
    return name if not name[0].isdigit() else f"API_{name}"


# -- auth -----------------------------------------------------------------------------------------

def _auth(spec: Spec, endpoint: Endpoint, suggestion: Suggestion, prefix: str, base: str) -> None:
    doc = spec.document
    schemes = (doc.get("securityDefinitions") if spec.is_swagger2 else
               (doc.get("components") or {}).get("securitySchemes")) or {}
    requirements = endpoint.operation.get("security", doc.get("security"))
    if requirements is None:
        if len(schemes) != 1:
            if schemes:
                suggestion.warnings.append(f"the description defines {len(schemes)} security schemes but says "
                                           "which this operation needs: auth left as none, set auth_type")
            return
        requirements, why = [{next(iter(schemes)): []}], "the only security scheme defined"
    else:
        why = "the operation's security requirement" if "security" in endpoint.operation else \
            "the description's global security requirement"
    if not requirements or all(not requirement for requirement in requirements):
        return  # explicitly public
    unsupported = []
    for requirement in requirements:
        if not isinstance(requirement, Mapping) or len(requirement) != 1:
            continue  # several schemes at once (key + secret headers): only as a last resort below
        name, scopes = next(iter(requirement.items()))
        scheme = spec.deref(schemes.get(name))
        if isinstance(scheme, Mapping) and _apply_scheme(spec, name, scheme, scopes or [], suggestion, prefix, why,
                                                         base):
            return
        unsupported.append(str(name))
    suggestion.warnings.append(f"no supported auth scheme among {', '.join(unsupported) or 'the requirements'}: "
                               "set auth_type by hand")


def _apply_scheme(spec: Spec, name: str, scheme: Mapping[str, Any], scopes: list, suggestion: Suggestion,
                  prefix: str, why: str, base: str) -> bool:
    kind = str(scheme.get("type") or "").lower()
    location = str(scheme.get("in") or "").lower()
    http_scheme = str(scheme.get("scheme") or "").lower()
    source = f"security scheme '{name}' ({why})"
    if kind == "apikey" and location == "header":
        suggestion.choose("auth_type", "api_key_header", f"{source}: an API key in the {scheme.get('name')} header")
        suggestion.config["auth_config"] = {"header_name": str(scheme.get("name"))}
        _credentials(suggestion, {"api_key": f"{prefix}_API_KEY"})
    elif kind == "apikey" and location == "query":
        suggestion.choose("auth_type", "api_key_query", f"{source}: an API key in the {scheme.get('name')} query "
                                                         "parameter")
        suggestion.config["auth_config"] = {"param_name": str(scheme.get("name"))}
        _credentials(suggestion, {"api_key": f"{prefix}_API_KEY"})
    elif (kind == "http" and http_scheme == "bearer") or kind == "openidconnect":
        suggestion.choose("auth_type", "bearer", f"{source}: {'HTTP bearer' if kind == 'http' else 'OpenID Connect'} "
                                                 "token")
        _credentials(suggestion, {"token": f"{prefix}_TOKEN"})
    elif (kind == "http" and http_scheme == "basic") or kind == "basic":
        suggestion.choose("auth_type", "basic", f"{source}: HTTP basic auth")
        _credentials(suggestion, {"username": f"{prefix}_USERNAME", "password": f"{prefix}_PASSWORD"})
    elif kind == "oauth2":
        return _oauth2(spec, scheme, scopes, suggestion, prefix, source, base)
    else:
        return False
    return True


def _oauth2(spec: Spec, scheme: Mapping[str, Any], scopes: list, suggestion: Suggestion, prefix: str,
            source: str, base: str) -> bool:
    if spec.is_swagger2:
        flow = str(scheme.get("flow") or "")
        flows = {"clientCredentials" if flow == "application" else flow: scheme}
    else:
        flows = scheme.get("flows") or {}
    client = flows.get("clientCredentials")
    if isinstance(client, Mapping) and client.get("tokenUrl"):
        suggestion.choose("auth_type", "oauth2_client_credentials", f"{source}: OAuth2 client-credentials flow")
        # A relative token URL is relative to the server (OpenAPI: URLs resolve against the Server Object).
        token_url = urljoin(base if base.endswith("/") else base + "/", str(client["tokenUrl"]))
        auth_config = {"token_url": token_url, "client_id": f"${{{prefix}_CLIENT_ID}}"}
        if scopes:
            auth_config["scope"] = " ".join(str(s) for s in scopes)
        suggestion.config["auth_config"] = auth_config
        _credentials(suggestion, {"client_secret": f"{prefix}_CLIENT_SECRET"})
        return True
    # Authorization code / implicit flows need a person at a browser: a token obtained once is a bearer token.
    flow_names = ", ".join(flows) or "no"
    suggestion.choose("auth_type", "bearer", f"{source}: OAuth2 with {flow_names} flow(s), which need a person to "
                                             "sign in: obtain an access token once and give it as a bearer token")
    _credentials(suggestion, {"token": f"{prefix}_TOKEN"})
    return True


def _credentials(suggestion: Suggestion, names: Mapping[str, str]) -> None:
    suggestion.config["credentials"] = {key: f"${{{env}}}" for key, env in names.items()}
    suggestion.notes["credentials"] = "the secrets themselves are never written: export the variables named here"


# -- parameters -----------------------------------------------------------------------------------

def _query_params(spec: Spec, endpoint: Endpoint, suggestion: Suggestion) -> dict[str, str]:
    """Path parameters (filled into `{name}` in url) and query parameters worth setting."""
    query: dict[str, str] = {}
    why: list[str] = []
    paging = {normalise(n) for n in PAGE_PARAMS + PAGE_SIZE_PARAMS + OFFSET_PARAMS + CURSOR_PARAMS + LAST_ITEM_PARAMS}
    for param in endpoint.parameter("path") + endpoint.parameter("query"):
        name = str(param["name"])
        schema = parameter_schema(spec, param)
        enum = [str(v) for v in schema.get("enum") or (schema.get("items") or {}).get("enum") or []]
        known = param.get("example", schema.get("example", schema.get("default", (schema.get("items") or {})
                                                                        .get("default"))))
        if param.get("in") == "path" or (param.get("required") and normalise(name) not in paging):
            everything = next((v for v in enum if v.lower() in ALL_VALUES), None)
            if everything is not None or known is not None:
                query[name] = everything or _text(known)
                why.append(f"{name}={query[name]} ({'an enum value that filters nothing out' if everything else 'example or default in the description'})")
                if enum and not everything and len(enum) > 1:
                    suggestion.warnings.append(f"query_params.{name}: only {name}={query[name]} is listed; the "
                                               f"description allows {', '.join(enum)} (one config per value)")
            elif enum:
                query[name] = enum[0]
                why.append(f"{name}={enum[0]} (the first of its values)")
                suggestion.warnings.append(f"query_params.{name}: only {name}={enum[0]} is listed; the "
                                           f"description allows {', '.join(enum)} (one config per value)")
            else:
                query[name] = FILL_ME
                suggestion.warnings.append(f"query_params.{name}: the {param.get('in')} parameter {name} is "
                                           f"required and the description gives no value: set it")
        elif (hit := next((v for v in enum if v.lower() in ALL_VALUES), None)) is not None:
            query[name] = hit
            why.append(f"{name}={hit} (an enum value, so no item is filtered out)")
    if why:
        suggestion.notes["query_params"] = "from the operation's parameters: " + "; ".join(why)
    return query


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- pagination -----------------------------------------------------------------------------------

def _pagination(spec: Spec, endpoint: Endpoint, suggestion: Suggestion, query: dict[str, str]) -> None:
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


# -- fields ---------------------------------------------------------------------------------------

def _fields(spec: Spec, endpoint: Endpoint, suggestion: Suggestion) -> None:
    fields = flatten_schema(spec, endpoint.item_schema)
    if not fields:
        suggestion.warnings.append("the item schema names no properties: set id_field and content_fields by hand")
        return
    used: set[str] = set()
    id_field = _pick(fields, ID_NAMES, lambda f: f.type in ("string", "integer") and not f.enum)
    if id_field:
        suggestion.choose("id_field", id_field.path, f"'{id_field.path}' ({id_field.describe()}"
                          f"{', required' if id_field.required else ''}) names each item")
        used.add(id_field.path)
    else:
        suggestion.warnings.append("no id property found: ids will be hashes of each item's content")
    title = _pick(fields, TITLE_NAMES, lambda f: f.type == "string" and not f.enum and f.path not in used)
    if title:
        suggestion.choose("title_field", title.path, f"'{title.path}' is a {title.describe()} named like a title")
        used.add(title.path)
    content = [f for f in fields if f.path not in used and _is_content(f)]
    content.sort(key=lambda f: (CONTENT_NAMES.index(f.leaf) if f.leaf in CONTENT_NAMES else len(CONTENT_NAMES),
                                f.path.count(".")))
    if any(not f.nested for f in content):
        content = [f for f in content if not f.nested]  # a category's description is not the item's text
    content = _one_per_variant(content)[:3]
    content_paths = ([title.path] if title else []) + [f.path for f in content]
    if content_paths:
        why = ", ".join(f"'{f.path}' ({f.describe()})" for f in content) or "no longer text property"
        suggestion.choose("content_fields", content_paths, f"the title, then text properties: {why}")
        used.update(content_paths)
    else:
        suggestion.warnings.append("no text property found for content_fields: set them by hand")
    by_depth = sorted(fields, key=lambda f: f.path.count("."))
    stamp = (_pick(fields, UPDATED_NAMES, _is_time)
             or next((f for f in by_depth if _is_time(f) and re.search("updat|modif|edited", f.leaf)), None)
             or _pick(fields, CREATED_NAMES, _is_time)
             or next((f for f in by_depth if _is_time(f) and not f.nested), None))
    if stamp:
        kind = "last-update" if stamp.leaf in UPDATED_NAMES or re.search("updat|modif|edited", stamp.leaf) \
            else "creation (no last-update property found)"
        suggestion.choose("poll_timestamp_field", stamp.path, f"'{stamp.path}' ({stamp.describe()}) is a {kind} time")
        used.add(stamp.path)
    link = _pick(fields, LINK_NAMES, lambda f: f.type == "string" and (f.format in ("uri", "url") or
                                                                         f.leaf in PAGE_LINK_NAMES))
    if link:
        page = " (possibly the API's own URL of the item: prefer a web page if there is one)" \
            if link.leaf in ("url", "self", "href") else ""
        suggestion.choose("link_field", link.path, f"'{link.path}' ({link.describe()}) links the item{page}")
        used.add(link.path)
    metadata = sorted((f for f in fields if f.path not in used and _metadata_rank(f) is not None),
                      key=lambda f: (_metadata_rank(f), f.path.count(".")))
    if metadata:
        chosen = [f.path for f in metadata[:MAX_METADATA]]
        kinds = sorted({_metadata_kind(f) for f in metadata[:MAX_METADATA]})
        suggestion.choose("metadata_fields", chosen, f"metadata candidates: {', '.join(kinds)}")


def _one_per_variant(fields: list[SchemaField]) -> list[SchemaField]:
    """`body`, `body_html` and `body_text` hold one text three ways: keep the best-ranked one."""
    kept: dict[str, SchemaField] = {}
    for f in fields:
        kept.setdefault(re.sub(r"_(html|text|markdown|md|plain)$", "", f.path), f)
    return list(kept.values())


def _pick(fields: list[SchemaField], names: tuple[str, ...], accept: Any) -> SchemaField | None:
    ranked = [(names.index(f.leaf), f.path.count("."), not f.required, i) for i, f in enumerate(fields)
              if f.leaf in names and "[*]" not in f.path and accept(f)]
    return fields[min(ranked)[3]] if ranked else None


def _is_content(f: SchemaField) -> bool:
    if f.type != "string" or f.enum or "[*]" in f.path or f.format in ("uri", "url", "date-time", "date", "uuid",
                                                                          "email", "byte", "binary"):
        return False
    if f.format in ("html", "markdown") or f.leaf.endswith(("_html", "_markdown", "_text")):
        return True
    max_length = f.schema.get("maxLength")
    if isinstance(max_length, int) and max_length < LONG_TEXT:
        return False
    return f.leaf in CONTENT_NAMES


def _is_time(f: SchemaField) -> bool:
    if "[*]" in f.path:
        return False
    if f.type == "string" and f.format in ("date-time", "date"):
        return True
    if f.type in ("integer", "number"):
        if f.format in ("unix-time", "timestamp", "epoch"):
            return True
        return f.leaf in UPDATED_NAMES + CREATED_NAMES and any(w in f.description.lower() for w in EPOCH_WORDS)
    return False


def _metadata_rank(f: SchemaField) -> int | None:
    """Lower is better; None: not a metadata candidate."""
    leaf = f.leaf
    if leaf in ID_NAMES or leaf.endswith(("id", "_url", "url")) or f.format in ("uri", "url", "date-time", "date"):
        return None
    if f.nested:  # nested: only readable names (author.name, labels[*].name) and short enums
        if f.enum and "[*]" not in f.path:
            return 1
        return 2 if normalise(leaf) in _NAME_LEAVES and f.type == "string" else None
    if len(f.enum) == 1:
        return None  # one possible value tells documents apart from nothing
    if f.enum:
        return 0
    if f.type == "boolean":
        return 3
    if f.type == "string" and (leaf in METADATA_NAMES or _short(f)):
        return 1 if leaf in METADATA_NAMES else 4
    return None


def _short(f: SchemaField) -> bool:
    max_length = f.schema.get("maxLength")
    return isinstance(max_length, int) and max_length <= LONG_TEXT


def _metadata_kind(f: SchemaField) -> str:
    if f.enum:
        return "enums"
    if f.nested:
        return "nested names"
    if f.type == "boolean":
        return "booleans"
    return "short strings"


__all__ = ["FILL_ME", "infer_config", "env_prefix", "schema_type"]
