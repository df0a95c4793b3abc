"""One sync at a time per source across machines: a PostgreSQL advisory lock, held on a
connection of its own for the whole sync. PostgreSQL releases it when that connection ends,
however the process holding it ends (a worker killed with -9 included)."""

from __future__ import annotations

from typing import Any

from restsync.errors import SyncInProgressError

_TRY = "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


class AdvisorySourceLock:
    def __init__(self, conninfo: str, key: str, source: str):
        self._conninfo = conninfo  # libpq URL: the lock's own connection, outside any pool
        self._key = key
        self._source = source
        self._connection: Any = None

    def __enter__(self) -> "AdvisorySourceLock":
        import psycopg

        connection = psycopg.connect(self._conninfo, autocommit=True)
        try:
            held = connection.execute(_TRY, (self._key,)).fetchone()[0]
        except BaseException:
            connection.close()
            raise
        if not held:
            connection.close()
            raise SyncInProgressError(
                f"source {self._source!r} is being synced by another process; "
                "wait for it to finish (two runs at once would prune each other's documents)"
            )
        self._connection = connection
        return self

    def __exit__(self, *exc: object) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(_UNLOCK, (self._key,))
        finally:
            self._connection.close()  # ending the session releases the lock in any case
            self._connection = None
