"""`restsync worker` processes for the scale tests, and a bounded wait on what they do."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable


def start_worker(data_dir: Path, database_url: str, name: str, log: Path, *options: str) -> subprocess.Popen:
    """A worker on loopback APIs (private addresses allowed), heartbeating every 0.5 s; the
    credentials key comes from the data directory, as the server's does."""
    command = [str(Path(sys.executable).parent / "restsync"), "worker", "--data-dir", str(data_dir),
               "--database-url", database_url, "--name", name, "--heartbeat", "0.5", "--allow-private", *options]
    env = {key: value for key, value in os.environ.items() if key != "RESTSYNC_SECRET_KEY"}
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)


def stop_workers(*workers: subprocess.Popen | None) -> None:
    """Ask every running worker to stop (SIGTERM), then wait; one that hangs is killed."""
    running = [worker for worker in workers if worker is not None and worker.poll() is None]
    for worker in running:
        worker.terminate()
    for worker in running:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def wait_until(condition: Callable[[], bool], what: str, limit_s: float) -> None:
    """Poll real processes (they run on their own clocks) until `condition()`, bounded."""
    pause = threading.Event()
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        pause.wait(0.1)
