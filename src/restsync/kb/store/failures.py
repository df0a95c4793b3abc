"""Storage failures as named errors: what SQLite and the file system say, in the user's terms.

A full disk, a read-only mount, a damaged or misplaced file and a long-held lock each get
their own message naming the knowledge-base directory and what to do; anything else is
left as it is (an internal error with a traceback under --debug).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy.exc import DBAPIError

from restsync.errors import (
    DamagedKnowledgeBaseError, DiskFullError, KnowledgeBaseError, ReadOnlyKnowledgeBaseError,
)

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def disk_full(directory: Path) -> DiskFullError:
    return DiskFullError(
        f"disk full while writing the knowledge base in {directory}: the interrupted write was rolled back "
        "and everything stored before it is kept; free some space and sync again (it resumes where it stopped)"
    )


def read_only(directory: Path, detail: str = "its directory or files cannot be written") -> ReadOnlyKnowledgeBaseError:
    return ReadOnlyKnowledgeBaseError(
        f"the knowledge base in {directory} is read-only ({detail}): sync needs write access; "
        "search and status work on a read-only knowledge base"
    )


def damaged_database(directory: Path, database: str, detail: str) -> DamagedKnowledgeBaseError:
    return DamagedKnowledgeBaseError(
        f"the database {directory / database} is damaged or not a knowledge base ({detail}); "
        "restore it from a backup, or move the directory away and sync into a new one"
    )


def translate(error: BaseException, directory: Path, database: str) -> KnowledgeBaseError | None:
    """The named error for a storage failure, or None when it is none we know."""
    if isinstance(error, KnowledgeBaseError):
        return error
    if isinstance(error, OSError) and not isinstance(error, sqlite3.Error):
        if error.errno in _FULL_ERRNOS:
            return disk_full(directory)
        if error.errno in _READ_ONLY_ERRNOS:
            return read_only(directory, error.strerror or str(error))
        return None
    original = error.orig if isinstance(error, DBAPIError) else error
    if not isinstance(original, sqlite3.Error):
        return None
    detail = str(original).strip() or type(original).__name__
    lowered = detail.lower()
    if "disk is full" in lowered or ("disk i/o error" in lowered and _no_space(directory)):
        return disk_full(directory)
    if "readonly" in lowered or "read-only" in lowered:
        return read_only(directory)
    if "not a database" in lowered or "malformed" in lowered or "no such table" in lowered or "no such index" in lowered:
        return damaged_database(directory, database, detail)
    if "unable to open database file" in lowered:
        if not os.access(directory, os.W_OK):
            return read_only(directory)
        return KnowledgeBaseError(f"cannot open the database {directory / database} ({detail})")
    if "database is locked" in lowered or "busy" in lowered:
        return KnowledgeBaseError(
            f"the knowledge base in {directory} stayed locked by another writer for too long ({detail}); "
            "try again when the other sync has finished"
        )
    return None


@contextmanager
def translated(directory: Path, database: str) -> Iterator[None]:
    """Re-raise storage failures inside the block as named errors (the original chained)."""
    try:
        yield
    except (DBAPIError, sqlite3.Error, OSError) as error:
        named = translate(error, directory, database)
        if named is None or named is error:
            raise
        raise named from error


def _no_space(directory: Path) -> bool:
    try:
        stats = os.statvfs(directory)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < 1024 * 1024
