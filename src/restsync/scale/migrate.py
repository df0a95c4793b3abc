"""`restsync migrate`: move a knowledge base between the embedded setup and the distributed one,
and check the copy.

- `copy_to_index`: the store stays where it is (the directory); every document's chunks and
  vectors are written into the index the URL names (Milvus).
- `copy_to_cluster`: the whole store (settings and id, sources, documents, chunks with their
  vectors, runs, checkpoints, missing marks) is copied into PostgreSQL, keys and run ids kept,
  and the index is filled from it.
- `copy_from_cluster`: the same copy back from PostgreSQL into an embedded directory, which is
  its own index again.

Nothing is re-embedded. Each copy is verified: document and chunk counts on both sides, chunks
in the index, and a sample of searches (each document's title as a query, keyword-only and
vector-only) whose embedded top document must be among the distributed side's top 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from restsync.errors import ConfigError
from restsync.kb import KnowledgeBase
from restsync.kb.index import open_index
from restsync.kb.index.base import StoreIndex
from restsync.kb.store.relational import SMALL_TABLES, RelationalStore
from restsync.kb.store.sqlite import DATABASE_FILE, SqliteStore

BATCH_DOCUMENTS = 200
Progress = Callable[[int], None] | None


@dataclass
class MigrationReport:
    documents: int = 0
    chunks_in_store: int = 0
    chunks_in_index: int = 0
    sampled_queries: int = 0
    differing_queries: list[dict[str, Any]] = field(default_factory=list)
    copied_to: str | None = None  # where a whole store was copied (a PostgreSQL name or a directory)
    documents_copied: int | None = None  # counted in the new store
    chunks_copied: int | None = None

    @property
    def ok(self) -> bool:
        copied = self.copied_to is None or (self.documents_copied == self.documents
                                            and self.chunks_copied == self.chunks_in_store)
        return copied and self.chunks_in_store == self.chunks_in_index and not self.differing_queries

    def to_dict(self) -> dict[str, Any]:
        report = {"ok": self.ok, "documents": self.documents, "chunks_in_store": self.chunks_in_store,
                  "chunks_in_index": self.chunks_in_index, "sampled_queries": self.sampled_queries,
                  "differing_queries": self.differing_queries}
        if self.copied_to is not None:
            report.update(copied_to=self.copied_to, documents_copied=self.documents_copied,
                          chunks_copied=self.chunks_copied)
        return report


def default_name(kb_dir: Path) -> str:
    """The name a knowledge-base directory gets in PostgreSQL: the one the server looks up for a
    dataset (`datasets/<id>`) when the directory is a server's dataset, else the directory's name."""
    kb_dir = Path(kb_dir).absolute()
    return f"{kb_dir.parent.name}/{kb_dir.name}" if kb_dir.parent.name == "datasets" else kb_dir.name


def copy_to_index(kb_dir: Path, index_url: str, *, sample: int = 20, on_progress: Progress = None) -> MigrationReport:
    report = MigrationReport()
    with KnowledgeBase.open(kb_dir) as kb:
        store = kb._store
        index = open_index(index_url, kb.id, store)
        try:
            titles = _fill_index(store, index, report, sample, on_progress)
            report.chunks_in_store = kb.count_chunks()
            report.chunks_in_index = index.count_chunks()
            embedded = StoreIndex(store)

            def search_with(chosen: Any) -> Callable[..., list]:
                def search(query: str, **options: Any) -> list:
                    kb._index = chosen
                    return kb.search(query, **options)
                return search

            _compare(search_with(embedded), search_with(index), titles, report)
            kb._index = embedded
        finally:
            index.close()
    return report


def copy_to_cluster(kb_dir: Path, database_url: str, index_url: str, *, name: str | None = None,
                    sample: int = 20, on_progress: Progress = None) -> MigrationReport:
    from restsync.kb.store.postgres import PostgresStore

    name = name or default_name(kb_dir)
    _require_index(index_url)
    report = MigrationReport(copied_to=name)
    with KnowledgeBase.open(kb_dir) as source:
        target = PostgresStore(database_url, name)
        try:
            _refuse_filled(target, f"the knowledge base {name!r} in PostgreSQL")
            copy_store(source._store, target, on_progress)
        finally:
            target.close()
        with KnowledgeBase.open(name, store_url=database_url, index_url=index_url) as copy:
            titles = _fill_index(copy._store, copy._index, MigrationReport(), sample, None)
            _verify(source, copy, titles, report)
    return report


def copy_from_cluster(kb_dir: Path, database_url: str, index_url: str, *, name: str | None = None,
                      sample: int = 20, on_progress: Progress = None) -> MigrationReport:
    name = name or default_name(kb_dir)
    _require_index(index_url)
    report = MigrationReport(copied_to=str(kb_dir))
    with KnowledgeBase.open(name, store_url=database_url, index_url=index_url) as source:
        if not source.count_documents():
            raise ConfigError(f"the knowledge base {name!r} in PostgreSQL holds no documents", key="name")
        Path(kb_dir).mkdir(parents=True, exist_ok=True)
        target = SqliteStore(Path(kb_dir))
        try:
            _refuse_filled(target, f"the knowledge base in {kb_dir}")
            copy_store(source._store, target, on_progress)
        finally:
            target.close()
        with KnowledgeBase.open(kb_dir) as copy:
            titles = _titles(copy._store, sample)
            _verify(copy, source, titles, report, copy_is_embedded=True)
    return report


def copy_store(source: RelationalStore, target: RelationalStore, on_progress: Progress = None) -> int:
    """Every row of `source` into `target` (keys, run ids, seen and missing marks kept; vectors as
    stored): small tables at once, documents with their metadata and chunks by pages."""
    for table in SMALL_TABLES:
        target.import_rows(table, source.export_rows(table))
    copied, after = 0, 0
    while True:
        rows, metas, chunks, after = source.export_documents(after, BATCH_DOCUMENTS)
        if not rows:
            return copied
        target.import_documents(rows, metas, chunks)
        copied += len(rows)
        if on_progress:
            on_progress(copied)


def has_store(kb_dir: Path) -> bool:
    return (Path(kb_dir) / DATABASE_FILE).exists()


def _verify(source: KnowledgeBase, copy: KnowledgeBase, titles: list[str], report: MigrationReport,
            *, copy_is_embedded: bool = False) -> None:
    """`source` was copied into `copy`; one of them is embedded, the other searches the index."""
    embedded, distributed = (copy, source) if copy_is_embedded else (source, copy)
    report.documents = source.count_documents()
    report.chunks_in_store = source.count_chunks()
    report.documents_copied = copy.count_documents()
    report.chunks_copied = copy.count_chunks()
    report.chunks_in_index = distributed._index.count_chunks()
    _compare(embedded.search, distributed.search, titles, report)


def _fill_index(store: Any, index: Any, report: MigrationReport, sample: int, on_progress: Progress) -> list[str]:
    after = 0
    titles: list[str] = []
    while True:
        page, after = store.export_records(after, BATCH_DOCUMENTS)
        if not page:
            return titles
        by_source: dict[str, list] = {}
        for source, record in page:
            by_source.setdefault(source, []).append(record)
            if len(titles) < sample and record.title.strip():
                titles.append(record.title)
        for source, records in by_source.items():
            index.upsert(source, records)
        report.documents += len(page)
        if on_progress:
            on_progress(report.documents)


def _titles(store: RelationalStore, sample: int) -> list[str]:
    documents, _ = store.list_documents(None, 0, sample * 2, None, None) if sample else ([], 0)
    return [document.title for document in documents if document.title.strip()][:sample]


def _compare(embedded: Callable[..., list], distributed: Callable[..., list], titles: list[str],
             report: MigrationReport) -> None:
    report.sampled_queries = len(titles)
    for title in titles:
        for weight in (0.0, 1.0):
            ours = [hit.document_id for hit in embedded(title, k=3, vector_weight=weight)]
            theirs = [hit.document_id for hit in distributed(title, k=3, vector_weight=weight)]
            if ours[:1] and ours[0] not in theirs:  # ties may order differently per engine
                report.differing_queries.append({"query": title, "vector_weight": weight,
                                                 "embedded": ours, "index": theirs})


def _require_index(index_url: str) -> None:
    if not index_url or index_url == "embedded":
        raise ConfigError("the distributed setup needs a Milvus index URL (milvus://HOST:PORT)", key="index_url")


def _refuse_filled(store: RelationalStore, what: str) -> None:
    if store.count_documents():
        raise ConfigError(f"{what} already holds documents: copy into an empty one", key="kb")
