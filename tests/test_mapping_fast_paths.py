"""The mapper's shortcuts give what the general paths give: metadata checked by type alone still
has every non-finite number replaced, and tags remembered by their text still read as the parser
reads them, in any order."""

from __future__ import annotations

import json
import math

from restsync.config import SourceConfig
from restsync.mapping import DocumentMapper
from restsync.mapping import html as html_module

CONFIG = {
    "url": "https://api.example.com/items",
    "id_field": "id",
    "content_fields": ["body"],
    "metadata_fields": ["plain", "numbers", "nested", "flag", "missing"],
}


def mapped(item: dict):
    mapper = DocumentMapper(SourceConfig.from_mapping(CONFIG))
    return mapper, mapper.map(item)


def test_plain_metadata_is_kept_as_it_is():
    mapper, document = mapped({"id": 1, "body": "b", "plain": "x", "numbers": [1, "two", True, None], "flag": False})
    assert document.metadata == {"plain": "x", "numbers": [1, "two", True, None], "flag": False}
    assert mapper.stats["non_finite"] == 0


def test_non_finite_numbers_behind_the_type_check_are_still_replaced():
    for value, expected in ((math.inf, "Infinity"), ([1, -math.inf], [1, "-Infinity"]),
                            ({"deep": [math.nan]}, {"deep": [None]}), (2.5, 2.5)):
        mapper, document = mapped({"id": 1, "body": "b", "plain": "x", "nested": value})
        assert document.metadata["nested"] == expected
        json.dumps(document.to_dict(), allow_nan=False)  # strict JSON
        assert mapper.stats["non_finite"] == (0 if expected == 2.5 else 1)


def test_remembered_tags_read_as_the_parser_reads_them_in_any_order():
    html_module._TAG_TEXT.clear()
    samples = ["<td>a</td><td/>b<br/>c", "<td/>b<td>a</td><br>c", "<TD>a</TD><P class='x'>b</P>",
               "<p>x</p><span>y</span><li>z</li>", "<th>h</th><th>i</th>"]
    for _ in range(2):  # the second pass reads every tag from the cache
        for markup in samples + samples[::-1]:
            fast = html_module._simple_markup_to_text(markup)
            parser = html_module._TextCollector()
            parser.feed(markup)
            parser.close()
            assert fast == html_module._tidy("".join(parser.parts)), markup


def test_the_tag_cache_stays_bounded():
    html_module._TAG_TEXT.clear()
    for number in range(html_module._TAG_TEXT_MAX + 50):
        assert html_module.html_to_text(f'<p data-n="{number}">x</p>') == "x"
    assert len(html_module._TAG_TEXT) <= html_module._TAG_TEXT_MAX
