"""One sync at a time per source: an advisory file lock that the OS releases if the process dies."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from restsync.errors import SyncInProgressError

LOCK_DIRECTORY = "locks"


class SourceLock:
    def __init__(self, directory: Path, source: str):
        # Source names are free text: hash them into a safe file name.
        digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:32]
        self._path = directory / LOCK_DIRECTORY / f"{digest}.lock"
        self._source = source
        self._fd: int | None = None

    def __enter__(self) -> "SourceLock":
        self._path.parent.mkdir(exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SyncInProgressError(
                f"source {self._source!r} is being synced by another process; "
                "wait for it to finish (two runs at once would prune each other's documents)"
            ) from None
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
