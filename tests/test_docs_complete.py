"""Every command and every config key is documented, so the docs cannot fall behind the code."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from restsync.cli.main import build_parser
from restsync.config.vocabulary import AUTH_CONFIG_KEYS, PAGINATION_KEYS, TOP_LEVEL_KEYS

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DOC = ROOT / "docs" / "configuration.md"


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def user_docs() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def test_there_are_commands_to_check():
    assert {"check", "preview", "fetch", "sync", "search", "serve"} <= set(commands())


def test_every_command_has_help_text():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helped = {choice.dest: choice.help for choice in action._choices_actions}
    missing = [name for name, sub in commands().items() if not (helped.get(name) or sub.description)]
    assert missing == []


def test_every_command_is_documented():
    text = user_docs()
    missing = [name for name in commands() if not re.search(rf"restsync {re.escape(name)}\b", text)]
    assert missing == []


def test_every_config_key_is_documented():
    text = CONFIG_DOC.read_text(encoding="utf-8")
    keys = sorted(TOP_LEVEL_KEYS | PAGINATION_KEYS | AUTH_CONFIG_KEYS)
    assert len(keys) > 40
    spans = set(re.findall(r"`([^`\n]+)`", text))  # `key`, `auth_config.key`, `pagination_config.key`
    names = {part for span in spans for part in re.split(r"[.\s]", span)}
    missing = [key for key in keys if key not in names]
    assert missing == []
