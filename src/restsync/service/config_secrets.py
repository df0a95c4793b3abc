"""A connector config's secrets: what responses and the plain database column show ("***"), and how
a config sent back with "***" keeps the secret stored before.

Secrets are found by structure (everything under `credentials`, auth_config's secret keys,
credential-looking header and query names, a URL's credential query values and user info) and
then by value wherever else they were copied (request bodies, detail URLs).
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from restsync.config.coerce import text_to_dict
from restsync.config.secrets import REDACTED, SECRET_AUTH_CONFIG_KEYS, collect_secret_values
from restsync.config.vocabulary import AUTH_CONFIG_KEYS
from restsync.errors import ConfigError
from restsync.http.redact import MIN_SUBSTRING_SECRET, Redactor, is_sensitive_name
from restsync.strings import replace_in_strings

MASK = REDACTED
_TEXT_MAPS = ("headers", "query_params")


def normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The config with `headers` / `query_params` text (JSON or `key=value` lines, as RAGFlow's form
    sends them) turned into objects, so masked and stored values line up key by key."""
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a JSON object", key="config")
    config = copy.deepcopy(dict(raw))
    for key in _TEXT_MAPS:
        if isinstance(config.get(key), str):
            config[key] = text_to_dict(config[key], key) if config[key].strip() else {}
    return config


def secret_values(config: Mapping[str, Any]) -> list[str]:
    def mapping(key: str) -> dict[str, str]:
        value = config.get(key)
        return {str(k): str(v) for k, v in value.items() if v is not None} if isinstance(value, Mapping) else {}

    credentials = {k: v for k, v in mapping("credentials").items() if v}
    url = config.get("url") if isinstance(config.get("url"), str) else ""
    auth_config = config.get("auth_config") if isinstance(config.get("auth_config"), Mapping) else {}
    return collect_secret_values(env_values=[], credentials=credentials, url=url, headers=mapping("headers"),
                                 query_params=mapping("query_params"), auth_config=auth_config)


def mask_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """`raw` (normalised) with every secret replaced by "***"."""
    config = normalise(raw)
    secrets = secret_values(config)
    credentials = config.get("credentials")
    if isinstance(credentials, dict):
        config["credentials"] = {k: (MASK if v not in (None, "") else v) for k, v in credentials.items()}
    auth_config = config.get("auth_config")
    if isinstance(auth_config, dict):
        config["auth_config"] = {
            k: (MASK if _secret_auth_key(k) and v not in (None, "") and not isinstance(v, bool) else v)
            for k, v in auth_config.items()
        }
    for key in _TEXT_MAPS:
        values = config.get(key)
        if isinstance(values, dict):
            config[key] = {k: (MASK if is_sensitive_name(str(k)) and v not in (None, "") else v)
                           for k, v in values.items()}
    if isinstance(config.get("url"), str):
        config["url"] = Redactor().redact(config["url"])
    long_secrets = sorted((s for s in secrets if len(s) >= MIN_SUBSTRING_SECRET), key=len, reverse=True)
    return replace_in_strings(config, {secret: MASK for secret in long_secrets})


def keep_stored_secrets(new: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """`new` where each value still equal to the stored config's masked value takes the stored
    (secret) value back; everything else is taken as sent."""
    new_config = normalise(new)
    if not stored:
        return new_config
    old = normalise(stored)
    return _restore(new_config, mask_config(old), old)


def unresolved_masks(config: Mapping[str, Any], prefix: str = "config") -> list[str]:
    """Paths still holding a bare "***": a secret the form never had (nothing stored to keep)."""
    found: list[str] = []
    if isinstance(config, Mapping):
        for key, value in config.items():
            found += unresolved_masks(value, f"{prefix}.{key}")
    elif isinstance(config, list):
        for index, value in enumerate(config):
            found += unresolved_masks(value, f"{prefix}[{index}]")
    elif config == MASK:
        found.append(prefix)
    return found


def _secret_auth_key(name: str) -> bool:
    return name in SECRET_AUTH_CONFIG_KEYS or (name not in AUTH_CONFIG_KEYS and is_sensitive_name(name))


def _restore(new: Any, masked_old: Any, old: Any) -> Any:
    if isinstance(new, dict) and isinstance(masked_old, dict) and isinstance(old, dict):
        return {k: (_restore(v, masked_old[k], old[k]) if k in masked_old and k in old else v) for k, v in new.items()}
    if isinstance(new, list) and isinstance(masked_old, list) and isinstance(old, list) and len(new) == len(old):
        return [_restore(n, m, o) for n, m, o in zip(new, masked_old, old)]
    if isinstance(new, str) and MASK in new and new == masked_old and masked_old != old:
        return old
    return new
