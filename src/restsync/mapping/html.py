"""HTML to plain text with a real parser: entities decoded, invisible parts dropped, blocks become lines."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

# Elements whose text is never meant to be read.
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})

# Elements that start a new line (their text would otherwise run into the neighbour's).
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "tfoot", "thead", "title", "tr", "ul",
})

# Table cells sit on one line, separated by a space.
_CELLS = frozenset({"td", "th"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # `<br/>`, `<hr/>`, `<script/>`: a self-closed element opens nothing.
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def _tidy(text: str) -> str:
    """Collapse spaces within each line, drop blank lines, trim."""
    lines = (_tidy_line(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _tidy_line(line: str) -> str:
    # Most lines are already tidy; a few substring scans are much cheaper than split + join.
    if (
        line
        and line.isascii()
        and line[0] != " "
        and line[-1] != " "
        and "  " not in line
        and "\t" not in line
        and "\x1f" not in line  # the only other ASCII whitespace splitlines() leaves inside a line
    ):
        return line
    return " ".join(line.split())


def html_to_text(value: str) -> str:
    """Readable text from an HTML fragment or page. Text with no `<` is returned unchanged."""
    if "<" not in value:
        return value
    fast = _simple_markup_to_text(value)
    if fast is not None:
        return fast
    collector = _TextCollector()
    collector.feed(value)
    collector.close()
    return _tidy("".join(collector.parts))


# The parser costs ~30 µs per 1 KB body, most of an item's mapping budget. Most API HTML is plain
# tags around text: for that, one tag regex gives the parser's exact output (a test compares the
# two on generated markup). Anything else -- comments, doctypes, invisible elements, a stray `<` --
# goes to the parser.
_TAG = re.compile(r"""<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:\s+(?:[^>"']|"[^"]*"|'[^']*')*)?\s*/?>""")
_NEEDS_PARSER = re.compile(r"<[!?]|<\s*/?\s*(?:" + "|".join(sorted(_INVISIBLE)) + r")\b", re.IGNORECASE)


def _simple_markup_to_text(value: str) -> str | None:
    if _NEEDS_PARSER.search(value):
        return None
    text = _TAG.sub(_tag_text, value)
    if "<" in text:
        return None
    return _tidy(unescape(text) if "&" in text else text)


# What a tag becomes, by its exact text: the same few tags (`<p>`, `</p>`, `<br/>`) recur in every
# body, and a dictionary hit is cheaper than reading the match's groups. Bounded, as tags with
# attributes are as varied as the data.
_TAG_TEXT: dict[str, str] = {}
_TAG_TEXT_MAX = 1024


def _tag_text(tag: re.Match[str]) -> str:
    markup = tag[0]
    text = _TAG_TEXT.get(markup)
    if text is None:
        name = tag[2].lower()
        if name in _BLOCKS:
            text = "\n"
        elif name in _CELLS and not tag[1] and not markup.endswith("/>"):
            text = " "
        else:
            text = ""
        if len(_TAG_TEXT) < _TAG_TEXT_MAX:
            _TAG_TEXT[markup] = text
    return text
