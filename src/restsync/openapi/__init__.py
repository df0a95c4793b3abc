"""Source configs from an OpenAPI 3.x or Swagger 2.0 description (`restsync suggest --openapi`).

`spec.py` loads the document and follows its local `$ref`s, `schema.py` reads JSON Schemas,
`endpoints.py` finds the collection endpoints, `infer.py` turns one into a config with notes (with
`security.py` for auth, `paging.py` for pagination and `fields.py` for the field roles), and
`validate.py` checks that config against the live API with `check`'s machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import httpx

from restsync.clock import Clock
from restsync.openapi.endpoints import Endpoint, choose, list_collections
from restsync.openapi.infer import infer_config
from restsync.openapi.spec import Spec, load_spec
from restsync.openapi.validate import LiveCheck, check_live
from restsync.suggest import Suggestion

__all__ = ["Endpoint", "LiveCheck", "OpenApiSuggestion", "Spec", "check_live", "choose", "infer_config",
           "list_collections", "load_spec", "suggest_from_openapi"]


@dataclass
class OpenApiSuggestion:
    endpoint: Endpoint
    suggestion: Suggestion
    live: LiveCheck | None  # None when the live check was not asked for


def suggest_from_openapi(spec: Spec, endpoints: list[Endpoint], *, server: str | None = None, check: bool = True,
                         allow_private: bool = False, credentials: Mapping[str, str] | None = None,
                         env: Mapping[str, str] | None = None,
                         transport: httpx.BaseTransport | None = None,
                         clock: Clock | None = None) -> list[OpenApiSuggestion]:
    """A config per endpoint, each checked against the live API when `check` (and it is reachable)."""
    results = []
    for endpoint in endpoints:
        suggestion = infer_config(spec, endpoint, server=server)
        live = None
        if check:
            live = check_live(suggestion.config, allow_private=allow_private, credentials=credentials, env=env,
                              transport=transport, clock=clock)
            suggestion.remarks += live.lines
            suggestion.warnings += live.problems
        results.append(OpenApiSuggestion(endpoint, suggestion, live))
    return results
