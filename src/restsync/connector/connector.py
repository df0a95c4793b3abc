"""RestApiConnector: the library API. Config in, batches of documents out.

Capabilities follow the shape RAGFlow (and Onyx before it) use, so ported code feels at home:
full load (`load_from_state`), a time window (`poll_source`), resumable walks
(`load_from_checkpoint`) and id listing (`list_document_ids`), each a thin layer over one walk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import httpx

from restsync.clock import Clock, SystemClock
from restsync.config import SourceConfig, load_config
from restsync.connector.checkpoint import Checkpoint, resume_state, safe_checkpoint
from restsync.connector.detail import DetailFetcher
from restsync.connector.parents import (
    ParentWalk, child_config, child_namespace, describe_parent_page, first_parent, parent_config, parent_metadata,
)
from restsync.connector.recent import item_identity
from restsync.connector.report import Probe, WalkReport
from restsync.connector.request_builder import build_base_request
from restsync.connector.slicing import SlicedWalk, describe_slicing, first_slice
from restsync.connector.walker import Page, PageWalker
from restsync.connector.window import WINDOW_BY_API, TimeWindow, window_rule
from restsync.document import Document
from restsync.errors import InvalidResponseError
from restsync.extraction.items import ItemSelection, detect_items, select_items
from restsync.http import HttpClient
from restsync.http.auth import build_auth
from restsync.http.limits import MB
from restsync.http.request import ApiResponse, RequestSpec
from restsync.mapping.mapper import DocumentMapper
from restsync.mapping.masking import document_secrets
from restsync.pagination import Paginator, build_paginator



class RestApiConnector:
    def __init__(
        self,
        config: SourceConfig | Mapping[str, Any] | str | Path,
        *,
        credentials: Mapping[str, str] | None = None,
        allow_private: bool = False,
        clock: Clock | None = None,
        resolver: Callable[[str], list[str]] | None = None,
        transport: httpx.BaseTransport | None = None,
        strict: bool = False,
    ):
        self.config = config if isinstance(config, SourceConfig) else load_config(config, strict=strict)
        self.config.check_required()
        self._allow_private = allow_private
        self._clock = clock or SystemClock()
        self._resolver = resolver
        self._transport = transport
        self._credentials: dict[str, str] = dict(self.config.credentials)
        if credentials:
            self._credentials.update(credentials)
        self._client: HttpClient | None = None
        self._walkers: set[PageWalker] = set()  # the walks in progress, told of rate-limit waits
        self._mapper = DocumentMapper(self.config, self.config.namespace, secrets=self._document_secrets())
        self.report = WalkReport()
        # Parent keys whose children an earlier sync listed (set by the sync engine): a new parent's
        # children are listed whole even in an incremental walk.
        self.known_parents: set[str] | None = None
        self._started = self._clock.monotonic()
        # Called after every page with the running report (CLI progress bars, server status).
        self.on_progress: Callable[[WalkReport], None] | None = None
        # Refuse a disallowed target before anything is sent, as RAGFlow does at construction.
        guard = self._make_client(None)
        try:
            guard.check_url(self.config.url)
            if self.config.parent is not None:
                guard.check_url(self.config.parent.url)
        finally:
            guard.close()

    # -- RAGFlow-compatible surface -------------------------------------------------------------

    def load_credentials(self, credentials: Mapping[str, str] | None) -> None:
        """Merge secrets kept apart from the config; a missing secret fails here, not mid-walk."""
        self._credentials.update(credentials or {})
        self.close()
        self._http()

    def validate(self) -> Probe:
        """Fetch page 1 and map it: raises the first problem found (config, auth, network, shape)."""
        return self.probe()

    def load_from_state(self) -> Iterator[list[Document]]:
        """Every document of the source, in batches of `batch_size`."""
        return self._batched(self._walk(TimeWindow(), None))

    def poll_source(self, start: Any, end: Any) -> Iterator[list[Document]]:
        """Documents updated in [start, end): epoch seconds or datetimes."""
        return self._batched(self._walk(TimeWindow.of(start, end), None))

    # -- restsync capabilities -----------------------------------------------------------------

    def load_from_checkpoint(
        self, checkpoint: Checkpoint | None = None, start: Any = None, end: Any = None
    ) -> Iterator[tuple[list[Document], Checkpoint | None]]:
        """Batches with the resume point after each page; the checkpoint rides on a page's last batch
        only (a page with no documents yields an empty batch to carry it)."""
        size = self.config.batch_size
        for docs, page_checkpoint in self._walk(TimeWindow.of(start, end), checkpoint):
            if not docs:
                if page_checkpoint is not None:
                    yield [], page_checkpoint
                continue
            for offset in range(0, len(docs), size):
                last = offset + size >= len(docs)
                yield docs[offset : offset + size], page_checkpoint if last else None

    def iter_documents(self, start: Any = None, end: Any = None) -> Iterator[Document]:
        for docs, _ in self._walk(TimeWindow.of(start, end), None):
            yield from docs

    def list_document_ids(self) -> Iterator[list[str]]:
        """Ids of every current item, a page at a time (what deletion detection needs)."""
        for docs, _ in self._walk(TimeWindow(), None):
            yield [doc.id for doc in docs]

    def probe(self) -> Probe:
        """Page 1 only, with what check/preview show: items found, pagination, mapped documents.
        A child endpoint shows its parent's page 1, then page 1 of the first parent's children; a
        sliced one, page 1 of its first slice."""
        config, window, namespace, notes = self.config, TimeWindow(), self.config.namespace, []
        parent_fields: dict[str, str] = {}
        if config.parent is not None:
            parent = self._probe_endpoint(parent_config(config), TimeWindow(), namespace)
            values = first_parent(config.parent, parent.items.items)
            notes += describe_parent_page(config.parent, parent, values)
            if values is None:
                parent.documents, parent.notes = [], notes
                return parent
            config, namespace = child_config(config, values), child_namespace(config, values)
            parent_fields = parent_metadata(values)
        if config.slice is not None:
            window = first_slice(config.slice, self._clock)
        probe = self._probe_endpoint(config, window, namespace)
        for doc in probe.documents:
            doc.metadata.update(parent_fields)
        if config.slice is not None:
            notes += describe_slicing(config.slice, window, probe.items.items, getattr(probe, "total", None))
        probe.notes = notes + probe.notes
        return probe

    def _probe_endpoint(self, config: SourceConfig, window: TimeWindow, namespace: str) -> Probe:
        request = build_base_request(config, window)
        paginator = build_paginator(config.pagination_type, config.pagination)
        paginator.init_request(request)
        client = self._http()
        response = client.send(request)
        selection = select_items(response.data, config.items_path)
        paginator.update_state(response, selection.items)
        mapper = DocumentMapper(config, namespace, secrets=self._document_secrets())
        mapper.learn_secrets(client.run_time_secrets())
        documents = mapper.map_many(selection.items)
        warnings = list(config.warnings) + list(mapper.warnings())
        if selection.dropped:
            warnings.append(f"{selection.dropped} array entries were not JSON objects and will be skipped")
        return Probe(
            request=client.describe(request),
            status=response.status,
            elapsed_s=response.elapsed_s,
            response=response,
            items=selection,
            pagination=describe_pagination(config, paginator),
            has_next=paginator.has_next,
            documents=documents,
            warnings=warnings,
            total=getattr(paginator, "total", None),
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> "RestApiConnector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def window_rule(self) -> str:
        """How a time window given to `poll_source`/`iter_documents` is applied (`window.WINDOW_*`):
        asked of the API, applied here to each document's timestamp, or impossible."""
        return window_rule(self.config)

    # -- the walk --------------------------------------------------------------------------------

    def _walk(self, window: TimeWindow, checkpoint: Checkpoint | None) -> Iterator[tuple[list[Document], Checkpoint | None]]:
        config = self.config
        report = self.report = WalkReport()
        for warning in config.warnings:  # a misspelt key changes behaviour: say so in every summary
            report.warn(warning)
        self._started = self._clock.monotonic()
        if not window.is_open and self.window_rule != WINDOW_BY_API:
            report.warn(
                "no {poll_start}/{poll_end} placeholder in url, query_params or request_body: "
                "every page is fetched and the time window is applied here"
            )
        self._mapper = mapper = DocumentMapper(config, config.namespace, secrets=self._document_secrets())
        try:
            if config.parent is not None:
                secrets = [value for value in self._secret_values() if len(value) >= 4]
                masked = self._document_secrets()
                parents = ParentWalk(config, self._pages, self._walk_endpoint, report,
                                     lambda state: safe_checkpoint(state, secrets), self.known_parents,
                                     lambda child, namespace: DocumentMapper(child, namespace, secrets=masked))
                report.parents = parents.stats
                for docs, point in parents.walk(window, checkpoint):
                    self._progress(report)  # here, not in the child listings' threads
                    yield docs, point
            elif config.slice is not None:
                sliced = SlicedWalk(config.slice, lambda part, part_report: self._walk_endpoint(
                    config, part, None, part_report, mapper), report, self._clock)
                report.slices = sliced.stats
                yield from sliced.walk(window, checkpoint)
            else:
                yield from self._walk_endpoint(config, window, checkpoint, report, mapper)
        finally:
            report.elapsed_s = self._clock.monotonic() - self._started
            for warning in mapper.warnings():
                report.warn(warning)
            if report.truncation_reason:  # loop reasons quote next-page URLs, which may carry keys
                report.truncation_reason = self._http().redact(report.truncation_reason)

    def _walk_endpoint(self, config: SourceConfig, window: TimeWindow, checkpoint: Checkpoint | None,
                       report: WalkReport, mapper: DocumentMapper, *, concurrency: int | None = None,
                       ) -> Iterator[tuple[list[Document], Checkpoint | None]]:
        """One endpoint's pages as documents, each page with its resume point. `concurrency` given:
        a child listing, run in a worker thread beside others (progress is reported by its caller)."""
        workers = config.concurrency if concurrency is None else concurrency
        details = DetailFetcher(config, self._http(), workers) if config.detail_url else None
        secrets = [value for value in self._secret_values() if len(value) >= 4]
        try:
            for page in self._pages(config, window, checkpoint, report, concurrency=concurrency):
                items = details.fetch(page.items) if details else page.items
                mapper.learn_secrets(self._http().run_time_secrets())  # a token fetched or refreshed
                docs = mapper.map_many(items)
                if not window.is_open:
                    kept = [doc for doc in docs if window.contains(doc)]
                    report.filtered_out += len(docs) - len(kept)
                    docs = kept
                report.documents += len(docs)
                if concurrency is None:
                    self._progress(report)
                yield docs, safe_checkpoint(page.checkpoint, secrets)
        finally:
            if details:
                details.close()

    def _pages(self, config: SourceConfig, window: TimeWindow, checkpoint: Checkpoint | None,
               report: WalkReport, *, concurrency: int | None = None) -> Iterator[Page]:
        """One endpoint's pages, as the walker reads them."""
        walker = PageWalker(
            self._fetcher(config.items_path),
            build_paginator(config.pagination_type, config.pagination),
            report,
            max_pages=config.max_pages,
            concurrency=config.concurrency if concurrency is None else concurrency,
            request_delay=config.request_delay,
            clock=self._clock,
            checkpoints=config.pagination_type != "none",
            identify=item_identity(config.id_field),
            requests_per_second=config.requests_per_second,
        )
        resume = resume_state(checkpoint, config)
        self._walkers.add(walker)
        try:
            for page in walker.walk(build_base_request(config, window), resume):
                self._check_items_found(page, report, config.items_path)
                yield page
        finally:
            self._walkers.discard(walker)

    def _progress(self, report: WalkReport) -> None:
        """After each page: the running report of the whole walk (slices and children count into it)."""
        report.elapsed_s = self.report.elapsed_s = self._clock.monotonic() - self._started
        report.waiting = self.report.waiting = None  # a page arrived: whatever wait there was is over
        if self.on_progress is not None:
            self.on_progress(self.report)

    def _fetcher(self, items_path: str | None) -> Callable[[RequestSpec], tuple[RequestSpec, ApiResponse, ItemSelection]]:
        def fetch(request: RequestSpec) -> tuple[RequestSpec, ApiResponse, ItemSelection]:
            response = self._http().send(request)
            return request, response, select_items(response.data, items_path)

        return fetch

    def _check_items_found(self, page: Page, report: WalkReport, items_path: str | None) -> None:
        """A configured items_path that matches nothing is a config mistake, not an empty source:
        on page 1 it fails (a typo must not pass as "complete: 0 documents"); later, it is reported."""
        if page.selection.matched or not items_path:
            return
        if page.number == 1:
            found = detect_items(page.response.data)
            hint = f"; the response has a list at {found.path}" if found.matched and found.path else ""
            raise InvalidResponseError(
                f"items_path {items_path!r} matched nothing in the response{hint}",
                request=self._http().describe(page.request),
            )
        report.warn(f"items_path {items_path!r} matched nothing on page {page.number} (taken as empty)")

    def _batched(self, pages: Iterator[tuple[list[Document], Checkpoint | None]]) -> Iterator[list[Document]]:
        size = self.config.batch_size
        pending: list[Document] = []
        for docs, _ in pages:
            pending.extend(docs)
            if len(pending) < size:
                continue
            full = len(pending) - len(pending) % size
            for offset in range(0, full, size):
                yield pending[offset : offset + size]
            pending = pending[full:]
        if pending:
            yield pending

    def _http(self) -> HttpClient:
        if self._client is None:
            auth = build_auth(self.config.auth_type, self.config.auth_config, self._credentials, clock=self._clock)
            self._client = self._make_client(auth)
        return self._client

    def _make_client(self, auth: httpx.Auth | None) -> HttpClient:
        secrets = self._secret_values()
        return HttpClient(
            timeout=self.config.timeout,
            auth=auth,
            allow_private=self._allow_private,
            resolver=self._resolver,
            clock=self._clock,
            requests_per_second=self.config.requests_per_second,
            transport=self._transport,
            max_connections=max(4, self.config.concurrency * 2),
            secrets=secrets,
            on_wait=self._waiting,
            credential_origin=self.config.url,
            max_response_bytes=int(self.config.max_response_mb * MB),
            response_format=self.config.response_format,
        )

    def _document_secrets(self) -> list[str]:
        """Masked in every mapped document: the config's secrets and the credentials given at run time."""
        return document_secrets(self.config, self._credentials.values())

    def _secret_values(self) -> list[str]:
        return self.config.secret_values() + [v for v in self._credentials.values() if isinstance(v, str) and v]

    def _waiting(self, seconds: float, reason: str) -> None:
        """Show a retry or rate-limit wait while it lasts: a long Retry-After must not look like a hang."""
        report = self.report
        report.waiting = reason
        if reason.startswith("rate limited"):  # one client, one budget: every walk slows down
            for walker in list(self._walkers):
                walker.throttled()
        if self.on_progress is not None:
            self.on_progress(report)


def describe_pagination(config: SourceConfig, paginator: Paginator) -> str:
    detected = getattr(paginator, "detected", None)
    if config.pagination_type == "auto":
        return f"auto: {detected}" if detected else "auto: nothing detected (single request)"
    return config.pagination_type
