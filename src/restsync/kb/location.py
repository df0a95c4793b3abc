"""Where a knowledge base lives: its own directory (SQLite, the default), or a schema of the
PostgreSQL state database, so that workers on any machine share it. Chosen by configuration
alone: PostgreSQL state and an external index (Milvus) put knowledge bases in PostgreSQL."""

from __future__ import annotations

from restsync.errors import ConfigError
from restsync.kb.index import EMBEDDED
from restsync.kb.store import Store


def store_url_for(database_url: str | None, index_url: str | None) -> str | None:
    """The PostgreSQL URL knowledge bases are stored at, or None: each in its own directory."""
    external_index = bool(index_url) and index_url != EMBEDDED
    if external_index and (database_url or "").startswith("postgresql"):
        return database_url
    return None


def open_database_store(name: str, store_url: str, index_url: str | None, *, searched: bool = True) -> Store:
    """The store of knowledge base `name` in PostgreSQL. `searched`: it will answer searches,
    which it can only do through an external index."""
    if searched and (not index_url or index_url == EMBEDDED):
        raise ConfigError("a knowledge base stored in PostgreSQL is searched through an external index: "
                          "set the index URL (milvus://HOST:PORT)", key="index_url")
    from restsync.kb.store.postgres import PostgresStore  # psycopg only when asked for

    return PostgresStore(store_url, name)
