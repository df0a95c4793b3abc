"""RFC 8288 `Link` headers: parsed into links, and the one with a given `rel` found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable


@dataclass
class Link:
    url: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def rels(self) -> set[str]:
        return {rel.lower() for rel in self.params.get("rel", "").split()}


def find_link(header_values: Iterable[str], rel: str) -> str | None:
    """The URL of the first link whose `rel` (one of several, any case) is `rel`."""
    for link in parse_link_header(header_values):
        if rel.lower() in link.rels:
            return link.url
    return None


def parse_link_header(header_values: Iterable[str]) -> list[Link]:
    """Every link in one or several `Link` header values. Commas and semicolons inside `<...>` or
    quoted strings are data, not separators; parameter names are case-insensitive and the first
    occurrence of each wins (RFC 8288 section 3)."""
    links: list[Link] = []
    for text in header_values:
        links.extend(_parse_one(text))
    return links


def _parse_one(text: str) -> list[Link]:
    links: list[Link] = []
    position, length = 0, len(text)
    while position < length:
        start = text.find("<", position)
        if start < 0:
            break
        end = text.find(">", start + 1)
        if end < 0:
            break
        link = Link(text[start + 1 : end].strip())
        position = _parse_params(text, end + 1, link.params)
        links.append(link)
    return links


def _parse_params(text: str, position: int, params: dict[str, str]) -> int:
    """Read `; name=value` pairs up to the comma that ends this link; return where the next link starts."""
    length = len(text)
    while position < length:
        char = text[position]
        if char == ",":
            return position + 1
        if char != ";":
            position += 1
            continue
        position += 1
        name_end = position
        while name_end < length and text[name_end] not in "=;,":
            name_end += 1
        name = text[position:name_end].strip().lower()
        position = name_end
        value = ""
        if position < length and text[position] == "=":
            value, position = _read_value(text, position + 1)
        if name and name not in params:
            params[name] = value
    return position


def _read_value(text: str, position: int) -> tuple[str, int]:
    length = len(text)
    while position < length and text[position] in " \t":
        position += 1
    if position < length and text[position] == '"':
        chars: list[str] = []
        position += 1
        while position < length and text[position] != '"':
            if text[position] == "\\" and position + 1 < length:
                position += 1
            chars.append(text[position])
            position += 1
        return "".join(chars), position + 1
    end = position
    while end < length and text[end] not in ";,":
        end += 1
    return text[position:end].strip(), end
