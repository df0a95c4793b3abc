"""Registering a source in a knowledge base, and finding the config a sync runs with.

The knowledge base stores each source's config normalised and without secrets
(`SourceConfig.to_dict()`: auth secrets dropped, secret-looking headers and query values masked).
A sync from the stored config therefore needs its secrets again, as `credentials`; a masked
header or query value cannot be recovered and is reported by name instead of being sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from restsync.config.secrets import REDACTED as MASKED  # what SourceConfig.to_dict() writes for a secret value
from restsync.errors import ConfigError, CredentialError


def source_name_for(config_path: str | Path, explicit: str | None = None) -> str:
    """`--source NAME`, else the config file's stem (`zendesk.yaml` -> `zendesk`)."""
    name = (explicit or Path(config_path).stem).strip()
    if not name:
        raise ConfigError("a source needs a non-empty name", key="--source")
    return name


def add_source(kb: Any, name: str, config: Any) -> Any:
    """Store (or replace) `name`'s config without its secrets; returns the loaded SourceConfig."""
    loaded = _load(config)
    loaded.check_required()
    kb.add_source(name, loaded.to_dict())
    return loaded


def config_for_sync(kb: Any, name: str, config: Any = None) -> Any:
    """The SourceConfig to sync with: the one given, else the stored one (secrets come as credentials)."""
    if config is not None:
        return _load(config)
    stored = kb.get_source(name)
    if stored is None:
        raise ConfigError(f"no source named {name!r} in this knowledge base; add it first", key="source")
    raw = getattr(stored, "config", stored)
    masked = masked_keys(raw)
    if masked:
        raise CredentialError(
            f"source {name!r} was stored without the secret value of {', '.join(masked)}; "
            "sync it from its config file instead"
        )
    return _load(raw)


def masked_keys(raw: Mapping[str, Any]) -> list[str]:
    """Dotted names of header and query values that were masked when the config was stored."""
    found = []
    for section in ("headers", "query_params"):
        values = raw.get(section)
        if isinstance(values, Mapping):
            found += [f"{section}.{key}" for key, value in values.items() if value == MASKED]
    return found


def _load(config: Any) -> Any:
    from restsync.config import SourceConfig, load_config

    if isinstance(config, SourceConfig):
        return config
    if isinstance(config, (str, Path)) and not Path(config).is_file():
        raise ConfigError(f"no such file: {config}", key="config")
    return load_config(config)
