"""`restsync migrate-server`: move a whole server from its data directory to the distributed setup.

A server that ran on one machine keeps everything in its data directory: its own state in
`restsync.db` (datasets, connectors with their sealed configs, API tokens, run history,
settings) and one knowledge-base directory per dataset. Moving it copies

- every dataset's knowledge base into PostgreSQL and the index (`copy_to_cluster`: nothing
  re-embedded, counts and sampled searches verified), when an external index is named; without
  one the knowledge bases stay directories, which a PostgreSQL-state server reads in place;
- then the state, row by row with ids kept, into the PostgreSQL state database, in one
  transaction, last: a move that fails part-way leaves the new state empty, and running it
  again skips the knowledge bases already copied (same document and chunk counts).

Connector secrets stay sealed with the data directory's key (`secret.key`, or
RESTSYNC_SECRET_KEY): the new setup needs the same key. The server must be stopped: a run still
queued or running is refused, since its job would be lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError

from restsync.errors import ConfigError
from restsync.kb.location import store_url_for
from restsync.kb.store.pg_schema import advance_sequence
from restsync.scale.migrate import MigrationReport, copy_to_cluster, has_store
from restsync.service.db import Base, DatasetRow, RunRow, open_database
from restsync.service.service import DATABASE_FILE
from restsync.service.syncs import ACTIVE

# Tables whose rows make a state "in use": a target holding any is refused.
_CONTENT_TABLES = ("datasets", "connectors", "tokens", "runs")

# (dataset id, documents of its knowledge base copied so far), after each batch
Progress = Callable[[str, int], None] | None


@dataclass
class ServerMoveReport:
    rows: dict[str, int] = field(default_factory=dict)  # state rows copied, per table
    knowledge_bases: dict[str, dict[str, Any]] = field(default_factory=dict)  # dataset id -> its copy

    @property
    def ok(self) -> bool:
        return all(copy.get("ok", True) for copy in self.knowledge_bases.values())

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "knowledge_bases": self.knowledge_bases}


def move_server(data_dir: Path, database_url: str, index_url: str | None = None, *, sample: int = 20,
                on_progress: Progress = None) -> ServerMoveReport:
    data_dir = Path(data_dir)
    if not (database_url or "").startswith("postgresql"):
        raise ConfigError("the server's state moves into PostgreSQL: give a postgresql:// database URL",
                          key="database_url")
    state_file = data_dir / DATABASE_FILE
    if not state_file.exists():
        raise ConfigError(f"no server state in {data_dir} ({DATABASE_FILE} not found)", key="data_dir")
    source, _ = open_database(f"sqlite:///{state_file}")
    try:
        target, _ = open_database(database_url)  # migrated to the newest schema, like the source
    except OperationalError as exc:
        source.dispose()
        raise ConfigError(f"the PostgreSQL state database cannot be reached: {exc.orig}", key="database_url") from None
    report = ServerMoveReport()
    try:
        datasets = _check_movable(source, target)
        if store_url_for(database_url, index_url):
            for dataset_id, directory in datasets:
                progress = (lambda done, dataset=dataset_id: on_progress(dataset, done)) if on_progress else None
                report.knowledge_bases[dataset_id] = _move_knowledge_base(
                    data_dir / directory, database_url, index_url, directory, sample, progress)
        if report.ok:
            report.rows = _copy_state(source, target)
    finally:
        source.dispose()
        target.dispose()
    return report


def _check_movable(source: Any, target: Any) -> list[tuple[str, str]]:
    """The datasets to move (id, directory), once the source is idle and the target empty."""
    with source.connect() as connection:
        active = connection.execute(select(RunRow.id).where(RunRow.status.in_(ACTIVE))).scalars().all()
        datasets = [(row.id, row.directory) for row in connection.execute(select(DatasetRow.id, DatasetRow.directory))]
    if active:
        raise ConfigError(f"runs {', '.join(map(str, active))} are still queued or running: stop the server (its "
                          "runs would be lost) and move it once it is stopped", key="data_dir")
    with target.connect() as connection:
        used = [name for name in _CONTENT_TABLES
                if connection.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar()]
    if used:
        raise ConfigError(f"the PostgreSQL state database already holds {', '.join(used)}: move into an empty one",
                          key="database_url")
    return datasets


def _move_knowledge_base(kb_dir: Path, database_url: str, index_url: str, name: str, sample: int,
                         on_progress: Callable[[int], None] | None) -> dict[str, Any]:
    if not has_store(kb_dir):  # a dataset never opened: the new setup creates it empty
        return {"ok": True, "copied_to": None, "documents": 0}
    try:
        return copy_to_cluster(kb_dir, database_url, index_url, name=name, sample=sample,
                               on_progress=on_progress).to_dict()
    except ConfigError as exc:
        if "already holds documents" not in str(exc):
            raise
        return _already_copied(kb_dir, database_url, index_url, name)


def _already_copied(kb_dir: Path, database_url: str, index_url: str, name: str) -> dict[str, Any]:
    """A knowledge base a previous attempt copied: kept if it holds what the directory holds."""
    from restsync.kb import KnowledgeBase

    with KnowledgeBase.open(kb_dir) as source, \
            KnowledgeBase.open(name, store_url=database_url, index_url=index_url) as copy:
        report = MigrationReport(copied_to=name, documents=source.count_documents(),
                                 chunks_in_store=source.count_chunks(), documents_copied=copy.count_documents(),
                                 chunks_copied=copy.count_chunks(), chunks_in_index=copy._index.count_chunks())
    return {**report.to_dict(), "already_copied": True}


def _copy_state(source: Any, target: Any) -> dict[str, int]:
    """Every row of every state table, ids kept, in one transaction; the run-id sequence then
    continues after the last run copied."""
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        for table in Base.metadata.sorted_tables:  # parents before the rows that refer to them
            rows = [dict(row) for row in reading.execute(select(table)).mappings()]
            if rows:
                writing.execute(insert(table), rows)
            copied[table.name] = len(rows)
        advance_sequence(writing, RunRow.__tablename__, "id")
    return copied
