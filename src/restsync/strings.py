"""Text replacement through nested JSON values (used for placeholders and for masking secrets)."""

from __future__ import annotations

from typing import Any, Mapping


def replace_in_strings(value: Any, replacements: Mapping[str, str]) -> Any:
    """`value` with each key of `replacements` replaced in every string inside it, in the mapping's
    order, through dicts and lists; other types are returned untouched."""
    if isinstance(value, str):
        for old, new in replacements.items():
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: replace_in_strings(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_in_strings(item, replacements) for item in value]
    return value
