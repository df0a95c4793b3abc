"""The search-index seam (`Index`): the embedded store's own index, or Milvus.

`open_index(url, ...)` reads the index URL of the configuration:

| URL | index |
|---|---|
| unset or `embedded` | the knowledge base's own SQLite FTS5 + vector file (default, no extra packages) |
| `milvus+lite:///path/index.db` | Milvus Lite in a local file (tests, one machine) |
| `milvus://host:19530`, `milvus+https://host` | a Milvus server or cluster; its token from `RESTSYNC_INDEX_TOKEN` |

A Milvus URL's query options choose its dense index (`?index=hnsw&M=16&ef_construction=200&ef=64`,
`?index=ivf_flat&nlist=1024&nprobe=16`; default `flat`, exact): see `milvus_dense`.
"""

from __future__ import annotations

import os
from typing import Mapping
from urllib.parse import urlsplit

from restsync.errors import ConfigError
from restsync.kb.index.base import Index, StoreIndex
from restsync.kb.store.base import Store

EMBEDDED = "embedded"
_TOKEN_ENV = "RESTSYNC_INDEX_TOKEN"

__all__ = ["EMBEDDED", "Index", "StoreIndex", "milvus_uri", "open_index"]


def milvus_uri(url: str) -> str:
    """The pymilvus URI an index URL names (a file path for Milvus Lite)."""
    parts = urlsplit(url)
    if parts.scheme == "milvus+lite":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path.endswith(".db"):
            raise ConfigError(f"a Milvus Lite index is a file ending in .db, not {path!r}", key="index_url")
        return path
    if parts.scheme in ("milvus", "milvus+http"):
        return f"http://{parts.netloc}{parts.path}"
    if parts.scheme == "milvus+https":
        return f"https://{parts.netloc}{parts.path}"
    raise ConfigError(
        f"unknown index URL scheme {parts.scheme or url!r}; use embedded, milvus+lite:///FILE.db, milvus://HOST:PORT "
        "or milvus+https://HOST",
        key="index_url",
    )


def open_index(url: str | None, kb_id: str, store: Store, env: Mapping[str, str] | None = None) -> Index:
    if not url or url == EMBEDDED:
        return StoreIndex(store)
    from restsync.kb.index.milvus import MilvusIndex  # pymilvus only when asked for

    from restsync.kb.index.milvus_dense import parse_dense_index

    uri, dense = milvus_uri(url), parse_dense_index(urlsplit(url).query)  # both checked before connecting
    token = (env if env is not None else os.environ).get(_TOKEN_ENV)
    return MilvusIndex(uri, kb_id, token=token, dense=dense)
