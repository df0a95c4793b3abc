"""A source config for one collection endpoint, inferred from the description alone: the URL from
its servers, auth from its security schemes (`security.py`), pagination from its parameters and
response schema (`paging.py`), the items path, and the fields from property names, types and
formats (`fields.py`). Every choice carries a note saying what it was read from; secrets are
`${ENV}` placeholders."""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlsplit

from restsync.errors import ConfigError
from restsync.openapi.endpoints import Endpoint, parameter_schema
from restsync.openapi.fields import infer_fields
from restsync.openapi.paging import PAGING_PARAMS, infer_pagination, normalise
from restsync.openapi.security import infer_auth
from restsync.openapi.spec import Spec
from restsync.suggest import Suggestion

FILL_ME = "CHANGE_ME"  # a value the description does not give; `check` refuses to guess it
ALL_VALUES = ("all", "any")


def infer_config(spec: Spec, endpoint: Endpoint, *, server: str | None = None) -> Suggestion:
    """The suggested config for `endpoint`, with notes and warnings (see `Suggestion.to_yaml`)."""
    suggestion = Suggestion(config={}, origin=f"the OpenAPI description ({endpoint.label})")
    base = _base_url(spec, endpoint, server, suggestion)
    suggestion.choose("url", base.rstrip("/") + endpoint.path, suggestion.notes.pop("url"))
    suggestion.config["method"] = "GET"
    infer_auth(spec, endpoint, suggestion, env_prefix(base, spec), base)
    query = _query_params(spec, endpoint, suggestion)
    if endpoint.items_path != "$":
        suggestion.choose("items_path", endpoint.items_path,
                          f"the {endpoint.status} response's array of objects is at {endpoint.items_path}")
    else:
        suggestion.notes["url"] += f"; the {endpoint.status} response is the array of items itself"
    infer_fields(spec, endpoint, suggestion)
    infer_pagination(spec, endpoint, suggestion, query)
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


# -- parameters -----------------------------------------------------------------------------------

def _query_params(spec: Spec, endpoint: Endpoint, suggestion: Suggestion) -> dict[str, str]:
    """Path parameters (filled into `{name}` in url) and query parameters worth setting."""
    query: dict[str, str] = {}
    why: list[str] = []
    for param in endpoint.parameter("path") + endpoint.parameter("query"):
        name = str(param["name"])
        schema = parameter_schema(spec, param)
        enum = [str(v) for v in schema.get("enum") or (schema.get("items") or {}).get("enum") or []]
        known = param.get("example", schema.get("example", schema.get("default", (schema.get("items") or {})
                                                                        .get("default"))))
        if param.get("in") == "path" or (param.get("required") and normalise(name) not in PAGING_PARAMS):
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


