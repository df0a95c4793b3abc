"""Requests a sliced walk spends on a capped search API: 20,000 tickets over ~16 days behind a
1,000-result cap, with and without a total in the response.

    .venv/bin/python bench/bench_slices.py

Prints, per variant: documents listed, requests sent, pages kept, halvings and slices walked.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from restsync.clock import FakeClock  # noqa: E402
from servers.capped_search import ORIGIN, CappedSearchServer, tickets  # noqa: E402
from servers.capped_search import search_config as config  # noqa: E402
from servers.harness import connect, load_all  # noqa: E402

COUNT = 20_000


def run(with_total: bool) -> None:
    server = CappedSearchServer(tickets(COUNT)).start()
    try:
        raw = config(server)
        if not with_total:
            paging = {k: v for k, v in raw["pagination_config"].items() if k != "total_path"}
            raw["pagination_config"] = {**paging, "has_more_path": "$.next_page"}
        connector = connect(raw, FakeClock(start=(ORIGIN + timedelta(days=30)).timestamp()))
        documents = load_all(connector)
        report = connector.report
        print(f"total in response: {'yes' if with_total else 'no '}  documents={len(documents)} "
              f"requests={len(server.requests)} pages_kept={report.pages} halved={report.slices.halved} "
              f"slices={report.slices.walked} refused_past_cap={server.refused}")
    finally:
        server.stop()


if __name__ == "__main__":
    run(True)
    run(False)
