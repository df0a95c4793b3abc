"""The sync engine over a chaotic API: a full re-sync never deletes an item that still exists, and
never reports success while an item present throughout the listing is missing from the knowledge base.

Each run stores the quiet collection first (a clean full sync), then runs a full re-sync while the
API fails and changes as the seed says. Figures: pruned survivors (items deleted from the knowledge
base while the API still had them) and missing survivors after a run that reported success.
"""

from __future__ import annotations

import pytest

from restsync.clock import FakeClock
from restsync.errors import RestSyncError
from restsync.kb import HashingEmbedder, KnowledgeBase
from restsync.sync import sync_source
from restsync.sync.result import SUCCESS

from .chaos import Chaos, ChaosApi, config_for
from .conftest import seeds

COUNT = 57
POSITIONAL = ["page", "offset", "next_url", "link_header"]


def stored_ids(kb: KnowledgeBase) -> set[int]:
    rows = kb._store._engine.connect().exec_driver_sql("SELECT title FROM documents").fetchall()
    return {int(title.split()[-1]) for (title,) in rows}


def resync(tmp_path, style: str, chaos: Chaos, seed: int, *, first_quiet: bool = True):
    clock = FakeClock()
    server = ChaosApi(COUNT, Chaos(fault_rate=0.0), seed=seed, now=clock.time).start()
    try:
        config = config_for(style, server)
        kb = KnowledgeBase.open(tmp_path / f"kb-{style}-{seed}", embedder=HashingEmbedder(32))
        if first_quiet:
            first = sync_source(kb, "src", config, allow_private=True, clock=clock)
            assert first.status == SUCCESS and stored_ids(kb) == server.survivors
        server._chaos = chaos  # from now on the API fails and changes
        try:
            result = sync_source(kb, "src", config, full=True, allow_private=True, clock=clock)
            status, reason = result.status, result.prune.refused_reason or result.truncation_reason
        except RestSyncError as error:
            status, reason = "failed", str(error)
        present = stored_ids(kb)
        kb.close()
        return status, reason, server.survivors - present
    finally:
        server.stop()


def record(figures, name: str, status: str, missing: set[int]) -> None:
    figures.add(name, runs=1, **{status: 1})
    figures.add(name, missing_survivors=len(missing), success_with_missing=int(status == SUCCESS and bool(missing)))


@pytest.mark.parametrize("style", POSITIONAL + ["cursor"])
@pytest.mark.parametrize("seed", seeds(4, 100))
def test_a_resync_under_faults_and_inserts_loses_nothing(tmp_path, figures, style, seed):
    chaos = Chaos(fault_rate=0.15, insert_rate=0.4, reorder_rate=0.0)
    status, reason, missing = resync(tmp_path, style, chaos, seed)
    record(figures, "sync, faults + inserts: survivors missing", status, missing)
    assert not missing, f"{style} seed {seed}: {status} ({reason}); survivors gone from the KB: {sorted(missing)}"


# A walk by next URL or Link header has no total to compare: an item pulled onto a page already
# read by a deletion is passed over without a trace, the listing looks complete and the prune
# deletes it. Only a second listing (or a detail request) can tell "gone" from "moved".
UNDETECTED_DELETES = pytest.mark.xfail(strict=True, reason=(
    "a next-URL / Link-header listing cannot see that a deletion moved an unread item onto a page "
    "already read; the prune then deletes an item the API still has (needs deletion confirmed by a "
    "second listing or a detail request)"))
# The walk noticed the shift (its warning says so) but the run still reports success.
SHIFTED_SUCCESS = pytest.mark.xfail(strict=True, reason=(
    "a full listing during which the collection visibly shifted is reported as success when no stored "
    "document went unseen, although items that moved may have been passed over"))


def styles_marked(mark) -> list:
    return ["page", "offset"] + [pytest.param(style, marks=mark) for style in ("next_url", "link_header")]


@pytest.mark.parametrize("style", styles_marked(UNDETECTED_DELETES))
def test_items_deleted_during_a_full_resync_never_prune_a_survivor(tmp_path, figures, style):
    # Deletes pull later items onto pages already read: a positional walk passes over them.
    failures = []
    for seed in seeds(3, 100):
        status, reason, missing = resync(tmp_path, style, Chaos(fault_rate=0.05, delete_rate=0.5), seed)
        record(figures, f"sync, deletes: survivors pruned [{style}]", status, missing)
        if missing:
            failures.append(f"seed {seed}: {status} ({reason}); survivors pruned: {sorted(missing)}")
    assert not failures, failures


@pytest.mark.parametrize("style", styles_marked(SHIFTED_SUCCESS))
def test_a_first_sync_of_a_shifting_collection_is_not_success_with_items_missing(tmp_path, figures, style):
    chaos = Chaos(fault_rate=0.05, insert_rate=0.3, delete_rate=0.3, reorder_rate=0.3)
    failures = []
    for seed in seeds(3, 100):
        status, reason, missing = resync(tmp_path, style, chaos, seed, first_quiet=False)
        record(figures, f"first sync, shifting: success with survivors missing [{style}]", status, missing)
        if status == SUCCESS and missing:
            failures.append(f"seed {seed}: success with {sorted(missing)} missing")
    assert not failures, failures
