"""Parent and child endpoints: list a collection once per item of another (issues per repository,
comments per ticket, pages per space).

The parent endpoint is walked once per sync, page by page. For each parent page, the children of
its items are listed concurrently: at most `concurrency` child listings at once, each one request
at a time, all through the source's one HTTP client (so `requests_per_second` and rate-limit waits
hold across them). Each child listing has its own pagination; its documents carry the parent's
`fields` in metadata (`parent.<field>`) and ids namespaced by the parent's id, so the same child id
under two parents never collides.

A child listing that fails (a 404 for one repository, retries exhausted) or is truncated does not
stop the others: it is reported by parent, and the sync keeps (never prunes) that parent's
documents and does not advance the watermark. The checkpoint is the parent walk's, written after
all children of a parent page are listed, so a resumed walk lists again only an unfinished page.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator
from urllib.parse import quote

from restsync.config import SourceConfig
from restsync.config.parent import METADATA_PREFIX, ParentConfig
from restsync.connector.checkpoint import CHECKPOINT_VERSION, Checkpoint
from restsync.connector.report import WalkReport
from restsync.connector.window import TimeWindow
from restsync.document import Document
from restsync.errors import AuthError, SourceError
from restsync.extraction.fieldpath import get_field
from restsync.mapping.mapper import DocumentMapper
from restsync.mapping.template import value_text
from restsync.strings import replace_in_strings

PREVIEW_PARENTS = 5  # parent items shown by check and preview
MAX_NOTED_FAILURES = 20  # failures quoted in the report; every failed parent is still protected
_PUT_WAIT_S = 0.05  # how often a blocked child listing checks whether the walk was abandoned

# pages(config, window, checkpoint, report, concurrency=...) -> walker pages
Pages = Callable[..., Iterator[Any]]
# walk_endpoint(config, window, checkpoint, report, mapper, concurrency=...) -> (documents, checkpoint)
WalkEndpoint = Callable[..., Iterator[tuple[list[Document], Any]]]


@dataclass
class ParentStats:
    """What `check`, `preview` and summaries say about a parent/child walk."""

    id_field: str
    parents: int = 0  # parent items read
    children_listed: int = 0  # child listings that completed
    failed: list[str] = field(default_factory=list)  # "parent <key>: <why>", the first few
    # Parent keys whose children were not fully listed: their documents must not be pruned.
    unfinished: list[str] = field(default_factory=list)
    skipped: int = 0  # parent items lacking a field the child request needs
    listed: list[str] = field(default_factory=list)  # parent keys whose children were all listed

    @property
    def metadata_key(self) -> str:
        return METADATA_PREFIX + self.id_field

    def to_dict(self) -> dict[str, Any]:
        return {"parents": self.parents, "children_listed": self.children_listed,
                "failed": list(self.failed), "unfinished": len(self.unfinished), "skipped": self.skipped}


def parent_config(config: SourceConfig) -> SourceConfig:
    """The parent endpoint as a config of its own: the child's auth, headers and limits, the parent's
    url, body, items and pagination (headers that need a parent's value stay out)."""
    parent: ParentConfig = config.parent  # type: ignore[assignment]
    return replace(
        config,
        url=parent.url, method=parent.method, query_params=dict(parent.query_params),
        request_body=parent.request_body, items_path=parent.items_path,
        pagination_type=parent.pagination_type, pagination=parent.pagination,
        max_pages=parent.max_pages or config.max_pages, id_field=parent.id_field,
        headers={k: v for k, v in config.headers.items() if "{parent." not in v},
        detail_url=None, parent=None, slice=None,
    )


def child_config(config: SourceConfig, values: dict[str, str]) -> SourceConfig:
    """The child endpoint for one parent: every `{parent.<field>}` filled with that parent's value
    (percent-encoded in the URL, `/` kept so `{parent.full_name}` can span path segments)."""
    plain = {f"{{parent.{name}}}": value for name, value in values.items()}
    in_url = {mark: quote(value, safe="/:@") for mark, value in plain.items()}
    return replace(
        config,
        url=replace_in_strings(config.url, in_url),
        query_params=replace_in_strings(config.query_params, plain),
        request_body=replace_in_strings(config.request_body, plain),
        headers=replace_in_strings(config.headers, plain),
        parent=None,
    )


def child_namespace(config: SourceConfig, values: dict[str, str]) -> str:
    """Ids of one parent's children: the source's namespace and the parent's key."""
    return f"{config.namespace} parent={values[config.parent.id_field]}"  # type: ignore[union-attr]


def parent_metadata(values: dict[str, str]) -> dict[str, str]:
    return {METADATA_PREFIX + name: value for name, value in values.items()}


def parent_values(parent: ParentConfig, item: Any) -> dict[str, str] | None:
    """The parent's `fields` as text, or None when one is missing (no child request can be built)."""
    values = {}
    for name in parent.fields:
        value = get_field(item, name)
        text = value_text(value, strip_html=False) if value is not None else ""
        if not text:
            return None
        values[name] = text
    return values


def first_parent(parent: ParentConfig, items: list[dict]) -> dict[str, str] | None:
    return next((values for values in (parent_values(parent, item) for item in items) if values), None)


def describe_parent_page(parent: ParentConfig, probe: Any, values: dict[str, str] | None) -> list[str]:
    """`check`/`preview` lines: the parent request, its first items, and which one the child page uses."""
    more = ", more pages" if probe.has_next else ", no further page"
    lines = [f"parent        {probe.request} -> HTTP {probe.status}: {len(probe.items.items)} items on page 1"
             f" ({probe.pagination}{more})"]
    for item in probe.items.items[:PREVIEW_PARENTS]:
        shown = parent_values(parent, item)
        text = " ".join(f"{name}={value}" for name, value in shown.items()) if shown else "(missing a field)"
        lines.append(f"  parent item {text}")
    if values is None:
        lines.append(f"  no parent item on page 1 has every field of parent.fields ({', '.join(parent.fields)}): "
                     "no child page to show")
    else:
        key = values[parent.id_field]
        lines.append(f"children      the request above is page 1 of parent {parent.id_field}={key}'s children; "
                     f"each parent's are listed on their own, with {', '.join(parent_metadata(values))} in metadata")
    return lines


class ParentWalk:
    def __init__(self, config: SourceConfig, pages: Pages, walk_endpoint: WalkEndpoint, report: WalkReport,
                 safe_checkpoint: Callable[[dict | None], Checkpoint | None], known: set[str] | None = None,
                 make_mapper: Callable[[SourceConfig, str], DocumentMapper] = DocumentMapper):
        self._config = config
        self._parent: ParentConfig = config.parent  # type: ignore[assignment]
        self._pages = pages
        self._walk_endpoint = walk_endpoint
        self._safe_checkpoint = safe_checkpoint  # the parent's resume point without secrets in next URLs
        self._make_mapper = make_mapper  # (config, namespace) -> a mapper that masks the source's secrets
        # Parents whose children an earlier sync listed: only they may be asked for a window; a parent
        # new since then has its children listed whole (an incremental window would miss their past).
        self._known = known
        self._report = report
        self._lock = threading.Lock()
        self.mapper_warnings: list[str] = []
        self.stats = ParentStats(id_field=self._parent.id_field)

    def walk(self, window: TimeWindow, checkpoint: Checkpoint | None) -> Iterator[tuple[list[Document], Checkpoint | None]]:
        report = self._report
        parent_report = WalkReport()
        saved = checkpoint or {}
        resume = saved.get("parent")
        # What the interrupted walk found before its checkpoint still counts: a parent whose children
        # failed then must not be pruned after the resumed walk completes.
        stats = self.stats
        stats.unfinished = [str(key) for key in saved.get("unfinished") or []]
        stats.failed = [str(line) for line in saved.get("failed") or []]
        stats.listed = [str(key) for key in saved.get("listed") or []]
        pool = ThreadPoolExecutor(max_workers=max(1, self._config.concurrency), thread_name_prefix="restsync-child")
        try:
            for page in self._pages(parent_config(self._config), TimeWindow(), resume, parent_report):
                for docs in self._children(pool, page.items, window):
                    yield docs, None
                parent_state = self._safe_checkpoint(page.checkpoint)
                yield [], self._checkpoint(parent_state) if parent_state else None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for warning in parent_report.warnings:
                report.warn(f"parent: {warning}")
            for warning in self.mapper_warnings:
                report.warn(warning)
        if parent_report.truncated:
            report.truncate(f"parent listing: {parent_report.truncation_reason}")
        elif not report.truncated:
            report.complete = True
            report.end_reason = parent_report.end_reason
        if self.stats.unfinished:
            more = f" and {len(self.stats.failed) - 1} more" if len(self.stats.failed) > 1 else ""
            report.warn(f"children of {len(self.stats.unfinished)} parent(s) were not fully listed "
                        f"({self.stats.failed[0]}{more}): their documents are kept, not pruned")

    def _checkpoint(self, parent_state: Checkpoint) -> Checkpoint:
        stats = self.stats
        return {"version": CHECKPOINT_VERSION, "parent": parent_state, "unfinished": list(stats.unfinished),
                "failed": list(stats.failed), "listed": list(stats.listed)}

    def _children(self, pool: ThreadPoolExecutor, parents: list[dict], window: TimeWindow) -> Iterator[list[Document]]:
        """List the children of one parent page concurrently, yielding documents as they arrive."""
        out: queue.Queue = queue.Queue(maxsize=2 * max(1, self._config.concurrency))
        stop = threading.Event()
        jobs = 0
        for item in parents:
            self.stats.parents += 1
            values = parent_values(self._parent, item)
            if values is None:
                self.stats.skipped += 1
                self._report.warn(f"parent items lacking one of parent.fields ({', '.join(self._parent.fields)}) "
                                  "were skipped (report.parents.skipped counts them)")
                continue
            pool.submit(self._list_child, values, window, out, stop)
            jobs += 1
        try:
            while jobs:
                kind, payload = out.get()
                if kind == "docs":
                    yield payload
                elif kind == "failed":
                    raise payload
                else:
                    jobs -= 1
        finally:
            stop.set()  # abandoned (closed early or failed): blocked child listings give up

    def _list_child(self, values: dict[str, str], window: TimeWindow, out: queue.Queue, stop: threading.Event) -> None:
        key = values[self._parent.id_field]
        config = child_config(self._config, values)
        mapper = self._make_mapper(config, child_namespace(self._config, values))
        metadata = parent_metadata(values)
        child_report = WalkReport()
        problem: str | None = None
        if self._known is not None and key not in self._known:
            window = TimeWindow()
        try:
            for docs, _ in self._walk_endpoint(config, window, None, child_report, mapper, concurrency=1):
                for doc in docs:
                    doc.metadata.update(metadata)
                if not _put(out, ("docs", docs), stop):
                    return
            if child_report.truncated:
                problem = f"truncated: {child_report.truncation_reason}"
        except AuthError as error:
            # Credentials that stop working fail the whole walk, as on any endpoint.
            problem = str(error)
            self._record(key, child_report, problem, mapper)
            _put(out, ("failed", error), stop)
            return
        except SourceError as error:
            problem = str(error)
        except BaseException as error:  # a bug must surface in the walk, not die in a worker thread
            problem = f"{type(error).__name__}: {error}"
            self._record(key, child_report, problem, mapper)
            _put(out, ("failed", error), stop)
            return
        self._record(key, child_report, problem, mapper)
        _put(out, ("done", None), stop)

    def _record(self, key: str, child: WalkReport, problem: str | None, mapper: DocumentMapper) -> None:
        report, stats = self._report, self.stats
        with self._lock:
            report.pages += child.pages
            report.items += child.items
            report.documents += child.documents
            report.filtered_out += child.filtered_out
            report.dropped_items += child.dropped_items
            report.duplicates_skipped += child.duplicates_skipped
            report.shifts.extend(f"parent {key}: {note}" for note in child.shifts)
            if child.skip_risk and not report.skip_risk:
                report.skip_risk = f"parent {key}: {child.skip_risk}"
            for warning in child.warnings:
                report.warn(f"children: {warning}")
            for warning in mapper.warnings():
                if warning not in self.mapper_warnings:
                    self.mapper_warnings.append(warning)
            if problem is None:
                stats.children_listed += 1
                stats.listed.append(key)
                return
            stats.unfinished.append(key)
            if len(stats.failed) < MAX_NOTED_FAILURES:
                stats.failed.append(f"parent {key}: {problem}")


def _put(out: queue.Queue, message: tuple[str, Any], stop: threading.Event) -> bool:
    """Hand a message to the walk; False when the walk was abandoned (nobody will read it)."""
    while not stop.is_set():
        try:
            out.put(message, timeout=_PUT_WAIT_S)
            return True
        except queue.Full:
            continue
    return False
