"""Response formats besides JSON: JSON Lines and XML (RSS 2.0, Atom, XML list APIs).

Every format becomes the same JSON-like data, so `items_path` and field paths read it with the
usual rules. XML maps like this:

- the root element is the document itself (`$`): an RSS feed's items are `$.channel.item`,
  an Atom feed's entries `$.entry`;
- a child element becomes a key; repeated children become a list, a single one a value;
- attributes are keys prefixed with `@` (`link.@href`), text beside attributes or children is
  `#text`; an element with only text is that text, an empty one is null;
- namespaces keep the prefix the document declares (`content:encoded`, `dc:creator`); elements
  in the default namespace (Atom's) use their plain name; inline XHTML (Atom `type="xhtml"`
  content) is prose, so its text joins its parent's text;
- in feeds, the elements that may repeat are always lists (RSS `item` and `category`; Atom
  `entry`, `link`, `category`, `author`, `contributor`), so one path fits a feed of one entry too,
  and the entries come first, so items auto-detection finds them before a feed's own links.

DTDs are refused outright: no entity can be declared, so neither external entities (XXE) nor
entity expansion (billion laughs) can happen. The standard library's expat parser is used
directly, with handlers that build the result as it reads.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, Callable
from xml.parsers import expat

from restsync.http.body import NotJsonError, TruncatedBodyError, decode_json_body, describe_not_json

ATTRIBUTE_PREFIX = "@"
TEXT_KEY = "#text"

# What each explicit format asks for; `auto` keeps the client's JSON default.
ACCEPT = {
    "jsonl": "application/x-ndjson, application/jsonl, application/json;q=0.5",
    "xml": "application/rss+xml, application/atom+xml, application/xml, text/xml;q=0.9, */*;q=0.5",
}
_JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines",
                "application/json-seq", "application/ndjson")
_XML_TYPES = ("application/xml", "text/xml")
# Elements that may repeat in a feed, kept as lists even when one is present: (root, parent, child).
_FEED_LISTS = {
    "rss": {("channel", "item"), ("item", "category"), ("channel", "category")},
    "rdf:RDF": {("rdf:RDF", "item")},
    "feed": {("feed", "entry"), ("feed", "link"), ("feed", "author"), ("feed", "category"),
             ("entry", "link"), ("entry", "category"), ("entry", "author"), ("entry", "contributor")},
}
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_XHTML = "http://www.w3.org/1999/xhtml"
_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr"}
# Errors that mean the text stopped inside the document: a transfer cut short, worth a retry.
_CUT_SHORT = {expat.errors.codes[message] for message in (
    expat.errors.XML_ERROR_NO_ELEMENTS, expat.errors.XML_ERROR_UNCLOSED_TOKEN,
    expat.errors.XML_ERROR_PARTIAL_CHAR, expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION)}
_EXPAT_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}


class UnreadableBodyError(NotJsonError):
    """A complete body that is not valid in the format it was read as (XML or JSON Lines)."""

    def __init__(self, format_name: str, detail: str):
        super().__init__(detail)
        self.format_name = format_name


def resolve_format(configured: str | None, content_type: str | None) -> str:
    """The format to read a body in: the configured one, else what the Content-Type says, else JSON."""
    if configured and configured != "auto":
        return configured
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _JSONL_TYPES:
        return "jsonl"
    if media in _XML_TYPES or media.endswith("+xml"):
        return "xml"
    return "json"


def decode_body(content: bytes, content_type: str | None, configured: str | None = None) -> Any:
    """The body as JSON-like data, in the configured format or the one its Content-Type names."""
    fmt = resolve_format(configured, content_type)
    if fmt == "xml" and configured in (None, "auto") and content.lstrip()[:1] in (b"{", b"["):
        fmt = "json"  # a JSON body under an XML Content-Type: the body is the better witness
    if fmt == "jsonl":
        return decode_json_lines(content)
    if fmt == "xml":
        return decode_xml(content)
    return decode_json_body(content)


def describe_unreadable(exc: NotJsonError, content: bytes, content_type: str | None,
                        redact: Callable[[str], str]) -> str:
    """The message for a body that could not be read, naming the format it was read as."""
    message = describe_not_json(content, content_type, str(exc), redact)
    if isinstance(exc, UnreadableBodyError):
        return message.replace("response is not valid JSON", f"response is not valid {exc.format_name}", 1)
    if content.lstrip()[:1] == b"<" and "HTML page" not in message:
        message += " - it looks like XML: set response_format: xml"
    elif b"\n" in content.strip() and "Extra data" in str(exc):
        message += " - several JSON values, one per line? set response_format: jsonl"
    return message


# -- JSON Lines ----------------------------------------------------------------------------------

def decode_json_lines(content: bytes) -> list[Any]:
    """One JSON value per line (blank lines skipped); a last line cut short is a truncated body."""
    try:  # the usual case, at JSON speed: every line a complete value (RS separators and blanks aside)
        return [json.loads(line) for line in content.replace(b"\x1e", b" ").split(b"\n") if line.strip()]
    except (ValueError, UnicodeDecodeError):
        pass  # find the line and say what is wrong with it
    values: list[Any] = []
    lines = content.split(b"\n")
    for number, line in enumerate(lines, start=1):
        line = line.strip().lstrip(b"\x1e")  # RFC 7464 JSON text sequences start each record with RS
        if not line:
            continue
        try:
            values.append(decode_json_body(line))
        except TruncatedBodyError:
            if number == len(lines):  # no newline after it: the transfer may have stopped here
                raise
            raise UnreadableBodyError("JSON Lines", f"line {number} ends inside a JSON value") from None
        except NotJsonError as exc:
            raise UnreadableBodyError("JSON Lines", f"line {number}: {exc}") from None
    return values


# -- XML -----------------------------------------------------------------------------------------

class _Element:
    __slots__ = ("name", "attributes", "children", "text")

    def __init__(self, name: str, attributes: dict[str, str]):
        self.name = name
        self.attributes = attributes
        self.children: list[tuple[str, Any]] = []
        self.text: list[str] = []


class _TreeBuilder:
    """expat handlers that build the JSON-like value; refuse any DTD before it can declare entities."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}  # namespace URI -> prefix as the document declares it
        self.stack: list[_Element] = []
        self.root: _Element | None = None
        self.result: Any = None
        self.lists: set[tuple[str, str]] = set()

    def start_namespace(self, prefix: str | None, uri: str) -> None:
        self.prefixes.setdefault(uri, prefix or "")

    def name(self, qualified: str) -> str:
        uri, _, local = qualified.rpartition(" ")
        prefix = self.prefixes.get(uri, "") if uri else ""
        return f"{prefix}:{local}" if prefix else local

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        element = _Element(self.name(tag), {self.name(k): v for k, v in attributes.items()})
        if not self.stack:
            self.root = element
            self.lists = _FEED_LISTS.get(element.name, set())
        self.stack.append(element)

    def end(self, tag: str) -> None:
        element = self.stack.pop()
        if self.stack and tag.startswith(_XHTML + " "):
            # Inline XHTML (Atom `type="xhtml"` content) is prose, not data: its text joins the parent's.
            self.stack[-1].text.append(" ".join(element.text) + ("\n" if tag.rpartition(" ")[2] in _BLOCKS else ""))
            return
        value = self.value(element)
        if self.stack:
            self.stack[-1].children.append((element.name, value))
        else:
            self.result = value

    def characters(self, data: str) -> None:
        if self.stack:
            self.stack[-1].text.append(data)

    def value(self, element: _Element) -> Any:
        text = "".join(element.text).strip()
        if not element.children and not element.attributes:
            return text or None
        out: dict[str, Any] = {f"{ATTRIBUTE_PREFIX}{k}": v for k, v in element.attributes.items()}
        groups: dict[str, list[Any]] = {}
        if element.name in ("channel", "feed", "rdf:RDF") and self.lists:
            # A feed's entries come first, so items auto-detection finds them before its links.
            groups.update((name, []) for name in ("item", "entry") if (element.name, name) in self.lists)
        for name, child in element.children:
            groups.setdefault(name, []).append(child)
        for name, values in groups.items():
            if not values:
                continue
            # Repeated children are a list; so are feed elements that may repeat, even when one is there.
            out[name] = values if len(values) > 1 or (element.name, name) in self.lists else values[0]
        if text:
            out[TEXT_KEY] = text
        return out

    @staticmethod
    def refuse_dtd(*_: Any) -> None:
        raise UnreadableBodyError("XML", "documents with a DTD (<!DOCTYPE ...>) are refused: entity "
                                         "declarations could read local files or expand without bound")


