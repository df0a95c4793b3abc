"""A filter with an operator restsync does not have (`==`, `=>`, `<>`) is an error naming the
filter; it used to parse as `=` or `<` with the rest glued to the value, and match nothing."""

from __future__ import annotations

import pytest

from restsync.cli.main import main
from restsync.errors import ConfigError
from restsync.kb import KBSettings, KnowledgeBase
from restsync.kb.filters import Filter, parse_filter


@pytest.mark.parametrize(
    "expression, operator",
    [("category==x", "=="), ("category=>x", "=>"), ("category<>x", "<>"), ("n=<3", "=<"), ("n!==3", "!=="),
     ("n = =3", "= =")],
)
def test_unknown_operators_are_refused_naming_the_filter(expression, operator):
    with pytest.raises(ConfigError) as error:
        parse_filter(expression)
    assert error.value.key == "filter"
    assert repr(operator) in str(error.value) and repr(expression) in str(error.value)


@pytest.mark.parametrize(
    "expression, parsed",
    [
        ("title=a=b", Filter("title", "=", "a=b")),
        ("title = a<b", Filter("title", "=", "a<b")),
        ("n >= 3", Filter("n", ">=", "3")),
        ("n!=3", Filter("n", "!=", "3")),
        ("note=", Filter("note", "=", "")),
        ("code in =x, <y", Filter("code", "in", ("=x", "<y"))),  # the way to match such values
    ],
)
def test_known_operators_still_parse(expression, parsed):
    assert parse_filter(expression) == parsed


def test_the_cli_refuses_an_unknown_operator(tmp_path, capsys):
    kb = tmp_path / "kb"
    KnowledgeBase.open(kb, settings=KBSettings(embedder="hashing-64")).close()
    status = main(["search", "anything", "--kb", str(kb), "--filter", "category==x"])
    err = capsys.readouterr().err
    assert status == 2
    assert "category==x" in err and "'=='" in err
