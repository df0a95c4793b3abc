"""What a knowledge base reports of its syncs: `last_sync_summary`, which every knowledge-base
listing (the local and the server backend) carries."""

from __future__ import annotations

from pathlib import Path

from restsync.clock import FakeClock
from restsync.kb import KnowledgeBase
from restsync.kb.embedding import HashingEmbedder
from restsync.sync.status import last_sync_summary


def test_the_last_finished_run_is_reported_and_a_running_one_passed_over(tmp_path: Path):
    clock = FakeClock(start=1_700_000_000.0)  # 2023-11-14T22:13:20Z
    with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(), clock=clock) as kb:
        assert last_sync_summary(kb) == {"last_sync": None, "last_sync_status": None}
        first = kb.start_run("help", "full")
        assert last_sync_summary(kb) == {"last_sync": None, "last_sync_status": None}
        clock.sleep(90)
        kb.finish_run(first, "partial", {})
        kb.start_run("other", "incremental")  # still running: not the last sync
        clock.sleep(30)
        assert last_sync_summary(kb) == {"last_sync": "2023-11-14T22:14:50Z", "last_sync_status": "partial"}
