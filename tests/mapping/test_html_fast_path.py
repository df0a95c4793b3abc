"""The regex fast path of html_to_text must give exactly what the HTML parser gives."""

from __future__ import annotations

import random

from restsync.mapping import html as html_module
from restsync.mapping.html import _TextCollector, _tidy, html_to_text

TAGS = ["p", "div", "b", "i", "a", "br", "li", "ul", "td", "tr", "table", "span", "h2", "em", "BR", "P", "Td"]
ATTRS = ['', ' class="x"', " href='http://x.com/a?b=1&amp;c=2'", ' title="a > b"', " data-x=1", " hidden"]
TEXTS = ["Hello", "World", "  spaced   out ", "caf&eacute;", "&lt;not a tag&gt;", "a &amp; b", "\n", "x&#39;s",
         "3 < 4", "tail", "&nbsp;", "émoji ✓"]


def parsed(value: str) -> str:
    collector = _TextCollector()
    collector.feed(value)
    collector.close()
    return _tidy("".join(collector.parts))


def random_markup(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        tag = rng.choice(TAGS)
        if roll < 0.35:
            out.append(f"<{tag}{rng.choice(ATTRS)}>")
        elif roll < 0.55:
            out.append(f"</{tag}>")
        elif roll < 0.6:
            out.append(f"<{tag}{rng.choice(ATTRS)}/>")
        else:
            out.append(rng.choice(TEXTS))
    return "".join(out)


def test_fast_path_matches_the_parser_on_generated_markup():
    rng = random.Random(20251128)
    fast_used = 0
    for _ in range(3000):
        markup = random_markup(rng)
        if "<" not in markup:
            continue
        fast = html_module._simple_markup_to_text(markup)
        if fast is not None:
            fast_used += 1
            assert fast == parsed(markup), markup
        assert html_to_text(markup) == parsed(markup), markup
    assert fast_used > 1000  # the fast path really is the common path


def test_markup_the_fast_path_leaves_to_the_parser():
    for markup in ["<p>a</p><!-- hidden -->", "<script>x()</script><p>a</p>", "<STYLE>p{}</STYLE>b",
                   "<!DOCTYPE html><p>a</p>", "a < b <p>c</p>", "<?xml version='1.0'?><p>a</p>"]:
        assert html_module._simple_markup_to_text(markup) is None
        assert html_to_text(markup) == parsed(markup)
    assert html_to_text("<script>x()</script><p>Kept</p>") == "Kept"


def test_tidy_matches_split_and_join_on_every_kind_of_whitespace():
    rng = random.Random(7)
    alphabet = list("ab  \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\xa0\u3000é")
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        reference = "\n".join(line for line in (" ".join(l.split()) for l in text.splitlines()) if line)
        assert _tidy(text) == reference, repr(text)
