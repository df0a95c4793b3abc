"""Run one sync in a child process and `kill -9` it at a chosen point: `crash_child.py SPEC.json`.

SPEC: {"kb": dir, "config": {...}, "full": bool, "point": name or null, "after": n}. The point is
the n-th call (1-based) of one stage; the process SIGKILLs itself right there, as a power cut or
the OOM killer would, with no cleanup of any kind:
  fetch       after the n-th HTTP response arrived (before its documents are stored)
  chunking    inside the n-th chunking of a document
  embedding   inside the embedding call that holds the n-th text (the pipeline groups texts
              into calls by timing, so calls are not countable ahead; texts are)
  commit      inside the n-th document write, after its vectors were appended and its rows
              inserted, before the transaction commits
  checkpoint  right after the n-th sync-state write (checkpoint, watermark)
  prune       inside the prune's transaction, documents deleted but not committed
  pruned      right after the prune committed, before the run is closed
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import sys
import threading
from typing import Any, Callable


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_on_call(owner: Any, name: str, after: int, *, before: bool = False,
                 when: Callable[[], bool] = lambda: True) -> None:
    static = isinstance(inspect.getattr_static(owner, name), staticmethod)
    original = getattr(owner, name)
    calls = [0]
    counting = threading.Lock()  # requests of a burst run on several threads

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        number = 0
        if when():
            with counting:
                calls[0] += 1
                number = calls[0]
            if before and number == after:
                die()
        result = original(*args, **kwargs)
        if not before and number == after:  # this call's own number: others may have started since
            die()
        return result

    setattr(owner, name, staticmethod(wrapper) if static else wrapper)


def arm(point: str, after: int) -> None:
    from restsync.http.client import HttpClient
    from restsync.kb.chunking import Chunker
    from restsync.kb.embedding.hashing import HashingEmbedder
    from restsync.kb.store.sqlite import SqliteStore

    if point == "fetch":
        kill_on_call(HttpClient, "send", after)
    elif point == "chunking":
        kill_on_call(Chunker, "chunk", after, before=True)
    elif point == "embedding":
        embed = HashingEmbedder.embed
        texts = [0]

        def embed_then_die(self: Any, batch: Any) -> Any:
            texts[0] += len(batch)
            if texts[0] >= after:
                die()
            return embed(self, batch)

        HashingEmbedder.embed = embed_then_die  # type: ignore[method-assign]
    elif point == "commit":  # the last step of a write, before its commit: its rows were inserted
        kill_on_call(SqliteStore, "_insert_all", after)
    elif point == "checkpoint":
        kill_on_call(SqliteStore, "set_state", after)
    elif point in ("prune", "pruned"):
        pruning = [False]
        original = SqliteStore.delete_unseen

        def delete_unseen(self: Any, *args: Any, **kwargs: Any) -> int:
            pruning[0] = True
            deleted = original(self, *args, **kwargs)
            if point == "pruned":
                die()
            return deleted

        SqliteStore.delete_unseen = delete_unseen  # type: ignore[method-assign]
        if point == "prune":
            kill_on_call(SqliteStore, "_delete_documents", 1, when=lambda: pruning[0])
    else:
        raise SystemExit(f"unknown point {point!r}")


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    if spec.get("point"):
        arm(spec["point"], int(spec["after"]))
    from restsync.kb import KnowledgeBase
    from restsync.sync import SourceSync, SyncOptions
    from restsync.sync.sources import config_for_sync

    # One fetched batch per plan, store and model call (the pipeline otherwise merges batches that
    # wait together, as many as timing allows): the n-th call of a stage is then the same point
    # in every run, and every kill point drawn is reached.
    options = SyncOptions(full=bool(spec.get("full")), allow_private=True,
                          pipeline={"merge_documents": 1, "embed_group": 1})
    with KnowledgeBase.open(spec["kb"]) as kb:
        result = SourceSync(kb, "src", config_for_sync(kb, "src", spec["config"]), options).run()
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
