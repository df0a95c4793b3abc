"""`content_template` and `link_template`: one placeholder rule, compiled once, never `str.format`.

`{name}` where name is a field path with `.` turned into `_` and indexes dropped (`{author_name}`
for `author.name`, `{tags_name}` for `tags[*].name`), plus `{id}`. `{{` and `}}` are literal
braces. `str.format` is avoided on purpose: `{0.__class__}` would reach into Python objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any

from restsync.errors import ConfigError
from restsync.extraction.fieldpath import compile_field_path
from restsync.mapping.html import html_to_text

ID_PLACEHOLDER = "id"
_INDEX = re.compile(r"\[[^\]]*\]")
_MAX_GUESSED_SPLITS = 5  # `a_b_c_d_e_f` has 32 nested readings; enough for real field names


class TemplateError(ConfigError):
    """A template that cannot be read (an unclosed `{`, an empty `{}`)."""


def placeholder_name(field_path: str) -> str:
    """The placeholder a field path answers to: `author.name` -> `author_name`, `tags[*].name` -> `tags_name`."""
    without_indexes = _INDEX.sub("", field_path)
    return "_".join(part for part in without_indexes.split(".") if part)


def value_text(value: Any, *, strip_html: bool) -> str:
    """How one field value reads in text: missing -> "", lists joined with ", ", objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return html_to_text(value) if strip_html else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        texts = (value_text(element, strip_html=strip_html) for element in _leaves(value))
        return ", ".join(text for text in texts if text)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def _leaves(values: list[Any]) -> Iterator[Any]:
    """The non-list elements of nested lists, in order; iterative, because an API may nest
    lists deeper than Python's recursion limit allows a recursive walk."""
    stack = [iter(values)]
    while stack:
        for element in stack[-1]:
            if isinstance(element, list):
                stack.append(iter(element))
                break
            yield element
        else:
            stack.pop()


def _guessed_lookup(name: str) -> Callable[[Any], Any]:
    """For a placeholder that names no configured field: the literal key first, then each way of
    reading its underscores as nesting (`meta_count` -> `meta.count`), fewest levels first."""
    words = name.split("_")
    gaps = len(words) - 1
    if not name or gaps > _MAX_GUESSED_SPLITS:
        paths = [name]
    else:
        readings = []
        for joints in product(("_", "."), repeat=gaps):
            path = words[0] + "".join(joint + word for joint, word in zip(joints, words[1:]))
            if "" not in path.split("."):  # `_links_webui` reads `_links.webui`, never `.links`
                readings.append((joints.count("."), path))
        paths = [path for _, path in sorted(readings, key=lambda reading: reading[0])]
    # Each reading is tried as written, then mapped over any lists on the way (`tags_name` reads
    # `tags[*].name`), as RAGFlow's flattened template keys do.
    key_paths = [tuple(path.split(".")) for path in paths]

    def lookup(item: Any) -> Any:
        if isinstance(item, Mapping):
            value = item.get(name)
            if value is not None:
                return value
        for keys in key_paths:
            value = _walk_mapping_lists(item, keys)
            if value is not None and value != []:
                return value
        return None

    return lookup


def _walk_mapping_lists(value: Any, keys: tuple[str, ...]) -> Any:
    for position, key in enumerate(keys):
        if isinstance(value, list):
            found = (_walk_mapping_lists(element, keys[position:]) for element in value)
            return [element for element in found if element is not None]
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
        if value is None:
            return None
    return value


@dataclass(frozen=True, slots=True)
class _Placeholder:
    name: str
    lookup: Callable[[Any], Any] | None  # None: the `{id}` placeholder


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    source: str
    parts: tuple[str | _Placeholder, ...]

    @property
    def placeholders(self) -> list[str]:
        return [part.name for part in self.parts if isinstance(part, _Placeholder)]

    def render(self, item: Any, *, item_id: Any = None, strip_html: bool = False) -> str:
        """The template filled from `item`; missing values render as ""."""
        pieces: list[str] = []
        for part in self.parts:
            if type(part) is str:
                pieces.append(part)
                continue
            value = item_id if part.lookup is None else part.lookup(item)
            pieces.append(value_text(value, strip_html=strip_html))
        return "".join(pieces)


def _split(template: str, key: str | None) -> list[str | tuple[str]]:
    """Literal text and (name,) placeholders; raises TemplateError on an unclosed `{`."""
    parts: list[str | tuple[str]] = []
    literal: list[str] = []
    position, length = 0, len(template)
    while position < length:
        char = template[position]
        if char == "{":
            if template.startswith("{{", position):
                literal.append("{")
                position += 2
                continue
            close = template.find("}", position + 1)
            inner_open = template.find("{", position + 1)
            if close == -1 or (inner_open != -1 and inner_open < close):
                raise TemplateError(f"unclosed '{{' at character {position + 1} in {template!r}", key)
            name = template[position + 1 : close].strip()
            if not name:
                raise TemplateError(f"empty placeholder '{{}}' at character {position + 1} in {template!r}", key)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append((name,))
            position = close + 1
        elif char == "}":
            # `}}` is the escape; a lone `}` is kept as written rather than rejected.
            literal.append("}")
            position += 2 if template.startswith("}}", position) else 1
        else:
            literal.append(char)
            position += 1
    if literal:
        parts.append("".join(literal))
    return parts


def compile_template(template: str, field_paths: Iterable[str] = (), *, key: str | None = None) -> CompiledTemplate:
    """Compile `template` once. Placeholders resolve to the configured `field_paths` they name,
    else to a guessed path; `{id}` is the item's raw id, supplied at render time."""
    if not isinstance(template, str):
        raise TemplateError(f"template must be a string, got {type(template).__name__}", key)
    known: dict[str, str] = {}
    for path in field_paths:
        known.setdefault(placeholder_name(path), path)
    parts: list[str | _Placeholder] = []
    for part in _split(template, key):
        if isinstance(part, str):
            parts.append(part)
            continue
        written = part[0]
        name = placeholder_name(written) if ("." in written or "[" in written) else written
        if name == ID_PLACEHOLDER:
            parts.append(_Placeholder(name, None))
        elif name in known:
            parts.append(_Placeholder(name, compile_field_path(known[name]).get))
        else:
            parts.append(_Placeholder(name, _guessed_lookup(name)))
    return CompiledTemplate(template, tuple(parts))
