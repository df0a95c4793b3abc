"""HTML to plain text with a real parser: entities decoded, invisible parts dropped, blocks become lines."""

from __future__ import annotations

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
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(value: str) -> str:
    """Readable text from an HTML fragment or page. Text with no `<` is returned unchanged."""
    if "<" not in value:
        return value
    collector = _TextCollector()
    collector.feed(value)
    collector.close()
    return _tidy("".join(collector.parts))
