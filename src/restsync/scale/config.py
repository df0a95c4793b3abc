"""Where the distributed parts are, from flags or the environment (the same names for `serve`,
`worker` and `migrate`). Unset, everything stays embedded: a SQLite state file, each knowledge
base its own index, syncs on the server's threads."""

from __future__ import annotations

from typing import Mapping

from restsync.errors import ConfigError

DATABASE_URL_ENV = "RESTSYNC_DATABASE_URL"  # postgresql+psycopg://user@host/db
INDEX_URL_ENV = "RESTSYNC_INDEX_URL"  # milvus://host:19530 (token in RESTSYNC_INDEX_TOKEN)
QUEUE_ENV = "RESTSYNC_QUEUE"  # "procrastinate": syncs become jobs for `restsync worker`
QUEUES = ("threads", "procrastinate")
# A worker whose heartbeat is older than this is taken for dead: its jobs are retried by the
# others, and a cancel closes its runs at once (`--stall-after` on `worker` and `serve`).
DEFAULT_STALL_AFTER_S = 10.0


def resolve(flag: str | None, env_name: str, env: Mapping[str, str]) -> str | None:
    return flag or env.get(env_name) or None


def queue_kind(flag: str | None, env: Mapping[str, str], database_url: str | None) -> str:
    kind = resolve(flag, QUEUE_ENV, env) or "threads"
    if kind not in QUEUES:
        raise ConfigError(f"unknown queue {kind!r}; use one of {', '.join(QUEUES)}", key="queue")
    if kind == "procrastinate" and not (database_url or "").startswith("postgresql"):
        raise ConfigError(f"the procrastinate queue lives in the state database: set a PostgreSQL URL "
                          f"(--database-url or {DATABASE_URL_ENV})", key="queue")
    return kind
