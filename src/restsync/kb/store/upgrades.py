"""Creating the embedded store's schema, and bringing an older knowledge base up to date on open.

Tables come from `schema`; the FTS5 index and its triggers are SQLite's own; indexes and columns
added after knowledge bases were first created are added when missing (SQLite has no
ADD COLUMN IF NOT EXISTS), inside the opening write transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection

from restsync.kb.store import schema


def create_or_upgrade(conn: Connection) -> None:
    schema.metadata.create_all(conn)
    for statement in [*schema.FTS_DDL, *schema.UPGRADE_DDL]:
        conn.exec_driver_sql(statement)
    add_missing_columns(conn)


def add_missing_columns(conn: Connection) -> None:
    for table, column, sql_type in schema.UPGRADE_COLUMNS:
        present = {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
