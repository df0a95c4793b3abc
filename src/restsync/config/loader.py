"""Config files (YAML or JSON) and `${ENV_NAME}` secrets, turned into a `SourceConfig`."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from restsync.config.coerce import check_depth
from restsync.config.schema import MAX_CONFIG_DEPTH, SourceConfig
from restsync.errors import ConfigError

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)

# `$${X}` is an escaped literal `${X}`; `${NAME}` is a variable.
_ENV_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_config(
    source: str | Path | Mapping[str, Any], *, env: Mapping[str, str] | None = None, strict: bool = False
) -> SourceConfig:
    """Read a config file (or take a mapping), substitute `${ENV}` values, validate."""
    if isinstance(source, Mapping):
        raw: Any = source
    elif isinstance(source, (str, Path)):
        raw = read_config_file(Path(source))
    else:
        raise ConfigError(f"expected a config file path or a mapping, got {type(source).__name__}")
    if not isinstance(raw, Mapping):
        raise ConfigError(f"a source config must be a mapping (JSON object), got {type(raw).__name__}")
    check_depth(raw, "", MAX_CONFIG_DEPTH)  # before anything below walks it recursively
    used: list[str] = []
    substituted = substitute_env(raw, os.environ if env is None else env, used=used)
    config = SourceConfig.from_mapping(substituted, strict=strict)
    if not used:
        return config
    # Remembered so that secret_values() can keep them out of every message.
    return dataclasses.replace(config, env_values=tuple(dict.fromkeys(used)))


def read_config_file(path: Path) -> Any:
    """Parse a .yaml/.yml/.json file; syntax errors name the file and line."""
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + JSON_SUFFIXES:
        raise ConfigError(f"{path}: unsupported config file type {path.suffix!r} (use .yaml, .yml or .json)")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    if not text.strip():
        raise ConfigError(f"{path}: config file is empty")
    if suffix in JSON_SUFFIXES:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        except RecursionError:
            raise ConfigError(f"{path}: invalid JSON: nested deeper than {MAX_CONFIG_DEPTH} levels") from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise ConfigError(f"{path}: invalid JSON: {_first_clause(exc)}") from None
    # PyYAML loads only for YAML files: a JSON config's start-up does not pay for it.
    import yaml

    from restsync.config.yaml_file import load_yaml

    try:
        return load_yaml(text, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ConfigError(f"{path}: invalid YAML: {_first_clause(exc)}") from None


def _first_clause(exc: Exception) -> str:
    # "Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits()"
    # advises on Python internals: keep only what is wrong with the file.
    return str(exc).split(";")[0].split(": value has")[0]


def substitute_env(value: Any, env: Mapping[str, str], path: str = "", *, used: list[str] | None = None) -> Any:
    """Replace `${NAME}` in every string value (keys are left alone), recursively.

    Each substituted value is appended to `used` when given: they are secrets to redact.
    """
    if isinstance(value, str):
        return _substitute_text(value, env, path, used)
    if isinstance(value, Mapping):
        return {k: substitute_env(v, env, f"{path}.{k}" if path else str(k), used=used) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, env, f"{path}[{i}]", used=used) for i, v in enumerate(value)]
    return value


def _substitute_text(text: str, env: Mapping[str, str], path: str, used: list[str] | None) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "${"
        if name not in env:
            raise ConfigError(f"environment variable {name!r} is not set (referenced as ${{{name}}})", path or None)
        if used is not None:
            used.append(env[name])
        return env[name]

    return _ENV_REFERENCE.sub(replace, text)
