"""The adversarial suite: seeded, bounded in CI; `RESTSYNC_ADVERSARIAL=full` runs the long form.

Every test that measures something adds it to `figures`; the totals are printed at the end of the
run and, with `RESTSYNC_FIGURES=FILE`, written there as JSON (docs/reliability.md quotes them).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

import pytest

FULL = os.environ.get("RESTSYNC_ADVERSARIAL", "").lower() == "full"
# The base of every seed: a failing run is replayed with the same RESTSYNC_SEED and its printed seed.
BASE_SEED = int(os.environ.get("RESTSYNC_SEED", "20261203"))

_FIGURES: dict[str, dict[str, Any]] = defaultdict(dict)


def runs(ci: int, full: int) -> int:
    """How many seeded runs a figure rests on: bounded in CI, many in the full form."""
    return full if FULL else ci


def seeds(ci: int, full: int) -> list[int]:
    return [BASE_SEED + n for n in range(runs(ci, full))]


class Figures:
    def add(self, figure: str, **counts: Any) -> None:
        entry = _FIGURES[figure]
        for key, value in counts.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                entry[key] = entry.get(key, 0) + value
            else:
                entry[key] = value

    def set(self, figure: str, **values: Any) -> None:
        _FIGURES[figure].update(values)


@pytest.fixture(scope="session")
def figures() -> Figures:
    return Figures()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "full_only: runs only with RESTSYNC_ADVERSARIAL=full")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if FULL:  # thousands of examples a test: the suite-wide per-test timeout does not fit
        for item in items:
            item.add_marker(pytest.mark.timeout(3600))
        return
    skip = pytest.mark.skip(reason="long form: set RESTSYNC_ADVERSARIAL=full")
    for item in items:
        if "full_only" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    mode = "full" if FULL else "ci"
    terminalreporter.write_sep("-", f"adversarial figures ({mode}, seed {BASE_SEED})")
    for name in sorted(_FIGURES):
        values = ", ".join(f"{k}={v}" for k, v in sorted(_FIGURES[name].items()))
        terminalreporter.write_line(f"{name}: {values}")
    target = os.environ.get("RESTSYNC_FIGURES")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump({"mode": mode, "seed": BASE_SEED, "figures": _FIGURES}, out, indent=2, sort_keys=True)
