"""Three `restsync worker` processes on one PostgreSQL, twenty sources on loopback APIs, one
worker killed with -9 in the middle of a sync: every source ends complete with every document
once, no source ever ran two syncs at a time, and the killed worker's run was finished by
another worker, resumed from its checkpoint.

The index is Milvus, so the knowledge bases themselves (documents, chunks, runs, checkpoints)
live in PostgreSQL, and nothing of them in the data directory. Milvus Lite is one process per
file, so each process here has its own index file where a cluster would share one Milvus; the
assertions read the shared store."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("procrastinate", reason="the job queue needs the scale extra (procrastinate)")

from restsync.service import ServiceSettings  # noqa: E402
from restsync.service.db import RunRow  # noqa: E402
from restsync.sync.state import CHECKPOINT_KEY  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from api import HelpApi, ragflow_config  # noqa: E402
from servers.workers import start_worker, stop_workers, wait_until  # noqa: E402

SOURCES = 20
ITEMS = 30  # three pages of ten
WAIT_LIMIT_S = 90  # real time: bounds a broken test; a passing one takes seconds


def _worker(data_dir: Path, database_url: str, index_url: str, name: str, log: Path) -> subprocess.Popen:
    return start_worker(data_dir, database_url, name, log, "--index-url", index_url, "--concurrency", "2",
                        "--stall-after", "3")


def _until(condition, what: str) -> None:
    wait_until(condition, what, WAIT_LIMIT_S)


def _milvus_lite(tmp_path: Path, process: str) -> str:
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (the scale extra)")
    return f"milvus+lite://{tmp_path}/{process}-index.db"


def test_workers_share_the_syncs_and_take_over_a_killed_workers_job(postgres_url, tmp_path, serve):
    from restsync.kb.store.postgres import PostgresStore
    from restsync.scale.worker import queue_service

    data_dir = tmp_path / "data"
    settings = ServiceSettings(data_dir=data_dir, database_url=postgres_url, index_url=_milvus_lite(tmp_path, "server"),
                               allow_private=True, scheduler=False, env={"RESTSYNC_SECRET_KEY": ""})
    service, _ = queue_service(settings)  # this process plays the server: it only defers jobs
    workers: dict[str, subprocess.Popen] = {}
    try:
        apis = [serve(HelpApi(count=ITEMS)) for _ in range(SOURCES)]
        apis[0].hold_page = 3  # the first source's sync stops at page 3 until released
        pairs = []
        for number, api in enumerate(apis):
            dataset = service.create_dataset(name=f"kb-{number}", embedding_model="hashing", chunk_token_num=64)
            config = {**ragflow_config(api.base_url), "concurrency": 1}
            connector = service.create_connector({"name": f"source-{number}", "config": config})
            pairs.append((dataset["id"], connector["id"]))
        for name in ("w1", "w2", "w3"):
            workers[name] = _worker(data_dir, postgres_url, _milvus_lite(tmp_path, name), name, tmp_path / f"{name}.log")
        for dataset_id, connector_id in pairs:
            service.link_connector(connector_id, dataset_id)  # defers its first sync

        assert apis[0].held.wait(WAIT_LIMIT_S), "no worker reached the held page"
        # The walker prefetches the next page: wait for the checkpoint of a stored page first.
        first_kb = service.datasets.open(pairs[0][0])
        _until(lambda: first_kb.get_state(pairs[0][1], CHECKPOINT_KEY) is not None, "a saved checkpoint")
        held_run = service.syncs.active_run_id(pairs[0][1])
        with service._sessions() as session:
            victim = session.get(RunRow, held_run).worker
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].wait(timeout=30)
        apis[0].hold_page = None
        apis[0].release.set()

        _until(lambda: all(service.syncs.active_run_id(connector_id) is None for _, connector_id in pairs),
               "every source to finish")
        with service._sessions() as session:
            runs = list(session.query(RunRow).order_by(RunRow.id))
        for dataset_id, connector_id in pairs:
            mine = [run for run in runs if run.connector_id == connector_id]
            assert [run.status for run in mine] == ["success"], [(run.status, run.error) for run in mine]
            spans = sorted((run.started_at, run.finished_at) for run in mine)
            assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:]))  # never two at once
            kb = service.datasets.open(dataset_id)
            assert isinstance(kb._store, PostgresStore)
            documents, total = kb.list_documents(limit=1000)
            assert total == ITEMS and len({doc.doc_id for doc in documents}) == ITEMS
        taken_over = next(run for run in runs if run.id == held_run)
        assert taken_over.worker != victim and taken_over.worker in workers
        assert taken_over.counts.get("resumed") is True  # continued from the checkpoint, not from page 1
        page_one = [r for r in apis[0].requests if (r.param("page") or "1") == "1"]
        assert len(page_one) == 1
        # Nothing of a knowledge base in the data directory: only the credentials key.
        assert sorted(path.name for path in data_dir.rglob("*")) == ["secret.key"]
    finally:
        stop_workers(*workers.values())
        service.close()
