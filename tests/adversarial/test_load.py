"""Load and soak, bounded: bench/bench_load.py with a small API (its long form is documented in
docs/reliability.md). Searches from a second process while syncs write never fail, and this
process's memory does not grow round after round."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import FULL

BENCH = Path(__file__).parents[2] / "bench" / "bench_load.py"


def test_searches_during_syncs_never_fail_and_memory_stays_flat(figures):
    items, rounds = (2000, 12) if FULL else (200, 4)
    done = subprocess.run([sys.executable, str(BENCH), "--items", str(items), "--rounds", str(rounds), "--json"],
                          capture_output=True, text=True, timeout=1800 if FULL else 240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    search = result["search"]
    figures.set(f"load ({items} items x {rounds} rounds)", searches=search["searches"], errors=search["errors"],
                p50_ms=search["p50_ms"], p95_ms=search["p95_ms"], p99_ms=search["p99_ms"],
                rss_growth_mb=result["rss_growth_after_round_2_mb"])
    assert result["sync_statuses"] == ["success"]
    assert search["searches"] > 0 and search["errors"] == 0, search["error_kinds"]
    assert result["rss_growth_after_round_2_mb"] < 25, result["rss_mb_per_round"]
