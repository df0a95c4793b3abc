"""Every example in docs/configuration.md loads cleanly, so the reference cannot drift."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from restsync.config import load_config
from restsync.config.vocabulary import AUTH_TYPES, PAGINATION_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
BLOCK = re.compile(r"```(yaml|json)\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in BLOCK.findall(DOC.read_text(encoding="utf-8"))]


class _AnyEnv(dict):
    """Every `${NAME}` resolves, to a recognisable fake value."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> str:
        return f"fake-{name.lower()}"


def test_the_reference_has_examples_for_every_auth_and_pagination_type():
    configs = [yaml.safe_load(text) if kind == "yaml" else json.loads(text) for kind, text in examples()]
    auth_types = {c.get("auth_type", "none") for c in configs}
    pagination_types = {c.get("pagination_type", "none") for c in configs}
    # Read from the vocabulary, so a new auth or pagination type needs an example here.
    assert set(AUTH_TYPES) - auth_types == set()
    assert set(PAGINATION_TYPES) - pagination_types == set()


@pytest.mark.parametrize(("kind", "text"), examples())
def test_doc_example_loads_without_warnings(tmp_path, kind, text):
    path = tmp_path / f"example.{kind}"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, env=_AnyEnv(), strict=True)
    config.check_required()
    assert config.warnings == []
    assert config.hostname


def test_every_slice_and_parent_key_is_documented():
    from restsync.config.vocabulary import PARENT_KEYS, SLICE_KEYS, TOP_LEVEL_KEYS

    text = DOC.read_text(encoding="utf-8")
    missing = [f"slice.{key}" for key in SLICE_KEYS if f"`slice.{key}`" not in text]
    missing += [f"parent.{key}" for key in PARENT_KEYS if f"parent.{key}" not in text]
    missing += [key for key in TOP_LEVEL_KEYS if f"`{key}`" not in text]
    assert not missing


def test_the_reference_has_sliced_and_parent_child_examples():
    configs = [yaml.safe_load(text) if kind == "yaml" else json.loads(text) for kind, text in examples()]
    assert any("slice" in config for config in configs)
    assert any("parent" in config for config in configs)
