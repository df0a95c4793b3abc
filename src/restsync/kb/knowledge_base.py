"""The knowledge-base facade: the only API the sync engine, CLI and server use."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, ContextManager, Mapping, Sequence

import numpy as np

from restsync.clock import Clock, SystemClock
from restsync.document import Document, format_utc, json_safe
from restsync.errors import ConfigError, KnowledgeBaseError
from restsync.kb.chunking import Chunker, join_chunks
from restsync.kb.embedding import Embedder, build_embedder, token_spans_of
from restsync.kb.filters import Filter, as_text, parse_filter
from restsync.kb.fingerprint import document_hash, text_hash
from restsync.kb.index import Index, StoreIndex, open_index
from restsync.kb.location import open_database_store
from restsync.kb.retrieval import fuse
from restsync.kb.settings import KBSettings
from restsync.kb.store import ChunkRecord, DocumentRecord, SearchRequest, SqliteStore, Store, VectorHealth
from restsync.kb.types import DocumentInfo, Hit, PruneResult, RunInfo, SourceInfo, StoredDocument, UpsertCounts
from restsync.kb.upsert_plan import UpsertPlan

_MIN_CANDIDATES = 20
MAX_K = 10_000  # hits per search: beyond this a search is an export, and sizes overflow
_log = logging.getLogger("restsync.kb")


class KnowledgeBase:
    def __init__(self, store: Store, kb_id: str, settings: KBSettings, embedder: Embedder | None, clock: Clock,
                 *, allow_private: bool = False, index: Index | None = None):
        self._store = store
        # Where searches go; the store stays the record of documents, chunks, runs and state.
        self._index: Index = index or StoreIndex(store)
        self._allow_private = allow_private  # may the embedding endpoint be a private/loopback host
        self.id = kb_id
        self.settings = settings
        self._embedder = embedder
        self._clock = clock
        self._chunker: Chunker | None = None

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        embedder: Embedder | None = None,
        settings: KBSettings | None = None,
        clock: Clock | None = None,
        allow_private: bool = False,
        read_only: bool = False,
        index_url: str | None = None,
        store_url: str | None = None,
    ) -> KnowledgeBase:
        """Open the knowledge base in directory `path`, creating it on first open. Settings
        persist with it; passing new ones updates them (the embedder only while it is empty).
        `read_only`: open an existing one without ever writing (search, status), which also
        works on a read-only directory or mount. `index_url`: where searches go (see
        `restsync.kb.index`; default the embedded store itself). `store_url`: a PostgreSQL URL
        where the knowledge base lives instead of a directory (`path` is then its name there, see
        `restsync.kb.location`); it needs an external index."""
        if store_url:
            store: Store = open_database_store(str(path), store_url, index_url)
        else:
            directory = Path(path)
            if directory.exists() and not directory.is_dir():
                raise ConfigError(f"{directory} is a file, not a knowledge-base directory", key="path")
            if read_only:
                return cls._with_index(cls._open_read_only(directory, embedder, clock, allow_private), index_url)
            directory.mkdir(parents=True, exist_ok=True)
            store = SqliteStore(directory)
        try:
            kb = cls._open_store(store, embedder, settings, clock, allow_private)
        except BaseException:
            store.close()
            raise
        return cls._with_index(kb, index_url)

    @staticmethod
    def _with_index(kb: KnowledgeBase, index_url: str | None) -> KnowledgeBase:
        try:
            kb._index = open_index(index_url, kb.id, kb._store)
        except BaseException:
            kb.close()
            raise
        return kb

    @property
    def index_name(self) -> str:
        return self._index.name

    def drop_index(self) -> None:
        """Remove this knowledge base's data from a shared index (before deleting it)."""
        drop = getattr(self._index, "drop", None)
        if drop is not None:
            drop()

    @classmethod
    def stored_settings(cls, path: str | Path, *, store_url: str | None = None) -> KBSettings:
        """The settings a knowledge base holds (a new one: created with the defaults), reading
        only its store: no model loads and no index is opened."""
        if not store_url:
            with cls.open(path) as kb:
                return kb.settings
        store = open_database_store(str(path), store_url, None, searched=False)
        try:
            return cls._open_store(store, None, None, None).settings
        finally:
            store.close()

    def drop_store(self) -> None:
        """Delete a store that lives outside a directory (PostgreSQL) with everything in it."""
        drop = getattr(self._store, "drop", None)
        if drop is not None:
            drop()

    @classmethod
    def _open_read_only(
        cls, directory: Path, embedder: Embedder | None, clock: Clock | None, allow_private: bool
    ) -> KnowledgeBase:
        if not directory.is_dir():
            raise KnowledgeBaseError(f"no knowledge base at {directory}")
        store = SqliteStore(directory, read_only=True)
        try:
            kb_id = store.get_meta("kb_id")
            if kb_id is None:
                raise KnowledgeBaseError(f"{directory} is not a knowledge base (its database has no id)")
            stored_raw = store.get_meta("settings")
            settings = KBSettings.from_dict(json.loads(stored_raw)) if stored_raw else KBSettings()
        except BaseException:
            store.close()
            raise
        if embedder is not None:
            settings = replace(settings, embedder=embedder.name)
        return cls(store, kb_id, settings, embedder, clock or SystemClock(), allow_private=allow_private)

    @classmethod
    def _open_store(
        cls, store: Store, embedder: Embedder | None, settings: KBSettings | None, clock: Clock | None,
        allow_private: bool = False,
    ) -> KnowledgeBase:
        kb_id = store.get_meta("kb_id")
        if kb_id is None:
            kb_id = str(uuid.uuid4())
            store.set_meta("kb_id", kb_id)
        stored_raw = store.get_meta("settings")
        stored = KBSettings.from_dict(json.loads(stored_raw)) if stored_raw else None
        effective = settings or stored or KBSettings()
        if embedder is not None:
            effective = replace(effective, embedder=embedder.name)
        if stored and stored.embedder != effective.embedder and store.count_chunks():
            raise ConfigError(
                f"this knowledge base holds vectors from {stored.embedder!r}, not {effective.embedder!r}; "
                "use a new knowledge base to change embedders",
                key="embedder",
            )
        if effective != stored:
            store.set_meta("settings", json.dumps(effective.to_dict()))
        return cls(store, kb_id, effective, embedder, clock or SystemClock(), allow_private=allow_private)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:  # built on first need: state access never loads a model
            self._embedder = build_embedder(self.settings.embedder, url=self.settings.embedding_url,
                                            allow_private=self._allow_private)
        return self._embedder

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:
            spans = token_spans_of(self.embedder)
            self._chunker = Chunker(self.settings.chunk_tokens, self.settings.chunk_overlap, spans)
        return self._chunker

    # -- sources -------------------------------------------------------------------------
    def add_source(self, name: str, config: dict[str, Any]) -> None:
        if not name or not name.strip():
            raise ConfigError("a source needs a name", key="source")
        self._store.put_source(name, dict(config), self._clock.time())

    def get_source(self, name: str) -> dict[str, Any] | None:
        return self._store.get_source(name)

    def list_sources(self) -> list[SourceInfo]:
        return self._store.list_sources()

    def delete_source(self, name: str) -> int:
        self._index.delete_source(name)  # first, as in upserts: no searchable orphan outlives the store's rows
        return self._store.delete_source(name)

    # -- documents -----------------------------------------------------------------------
    def upsert_documents(
        self, source: str, docs: list[Document], *, run_id: int, prepared: UpsertPlan | None = None
    ) -> UpsertCounts:
        """Store a batch: unchanged documents are only marked seen; changed ones are chunked
        and embedded here, then swapped in with their old chunks in one transaction.
        `prepared`: this batch's plan from `plan_upsert`, its vectors already filled in (a sync
        pipeline chunks and embeds ahead of the store)."""
        plan = prepared if prepared is not None else self.plan_upsert(source, docs)
        if plan.missing_vectors():
            plan.fill(self.embedder.embed(plan.texts_to_embed))
        records = plan.vectored_records()
        # The index first: a crash between the two leaves the store's old content hash, so the
        # next sync sees the documents changed and writes both again (the index upsert replaces
        # a document whole). The other order would leave the store saying "unchanged" about
        # documents the index never received, missing from search for good.
        self._index.upsert(source, records)  # a no-op where the store is the index
        self._store.write_documents(source, run_id, records, plan.unchanged)
        return plan.counts

    def plan_upsert(self, source: str, docs: list[Document], *, pending: Mapping[str, str] | None = None) -> UpsertPlan:
        """The part of an upsert before embedding: which documents changed, their chunks, and
        the chunk texts no stored chunk has a vector for. `pending`: doc id -> content hash of
        documents planned earlier but not stored yet, which count as stored."""
        latest = {doc.id: doc for doc in docs}  # a repeated id: the last version wins
        if not self._store.vector_health().ok:  # writing over the gap would mix up vectors
            repaired = self.repair_vectors()
            _log.warning("re-embedded %d chunk texts whose vectors were missing from the vector file", repaired)
        known = self._store.content_hashes(source, list(latest))
        if pending:
            known.update((doc_id, pending[doc_id]) for doc_id in latest if doc_id in pending)
        changed: list[tuple[Document, str]] = []
        unchanged: list[str] = []
        for doc_id, doc in latest.items():
            digest = document_hash(doc)
            if known.get(doc_id) == digest:
                unchanged.append(doc_id)
            else:
                changed.append((doc, digest))
        records, texts, vectors = self._prepare(changed)
        new = sum(1 for doc, _ in changed if doc.id not in known)
        return UpsertPlan(records, unchanged, texts, vectors, new=new)

    def _prepare(self, changed: list[tuple[Document, str]]) -> tuple[list[DocumentRecord], dict[str, str], dict[str, np.ndarray]]:
        """Chunk every changed document; the chunk texts by embed hash, and the vectors stored
        chunks already have for some of them."""
        records: list[DocumentRecord] = []
        texts: dict[str, str] = {}
        for doc, digest in changed:
            chunks = self.chunker.chunk(doc.content or doc.semantic_identifier, title=doc.semantic_identifier, metadata=doc.metadata)
            record = DocumentRecord(
                doc_id=doc.id, title=doc.semantic_identifier, link=doc.link, metadata=dict(json_safe(doc.metadata)),
                updated_at=format_utc(doc.doc_updated_at), content_hash=digest,
            )
            for chunk in chunks:
                embed_hash = text_hash(chunk.embedding_text)
                texts.setdefault(embed_hash, chunk.embedding_text)
                record.chunks.append(ChunkRecord(chunk.ordinal, chunk.text, embed_hash, np.empty(0, dtype=np.float32)))
            records.append(record)
        vectors = self._store.cached_vectors(list(texts)) if texts else {}
        return records, texts, vectors

    def prune_unseen(self, source: str, run_id: int, *, max_share: float = 0.5, force: bool = False,
                     keep: Mapping[str, Sequence[Any]] | None = None, confirm: bool = False) -> PruneResult:
        """Delete the source's documents that run `run_id` did not see, unless they are more
        than `max_share` of it (a broken listing must not wipe a source) and not `force`.
        `keep` (metadata key -> values) spares documents of collections that were not fully listed.
        `confirm` (and not `force`): delete only documents an earlier listing already marked missing;
        mark the other unseen ones, so that one listing that passed over a moved item deletes nothing."""
        keep = {key: [as_text(value) for value in values] for key, values in (keep or {}).items()}
        unseen, total = self._store.count_unseen(source, run_id, keep)
        if not unseen:
            return PruneResult(deleted=0, refused=None, would_delete=0)
        if not force and unseen > max_share * total:
            reason = (
                f"refusing to delete {unseen} of {total} documents of source {source!r} "
                f"({unseen / total:.0%} > max_share {max_share:.0%}); the listing may be incomplete, "
                "force the prune to delete them anyway"
            )
            return PruneResult(deleted=0, refused=reason, would_delete=unseen)
        marked_only = confirm and not force
        marked = 0
        if marked_only:
            confirmed, _ = self._store.count_unseen(source, run_id, keep, marked=True)
            marked = self._store.mark_missing(source, run_id, keep)
            if not confirmed:
                return PruneResult(deleted=0, refused=None, would_delete=0, marked=marked)
        if self._index.mirrors_writes:
            self._index.delete(source, self._store.unseen_ids(source, run_id, keep, marked=marked_only))
        deleted = self._store.delete_unseen(source, run_id, keep, marked=marked_only)
        return PruneResult(deleted=deleted, refused=None, would_delete=deleted, marked=marked)

    def list_documents(
        self, *, source: str | None = None, offset: int = 0, limit: int = 30,
        title_contains: str | None = None, doc_id: str | None = None,
    ) -> tuple[list[DocumentInfo], int]:
        """A page of stored documents ordered by title, and how many match in all."""
        return self._store.list_documents(source, max(offset, 0), max(limit, 0), title_contains, doc_id)

    def count_documents(self, source: str | None = None) -> int:
        return self._store.count_documents(source)

    # -- consistency -------------------------------------------------------------------------
    def vector_health(self) -> VectorHealth:
        """Whether every chunk's vector is in the vector file (it may have been truncated or deleted)."""
        return self._store.vector_health()

    def repair_vectors(self) -> int:
        """Re-embed, from the stored chunk text, every vector the file lacks; returns how many texts
        were embedded (0 when nothing was missing). Needs the embedder, and write access."""
        if self._store.vector_health().ok:
            return 0
        return self._store.repair_vectors(self.embedder.embed)

    def count_chunks(self) -> int:
        return self._store.count_chunks()

    def get_document(self, doc_id: str, source: str | None = None) -> StoredDocument | None:
        """A stored document with its text rebuilt from its chunks; without `source`, the first
        source (by name) holding that id."""
        document = self._store.get_document(doc_id, source)
        if document is None:
            return None
        return replace(document, text=join_chunks(document.chunks, overlapping=self.settings.chunk_overlap > 0))

    # -- retrieval -------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 5,
        filters: Sequence[Filter | str] | None = None,
        sources: list[str] | None = None,
        vector_weight: float | None = None,
        threshold: float = 0.0,
    ) -> list[Hit]:
        if not 1 <= k <= MAX_K:
            raise ConfigError(f"must be between 1 and {MAX_K}", key="k")
        weight = self.settings.vector_weight if vector_weight is None else vector_weight
        if not 0.0 <= weight <= 1.0:
            raise ConfigError("must be between 0 and 1", key="vector_weight")
        if not query.strip():
            return []
        parsed = [item if isinstance(item, Filter) else parse_filter(item) for item in filters or ()]
        vector = self.embedder.embed([query])[0] if weight > 0 else None
        request = SearchRequest(
            text=query, vector=vector, candidates=max(k * 2, _MIN_CANDIDATES),
            use_keyword=weight < 1, filters=parsed, sources=sources,
        )
        hits = []
        for scored in fuse(query, self._index.search(request), weight):
            if scored.score < threshold or len(hits) == k:
                break
            candidate = scored.candidate
            hits.append(
                Hit(
                    document_id=candidate.doc_id,
                    chunk_id=f"{self.id}:{candidate.source}:{candidate.doc_id}#{candidate.ordinal}",
                    title=candidate.title, link=candidate.link, metadata=candidate.metadata,
                    score=round(scored.score, 6), text=candidate.text, source=candidate.source,
                    keyword_score=scored.keyword, vector_score=scored.vector,
                )
            )
        return hits

    # -- runs and state ----------------------------------------------------------------------
    def start_run(self, source: str, mode: str) -> int:
        return self._store.start_run(source, mode, self._clock.time())

    def finish_run(
        self, run_id: int, status: str, counts: dict, error: str | None = None, watermark: str | None = None
    ) -> None:
        self._store.finish_run(run_id, status, dict(counts), error, watermark, self._clock.time())

    def list_runs(self, source: str | None = None, limit: int = 10) -> list[RunInfo]:
        return self._store.list_runs(source, limit)

    def lock_source(self, source: str) -> ContextManager[Any]:
        """Held for a whole sync run: a second run of the same source fails fast (SyncInProgressError)."""
        return self._store.lock_source(source)

    def get_state(self, source: str, key: str) -> Any | None:
        return self._store.get_state(source, key)

    def set_state(self, source: str, key: str, value: Any) -> None:
        self._store.set_state(source, key, value)

    def close(self) -> None:
        try:
            self._index.close()
        finally:
            self._store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
