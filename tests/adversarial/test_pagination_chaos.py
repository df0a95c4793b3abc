"""Nothing lost, nothing duplicated: seeded faults and shifting collections across every pagination style.

Each run walks a `ChaosApi` whose faults (5xx, 429 with Retry-After in seconds / as a date /
absent, 403 rate limits, resets mid-body, truncated JSON) and changes (items added, deleted,
swapped, totals that lie) are drawn from the run's seed. A run may end three ways:
- complete: then every item present throughout the walk was yielded (lost 0) and none twice (dup 0);
- failed with a named restsync error naming the request;
- incomplete or truncated with its reason in the report.
Never "complete" with an item missing. The fake clock makes every wait free.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import pytest

from restsync.errors import RestSyncError, SourceError
from restsync.clock import FakeClock
from servers.harness import connect

from .chaos import STYLES, Chaos, ChaosApi, config_for
from .conftest import seeds

COUNT = 57  # not a multiple of the page size: the last page is short


@dataclass
class Outcome:
    status: str  # complete / shifted / incomplete / truncated / failed
    lost: int  # survivors not yielded
    duplicated: int  # ids yielded more than once
    reason: str | None


def walk(serve, style: str, chaos: Chaos, seed: int, **config) -> Outcome:
    clock = FakeClock()
    server = serve(ChaosApi(COUNT, chaos, seed=seed, now=clock.time))
    connector = connect({**config_for(style, server), **config}, clock)
    seen: list[str] = []
    try:
        for batch in connector.load_from_state():
            seen.extend(doc.semantic_identifier for doc in batch)
    except RestSyncError as error:
        assert not connector.report.complete
        if isinstance(error, SourceError):
            assert error.request and "127.0.0.1" in error.request, error  # names the request
        return Outcome("failed", 0, 0, f"{type(error).__name__}: {error}")
    finally:
        connector.close()
        server.stop()
    ids = Counter(int(title.split()[-1]) for title in seen)
    lost = len(server.survivors - set(ids))
    duplicated = sum(n - 1 for n in ids.values() if n > 1)
    report = connector.report
    if report.truncated:
        return Outcome("truncated", lost, duplicated, report.truncation_reason)
    if not report.complete:
        return Outcome("incomplete", lost, duplicated, report.end_reason or "; ".join(report.warnings))
    if report.shifted:
        return Outcome("shifted", lost, duplicated, report.shifts[0])
    return Outcome("complete", lost, duplicated, None)


def record(figures, figure: str, style: str, outcome: Outcome) -> None:
    figures.add(figure, runs=1, **{outcome.status: 1})
    if outcome.status in ("complete", "shifted"):
        figures.add(figure, lost=outcome.lost, duplicated=outcome.duplicated)


# Known defect (see test_sync_chaos.py): with no total to compare, a deletion that pulls an unread
# item onto a page already read leaves no trace. Such runs are counted and reported as xfailed.
NO_TOTAL = ("next_url", "link_header", "auto")


def assert_honest(outcome: Outcome, seed: int, style: str) -> None:
    where = f"style={style} seed={seed}: {outcome}"
    if outcome.status == "complete" and outcome.lost and style in NO_TOTAL:
        pytest.xfail(f"known defect, an unseen deletion in a listing without totals: {where}")
    if outcome.status == "complete":
        assert outcome.lost == 0 and outcome.duplicated == 0, where
    elif outcome.status == "shifted":
        # A listing that saw the collection change is reported as such (no prune rests on it),
        # and still yields no item twice.
        assert outcome.duplicated == 0, where
    else:
        assert outcome.reason, where  # partial or failed, always with its reason


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("seed", seeds(12, 300))
def test_faults_lose_and_duplicate_nothing(serve, figures, style, seed):
    outcome = walk(serve, style, Chaos(fault_rate=0.2), seed)
    record(figures, "faults: lost/duplicated", style, outcome)
    assert_honest(outcome, seed, style)
    assert outcome.status != "shifted"


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("seed", seeds(8, 200))
def test_shifting_collections_never_pass_for_complete(serve, figures, style, seed):
    chaos = Chaos(fault_rate=0.1, insert_rate=0.3, delete_rate=0.2, reorder_rate=0.2)
    outcome = walk(serve, style, chaos, seed)
    record(figures, "shifting: lost/duplicated", style, outcome)
    assert_honest(outcome, seed, style)


@pytest.mark.parametrize("style", ["page", "offset"])
@pytest.mark.parametrize("lie", [-30, -10, -1, 1, 40, 10_000])
@pytest.mark.parametrize("seed", seeds(2, 30))
def test_lying_totals_lose_nothing(serve, figures, style, lie, seed):
    outcome = walk(serve, style, Chaos(fault_rate=0.1, total_lie=lie), seed)
    record(figures, "lying totals: lost/duplicated", style, outcome)
    assert_honest(outcome, seed, style)


@pytest.mark.parametrize("style", STYLES)
def test_a_stalled_page_past_the_deadline_is_retried_and_nothing_lost(serve, figures, style):
    """Real time: page 2 answers after 0.6 s, the deadline is 0.2 s; the retry gets it."""
    started = time.monotonic()
    outcome = walk(serve, style, Chaos(fault_rate=0.0, stall_answers=(2,), stall_s=0.6), 0, timeout=0.2)
    record(figures, "stalls past the deadline: lost/duplicated", style, outcome)
    assert outcome.status == "complete" and outcome.lost == 0 and outcome.duplicated == 0, outcome
    assert time.monotonic() - started < 5


def test_a_source_that_always_stalls_fails_soon_naming_the_request(serve):
    started = time.monotonic()
    outcome = walk(serve, "page", Chaos(fault_rate=0.0, stall_always=True, stall_s=1.0), 0, timeout=0.2)
    assert outcome.status == "failed" and "0.2 s" in outcome.reason, outcome
    assert time.monotonic() - started < 3  # two timeouts, not a hang
