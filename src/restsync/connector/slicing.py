"""Time-window slicing: list a window as consecutive slices, each small enough for the API's cap.

Search-style APIs stop paging at a fixed depth (Elasticsearch 10,000 results, Zendesk and GitHub
search 1,000): past it they answer an error or nothing. A slice whose listing reaches
`max_items_per_slice`, or gets the cap's error on a later page, or hits `max_pages`, is halved
and walked again until it fits; one that still does not fit at `min_step` is kept as listed and
reported truncated, by name. When page 1 states a total (`total_path`, `X-Total-Count`, ...), a
total at or over the cap halves the slice at once, without paging down to the cap. After a slice
that used less than half the cap, the step doubles back towards the configured one.

Slices are half-open `[start, end)` on whole seconds, and each document is kept by its own
timestamp in exactly one slice: an API that filters inclusively at both ends lists an item on an
edge twice, and the second copy is dropped here (`TimeWindow.contains`).

A slice's documents are held until the slice is known to fit (at most `max_items_per_slice`),
so nothing from a slice that is walked again is yielded twice; each finished slice then yields
its documents with a checkpoint naming the next slice, which a resumed walk starts from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from restsync.clock import Clock
from restsync.config.slicing import SliceConfig
from restsync.connector.checkpoint import CHECKPOINT_VERSION, Checkpoint
from restsync.connector.report import WalkReport
from restsync.connector.window import TimeWindow
from restsync.document import Document
from restsync.errors import SourceError
from restsync.timestamps import format_utc, parse_iso

# walk(window, report) -> (documents, checkpoint) per page, counting into `report`
WalkWindow = Callable[[TimeWindow, WalkReport], Iterator[tuple[list[Document], Any]]]


@dataclass
class SliceStats:
    """What `check`, `preview` and summaries say about the slices of a walk."""

    walked: int = 0  # slices that fit (or were kept truncated)
    halved: int = 0  # times a slice over the cap was walked again at half the width
    step_s: int = 0  # the step now in use
    finished_until: str | None = None  # every item updated before this instant has been listed
    truncated: list[str] = field(default_factory=list)  # slices still over the cap at min_step

    def to_dict(self) -> dict[str, Any]:
        return {"walked": self.walked, "halved": self.halved, "step_s": self.step_s,
                "finished_until": self.finished_until, "truncated": list(self.truncated)}


@dataclass
class _Outcome:
    documents: list[Document]
    report: WalkReport
    over_cap: str | None  # why the slice does not fit, or None


class SlicedWalk:
    def __init__(self, config: SliceConfig, walk: WalkWindow, report: WalkReport, clock: Clock):
        self._config = config
        self._walk = walk
        self._report = report
        self._clock = clock
        self.stats = SliceStats(step_s=config.step_s)

    def walk(self, window: TimeWindow, checkpoint: Checkpoint | None) -> Iterator[tuple[list[Document], Checkpoint]]:
        config, report, stats = self._config, self._report, self.stats
        saved = (checkpoint or {}).get("slices")
        if isinstance(saved, dict) and saved.get("next") and saved.get("end"):
            start, end = _parse(saved["next"]), _parse(saved["end"])
            step = int(saved.get("step") or config.step_s)
            stats.truncated = [str(name) for name in saved.get("truncated") or []]
            stats.finished_until = saved.get("finished_until")
        else:
            start = _floor(window.start or config.start)
            end = _ceil(window.end or datetime.fromtimestamp(self._clock.time(), tz=timezone.utc))
            step = config.step_s
        if stats.truncated:  # a resumed walk keeps what the interrupted one found
            report.truncate(_truncation(stats.truncated))
        finished = not stats.truncated
        while start < end:
            width = min(step, int((end - start).total_seconds()))
            stop = start + timedelta(seconds=width)
            outcome = self._slice(start, stop, can_halve=width > config.min_step_s)
            if outcome.over_cap and width > config.min_step_s:
                stats.halved += 1
                step = max(config.min_step_s, width // 2)
                stats.step_s = step
                continue
            if outcome.over_cap:
                stats.truncated.append(f"{_name(start, stop)} ({outcome.over_cap})")
                report.truncate(_truncation(stats.truncated))
                finished = False
            _merge(report, outcome.report)
            if outcome.report.truncated:
                finished = False
            stats.walked += 1
            if finished:
                stats.finished_until = format_utc(stop)
            if outcome.report.items * 2 < config.max_items_per_slice:
                step = min(config.step_s, step * 2)  # sparse stretch: widen back towards the configured step
            stats.step_s = step
            start = stop
            state = {"next": format_utc(start), "end": format_utc(end), "step": step,
                     "truncated": stats.truncated, "finished_until": stats.finished_until}
            yield outcome.documents, {"version": CHECKPOINT_VERSION, "slices": state}
        if not report.truncated:
            report.complete = True

    def _slice(self, start: datetime, stop: datetime, *, can_halve: bool) -> _Outcome:
        """Walk one slice to its end, or until it proves to be over the cap (at `min_step`, listing
        as much as the cap lets through)."""
        config = self._config
        report = WalkReport()
        documents: list[Document] = []
        pages = self._walk(TimeWindow(start, stop), report)
        try:
            for docs, _ in pages:
                documents.extend(docs)
                total = report.expected_items
                if can_halve and report.pages == 1 and total is not None and total >= config.max_items_per_slice:
                    # The API says how many match: no need to page down to the cap to learn it.
                    return _Outcome(documents, report, f"the API's total {total} reaches max_items_per_slice "
                                                       f"({config.max_items_per_slice})")
                if report.items >= config.max_items_per_slice:
                    return _Outcome(documents, report, f"{report.items} items reached max_items_per_slice "
                                                       f"({config.max_items_per_slice})")
        except SourceError as error:
            if report.pages and self._is_cap_error(error):
                return _Outcome(documents, report, f"the API refused page {report.pages + 1} with "
                                                   f"status {error.status}")
            raise
        finally:
            pages.close()  # stop the slice's walker (and its requests in flight) when leaving early
        if report.truncated and (report.truncation_reason or "").startswith("max_pages"):
            return _Outcome(documents, report, report.truncation_reason or "max_pages")
        return _Outcome(documents, report, None)

    def _is_cap_error(self, error: SourceError) -> bool:
        config = self._config
        if error.status not in config.cap_statuses:
            return False
        return config.cap_message is None or config.cap_message.lower() in str(error).lower()


def _merge(total: WalkReport, part: WalkReport) -> None:
    total.pages += part.pages
    total.items += part.items
    total.documents += part.documents
    total.dropped_items += part.dropped_items
    total.filtered_out += part.filtered_out
    total.duplicates_skipped += part.duplicates_skipped
    total.shifts.extend(part.shifts)
    total.skip_risk = total.skip_risk or part.skip_risk
    for warning in part.warnings:
        total.warn(warning)
    if part.truncated and part.truncation_reason and not part.truncation_reason.startswith("max_pages"):
        total.truncate(part.truncation_reason)  # a loop inside a slice: narrowing would not help


def _truncation(names: list[str]) -> str:
    more = f" and {len(names) - 1} more" if len(names) > 1 else ""
    return f"slice {names[0]}{more} still over the API's result cap at slice.min_step: items may be missing"


def _name(start: datetime, stop: datetime) -> str:
    return f"[{format_utc(start)}, {format_utc(stop)})"


def _parse(text: str) -> datetime:
    moment = parse_iso(str(text))
    if moment is None:
        raise ValueError(f"not an ISO 8601 instant in a slice checkpoint: {text!r}")
    return moment


def _floor(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _ceil(moment: datetime) -> datetime:
    return moment if moment.microsecond == 0 else moment.replace(microsecond=0) + timedelta(seconds=1)



def first_slice(config: SliceConfig, clock: Clock) -> TimeWindow:
    """The window a full walk starts with (what `check` and `preview` ask for)."""
    start = _floor(config.start)
    now = _ceil(datetime.fromtimestamp(clock.time(), tz=timezone.utc))
    return TimeWindow(start, min(now, start + timedelta(seconds=config.step_s)))


def describe_slicing(config: SliceConfig, window: TimeWindow, items: list, total: int | None) -> list[str]:
    """`check`/`preview` lines: how the window is sliced and what the first slice's page 1 says."""
    statuses = "/".join(str(status) for status in config.cap_statuses)
    lines = [f"slices        from {format_utc(config.start)} in steps of {_span(config.step_s)}; a slice listing "
             f"{config.max_items_per_slice} items or refused with HTTP {statuses} past page 1 is halved "
             f"(down to {_span(config.min_step_s)})"]
    first = f"first slice   {_name(window.start, window.end)}: {len(items)} items on page 1"  # type: ignore[arg-type]
    if total is not None:
        verdict = ("over the cap: it will be halved" if total >= config.max_items_per_slice
                   else "within the cap")
        first += f", the API's total {total} ({verdict})"
    lines.append(first)
    return lines


def _span(seconds: int) -> str:
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