def decode_xml(content: bytes) -> Any:
    """The document as JSON-like data (see the module docstring); None for an empty body."""
    if not content or content.isspace():
        return None
    encoding = _python_decoded_encoding(content)
    if encoding is not None:
        # expat knows only UTF-8/16, Latin-1 and ASCII: decode others here and hand it UTF-8.
        try:
            content = content.decode(encoding).encode("utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise UnreadableBodyError("XML", f"cannot decode as {encoding}: {exc}") from None
    builder = _TreeBuilder()
    parser = expat.ParserCreate(encoding="utf-8" if encoding else None, namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = builder.refuse_dtd
    parser.EntityDeclHandler = builder.refuse_dtd
    parser.ExternalEntityRefHandler = builder.refuse_dtd
    parser.StartNamespaceDeclHandler = builder.start_namespace
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.characters
    parser.buffer_text = True
    parser.ordered_attributes = False
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, str(exc))
        if exc.code in _CUT_SHORT and builder.root is not None and builder.stack:
            raise TruncatedBodyError("body ends inside an XML element") from None
        raise UnreadableBodyError("XML", f"{reason} at line {exc.lineno} column {exc.offset + 1}") from None
    return builder.result


def _python_decoded_encoding(content: bytes) -> str | None:
    """The declared encoding when expat cannot read it itself (windows-1252 feeds exist)."""
    match = _DECLARED_ENCODING.match(content[:200])
    if match is None:
        return None
    declared = match.group(1).decode("ascii").lower()
    if declared in _EXPAT_ENCODINGS:
        return None
    try:
        return codecs.lookup(declared).name
    except LookupError:
        return None
