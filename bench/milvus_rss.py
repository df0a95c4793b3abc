"""Resident memory of the Milvus Lite server processes this benchmark started (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def milvus_server_rss_mib() -> tuple[float, float]:
    """(current, peak) resident MiB of this process's Milvus Lite server children; (0, 0) if none."""
    current = peak = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(os.getpid()) and fields.get("Name", "").strip() == "milvus":
            current += int(fields["VmRSS"].split()[0]) / 1024
            peak += int(fields["VmHWM"].split()[0]) / 1024
    return current, peak
