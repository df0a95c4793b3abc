"""A walk's resume point: what is stored (never a secret), and how it is read back.

Paginators checkpoint and restore their own state; this module only keeps secrets out of what
is stored (a next-page URL loses query parameters that carry one) and puts the configured ones
back on resume.
"""

from __future__ import annotations

from typing import Any

from restsync.config import SourceConfig
from restsync.http.redact import is_sensitive_name
from restsync.http.request import merge_query, query_pairs, remove_query_params

Checkpoint = dict[str, Any]
CHECKPOINT_VERSION = 1


def resume_state(checkpoint: Checkpoint | None, config: SourceConfig) -> dict | None:
    """The paginator state to restore from `checkpoint`, with the query parameters
    `safe_checkpoint` left out put back from the config."""
    if not checkpoint:
        return None
    state = dict(checkpoint.get("paginator") or {})
    stripped = checkpoint.get("stripped_params") or []
    if state.get("next_url") and stripped:
        # Put back what `safe_checkpoint` left out, from the config: the URL's own query, then
        # query_params (auth re-adds its own parameter).
        configured = {**dict(query_pairs(config.url)), **config.query_params}
        restored = {name: configured[name] for name in stripped if name in configured}
        if restored:
            state["next_url"] = merge_query(state["next_url"], restored)
    return state


def safe_checkpoint(paginator_state: dict | None, secrets: list[str]) -> Checkpoint | None:
    """The resume point, safe to store: a next-page URL loses any query parameter that carries a
    secret (API keys are echoed into next links), keeping only its name."""
    if paginator_state is None:
        return None
    checkpoint: Checkpoint = {"version": CHECKPOINT_VERSION, "paginator": paginator_state}
    next_url = paginator_state.get("next_url")
    if isinstance(next_url, str) and "?" in next_url:
        stripped = list(dict.fromkeys(name for name, value in query_pairs(next_url)
                                      if is_sensitive_name(name) or value in secrets))
        if stripped:  # the other pairs keep their bytes (signed next links)
            checkpoint["paginator"] = {**paginator_state, "next_url": remove_query_params(next_url, stripped)}
            checkpoint["stripped_params"] = stripped
    return checkpoint
