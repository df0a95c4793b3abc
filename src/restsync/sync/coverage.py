"""How much of a source a listing covered, when it covered only part: what a sync may then prune
and how far its watermark may move.

Parent/child sources (issues per repository): a parent whose children could not all be listed (a 404 for one repository, retries exhausted) says
nothing about which of its documents are gone: they are kept by the prune, the run is partial, and
the watermark stays where it was, so the next incremental run asks for that parent's window again.
Other parents' vanished documents are pruned as usual.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from restsync.sync.state import parse_instant

Keep = dict[str, list[str]]
PARENTS_KEY = "parents"  # state: parent keys whose children a sync has listed


def prepare(connector: Any, kb: Any, source: str) -> None:
    """Tell a parent/child connector which parents it already knows (their children get the window)."""
    if getattr(getattr(connector, "config", None), "parent", None) is None:
        return
    known = kb.get_state(source, PARENTS_KEY)
    connector.known_parents = {str(key) for key in known} if isinstance(known, list) else None


def remember(kb: Any, source: str, report: Any, full: bool) -> None:
    """After a walk: the parents whose children are now stored. A full listing forgets vanished
    parents; a parent whose children failed stays as it was."""
    stats = getattr(report, "parents", None)
    if stats is None:
        return
    saved = kb.get_state(source, PARENTS_KEY)
    known = {str(key) for key in saved} if isinstance(saved, list) else set()
    listed = set(stats.listed)
    kept = known & set(stats.unfinished)
    kb.set_state(source, PARENTS_KEY, sorted(listed | kept if full else known | listed))


def kept_collections(report: Any) -> Keep:
    """Metadata key -> parent keys whose documents a prune must keep (empty when every child listed)."""
    stats = getattr(report, "parents", None)
    unfinished = list(getattr(stats, "unfinished", None) or [])
    return {stats.metadata_key: unfinished} if unfinished else {}


def unfinished_reason(report: Any) -> str:
    stats = report.parents
    first = stats.failed[0] if stats.failed else "truncated"
    more = f" and {len(stats.unfinished) - 1} more" if len(stats.unfinished) > 1 else ""
    return (f"children of {len(stats.unfinished)} parent(s) were not fully listed ({first}{more}): "
            "their documents are kept and the watermark stays")


def finished_slices(report: Any) -> datetime | None:
    """A sliced walk that was truncated: every item updated before this instant was listed, so the
    watermark may move up to it (the slices after it are asked for again next time)."""
    stats = getattr(report, "slices", None)
    return parse_instant(getattr(stats, "finished_until", None))
